"""qg-jets end to end: every method against the exact likelihood-ratio optimum."""

from __future__ import annotations

import pytest

from physml.config import ConfigError
from physml.tasks import resolve, run

SMALL = {"n_jets": 4000}


def test_multiplicity_is_optimal_in_the_casimir_limit(tmp_path) -> None:
    # soft emissions 2C/z for both flavours: log p_q/p_g depends on the count only
    overrides = {**SMALL, "shower": {"shape": "soft"}}
    record = run("qg-jets", "multiplicity", overrides=overrides, seed=0, out=tmp_path)
    assert record.metrics["AUC"].value == pytest.approx(record.metrics["AUC"].reference, abs=1e-12)
    gap = record.metrics["AUC_opt - AUC"]  # the same ranking: the paired error vanishes too
    assert gap.value == pytest.approx(0, abs=1e-12) and gap.error == pytest.approx(0, abs=1e-12)


def test_multiplicity_is_suboptimal_with_splitting_functions(tmp_path) -> None:
    record = run("qg-jets", "multiplicity", overrides=SMALL, seed=0, out=tmp_path)
    gap = record.metrics["AUC_opt - AUC"]
    assert 0.002 < gap.value < 0.02  # z values carry information
    assert gap.consistent is False  # more than 2 sigma of the paired error from the optimum


def _hanley_mcneil(auc: float, n_signal: int, n_background: int) -> float:
    """Hanley & McNeil's (1982) standard error of an AUC."""
    q1, q2 = auc / (2 - auc), 2 * auc * auc / (1 + auc)
    variance = auc * (1 - auc) + (n_signal - 1) * (q1 - auc**2) + (n_background - 1) * (q2 - auc**2)
    return (variance / (n_signal * n_background)) ** 0.5


def test_bdt_approaches_the_optimum(tmp_path) -> None:
    record = run("qg-jets", "bdt", overrides=SMALL, seed=1, out=tmp_path)
    auc = record.metrics["AUC"]
    assert auc.reference > 0.8
    assert -0.01 < auc.reference - auc.value < 0.015  # no classifier beats Neyman-Pearson
    assert record.metrics["accuracy"].value <= record.metrics["accuracy"].reference + 0.02
    n_test = round(0.25 * 2 * SMALL["n_jets"]) // 2  # test jets per flavour, roughly
    assert 0.5 < auc.error / _hanley_mcneil(auc.value, n_test, n_test) < 2
    assert 0 < auc.gap_error < auc.error  # paired: the optimum shares the test jets
    rejection = record.metrics["1/eps_B(eps_S=0.5)"]
    assert 0 < rejection.error < 0.2 * rejection.value


@pytest.mark.parametrize("method", ["pfn", "efn", "transformer", "cnn"])
def test_networks_train_and_report(method: str, tmp_path) -> None:
    overrides = {**SMALL, "train": {"max_epochs": 4, "batch_size": 256}}
    record = run("qg-jets", method, overrides=overrides, seed=0, out=tmp_path)
    auc = record.metrics["AUC"]
    if method in ("pfn", "transformer"):  # both can represent log p_q/p_g (a sum + a count)
        assert 0.75 < auc.value < auc.reference + 0.015
    elif method == "efn":  # IRC safe: blind to the constituent count the optimum depends on
        assert 0.6 < auc.value < auc.reference - 0.01
    else:  # images: trained, and never above the Neyman-Pearson optimum
        assert 0.6 < auc.value < auc.reference + 0.015
    assert (record.run_dir / "log.csv").read_text().startswith("epoch,train_loss,val_loss")
    for plot in ("roc.png", "scores.png", "learning_curves.png"):
        assert (record.run_dir / "plots" / plot).stat().st_size > 0


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (["n_jets=10"], "'n_jets' = 10"),
        (["shower.z_cut=0.7"], "'shower.z_cut' = 0.7"),
        (["shower.shape=hard"], "'shower.shape'"),
    ],
)
def test_bad_settings(overrides: list[str], message: str) -> None:
    with pytest.raises(ConfigError) as err:
        resolve("qg-jets", "bdt", overrides=overrides)
    assert message in str(err.value)


def test_pfn_run_resumes_to_the_same_numbers(tmp_path) -> None:
    from physml.tasks import resume

    overrides = {"n_jets": 1000, "train": {"max_epochs": 2, "batch_size": 128}}
    record = run("qg-jets", "pfn", overrides=overrides, seed=2, out=tmp_path)
    (record.run_dir / "metrics.json").unlink()
    again = resume(record.run_dir)
    assert again.metrics["AUC"].value == record.metrics["AUC"].value
    assert again.metrics["AUC"].reference == record.metrics["AUC"].reference


def _energyflow_npz(path, n_per_flavour: int, seed: int) -> None:
    """Simulated jets written as energyflow's QG_jets.npz: X (n, M, 4) = (pt, y, phi, pid),
    zero-padded, constituents in shuffled order; y = 1 for quarks."""
    import numpy as np

    from physml.sim.collider import jets

    both = jets.concatenate(
        [
            jets.sample(n_per_flavour, flavour=f, seed=seed + k)
            for k, f in enumerate(["quark", "gluon"])
        ]
    )
    rng = np.random.default_rng(seed)
    x = np.zeros((*both.mask.shape, 4))
    x[..., :3] = both.constituents * both.mask[..., None]
    x[..., 3] = np.where(both.mask, 22.0, 0.0)
    x = np.take_along_axis(x, rng.permuted(np.argsort(~both.mask, axis=1), axis=1)[..., None], 1)
    np.savez(path, X=x, y=both.is_quark.astype(np.float64))


def test_real_data_replaces_the_simulator(tmp_path) -> None:
    from physml.tasks import resume

    path = tmp_path / "QG_jets.npz"
    _energyflow_npz(path, 4000, seed=5)
    record = run("qg-jets", "bdt", overrides={"n_jets": 4000}, data=[path], seed=0, out=tmp_path)
    auc = record.metrics["AUC"]
    assert auc.reference == pytest.approx(0.8911) and auc.source.startswith("literature")
    assert "AUC_opt - AUC" not in record.metrics  # no optimum for real data
    assert 0.79 < auc.value < 0.85  # the shower's optimum is 0.834
    assert str(path.resolve()) in (record.run_dir / "config.yaml").read_text()
    (record.run_dir / "metrics.json").unlink()
    assert resume(record.run_dir).metrics["AUC"].value == auc.value


def test_data_is_refused_where_it_cannot_be_used(tmp_path) -> None:
    with pytest.raises(ConfigError, match="does not read real data"):
        resolve("ising-phase", data=[tmp_path])
    with pytest.raises(ConfigError, match="no such file"):
        resolve("qg-jets", data=[tmp_path / "missing.npz"])
