"""Benchmark of physml's NPE against a plain sbi script (``physml bench sbi``).

On the two-moons problem (:mod:`physml.sim.inference.benchmark_problems`), with the same
simulations and the same observations for both:

* **physml**: :func:`physml.infer.simulation_based.fit_posterior` (NPE-C, MAF, sbi's
  training defaults, logs kept in memory, no progress bars);
* **baseline**: the script a user writes from sbi's tutorial, every option at the
  library's default (``NPE(prior)``, ``append_simulations``, ``train()``,
  ``build_posterior()``, ``sample``), run in a temporary working directory because sbi
  writes ``./sbi-logs/`` there.

Rows: wall time of training plus sampling (median of ``repeats``), and C2ST of each
against the exact two-moons posterior (:func:`physml.metrics.posterior.c2st`, sbibm's
classifier, 1000 samples per side; mean ± standard error over the observations). The two
differ only in seeds and logging, so the ratio shows physml's overhead and the C2STs agree
within their noise.
"""

from __future__ import annotations

import contextlib
import io
import os
import statistics
import tempfile
import time

import numpy as np

__all__ = ["plain_sbi_npe", "run"]

_SAMPLES = 1000


def plain_sbi_npe(theta: np.ndarray, x: np.ndarray, observations: np.ndarray, n: int):
    """The plain sbi script: NPE with every default, then ``n`` samples per observation
    (n_obs, n, D). Runs in a temporary directory (sbi's ``./sbi-logs``)."""
    import torch
    from sbi.inference import NPE
    from sbi.utils import BoxUniform

    prior = BoxUniform(-torch.ones(2), torch.ones(2))
    here = os.getcwd()
    with tempfile.TemporaryDirectory() as tmp, contextlib.redirect_stdout(io.StringIO()):
        os.chdir(tmp)
        try:
            inference = NPE(prior)
            inference.append_simulations(
                torch.as_tensor(theta, dtype=torch.float32), torch.as_tensor(x, dtype=torch.float32)
            )
            inference.train()
            posterior = inference.build_posterior()
            draws = [
                posterior.sample((n,), x=torch.as_tensor(x_o, dtype=torch.float32))
                for x_o in observations
            ]
        finally:
            os.chdir(here)
    return np.stack([d.double().numpy() for d in draws])


def _physml_npe(theta: np.ndarray, x: np.ndarray, observations: np.ndarray, n: int, seed: int):
    from physml.infer.simulation_based import fit_posterior, torch_prior

    fitted = fit_posterior("npe", torch_prior("uniform", -1.0, 1.0, 2), theta, x, seed=seed)
    return np.stack([fitted.sample(x_o, n, seed=seed + i) for i, x_o in enumerate(observations)])


def _mean_and_error(values: list[float]) -> str:
    """Mean ± standard error over the observations, as text."""
    sem = np.std(values, ddof=1) / np.sqrt(len(values))
    return f"{np.mean(values):.3f} ± {sem:.3f}"


def run(quick: bool = False) -> list[dict]:
    import torch

    from physml.metrics.posterior import c2st
    from physml.sim.inference.benchmark_problems import PROBLEMS
    from physml.tasks.seeds import Stream, generator

    problem = PROBLEMS["two-moons"]
    budget, n_obs, repeats = (1000, 2, 1) if quick else (10_000, 5, 3)
    rng = generator(0, Stream.SBI_BENCH)
    theta = problem.sample_prior(budget, seed=rng)
    x = problem.simulate(theta, seed=rng)
    theta_o = problem.sample_prior(n_obs, seed=rng)
    observations = problem.simulate(theta_o, seed=rng)
    references = [
        problem.reference_posterior(x_o, _SAMPLES, seed=rng).samples for x_o in observations
    ]
    contenders = {
        "physml": lambda: _physml_npe(theta, x, observations, _SAMPLES, seed=1),
        "baseline": lambda: plain_sbi_npe(theta, x, observations, _SAMPLES),
    }
    times: dict = {name: [] for name in contenders}
    samples: dict = {}
    for repeat in range(repeats):
        for name, function in contenders.items():
            torch.manual_seed(repeat)
            start = time.perf_counter()
            samples[name] = function()
            times[name].append(time.perf_counter() - start)
    scores = {
        name: _mean_and_error([c2st(ref, draws[i], seed=i) for i, ref in enumerate(references)])
        for name, draws in samples.items()
    }
    physml_s, baseline_s = statistics.median(times["physml"]), statistics.median(times["baseline"])
    return [
        {
            "benchmark": "NPE: physml / plain sbi script",
            "case": f"two-moons, {budget} simulations, {n_obs} observations x {_SAMPLES} samples",
            "physml": f"{physml_s:.3g} s",
            "baseline": f"{baseline_s:.3g} s",
            "ratio": f"{baseline_s / physml_s:.3g}",
            "check": f"C2ST physml {scores['physml']}, plain sbi {scores['baseline']}",
        }
    ]
