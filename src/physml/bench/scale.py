"""Benchmark of distributed training (``physml bench scale``): epoch time on N processes.

One fixed problem, an MLP 32-256-256-1 (ReLU) fitted by :func:`physml.train.fit` with a
mean squared error to 32 768 random samples (16 384 with ``--quick``) at a global batch
of 2048, in float32, on the CPU (gloo): once in one process (the baseline, no process
group) and once in a DDP session of N = 2 processes (and 4 where the machine has 4
cores or more), each process with one thread. Each run is a fresh command (Fabric's
launcher starts the extra processes), and its time per epoch is the median over epochs
2..5 (the first warms up). ``ratio`` is the speed-up t_1 / t_N; the scaling efficiency
is t_1 / (N t_N), 1 for perfect scaling. The processes share this machine's cores with
whatever else runs: compare the ratio, not the times, and read the load average.

Run with ``physml bench scale`` or ``python -m physml.bench.scale``.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

__all__ = ["run"]

_EPOCHS = 5
_BATCH = 2048


def _worker(devices: int, n_samples: int, out: Path) -> None:
    """One timed fit, in a DDP session of ``devices`` processes (none for 1)."""
    import torch
    from torch import nn
    from torch.utils.data import TensorDataset

    from physml.train import FitSettings, distributed, fit

    torch.set_num_threads(1)
    dist = distributed.Distribution(devices, 1, "ddp" if devices > 1 else "auto")
    rank = distributed.launch(dist, "cpu")
    g = torch.Generator().manual_seed(0)
    x = torch.randn(n_samples, 32, generator=g)
    y = torch.randn(n_samples, generator=g)
    model = nn.Sequential(nn.Linear(32, 256), nn.ReLU(), nn.Linear(256, 256), nn.ReLU(),
                          nn.Linear(256, 1))  # fmt: skip

    def mse(model: nn.Module, batch: list[torch.Tensor]) -> torch.Tensor:
        return ((model(batch[0]).squeeze(-1) - batch[1]) ** 2).mean()

    settings = FitSettings(max_epochs=_EPOCHS, batch_size=_BATCH, patience=None)
    result = fit(model, mse, TensorDataset(x, y), settings=settings, seed=0)
    if rank == 0:
        out.write_text(json.dumps([record["time_s"] for record in result.history]))
    distributed.end()


def _epoch_time(devices: int, n_samples: int) -> float:
    """Median time per epoch (s) of a fresh run on ``devices`` processes."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "times.json"
        env = {**os.environ, "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
        command = [sys.executable, "-m", "physml.bench.scale", "--worker", str(devices)]
        subprocess.run([*command, str(n_samples), str(out)], check=True, env=env,
                       capture_output=True, timeout=1800)  # fmt: skip
        return statistics.median(json.loads(out.read_text())[1:])


def run(*, quick: bool = False) -> list[dict]:
    """Rows: the speed-up of N processes over one at equal global batch (module docstring)."""
    n_samples = 16_384 if quick else 32_768
    one = _epoch_time(1, n_samples)
    rows = []
    for n in (2, 4):
        if n > (os.cpu_count() or 1):
            continue
        t = _epoch_time(n, n_samples)
        rows.append(
            {
                "benchmark": f"DDP {n} processes (CPU, gloo)",
                "case: epoch time vs 1 process": f"MLP 32-256-256-1, {n_samples} samples, "
                f"global batch {_BATCH}; efficiency {one / (n * t):.2f}",
                "physml": f"{t:.3g} s",
                "baseline": f"{one:.3g} s",
                "ratio": f"{one / t:.3g}",
            }
        )
    return rows


if __name__ == "__main__":  # pragma: no cover
    if sys.argv[1:2] == ["--worker"]:
        _worker(int(sys.argv[2]), int(sys.argv[3]), Path(sys.argv[4]))
    else:
        for row in run(quick="--quick" in sys.argv):
            print(row)
