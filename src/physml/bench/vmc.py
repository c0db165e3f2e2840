"""Benchmark of the VMC engine :mod:`physml.infer.vmc` against NetKet on the same problems.

Two problems, the same ansatz, hyperparameters and sample counts in both codes:

* ``tfim``: periodic transverse-field Ising chain L = 16 at h = J (exact E from free
  fermions), RBM alpha = 1, 1008 samples per step, SR with diagonal shift 0.1, SGD lr 0.01,
  300 steps (the configuration of the issue's NetKet figure);
* ``quantum-dot``: two electrons in a 2D trap, omega = 1 (exact E = 3, Taut), Gaussian-binary
  RBM with 2 hidden units times a Padé–Jastrow factor with the exact cusp, 1024 samples,
  SR shift 0.01, lr 0.05, 200 steps.

NetKet always runs with its default sampler (``MetropolisLocal`` / ``MetropolisGaussian``
with sigma = 0.5: 16 chains, one sample every ``hilbert.size`` moves, 5 samples per chain
discarded at every step). physml runs twice (:data:`SAMPLERS`):

* ``"physml"``: its own choice, 1008 chains with one sweep per sample (``tfim``) and
  Langevin importance sampling with a time step tuned during burn-in over 1024 walkers
  (``quantum-dot``): what a physml user gets, so its ratio mixes engine and sampler;
* ``"netket"``: NetKet's sampler settings: 16 chains, single-flip Metropolis with one
  sweep (16 proposals) per sample (``tfim``); a Gaussian random walk with fixed sigma =
  0.5 and 4 moves per sample (``quantum-dot``). The only difference left is that physml
  discards 5 samples per chain once, before its first step, where NetKet discards them at
  every step (about 7 % more moves for NetKet). Its ratio measures the engines.

Reported per problem and sampler: the median wall time of one step, the time until the
running mean of the last 10 step energies is within the target relative error of the
exact energy (1e-3 for ``tfim``, 5e-4 for ``quantum-dot``), and the relative error of the
mean of the last 20 steps; the ratio is NetKet / physml (above 1: physml is faster).
NetKet runs in a subprocess (``netket_reference.py``, with the Python in
``$PHYSML_NETKET_PYTHON`` or this one if it has netket); its times include JIT
compilation, which is part of its real cost, and exclude imports, as physml's do. Also
reported: local-energy evaluations per second of the quantum-dot ansatz with analytic
derivatives against automatic differentiation.

Run with ``physml bench vmc`` (``--quick``: one seed; otherwise three, medians reported).
"""

from __future__ import annotations

import importlib.util
import json
import os
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from physml.infer.vmc import (
    VMC,
    ContinuousLocalEnergy,
    ContinuousMetropolis,
    LatticeLocalEnergy,
    SpinMetropolis,
)
from physml.models import GaussianBinaryRBM, PadeJastrow, ProductWavefunction, SpinRBM
from physml.sim.quantum import spins
from physml.sim.quantum.trap import HarmonicTrap

__all__ = ["PROBLEMS", "SAMPLERS", "Trajectory", "netket_python", "run"]


@dataclass(frozen=True)
class Problem:
    n_iterations: int
    n_samples: int
    lr: float
    diag_shift: float
    target: float  # relative error of the 10-step running mean


PROBLEMS = {
    "tfim": Problem(300, 1008, 0.01, 0.1, 1e-3),
    "quantum-dot": Problem(200, 1024, 0.05, 0.01, 5e-4),
}

#: physml's sampler settings: its own ("physml"), or NetKet's defaults ("netket"); the
#: description goes into the row labels.
SAMPLERS = {
    "physml": {
        "tfim": "physml sampler: 1008 chains, 1 sweep per sample",
        "quantum-dot": "physml sampler: Langevin, tuned dt, 1024 walkers",
    },
    "netket": {
        "tfim": "NetKet's sampler in both: 16 chains, 1 sweep per sample",
        "quantum-dot": "NetKet's sampler in both: Gaussian walk, sigma 0.5 fixed, 16 chains",
    },
}
_NETKET_CHAINS, _NETKET_DISCARD, _NETKET_SIGMA = 16, 5, 0.5


@dataclass(frozen=True)
class Trajectory:
    """Energies and wall times (s, end of each step) of one optimisation."""

    energies: np.ndarray
    times: np.ndarray
    exact: float

    def step_time(self) -> float:
        return float(np.median(np.diff(self.times)))

    def time_to(self, target: float, window: int = 10) -> float:
        mean = np.convolve(self.energies, np.ones(window) / window, "valid")
        hit = np.flatnonzero(np.abs(mean - self.exact) / abs(self.exact) <= target)
        return float(self.times[hit[0] + window - 1]) if hit.size else float("nan")

    def final_error(self, window: int = 20) -> float:
        return float(abs(self.energies[-window:].mean() - self.exact) / abs(self.exact))


def _physml_vmc(problem: str, seed: int, sampler: str) -> tuple[VMC, float]:
    p = PROBLEMS[problem]
    torch.manual_seed(seed)
    netket = sampler == "netket"
    chains = _NETKET_CHAINS if netket else p.n_samples
    if problem == "tfim":
        hamiltonian = spins.transverse_field_ising(16, h=1.0)
        model = SpinRBM(16, alpha=1).double()
        burn_in = _NETKET_DISCARD if netket else 20
        chain = SpinMetropolis(16, n_chains=chains, seed=seed, n_burn_in=burn_in)
        energy = LatticeLocalEnergy(hamiltonian)
        exact = spins.tfim_exact_energy(16, h=1.0)
    else:
        trap = HarmonicTrap(2, 2, 1.0, interaction="coulomb", statistics="fermions")
        model = ProductWavefunction(GaussianBinaryRBM(2, 2, 2), PadeJastrow(2, 2)).double()
        if netket:  # NetKet's MetropolisGaussian: hilbert.size = 4 moves per sample
            chain = ContinuousMetropolis(
                2,
                2,
                n_chains=chains,
                langevin=False,
                proposal="gaussian",
                step=_NETKET_SIGMA,
                tune_step=False,
                steps_per_sample=4,
                n_burn_in=4 * _NETKET_DISCARD,
                seed=seed,
            )
        else:
            chain = ContinuousMetropolis(2, 2, n_chains=chains, seed=seed, steps_per_sample=2)
        energy = ContinuousLocalEnergy(trap.potential)
        exact = 3.0
    vmc = VMC(model, chain, energy, n_samples=p.n_samples, lr=p.lr, diag_shift=p.diag_shift)
    return vmc, exact


def physml_trajectory(problem: str, seed: int, sampler: str = "physml") -> Trajectory:
    """Optimise with physml (``sampler``: a key of :data:`SAMPLERS`); times from the start
    of the first step."""
    vmc, exact = _physml_vmc(problem, seed, sampler)
    energies, times = [], []
    start = time.perf_counter()
    for _ in range(PROBLEMS[problem].n_iterations):
        energies.append(vmc.step().energy)
        times.append(time.perf_counter() - start)
    return Trajectory(np.array(energies), np.array(times), exact)


def netket_python() -> str | None:
    """A Python that can import netket: ``$PHYSML_NETKET_PYTHON`` or this one."""
    configured = os.environ.get("PHYSML_NETKET_PYTHON")
    if configured:
        return configured
    return sys.executable if importlib.util.find_spec("netket") else None


def netket_trajectory(python: str, problem: str, seed: int) -> tuple[Trajectory, str]:
    p = PROBLEMS[problem]
    script = Path(__file__).with_name("netket_reference.py")
    args = [python, str(script), problem, "--n-iterations", str(p.n_iterations)]
    args += ["--n-samples", str(p.n_samples), "--lr", str(p.lr)]
    args += ["--diag-shift", str(p.diag_shift), "--seed", str(seed)]
    out = subprocess.run(args, capture_output=True, text=True, check=True)
    data = json.loads(out.stdout.strip().splitlines()[-1])
    trajectory = Trajectory(np.array(data["energies"]), np.array(data["times"]), data["exact"])
    return trajectory, f"NetKet {data['netket']}, {data['n_chains']} chains"


def _local_energy_rate(method: str, repeats: int) -> float:
    trap = HarmonicTrap(2, 2, 1.0, interaction="coulomb", statistics="fermions")
    torch.manual_seed(0)
    model = ProductWavefunction(GaussianBinaryRBM(2, 2, 2), PadeJastrow(2, 2)).double()
    x = torch.randn(4096, 2, 2, dtype=torch.float64, generator=torch.Generator().manual_seed(0))
    energy = ContinuousLocalEnergy(trap.potential, method=method)
    energy(model, x)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        energy(model, x)
        times.append(time.perf_counter() - start)
    return x.shape[0] / statistics.median(times)


def _fmt(value: float, unit: str = "") -> str:
    return "-" if not np.isfinite(value) else f"{value:.3g}{unit}"


def run(*, quick: bool = False) -> list[dict]:
    """Run the benchmark; rows with keys benchmark, physml, baseline, ratio, unit."""
    seeds = [0] if quick else [0, 1, 2]
    python = netket_python()
    rows = []
    for problem, p in PROBLEMS.items():
        theirs, name = [], "NetKet not available (set PHYSML_NETKET_PYTHON)"
        if python is not None:
            for s in seeds:
                trajectory, name = netket_trajectory(python, problem, s)
                theirs.append(trajectory)
        measures = [
            ("s per step (median)", lambda t: t.step_time(), "s"),
            (f"s to relative error {p.target:g}", lambda t, p=p: t.time_to(p.target), "s"),
            ("relative error, last 20 steps", lambda t: t.final_error(), ""),
        ]
        for sampler, described in SAMPLERS.items():
            ours = [physml_trajectory(problem, s, sampler) for s in seeds]
            for label, measure, unit in measures:
                a = statistics.median(measure(t) for t in ours)
                b = statistics.median(measure(t) for t in theirs) if theirs else float("nan")
                finite = np.isfinite(a) and np.isfinite(b) and a > 0
                ratio = b / a if unit and finite else float("nan")
                rows.append(
                    {
                        "benchmark": f"{problem} ({described[problem]}): {label}",
                        "physml": _fmt(a),
                        "baseline": f"{_fmt(b)} ({name})" if theirs else name,
                        "ratio": _fmt(ratio),
                        "unit": unit,
                    }
                )
    repeats = 5 if quick else 20
    analytic = _local_energy_rate("analytic", repeats)
    autograd = _local_energy_rate("autograd", repeats)
    rows.append(
        {
            "benchmark": "quantum-dot: local energies per s (batch 4096)",
            "physml": _fmt(analytic),
            "baseline": f"{_fmt(autograd)} (physml, autograd Laplacian)",
            "ratio": _fmt(analytic / autograd),
            "unit": "1/s",
        }
    )
    return rows


if __name__ == "__main__":  # pragma: no cover
    for row in run(quick="--quick" in sys.argv):
        print(row)
