"""PINN members on Ray workers (``--workers 2``) are the members trained one after another:
the same seeds give the same fits, so the same errors and the same history."""

from __future__ import annotations

import csv

import pytest

from physml.tasks import run

pytest.importorskip("ray")

TINY = {
    "modes": [{"kx": 1, "ky": 2, "amplitude": 1.0}],
    "n_collocation": 60,
    "n_members": 3,
    "grid": 21,
    "model": {"hidden": [10]},
    "train": {"adam_steps": 5, "lbfgs_iterations": 40, "lbfgs_chunk": 20, "log_every": 5},
}


def _losses(run_dir) -> list[tuple[str, str, float]]:
    with open(run_dir / "log.csv", newline="") as f:
        return [(r["member"], r["iteration"], float(r["loss"])) for r in csv.DictReader(f)]


def test_parallel_members_are_the_sequential_members(tmp_path) -> None:
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # a Ray worker's thread count, so sums run in the same order
    try:
        alone = run("poisson-pinn", "pinn", overrides=TINY, seed=3, out=tmp_path / "one")
        both = run("poisson-pinn", "pinn", overrides=TINY, seed=3, out=tmp_path / "two", workers=2)
    finally:
        torch.set_num_threads(threads)
    a, b = alone.metrics["relative L2"], both.metrics["relative L2"]
    assert a.value > 0 and a.std > 0  # three different members, not one repeated
    assert b.value == pytest.approx(a.value, rel=1e-9)
    assert b.std == pytest.approx(a.std, rel=1e-9)
    first, second = _losses(alone.run_dir), _losses(both.run_dir)
    assert [row[:2] for row in first] == [row[:2] for row in second]
    assert [row[2] for row in second] == pytest.approx([row[2] for row in first], rel=1e-9)
