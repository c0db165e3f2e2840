r"""Noisy trajectories of a damped harmonic oscillator and the exact posterior of its damping.

The oscillator :math:`\ddot x + 2\gamma \dot x + \omega_0^2 x = 0` starts at rest at
x(0) = 1 (dimensionless units; time in periods of the undamped oscillator, so
omega_0 = 2 pi). Underdamped (gamma < omega_0):

.. math:: x(t) = e^{-\gamma t}\left(\cos\omega_d t + \frac{\gamma}{\omega_d}\sin\omega_d t\right),
   \qquad \omega_d = \sqrt{\omega_0^2 - \gamma^2}.

A trajectory is x(t_k) at ``n_times`` even times in [0, ``duration``] plus independent
Gaussian noise of standard deviation sigma, which differs from trajectory to trajectory
(log-uniform in ``noise_range``) and is known: it is part of the input. The damping rate
gamma (1/time) is drawn from a uniform prior on ``gamma_range``.

Because the noise model is known, the exact posterior p(gamma | trajectory, sigma) is the
likelihood times the flat prior, normalised on a grid: :func:`exact_posterior` gives its
mean, standard deviation, the CDF and the log density at any gamma (trapezoidal rule on
``n_grid`` points; with the default 2001 points across the prior the CDF is exact to
~1e-6). This is the exact posterior predictive a regression network p(gamma | x) tries to
learn. Shapes: trajectories (n, n_times), sigma and gamma (n,).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = [
    "VERSION",
    "DampedOscillator",
    "ExactPosterior",
    "Trajectories",
    "exact_posterior",
    "sample",
]

VERSION = "1"
OMEGA_0 = 2 * np.pi  #: natural angular frequency, radians per unit time


@dataclass(frozen=True)
class DampedOscillator:
    """The experiment: prior range of gamma, observation times and noise range.

    Attributes:
        gamma_range: (low, high) of the flat prior on gamma, 0 <= low < high < omega_0.
        n_times: observations per trajectory (>= 2).
        duration: time of the last observation (> 0), in undamped periods.
        noise_range: (low, high) of the log-uniform noise sigma, 0 < low <= high.
    """

    gamma_range: tuple[float, float] = (0.1, 2.0)
    n_times: int = 32
    duration: float = 3.0
    noise_range: tuple[float, float] = (0.05, 0.5)

    def __post_init__(self) -> None:
        low, high = self.gamma_range
        if not (0 <= low < high < OMEGA_0):
            raise ValueError(
                f"gamma_range={self.gamma_range!r} is not allowed: expected 0 <= low < high "
                f"< omega_0 = {OMEGA_0:.4f} (underdamped)"
            )
        if self.n_times < 2:
            raise ValueError(f"n_times={self.n_times!r} is not allowed: expected >= 2")
        if not self.duration > 0:
            raise ValueError(f"duration={self.duration!r} is not allowed: expected > 0")
        s_low, s_high = self.noise_range
        if not (0 < s_low <= s_high):
            raise ValueError(
                f"noise_range={self.noise_range!r} is not allowed: expected 0 < low <= high"
            )

    @property
    def times(self) -> np.ndarray:
        """Observation times, (n_times,)."""
        return np.linspace(0.0, self.duration, self.n_times)

    def positions(self, gamma: np.ndarray) -> np.ndarray:
        """Noise-free x(t_k) for each damping rate: (...,) -> (..., n_times)."""
        gamma = np.asarray(gamma, dtype=np.float64)[..., None]
        omega_d = np.sqrt(OMEGA_0**2 - gamma**2)
        t = self.times
        return np.exp(-gamma * t) * (np.cos(omega_d * t) + gamma / omega_d * np.sin(omega_d * t))


@dataclass(frozen=True)
class Trajectories:
    """Simulated observations: ``x`` (n, n_times), ``sigma`` (n,), ``gamma`` (n,)."""

    x: np.ndarray
    sigma: np.ndarray
    gamma: np.ndarray

    def __len__(self) -> int:
        return len(self.gamma)


def sample(n: int, *, seed, system: DampedOscillator | None = None) -> Trajectories:
    """Draw ``n`` trajectories: gamma from the prior, sigma log-uniform, Gaussian noise."""
    system = DampedOscillator() if system is None else system
    if int(n) < 1:
        raise ValueError(f"n={n!r} is not allowed: expected an int >= 1")
    rng = np.random.default_rng(seed)
    gamma = rng.uniform(*system.gamma_range, size=n)
    log_low, log_high = np.log(system.noise_range)
    sigma = np.exp(rng.uniform(log_low, log_high, size=n))
    x = system.positions(gamma) + sigma[:, None] * rng.standard_normal((n, system.n_times))
    return Trajectories(x, sigma, gamma)


@dataclass(frozen=True)
class ExactPosterior:
    """The exact posterior of gamma for each trajectory (shapes (n,)).

    Attributes:
        mean, std: posterior mean and standard deviation of gamma.
        pit: the posterior CDF at the true gamma (uniform on [0, 1] over the prior).
        log_density: log p(gamma_true | x), the exact predictive's log score.
    """

    mean: np.ndarray
    std: np.ndarray
    pit: np.ndarray
    log_density: np.ndarray


def _log_likelihood(system: DampedOscillator, data: Trajectories, gamma: np.ndarray):
    """log p(x | gamma, sigma) up to a gamma-independent constant: (n, g) for grid (g,)."""
    model = system.positions(gamma)  # (g, T)
    residual = (data.x**2).sum(1)[:, None] - 2 * data.x @ model.T + (model**2).sum(1)[None]
    return -0.5 * residual / data.sigma[:, None] ** 2


def exact_posterior(
    data: Trajectories, *, system: DampedOscillator | None = None, n_grid: int = 2001
) -> ExactPosterior:
    """Posterior of gamma under the flat prior for every trajectory, on an even grid.

    The density is normalised by the trapezoidal rule; the CDF at the true gamma is the
    cumulative trapezoid interpolated linearly, the log density at the truth the exact
    log-likelihood there minus the log normaliser.
    """
    system = DampedOscillator() if system is None else system
    grid = np.linspace(*system.gamma_range, n_grid)
    log_like = _log_likelihood(system, data, grid)
    peak = log_like.max(axis=1, keepdims=True)
    density = np.exp(log_like - peak)
    h = grid[1] - grid[0]
    cumulative = np.concatenate(
        [np.zeros((len(data), 1)), np.cumsum(0.5 * h * (density[:, 1:] + density[:, :-1]), 1)],
        axis=1,
    )
    norm = cumulative[:, -1].copy()
    density /= norm[:, None]
    cumulative /= norm[:, None]
    weights = np.full(n_grid, h)
    weights[[0, -1]] = h / 2
    mean = density @ (weights * grid)
    var = density @ (weights * grid**2) - mean**2
    pit = np.array([np.interp(g, grid, c) for g, c in zip(data.gamma, cumulative, strict=True)])
    truth = -0.5 * ((data.x - system.positions(data.gamma)) ** 2).sum(1) / data.sigma**2
    log_density = truth - peak[:, 0] - np.log(norm)
    return ExactPosterior(mean, np.sqrt(np.maximum(var, 0.0)), pit, log_density)
