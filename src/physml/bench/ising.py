"""Benchmark of the 2D Ising simulator :mod:`physml.sim.statmech.ising`.

Measures checkerboard Metropolis flip attempts per second (one attempt = one site visited
in a sweep) at T = T_c for L = 64, 256, 1024, for physml's scalar numba kernel
(``multispin=False``), for its multispin kernel (64 lattices per uint64 word, batch 64,
through the public ``ising.metropolis``, so packing and unpacking are included) and for a
plain vectorised numpy int8 checkerboard implemented here, in the same process; reports
the median over repeats and the ratio physml / numpy. Both physml rows at one L are
compared with the numpy rate measured at that L (numpy's rate per attempt does not depend
on the batch at these sizes). Also reports the peak memory per spin
of ``ising.sample`` on a large batch (measured in a fresh subprocess as peak RSS minus the
RSS before the call) and, in the full run, the wall time of the sampling workload of the
``ising-phase`` task (L = 8, 16, 32 at 25 temperatures in [1.0, 3.6], 500 samples each).

Targets (issue): >= 20x the numpy baseline and >= 3e8 attempts/s at L = 1024 on 2 cores.
Run with ``physml bench ising`` or ``python -m physml.bench.ising``.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time

import numpy as np

from physml.sim.statmech import ising

__all__ = ["numpy_metropolis", "run"]


def numpy_metropolis(spins: np.ndarray, temperature: float, n_sweeps: int, rng) -> np.ndarray:
    """Baseline: vectorised numpy checkerboard Metropolis on int8 spins (batch, L, L), in place.

    Same acceptance rule as physml's kernel (Delta E = 0 accepted with 1/2), float32
    uniforms from ``rng``; needs even L.
    """
    L = spins.shape[1]
    colour = (np.add.outer(np.arange(L), np.arange(L)) % 2).astype(bool)
    masks = (~colour, colour)
    # index (s h + 4) // 2 -> acceptance probability, Delta E = 2 s h
    table = np.array(
        [1.0, 1.0, 0.5, np.exp(-4 / temperature), np.exp(-8 / temperature)], dtype=np.float32
    )
    for _ in range(n_sweeps):
        for mask in masks:
            h = np.roll(spins, 1, axis=1)
            h += np.roll(spins, -1, axis=1)
            h += np.roll(spins, 1, axis=2)
            h += np.roll(spins, -1, axis=2)
            h *= spins
            h += 4
            h >>= 1
            accept = rng.random(spins.shape, dtype=np.float32) < table[h]
            accept &= mask
            np.negative(spins, out=spins, where=accept)
    return spins


def _rate(fn, spins: np.ndarray, n_sweeps: int, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn(spins, n_sweeps)
        times.append(time.perf_counter() - t0)
    return spins.size * n_sweeps / statistics.median(times)


_MEMORY_SCRIPT = """
import resource, numpy as np
from physml.sim.statmech import ising
# load (or compile) every kernel the measured call uses: 130 = two multispin groups of 64
# plus a remainder for the per-site kernel
ising.sample(8, {T}, 130, 0, algorithm="{alg}", n_equilibrate=2)
with open("/proc/self/statm") as f:
    before = int(f.read().split()[1]) * resource.getpagesize()
x = ising.sample({L}, {T}, {n}, 0, algorithm="{alg}", n_equilibrate=2)
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
print(before, peak)
"""


def _peak_bytes_per_spin(L: int, n: int, temperature: float, algorithm: str) -> float:
    code = _MEMORY_SCRIPT.format(L=L, n=n, T=temperature, alg=algorithm)
    out = subprocess.run(
        [sys.executable, "-c", code], check=True, capture_output=True, text=True
    ).stdout.split()
    before, peak = int(out[0]), int(out[1])
    return max(peak - before, 0) / (n * L * L)


def _workload_seconds(n_temperatures: int, n_samples: int) -> float:
    t0 = time.perf_counter()
    for L in (8, 16, 32):
        for i, T in enumerate(np.linspace(1.0, 3.6, n_temperatures)):
            ising.sample(L, float(T), n_samples, seed=i)
    return time.perf_counter() - t0


def run(*, quick: bool = False) -> list[dict]:
    """Run the benchmark; one row per measurement, same keys in every row.

    Args:
        quick: fewer sweeps and repeats, skip L = 1024 and the workload timing.

    Returns:
        rows with keys ``benchmark``, ``L``, ``batch``, ``physml``, ``numpy``, ``ratio``,
        ``unit``.
    """
    T = ising.critical_temperature()
    rng = np.random.default_rng(0)
    repeats = 3 if quick else 5
    work_physml = 2e7 if quick else 1e8  # flip attempts per timed repeat
    work_numpy = 2e6 if quick else 1e7
    work_multispin = 2e8 if quick else 2e9
    cases = [(64, 64), (256, 4)] if quick else [(64, 64), (256, 4), (1024, 1)]
    # warm up: compile (or load from cache) the kernels
    ising.metropolis(np.ones((2, 8, 8), dtype=np.int8), T, 1, 0)
    ising.metropolis(np.ones((64, 8, 8), dtype=np.int8), T, 1, 0, multispin=True)
    ising.metropolis(np.ones((64 * 64, 4, 4), dtype=np.int8), T, 1, 0, multispin=True)
    ising.sample(8, 2.0, 2, 0)
    ising.sample(8, 3.0, 2, 0)

    rows = []
    for L, batch in cases:
        spins = (2 * rng.integers(0, 2, size=(batch, L, L)) - 1).astype(np.int8)
        n_phys = max(1, int(work_physml / spins.size))
        n_np = max(1, int(work_numpy / spins.size))
        physml_rate = _rate(
            lambda s, n: ising.metropolis(s, T, n, rng, multispin=False), spins, n_phys, repeats
        )
        numpy_rate = _rate(lambda s, n: numpy_metropolis(s, T, n, rng), spins, n_np, repeats)
        rows.append(
            {
                "benchmark": "metropolis flip attempts/s (T=T_c)",
                "L": L,
                "batch": batch,
                "physml": f"{physml_rate:.3g}",
                "numpy": f"{numpy_rate:.3g}",
                "ratio": f"{physml_rate / numpy_rate:.1f}",
                "unit": "1/s",
            }
        )
        ms_spins = (2 * rng.integers(0, 2, size=(64, L, L)) - 1).astype(np.int8)
        n_ms = max(1, int(work_multispin / ms_spins.size))
        ms_rate = _rate(
            lambda s, n: ising.metropolis(s, T, n, rng, multispin=True), ms_spins, n_ms, repeats
        )
        rows.append(
            {
                "benchmark": "metropolis multispin flip attempts/s (T=T_c)",
                "L": L,
                "batch": 64,
                "physml": f"{ms_rate:.3g}",
                "numpy": f"{numpy_rate:.3g}",
                "ratio": f"{ms_rate / numpy_rate:.1f}",
                "unit": "1/s",
            }
        )

    L_mem, n_mem = (64, 1024) if quick else (64, 8192)
    for alg, temp in (("metropolis", 3.0), ("wolff", 2.0)):
        rows.append(
            {
                "benchmark": f"sample peak memory ({alg})",
                "L": L_mem,
                "batch": n_mem,
                "physml": f"{_peak_bytes_per_spin(L_mem, n_mem, temp, alg):.2f}",
                "numpy": "-",
                "ratio": "-",
                "unit": "bytes/spin",
            }
        )
    if not quick:
        rows.append(
            {
                "benchmark": "sample ising-phase workload (L=8,16,32; 25 T; 500 each)",
                "L": "8-32",
                "batch": 500,
                "physml": f"{_workload_seconds(25, 500):.2f}",
                "numpy": "-",
                "ratio": "-",
                "unit": "s",
            }
        )
    return rows


if __name__ == "__main__":  # pragma: no cover
    quick = "--quick" in sys.argv
    for row in run(quick=quick):
        print("  ".join(f"{k}={v}" for k, v in row.items()))
