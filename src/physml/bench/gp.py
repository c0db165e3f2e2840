"""Benchmark of the GP emulator: training and prediction time against scikit-learn's own
example, at the accuracy each reaches on the same held-out simulator runs.

The data: ranges of a projectile with quadratic drag (:mod:`physml.sim.mechanics.projectile`)
at ``n`` random (drag, angle) design points of ``gp-emulator``'s box, and held-out runs.

- train: physml's emulator fit (:func:`physml.infer.gaussian_process.fit_gp` with
  ``gp-emulator``'s kernel, unit-square inputs, standardised outputs, 2 restarts) against
  the set-up of scikit-learn's "Gaussian Processes regression: basic introductory
  example" (``1 * RBF(1.0, (1e-2, 1e2))``, ``n_restarts_optimizer=9``, raw outputs) on
  the same runs; each row gives both emulators' held-out rms, the accuracy the time buys;
- predict: posterior mean and standard deviation at the held-out inputs, physml's fitted
  GP against the dense Cholesky computation a user would write
  (:func:`~physml.infer.gaussian_process.dense_posterior`, the full covariance).

Medians of several repeats in this process. Run with ``physml bench gp`` (``--quick``:
fewer runs and repeats).
"""

from __future__ import annotations

import numpy as np

from physml.bench.timing import median_time
from physml.tasks.seeds import Stream, generator

__all__ = ["library_example_gp", "run"]


def library_example_gp(u: np.ndarray, y: np.ndarray):
    """Baseline: scikit-learn's introductory-example GP fitted to (u, y)."""
    from sklearn.gaussian_process import GaussianProcessRegressor
    from sklearn.gaussian_process.kernels import RBF

    kernel = 1 * RBF(length_scale=1.0, length_scale_bounds=(1e-2, 1e2))
    gp = GaussianProcessRegressor(kernel=kernel, n_restarts_optimizer=9, random_state=0)
    return gp.fit(u, y)


def _data(n: int, n_test: int):
    from physml.sim.mechanics.projectile import projectile_range
    from physml.tasks.inference.gp_emulator import GPEmulatorSettings, _physical

    box = GPEmulatorSettings()
    rng = generator(0, Stream.GP_BENCH)
    u, u_test = rng.random((n, 2)), rng.random((n_test, 2))
    ranges = [projectile_range(*_physical(a, box), speed=box.speed) for a in (u, u_test)]
    return u, ranges[0], u_test, ranges[1]


def run(quick: bool = False) -> list[dict]:
    repeats = 3 if quick else 7
    rows = []
    for n in (20, 40) if quick else (25, 50, 100):
        rows += _rows(n, 200 if quick else 1000, repeats)
    return rows


def _rows(n: int, n_test: int, repeats: int) -> list[dict]:
    """The train and predict rows for ``n`` design runs."""
    import warnings

    from sklearn.exceptions import ConvergenceWarning

    from physml.infer.gaussian_process import dense_posterior, fit_gp
    from physml.tasks.inference.gp_emulator import emulator_kernel

    u, y, u_test, y_test = _data(n, n_test)

    def physml_fit():
        return fit_gp(u, y, emulator_kernel(), n_restarts=2, seed=0, normalize_y=True)

    def baseline_fit():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            return library_example_gp(u, y)

    ours, theirs = physml_fit(), baseline_fit()
    rms = [float(np.sqrt(np.mean((g.predict(u_test) - y_test) ** 2))) for g in (ours, theirs)]
    scale, offset = float(ours._y_train_std), float(ours._y_train_mean)

    def dense():
        mean, cov = dense_posterior(ours.kernel_, u, ours.y_train_, u_test, ours.alpha)
        return mean * scale + offset, np.sqrt(np.diag(cov)) * scale

    return [
        _row(
            f"train: {n} runs, physml emulator vs scikit-learn's example GP",
            median_time(physml_fit, repeats),
            median_time(baseline_fit, repeats),
            f"{rms[0]:.3g} / {rms[1]:.3g}",
        ),
        _row(
            f"predict: {n_test} inputs from {n} runs, scikit-learn vs dense Cholesky",
            median_time(lambda: ours.predict(u_test, return_std=True), repeats),
            median_time(dense, repeats),
            f"{rms[0]:.3g} / {rms[0]:.3g}",
        ),
    ]


def _row(what: str, physml: float, baseline: float, rms: str) -> dict:
    return {
        "benchmark": what.split(":")[0],
        "case: physml vs baseline": what,
        "physml": f"{physml * 1e3:.3g} ms",
        "baseline": f"{baseline * 1e3:.3g} ms",
        "ratio": f"{baseline / physml:.3g}",
        "held-out rms physml / baseline [m]": rms,
    }
