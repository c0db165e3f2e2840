"""quantum-control end to end on tiny presets against the exhaustive optimum, and its
refusals through the CLI."""

from __future__ import annotations

import pytest

from cli_refusals import assert_refused
from physml.tasks import run


def test_q_learning_against_the_exhaustive_optimum(tmp_path) -> None:
    overrides = {"times": [0.5, 3.0], "n_steps": 8, "n_runs": 3, "model": {"n_episodes": 400}}
    record = run("quantum-control", overrides=overrides, seed=0, out=tmp_path)
    short, long = record.metrics["F(T=0.5)"], record.metrics["F(T=3)"]
    assert long.reference > 0.99 > 0.6 > short.reference  # past and before the speed limit
    for m in (short, long):
        assert m.value <= m.reference + 1e-12  # no protocol beats the exhaustive optimum
        assert m.value > 0.95 * m.reference
    found = record.metrics["found optimum(T=0.5)"]
    assert 0 <= found.value <= 1 and found.error > 0
    assert (record.run_dir / "plots" / "fidelity_vs_time.png").stat().st_size > 0


def test_reinforce_on_a_chain_without_a_reference(tmp_path) -> None:
    overrides = {"n_sites": 2, "times": [1.0], "n_steps": 40, "reference": False, "n_runs": 2}
    overrides["model"] = {"n_iterations": 5, "batch_size": 8}
    record = run("quantum-control", method="reinforce", overrides=overrides, seed=0, out=tmp_path)
    assert record.metrics["F(T=1)"].reference is None
    assert "found optimum(T=1)" not in record.metrics
    assert 0 < record.metrics["F^(1/L)(T=1)"].value <= 1


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--set", "n_steps=40"], "n_steps=40: the exact optimum would enumerate 2^40"),
        (["--set", "dt=0.01", "--set", "times=[2.0]"], "T=2.0 with dt=0.01 (N=200)"),
        (["--set", "times=[-1.0]"], "times"),
        (["--set", "n_sites=9"], "n_sites"),
    ],
)
def test_refusals(args: list[str], says: str, tmp_path) -> None:
    assert_refused(["run", "quantum-control", *args], says, tmp_path)
