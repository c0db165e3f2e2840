"""manifold-autoencoder end to end on the circle: the k = d autoencoder's worst error
stays above the Borsuk-Ulam bound, the k = d + 1 one reconstructs everything."""

from __future__ import annotations

import math

import pytest

from physml.tasks import run
from physml.tasks.anomaly.manifold_autoencoder import topological_bound

TINY = {
    "manifolds": ["circle"],
    "latent_offsets": [0, 1],
    "n_train": 600,
    "n_test": 1000,
    "n_seeds": 3,
    "width": 0.2,
    "train": {"max_epochs": 20, "batch_size": 100, "learning_rate": 5e-3, "patience": 20},
}


def test_bounds() -> None:
    assert topological_bound("circle", 1) == 1.0
    assert topological_bound("phase_space", 5) == pytest.approx(1 / math.sqrt(3))
    assert topological_bound("torus", 1) == pytest.approx(1 / math.sqrt(2))
    assert topological_bound("torus", 2) is None and topological_bound("sphere", 3) is None


def test_tiny_circle(tmp_path) -> None:
    record = run("manifold-autoencoder", "mlp", overrides=TINY, seed=0, out=tmp_path)
    m = record.metrics
    worst = m["max error circle k=1 (at d=1)"]
    assert worst.reference == 1.0
    # every seed's worst error is above the bound (its spread cannot hide a violation)
    assert worst.value - 2 * worst.std > 1.0
    assert m["max error circle k=2 (above d=1)"].value < 0.5
    assert 0 <= m["P(global minimum) circle k=2"].value <= 1
    assert (record.run_dir / "plots" / "tear.png").stat().st_size > 0
