"""The VMC tasks end to end on small systems: exact energies, run directories, resume,
and one-line refusals of unphysical input."""

from __future__ import annotations

import json

import pytest

from physml.config import ConfigError
from physml.tasks import resolve, resume, run

FAST = {"n_samples": 256, "n_chains": 64, "n_burn_in": 20, "n_eval_samples": 8192}


def test_tfim_chain_reaches_free_fermion_energy_and_resumes(tmp_path) -> None:
    overrides = {"n_sites": 6, "vmc": {**FAST, "n_iterations": 80}}
    record = run("tfim-chain", overrides=overrides, seed=3, out=tmp_path)
    energy = record.metrics["E"]
    assert energy.reference == pytest.approx(-7.72740661, rel=1e-8)  # L = 6, h = J
    assert energy.value > energy.reference - 4 * energy.error  # variational: not below exact
    assert abs(energy.gap) < 3e-3
    assert energy.error > 0 and energy.std is None  # blocking error: an error, not a spread
    assert "blocking" in energy.source and record.metrics["(E - E_ref) / error"].error == 1
    assert saved_error(record) == energy.error
    saved = json.loads((record.run_dir / "metrics.json").read_text())
    assert saved["metrics"]["E"]["source"].startswith("exact: ")
    log = (record.run_dir / "log.csv").read_text().splitlines()
    assert log[0] == "step,energy,error,variance,acceptance" and len(log) == 81
    assert (record.run_dir / "plots" / "energy.png").stat().st_size > 0

    (record.run_dir / "metrics.json").unlink()
    resumed = resume(record.run_dir)
    assert resumed.metrics["E"].value == energy.value


def saved_error(record) -> float:
    """The energy's error as metrics.json holds it."""
    return json.loads((record.run_dir / "metrics.json").read_text())["metrics"]["E"]["error"]


def test_heisenberg_chain_against_exact_diagonalisation(tmp_path) -> None:
    overrides = {"n_sites": 8, "vmc": {**FAST, "n_iterations": 100}}
    record = run("heisenberg-chain", overrides=overrides, seed=0, out=tmp_path)
    energy = record.metrics["E"]
    # ring of 8 spins: E = -3.6510934 J in the S.S convention, times 4 for Pauli matrices
    assert energy.reference == pytest.approx(4 * -3.6510934, rel=1e-7)
    assert energy.value > energy.reference - 4 * energy.error
    assert abs(energy.gap) < 5e-3
    assert record.metrics["E/N"].reference == pytest.approx(1 - 4 * 0.6931471805599453)


@pytest.mark.parametrize(
    ("task", "overrides"),
    [  # 3 x 3 periodic TFIM and 4 x 2 periodic Heisenberg: references by ED
        ("tfim-chain", {"n_sites": 3, "ly": 3, "h": 2.0}),
        ("heisenberg-chain", {"n_sites": 4, "ly": 2}),
    ],
)
def test_small_square_lattices_against_ed(task: str, overrides: dict, tmp_path) -> None:
    from physml.sim.quantum import spins

    overrides = {**overrides, "vmc": {**FAST, "n_iterations": 100}}
    record = run(task, overrides=overrides, seed=0, out=tmp_path)
    energy = record.metrics["E"]
    edges = spins.square_edges(overrides["n_sites"], overrides["ly"])
    n = overrides["n_sites"] * overrides["ly"]
    if task == "tfim-chain":
        h = spins.transverse_field_ising(n, h=2.0, edges=edges)
        assert energy.reference == pytest.approx(spins.ground_state_energy(h), rel=1e-10)
    else:
        h = spins.heisenberg(n, edges=edges)
        assert energy.reference == pytest.approx(
            spins.ground_state_energy(h, magnetization=0), rel=1e-10
        )
    assert "exact diagonalisation" in energy.source
    assert energy.value > energy.reference - 4 * energy.error
    assert abs(energy.gap) < 5e-3
    assert "E/N" not in record.metrics  # the infinite-chain anchors are for chains only


def test_ho_bosons_zero_variance(tmp_path) -> None:
    overrides = {"n_particles": 3, "dim": 1, "omega": 0.5, "vmc": {**FAST, "n_iterations": 120}}
    record = run("ho-bosons", overrides=overrides, seed=1, out=tmp_path)
    assert record.metrics["E"].reference == pytest.approx(0.75)  # N d omega / 2
    assert abs(record.metrics["E"].gap) < 1e-5
    assert record.metrics["variance"].value < 1e-7
    assert record.metrics["E"].error < 1e-6  # an exact eigenstate: no fluctuations
    assert (record.run_dir / "plots" / "density.png").exists()


def test_interacting_bosons_use_the_two_body_reference() -> None:
    from physml.sim.quantum.trap import two_body_energy

    task, _, config = resolve(
        "ho-bosons", overrides={"interaction": "gaussian", "strength": -1.0, "dim": 1}
    )
    system = task.system(config)
    assert system.exact
    assert system.reference == pytest.approx(
        two_body_energy(1, 1.0, interaction="gaussian", strength=-1.0), rel=1e-12
    )
    assert system.reference < 1.0  # attraction lowers the energy below N d omega / 2


def test_quantum_dot_two_electrons_near_taut(tmp_path) -> None:
    overrides = {"vmc": {**FAST, "n_iterations": 80}}
    record = run("quantum-dot", overrides=overrides, seed=0, out=tmp_path)
    energy = record.metrics["E"]
    assert energy.reference == pytest.approx(3.0, abs=1e-9)  # Taut 1994
    assert -4 * energy.error / 3 < energy.gap < 3e-3


def test_six_electron_dot_is_stable_near_nodes(tmp_path) -> None:
    # Slater nodes make E_L diverge; drift limiting and E_L clipping keep the optimisation
    # sane (without them the first step sent alpha to exp(-22)).
    overrides = {"n_particles": 6, "vmc": {**FAST, "n_iterations": 15}}
    record = run("quantum-dot", "slater-pade", overrides=overrides, seed=0, out=tmp_path)
    assert record.metrics["E"].reference == pytest.approx(20.15932)
    assert 0 < record.metrics["E"].gap < 0.01  # Slater-Jastrow VMC lies ~0.1 % above DMC
    assert record.metrics["variance"].value < 1.0


@pytest.mark.parametrize("method", ["rbm-pade", "rbm", "slater-pade"])
def test_quantum_dot_six_electrons_builds_with_literature_reference(method: str) -> None:
    import torch

    task, _, config = resolve("quantum-dot", method, overrides={"n_particles": 6})
    system = task.system(config)
    assert not system.exact and system.reference == pytest.approx(20.15932)
    model = task.wavefunction(config, method).double()
    assert model(torch.randn(4, 6, 2, dtype=torch.float64)).shape == (4,)


@pytest.mark.parametrize(
    ("task", "overrides", "message"),
    [
        ("ho-bosons", ["n_particles=0"], "'n_particles' = 0"),
        ("ho-bosons", ["omega=0"], "'omega' = 0"),
        ("ho-bosons", ["omega=-1"], "'omega' = -1"),
        ("quantum-dot", ["dim=1"], "the Coulomb dot needs dim >= 2"),
        ("heisenberg-chain", ["n_sites=7"], "n_sites=7 must be even"),
        ("tfim-chain", ["n_sites=2"], "'n_sites' = 2"),
        ("tfim-chain", ["vmc.optimizer=lbfgs"], "'vmc.optimizer'"),
        ("tfim-chain", ["vmc.lr=0"], "'vmc.lr' = 0"),
        ("tfim-chain", ["vmc.n_chain=4"], "unknown key 'vmc.n_chain'"),
        ("heisenberg-chain", ["n_sites=4", "ly=3"], "and ly=3 too on a periodic"),
    ],
)
def test_unphysical_input_is_refused_in_one_line(
    task: str, overrides: list[str], message: str
) -> None:
    with pytest.raises(ConfigError) as err:
        resolve(task, overrides=overrides)
    assert message in str(err.value)
    assert "\n" not in str(err.value)


@pytest.mark.parametrize(
    ("task", "method"),
    [
        ("tfim-chain", "rbm"),
        ("heisenberg-chain", "rbm-symmetric"),
        ("ho-bosons", "deepset"),
        ("quantum-dot", "slater-pade"),
    ],
)
def test_every_part_of_a_vmc_run_is_made_on_the_run_device(
    task: str, method: str, tmp_path
) -> None:
    # the meta device holds shapes only: a tensor made on the CPU (or read back to it)
    # anywhere in building, sampling or measuring would raise (see tests/infer/test_vmc_devices.py)
    import torch

    from physml.infer.vmc import log_derivatives
    from physml.tasks.base import RunContext

    small = {"n_burn_in": 5, "n_chains": 4, "n_samples": 16}
    task_, method, config = resolve(task, method, overrides={"vmc": small})
    ctx = RunContext(run_dir=tmp_path, seed=0, device="meta")
    vmc = task_.build(config, task_.system(config), ctx)
    configs = vmc.sample(16).flat()
    tensors = [*vmc.model.parameters(), vmc.sampler.chains, configs]
    tensors += [vmc.local_energies(configs), log_derivatives(vmc.model, configs)]
    assert {t.device for t in tensors} == {torch.device("meta")}


def test_symmetric_rbm_is_refused_on_a_square_lattice() -> None:
    with pytest.raises(ConfigError, match="rbm-symmetric is translation-invariant along"):
        resolve("tfim-chain", "rbm-symmetric", overrides=["ly=2"])
