"""transit-search end to end on a tiny preset: the simulated matched filter meets its
exact P_D, no detector beats it, BLS and a network are measured beside it; refusals."""

from __future__ import annotations

import pytest

from cli_refusals import assert_refused
from physml.tasks import run
from physml.testing import assert_matches_exact

pytest.importorskip("astropy")

TINY = {
    "n_train": 120,
    "n_test": 200,
    "length": 12.0,
    "period_min": 1.0,
    "period_max": 5.0,
    "n_periods": 400,
    "n_bins": 64,
    "false_alarm": 0.1,
}


@pytest.fixture(scope="module")
def cnn_run(tmp_path_factory):
    overrides = {**TINY, "train": {"max_epochs": 3}, "model": {"channels": [8, 8]}}
    out = tmp_path_factory.mktemp("runs")
    return run("transit-search", "cnn", overrides=overrides, seed=0, out=out)


def test_matched_filter_meets_the_exact_optimum_and_bounds_the_others(cnn_run) -> None:
    m = cnn_run.metrics
    optimum = m["P_D(P_FA=0.1) (matched filter)"]
    assert_matches_exact(optimum.value, optimum.error, optimum.reference, n_sigma=3)
    auc = m["AUC (matched filter)"]
    assert_matches_exact(auc.value, auc.error, auc.reference, n_sigma=3)
    for name in ("P_D(P_FA=0.1)", "P_D(P_FA=0.1) (BLS)"):
        assert 0 < m[name].error < 0.1
        assert m[name].value < m[name].reference + 3 * m[name].error
    assert m["AUC (BLS)"].value > 0.55  # BLS finds the deep transits
    bins = [k for k in m if k.startswith("P_D(P_FA=0.1, rho in")]
    assert bins and all(m[k].reference <= 1 for k in bins)
    for plot in ("roc.png", "efficiency.png"):
        assert (cnn_run.run_dir / "plots" / plot).stat().st_size > 0


def test_bls_period_and_depth(tmp_path) -> None:
    record = run("transit-search", "bls", overrides=TINY, seed=0, out=tmp_path)
    m = record.metrics
    assert "P_D(P_FA=0.1) (BLS)" not in m and "P_D(P_FA=0.1)" in m
    assert m["period found (|dP/P| < 1%)"].value > 0.5
    depth = m["depth error (rms, relative)"]
    assert depth.value > depth.reference  # no estimator beats the Cramér–Rao bound here


@pytest.mark.parametrize(
    ("assignment", "says"),
    [
        (["period_max=30"], "longer than the light curve"),
        (["gap_length=30", "gap_every=30"], "gapped-only"),
        (["dropped=1"], "gapped-only"),
        (["white_noise=nan"], "white_noise"),
        (["variability=inf"], "variability"),
        (["u1=0.9", "u2=0.5"], "u1 + u2"),
    ],
)
def test_refusals(assignment: list[str], says: str, tmp_path) -> None:
    args = ["run", "transit-search", "--method", "bls"]
    for item in assignment:
        args += ["--set", item]
    assert_refused(args, says, tmp_path)
