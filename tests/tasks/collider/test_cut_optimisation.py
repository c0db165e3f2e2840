"""cut-optimisation end to end: the GA against the grid optimum and the likelihood ratio."""

from __future__ import annotations

import pytest

from physml.config import ConfigError
from physml.tasks import resolve, run

SMALL = {"n_signal": 20_000, "n_background": 80_000}


def test_genetic_algorithm_matches_the_grid_and_respects_the_bound(tmp_path) -> None:
    overrides = {**SMALL, "n_members": 2}
    record = run("cut-optimisation", "genetic", overrides=overrides, seed=0, out=tmp_path)
    ams = record.metrics["AMS"]
    assert record.metrics["AMS / AMS_grid"].value > 0.97
    assert ams.std is not None  # two seeded runs
    # no selection on these features beats their likelihood ratio (up to sample noise)
    assert ams.value < 1.03 * ams.reference
    assert ams.reference < record.metrics["AMS_LR (all 7 features)"].value  # more features
    # errors over the measuring sample: the AMS to some 10 %, the paired ratio to the grid
    # (mostly the same events kept) much better; a near-optimal cut is within 3 sigma of
    # its bound
    assert 0.01 * ams.value < ams.error < 0.2 * ams.value
    ratio = record.metrics["AMS / AMS_grid"]
    assert 0 < ratio.error < ams.error / ams.value
    assert ams.value - ams.reference < 3 * ams.gap_error
    s, b = record.metrics["s"], record.metrics["b"]
    assert 0 < s.error < 0.2 * s.value and 0 < b.error < 0.2 * b.value
    assert (record.run_dir / "log.csv").read_text().startswith("member,generation,best,mean")
    for plot in ("cuts.png", "evolution.png"):
        assert (record.run_dir / "plots" / plot).stat().st_size > 0


def test_grid_and_other_metrics(tmp_path) -> None:
    overrides = {**SMALL, "metric": "s_sqrt_b", "features": ["mass_tautau", "pt_tau"]}
    record = run("cut-optimisation", "grid", overrides=overrides, seed=0, out=tmp_path)
    z = record.metrics["s/sqrt(b)"]
    assert 1.0 < z.value < 1.05 * z.reference
    assert "s/sqrt(b) / s/sqrt(b)_grid" not in record.metrics


@pytest.mark.parametrize(
    ("features", "message"),
    [
        (["pt_tau"], "pt_tau needs mass_tautau"),
        (["mass"], "unknown feature 'mass'"),
        (["mass_tautau", "met", "deta_jj", "mt_lep_met"], "at most 3"),
    ],
)
def test_bad_features(features: list[str], message: str) -> None:
    with pytest.raises(ConfigError) as err:
        resolve("cut-optimisation", overrides={"features": features})
    assert message in str(err.value)
