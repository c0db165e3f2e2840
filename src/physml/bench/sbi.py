"""Benchmark of physml's NPE against a plain sbi script (``physml bench sbi``).

On the two-moons problem (:mod:`physml.sim.inference.benchmark_problems`), with the same
simulations and the same observations for both:

* **physml**: :func:`physml.infer.simulation_based.fit_posterior` (NPE-C, MAF, sbi's
  training defaults, logs kept in memory, no progress bars);
* **baseline**: the script a user writes from sbi's tutorial, every option at the
  library's default (``torch.manual_seed``, ``NPE(prior)``, ``append_simulations``,
  ``train()``, ``build_posterior()``, ``sample``), run in a temporary working directory
  because sbi writes ``./sbi-logs/`` there.

Matched settings: in each repeat both train from the same torch seed, so they draw the
same initial weights, the same validation split and the same batches and train for the
same number of epochs (the row says how many, for both); the time difference is then
physml's overhead alone. Without that pairing the early-stopping epoch count varies by
about 10 % from seed to seed (276-349 epochs over three seeds at 10^3 simulations), which
swamps any overhead. The contenders alternate which goes first, and an untimed warm-up fit
pays sbi's import and first-call costs before either is timed.

Rows: wall and CPU time of training plus sampling (median over ``repeats``), and C2ST of
each against the exact two-moons posterior (:func:`physml.metrics.posterior.c2st`,
sbibm's classifier, 1000 samples per side; mean ± standard error over the observations).
The two posteriors are the same network, so their C2STs differ only by the sampling and
classifier noise.
"""

from __future__ import annotations

import contextlib
import io
import os
import statistics
import tempfile
import time
import warnings

import numpy as np

__all__ = ["plain_sbi_npe", "run"]

_SAMPLES = 1000


def plain_sbi_npe(
    theta: np.ndarray, x: np.ndarray, observations: np.ndarray, n: int, seed: int = 0
) -> tuple[np.ndarray, int]:
    """The plain sbi script: ``torch.manual_seed(seed)``, NPE with every default, then
    ``n`` samples per observation. Returns the draws (n_obs, n, D) and the epochs trained.
    Runs in a temporary directory (sbi's ``./sbi-logs``)."""
    import torch
    from sbi.inference import NPE
    from sbi.utils import BoxUniform

    prior = BoxUniform(-torch.ones(2), torch.ones(2))
    here = os.getcwd()
    quiet = contextlib.ExitStack()
    quiet.enter_context(contextlib.redirect_stdout(io.StringIO()))  # its progress bars
    quiet.enter_context(contextlib.redirect_stderr(io.StringIO()))
    with tempfile.TemporaryDirectory() as tmp, quiet:
        os.chdir(tmp)
        try:
            torch.manual_seed(seed)
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
    return np.stack([d.double().numpy() for d in draws]), int(inference.epoch)


def _physml_npe(
    theta: np.ndarray, x: np.ndarray, observations: np.ndarray, n: int, seed: int, **options
) -> tuple[np.ndarray, int]:
    """physml's NPE: the draws (n_obs, n, D) and the epochs trained (its log's rows)."""
    from physml.infer.simulation_based import EpochLog, fit_posterior, torch_prior

    log = EpochLog()
    prior = torch_prior("uniform", -1.0, 1.0, 2)
    fitted = fit_posterior("npe", prior, theta, x, seed=seed, log=log, **options)
    draws = np.stack([fitted.sample(x_o, n, seed=seed + i) for i, x_o in enumerate(observations)])
    return draws, len(log.rows)


def _mean_and_error(values: list[float]) -> str:
    """Mean ± standard error over the observations, as text."""
    sem = np.std(values, ddof=1) / np.sqrt(len(values))
    return f"{np.mean(values):.3f} ± {sem:.3f}"


def run(quick: bool = False) -> list[dict]:
    from physml.metrics.posterior import c2st
    from physml.sim.inference.benchmark_problems import PROBLEMS
    from physml.tasks.seeds import Stream, generator

    problem = PROBLEMS["two-moons"]
    budget, n_obs, repeats = (1000, 2, 1) if quick else (10_000, 5, 2)
    rng = generator(0, Stream.SBI_BENCH)
    theta = problem.sample_prior(budget, seed=rng)
    x = problem.simulate(theta, seed=rng)
    theta_o = problem.sample_prior(n_obs, seed=rng)
    observations = problem.simulate(theta_o, seed=rng)
    references = [
        problem.reference_posterior(x_o, _SAMPLES, seed=rng).samples for x_o in observations
    ]
    with warnings.catch_warnings():  # untimed: sbi's imports and first calls
        warnings.simplefilter("ignore")  # "max_num_epochs reached"
        _physml_npe(theta[:200], x[:200], observations[:1], 10, seed=0, max_epochs=2)
    contenders = {
        "physml": lambda seed: _physml_npe(theta, x, observations, _SAMPLES, seed=seed),
        "baseline": lambda seed: plain_sbi_npe(theta, x, observations, _SAMPLES, seed=seed),
    }
    wall: dict = {name: [] for name in contenders}
    cpu: dict = {name: [] for name in contenders}
    epochs: dict = {name: [] for name in contenders}
    samples: dict = {}
    for repeat in range(repeats):
        order = list(contenders) if repeat % 2 == 0 else list(contenders)[::-1]
        for name in order:
            start, start_cpu = time.perf_counter(), time.process_time()
            samples[name], trained = contenders[name](repeat)
            wall[name].append(time.perf_counter() - start)
            cpu[name].append(time.process_time() - start_cpu)
            epochs[name].append(trained)
    scores = {
        name: _mean_and_error([c2st(ref, draws[i], seed=i) for i, ref in enumerate(references)])
        for name, draws in samples.items()
    }
    median = {name: statistics.median(wall[name]) for name in contenders}
    median_cpu = {name: statistics.median(cpu[name]) for name in contenders}
    per_seed = list(zip(cpu["physml"], cpu["baseline"], strict=True))
    same = "same" if epochs["physml"] == epochs["baseline"] else "DIFFERENT"
    return [
        {
            "benchmark": "NPE: physml / plain sbi script",
            "case": f"two-moons, {budget} sims, {n_obs} obs x {_SAMPLES}, {repeats} seed(s)",
            "physml": f"{median['physml']:.3g} s (CPU {median_cpu['physml']:.3g} s)",
            "baseline": f"{median['baseline']:.3g} s (CPU {median_cpu['baseline']:.3g} s)",
            "ratio": (
                f"{median['baseline'] / median['physml']:.3g} "
                f"(CPU {median_cpu['baseline'] / median_cpu['physml']:.3g})"
            ),
            "check": (
                f"C2ST physml {scores['physml']}, plain sbi {scores['baseline']}; epochs "
                f"physml {epochs['physml']}, plain sbi {epochs['baseline']} ({same}); "
                f"CPU ratio per seed {', '.join(f'{b / p:.3g}' for p, b in per_seed)}"
            ),
        }
    ]
