"""ising-unsupervised end to end on small lattices: PCA finds the magnetisation, the
Binder crossing and learning by confusion find Onsager's T_c without labels."""

from __future__ import annotations

import numpy as np
import pytest
from typer.testing import CliRunner

from physml.cli.main import app
from physml.tasks import run
from physml.tasks.statmech.ising_phase_data import ONSAGER_TC

SMALL = {
    "sizes": [8, 16],
    "n_samples": 150,
    "n_scan_temperatures": 9,
    "n_train_temperatures": 3,
    "tsne_points": 60,
}


def test_small_run_finds_the_transition_without_labels(tmp_path) -> None:
    record = run("ising-unsupervised", overrides=SMALL, seed=2, out=tmp_path)
    m = record.metrics
    for size in SMALL["sizes"]:
        # the uniform mode is the exact leading eigenvector; 150 samples x 15 temperatures
        overlap = m[f"|PC1.uniform|(L={size})"]
        assert overlap.reference == 1.0 and 0.98 < overlap.value <= 1.0, overlap
        assert 0 < overlap.error < 0.02
    binder = m["T_c(PCA Binder)"]
    # L = 8 and 16 cross at a shallow angle: ~0.1 from 150 samples per temperature
    assert binder.error is not None and 0 < binder.error < 0.25, binder
    assert abs(binder.value - ONSAGER_TC) < 3 * binder.error, binder
    for name in ("k-means", "Gaussian mixture"):
        accuracy = m[f"accuracy({name}, L=16)"]
        assert 0.75 < accuracy.value <= 1 and 0 < accuracy.error < 0.05, accuracy
    for size in SMALL["sizes"]:
        peak = m[f"T_c(confusion, L={size})"]
        assert abs(peak.gap) < 0.1, peak  # T_c(L) lies a/L above T_c; L = 8 is coarse
    assert np.isfinite(m["T_c(confusion)"].value) and m["T_c(confusion)"].error > 0
    assert 0.3 < m["chi2/n(E/N)"].value < 2.5
    for plot in ("pca.png", "tsne.png", "binder.png", "confusion.png"):
        assert (record.run_dir / "plots" / plot).stat().st_size > 1000


@pytest.mark.parametrize(
    ("assignment", "says"),
    [
        ("n_components=1", "'n_components' = 1"),
        ("tsne_points=5", "'tsne_points' = 5"),
        ("tsne=umap", "'tsne'"),
        ("model.epochs=0", "'model.epochs' = 0"),
        ("model.learning_rate=nan", "learning_rate"),
        ("test_fraction=1.5", "'test_fraction' = 1.5"),
    ],
)
def test_bad_settings_are_refused_in_one_line(assignment: str, says: str, tmp_path) -> None:
    result = CliRunner().invoke(
        app, ["run", "ising-unsupervised", "--set", assignment, "--out", str(tmp_path / "r")]
    )
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and says in lines[0], result.stderr
    assert not (tmp_path / "r").exists()
