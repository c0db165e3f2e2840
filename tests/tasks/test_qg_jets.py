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


def test_multiplicity_is_suboptimal_with_splitting_functions(tmp_path) -> None:
    record = run("qg-jets", "multiplicity", overrides=SMALL, seed=0, out=tmp_path)
    assert 0.002 < record.metrics["AUC_opt - AUC"].value < 0.02  # z values carry information


def test_bdt_approaches_the_optimum(tmp_path) -> None:
    record = run("qg-jets", "bdt", overrides=SMALL, seed=1, out=tmp_path)
    auc = record.metrics["AUC"]
    assert auc.reference > 0.8
    assert -0.01 < auc.reference - auc.value < 0.015  # no classifier beats Neyman-Pearson
    assert record.metrics["accuracy"].value <= record.metrics["accuracy"].reference + 0.02


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
