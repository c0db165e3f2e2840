"""init-criticality end to end on a tiny preset: the ReLU four-point growth and kernel
slopes meet their exact values within the reported errors."""

from __future__ import annotations

from physml.tasks import run
from physml.testing import assert_matches_exact

TINY = {
    "widths": [16, 32],
    "depth": 5,
    "n_networks": 600,
    "input_dim": 8,
    "relu_c_w": [2.0, 2.5],
    "model": {"members": 16, "widths": [16], "depths": [2, 3], "steps": 40},
}


def test_tiny_run_meets_the_exact_relu_results(tmp_path) -> None:
    record = run("init-criticality", "ensemble", overrides=TINY, seed=0, out=tmp_path)
    m = record.metrics
    for name in (
        "n dr/dl (relu, gaussian)",
        "n dr/dl (relu, orthogonal)",
        "d ln K/dl (relu, C_W=2)",
    ):
        assert_matches_exact(m[name].value, m[name].error, m[name].reference)
    assert_matches_exact(
        m["d ln K/dl (relu, C_W=2.5)"].value, m["d ln K/dl (relu, C_W=2.5)"].error, 0.2231435513
    )
    # orthogonal weights suppress the fluctuations: 9/n against 15/n
    assert m["n dr/dl (relu, orthogonal)"].reference < m["n dr/dl (relu, gaussian)"].reference
    assert m["n dr/dl (tanh, orthogonal)"].reference is None
    trained = m["Var/Var_inf at L=3 (n=16)"]
    assert trained.value > 0 and trained.error > 0
    for plot in ("four_point.png", "trained.png"):
        assert (record.run_dir / "plots" / plot).stat().st_size > 0
