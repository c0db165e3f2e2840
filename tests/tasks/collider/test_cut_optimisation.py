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
