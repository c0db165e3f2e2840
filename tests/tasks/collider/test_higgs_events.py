"""higgs-events end to end: classifiers and the AMS against the exact likelihood ratio."""

from __future__ import annotations

import pytest

from physml.config import ConfigError
from physml.tasks import resolve, run

SMALL = {"n_events": 4000, "n_eval": 40_000}


def test_bdt_approaches_the_optimal_significance(tmp_path) -> None:
    record = run("higgs-events", "bdt", overrides=SMALL, seed=0, out=tmp_path)
    ams, auc = record.metrics["AMS"], record.metrics["AUC"]
    assert 3.0 < ams.reference < 7.0  # challenge-like: a few sigma at 20.3 fb^-1
    assert 0.6 * ams.reference < ams.value < 1.1 * ams.reference  # noise, not beyond the bound
    assert 0.9 < auc.reference < 0.95
    assert 0 < auc.reference - auc.value < 0.03  # Neyman-Pearson: nobody beats the ratio
    # errors: the AMS of a few dozen expected events is known to some 10 %; the gap to the
    # optimum has the paired error of the same events (the two cuts keep different ones)
    gap = record.metrics["AMS_opt - AMS"]
    assert 0.02 * ams.value < ams.error < 0.3 * ams.value
    assert gap.value == pytest.approx(ams.reference - ams.value, abs=1e-12)
    assert 0 < gap.error == ams.gap_error < 0.3 * ams.reference
    assert gap.value > -2 * gap.error  # nothing beats the optimum beyond its noise
    assert 0 < auc.error < 0.005 and record.metrics["accuracy"].error > 0
    # calibration against the exact posterior P(signal | x) = sigmoid(llr)
    ece, exact_ece = record.metrics["ECE"], record.metrics["ECE vs exact posterior"]
    assert 0 <= ece.reference < 0.01  # the exact posterior is calibrated, up to noise
    assert 0 <= exact_ece.value < 0.1 and 0 < record.metrics["mean |P - P_exact|"].value < 0.1
    brier = record.metrics["Brier score"]
    assert brier.value > brier.reference - 3 * brier.gap_error  # p* is the best Brier score
    for plot in ("roc.png", "scores.png", "ams.png", "reliability.png"):
        assert (record.run_dir / "plots" / plot).stat().st_size > 0


def test_mlp_trains_and_reports(tmp_path) -> None:
    overrides = {**SMALL, "train": {"max_epochs": 8}, "n_members": 2}
    record = run("higgs-events", "mlp", overrides=overrides, seed=1, out=tmp_path)
    assert record.metrics["AUC"].value > 0.87
    assert record.metrics["AMS"].std is not None  # two members: a spread


@pytest.mark.parametrize(
    ("overrides", "message"),
    [(["n_eval=10"], "'n_eval' = 10"), (["physics.mass_resolution=0"], "mass_resolution")],
)
def test_bad_settings(overrides: list[str], message: str) -> None:
    with pytest.raises(ConfigError) as err:
        resolve("higgs-events", "bdt", overrides=overrides)
    assert message in str(err.value)
