"""symbolic-laws' network laws: perfectly linear messages give Newton's law exactly (R^2 = 1,
constant -1); end to end, a small GNN's messages and a small HNN recover their laws."""

from __future__ import annotations

import numpy as np
import pytest

from physml.sim.mechanics.nbody import NBody
from physml.tasks import run
from physml.tasks.base import RunContext
from physml.tasks.symmetry.symbolic_laws import SymbolicLawsSettings
from physml.tasks.symmetry.symbolic_networks import _read_force_law


@pytest.mark.parametrize("law", ["gravity", "coulomb"])
def test_messages_linear_in_the_force_give_the_law_exactly(law: str, tmp_path) -> None:
    system = NBody(law=law)
    rng = np.random.default_rng(0)
    x, m, c = system.initial_conditions(50, rng)
    pair = system.pair_forces(x[:, :4], m, c)
    graph, i, j = np.nonzero(~np.eye(4, dtype=bool)[None].repeat(50, 0))
    force = pair[graph, i, j]
    delta = x[graph, i] - x[graph, j]
    feature = m if law == "gravity" else c
    x_law = np.stack(
        [feature[graph, i], feature[graph, j], np.linalg.norm(delta, axis=1), np.ones(len(i))], 1
    )
    # a perfectly trained toy model: two messages a linear image of F, the rest near zero
    transform = np.array([[0.3, -1.2], [0.7, 0.4]])
    messages = np.concatenate(
        [force @ transform + [0.1, -0.2], 1e-6 * rng.standard_normal((len(i), 6))], axis=1
    )
    config = SymbolicLawsSettings(compare_gplearn=False)
    name = "newton-messages" if law == "gravity" else "coulomb-messages"
    out = _read_force_law(
        name, config, messages, force, delta, x_law, 0.0, (0, 0, 0), RunContext(tmp_path, 0), False
    )
    assert out["rows"]["physml"]["exact"]
    assert out["r2"] == pytest.approx(1.0, abs=1e-12)
    assert out["constant"] == pytest.approx(out["expected_constant"], rel=1e-9)
    got = np.array(out["transform"])  # the messages in order of their spread
    assert any(np.allclose(got, transform[:, cols], atol=1e-4) for cols in ([0, 1], [1, 0]))


def test_small_networks_recover_newton_and_the_pendulum_hamiltonian(tmp_path) -> None:
    overrides = {
        "laws": ["newton-messages", "pendulum-hnn"],
        "noise_levels": [0.0],
        "gplearn": {"population_size": 50, "generations": 1},
        "networks": {
            "n_systems": 120,
            "hidden": [32, 32],
            "n_states": 600,
            "gnn_train": {"max_epochs": 80, "batch_size": 32, "learning_rate": 3e-3},
            "hnn_train": {"max_epochs": 120, "batch_size": 64, "learning_rate": 3e-3},
        },
    }
    record = run("symbolic-laws", overrides=overrides, seed=0, out=tmp_path)
    m = record.metrics
    r2 = m["message R^2 against the true force (newton-messages, noise 0)"]
    assert r2.value > 0.9
    constant = m["message-to-force constant (newton-messages, noise 0)"]
    assert abs(constant.value + 1) < 0.1
    assert m["HNN rms energy error / H rms (pendulum-hnn, noise 0)"].value < 0.05
    assert m["HNN cross term rms / H rms (pendulum-hnn, noise 0)"].value < 0.05
    log = (record.run_dir / "log.csv").read_text()
    assert "newton-messages,0.0,0,physml,-G*dx*m1*m2/r**3,True" in log
