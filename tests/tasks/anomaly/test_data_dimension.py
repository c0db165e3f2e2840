"""data-dimension end to end on a tiny preset: the estimators find the exact dimensions,
the jets' leading-log dimension, no classifier beats the Bayes loss; refusals."""

from __future__ import annotations

import pytest

from physml.tasks import run
from physml.testing import assert_matches_exact

pytest.importorskip("ot")

TINY = {
    "n_points": 1200,
    "n_groups": 3,
    "n_emd_jets": 120,
    "q_values": [0.006],
    "n_test_jets": 1000,
    "training_sizes": [100, 200, 400],
    "model": {"classifiers": ["bdt"]},
}


def test_tiny_run(tmp_path) -> None:
    record = run("data-dimension", "estimators", overrides=TINY, seed=0, out=tmp_path)
    m = record.metrics
    for name in ("dim S^2 (two-NN)", "dim T^2 in R^4 (MLE k=10)", "dim S^2 (correlation)"):
        assert_matches_exact(m[name].value, m[name].error, m[name].reference, atol=0.1)
    # gluon jets are higher-dimensional than quark jets, at about C_A / C_F
    ratio = m["dim_gluon / dim_quark (mean over Q)"]
    assert ratio.value > 1.2
    assert_matches_exact(ratio.value, ratio.error, 9 / 4)
    for size in (100, 400):
        excess = m[f"L - L_Bayes (bdt, D={size})"]
        assert excess.value > -3 * excess.error  # nothing beats the exact posterior
    assert m["L - L_Bayes (bdt, D=400)"].value < m["L - L_Bayes (bdt, D=100)"].value
    assert m["alpha (bdt)"].value > 0
    log = (record.run_dir / "log.csv").read_text().splitlines()
    assert log[0] == "classifier,test_loss,error" and log[1].startswith("Bayes,")
    for plot in ("jet_dimension.png", "scaling.png"):
        assert (record.run_dir / "plots" / plot).stat().st_size > 0
