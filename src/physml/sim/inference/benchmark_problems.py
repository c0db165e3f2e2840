r"""The standard simulation-based-inference benchmark problems and their reference posteriors.

Four problems of Lueckmann et al., "Benchmarking simulation-based inference", AISTATS 2021
(the sbibm definitions, written here in numpy; parameters theta of shape (n, D), data x of
shape (n, D_x), float64, no units):

* ``gaussian-linear``: theta ~ N(0, 0.1 I_10), x | theta ~ N(theta, 0.1 I_10). The posterior
  is N(x / 2, 0.05 I_10), exactly (conjugate Gaussians).
* ``two-moons``: theta ~ U(-1, 1)^2; a ~ U(-pi/2, pi/2), r ~ N(0.1, 0.01^2),
  x = (r cos a + 0.25, r sin a) + (-|theta_1 + theta_2| / sqrt 2, (theta_2 - theta_1) / sqrt 2).
  Reference: exact. The map theta -> q = x - offset(theta) is a rotation-reflection (|det| =
  1) on each half-plane theta_1 + theta_2 >< 0, so drawing q from the simulator's noise and a
  branch with probability 1/2, inverting, and keeping the draws inside the prior box samples
  the posterior exactly.
* ``slcp`` (simple likelihood, complex posterior): theta ~ U(-3, 3)^5; four independent
  draws x_j ~ N(m, S) with m = (theta_1, theta_2), s_1 = theta_3^2, s_2 = theta_4^2,
  rho = tanh(theta_5), S = [[s_1^2, rho s_1 s_2], [rho s_1 s_2, s_2^2]] (x: 8 numbers). The
  likelihood is exact but the posterior has no closed form: the reference is Metropolis
  sampling on the exact likelihood, in the folded coordinates |theta_3|, |theta_4| (the
  likelihood is even in both, so the four modes carry equal mass), non-centred, unfolded
  by random signs; its chains are returned with the samples for the R-hat.
* ``gaussian-mixture``: theta ~ U(-10, 10)^2, x | theta ~ 0.5 N(theta, I) + 0.5 N(theta,
  0.01 I). Reference: exact. As a function of theta the likelihood is the same mixture
  centred on x, so drawing from it and keeping the draws inside the prior box samples the
  posterior exactly.

Every random function takes ``seed`` (an int or a ``numpy.random.Generator``).

Example:
    >>> from physml.sim.inference.benchmark_problems import PROBLEMS
    >>> problem = PROBLEMS["gaussian-linear"]
    >>> theta = problem.sample_prior(3, seed=0)
    >>> problem.simulate(theta, seed=1).shape
    (3, 10)
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import numpy as np

from physml.checks import check_int

__all__ = [
    "PROBLEMS",
    "VERSION",
    "BenchmarkProblem",
    "ReferenceSamples",
]

#: Version of the simulators' and reference samplers' output for a given seed.
VERSION = "2"

_MAX_ROUNDS = 1000  # rejection rounds before a reference sampler gives up


def _rng(seed) -> np.random.Generator:
    return seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)


@dataclass(frozen=True)
class ReferenceSamples:
    """Reference posterior samples (n, D), whether they are exact draws, and the folded
    Markov chains behind them (n_chains, n_steps, D) for the convergence diagnostics
    (None for exact draws)."""

    samples: np.ndarray
    exact: bool
    chains: np.ndarray | None = None


@dataclass(frozen=True)
class BenchmarkProblem:
    """One benchmark problem: its prior, simulator, likelihood and reference posterior.

    Attributes:
        name: the sbibm name with hyphens (``"two-moons"``).
        dim_theta, dim_x: numbers of parameters and of data values.
        prior_kind: ``"uniform"`` (a box ``low``..``high``) or ``"normal"`` (independent,
            mean ``low``, standard deviation ``high``).
        low, high: per parameter, as ``prior_kind`` says.
    """

    name: str
    dim_theta: int
    dim_x: int
    prior_kind: Literal["uniform", "normal"]
    low: float
    high: float

    # ------------------------------------------------------------------ prior
    def sample_prior(self, n: int, *, seed) -> np.ndarray:
        """``n`` draws from the prior, (n, dim_theta)."""
        n = check_int("n", n, minimum=1)
        rng = _rng(seed)
        shape = (n, self.dim_theta)
        if self.prior_kind == "uniform":
            return rng.uniform(self.low, self.high, size=shape)
        return self.low + self.high * rng.standard_normal(shape)

    def in_support(self, theta: np.ndarray) -> np.ndarray:
        """Whether each row of ``theta`` (n, dim_theta) lies in the prior's support: (n,)."""
        theta = np.asarray(theta, dtype=np.float64)
        if self.prior_kind == "normal":
            return np.all(np.isfinite(theta), axis=-1)
        return np.all((theta >= self.low) & (theta <= self.high), axis=-1)

    def prior_log_prob(self, theta: np.ndarray) -> np.ndarray:
        """log prior density of each row, (n,) (-inf outside the support)."""
        theta = np.asarray(theta, dtype=np.float64)
        if self.prior_kind == "normal":
            z = (theta - self.low) / self.high
            return -0.5 * np.sum(z**2 + math.log(2 * math.pi * self.high**2), axis=-1)
        inside = self.in_support(theta)
        log_volume = self.dim_theta * math.log(self.high - self.low)
        return np.where(inside, -log_volume, -np.inf)

    # ------------------------------------------------------------------ simulator
    def simulate(self, theta: np.ndarray, *, seed) -> np.ndarray:
        """One data set per row of ``theta`` (n, dim_theta): (n, dim_x)."""
        theta = np.atleast_2d(np.asarray(theta, dtype=np.float64))
        if theta.shape[-1] != self.dim_theta:
            raise ValueError(f"theta has shape {theta.shape}: expected (n, {self.dim_theta})")
        rng = _rng(seed)
        n = len(theta)
        if self.name == "gaussian-linear":
            return theta + math.sqrt(0.1) * rng.standard_normal(theta.shape)
        if self.name == "two-moons":
            return _moon_noise(n, rng) + _moon_offset(theta)
        if self.name == "slcp":
            mean, chol = _slcp_moments(theta)
            z = rng.standard_normal((n, 4, 2))
            return (mean[:, None, :] + np.einsum("nij,nkj->nki", chol, z)).reshape(n, 8)
        scale = np.where(rng.random(n) < 0.5, 1.0, 0.1)[:, None]
        return theta + scale * rng.standard_normal(theta.shape)

    def log_likelihood(self, theta: np.ndarray, x_o: np.ndarray) -> np.ndarray:
        """log p(x_o | theta) for each row of ``theta`` (n, dim_theta) and one observation
        ``x_o`` (dim_x,), or row by row for observations (n, dim_x): (n,)."""
        theta = np.atleast_2d(np.asarray(theta, dtype=np.float64))
        x_o = np.asarray(x_o, dtype=np.float64).reshape(-1, self.dim_x)
        if self.name == "gaussian-linear":
            return _normal_log_pdf(x_o - theta, 0.1)
        if self.name == "two-moons":
            q = x_o - _moon_offset(theta) - np.array([0.25, 0.0])
            r = np.hypot(q[:, 0], q[:, 1])
            log_r = -0.5 * ((r - 0.1) / 0.01) ** 2 - math.log(0.01 * math.sqrt(2 * math.pi))
            with np.errstate(divide="ignore"):
                return np.where(q[:, 0] > 0, log_r - math.log(math.pi) - np.log(r), -np.inf)
        if self.name == "slcp":
            mean, chol = _slcp_moments(theta)
            diff = x_o.reshape(-1, 4, 2) - mean[:, None, :]
            z1 = diff[..., 0] / chol[:, None, 0, 0]
            z2 = (diff[..., 1] - chol[:, None, 1, 0] * z1) / chol[:, None, 1, 1]
            log_det = np.log(np.abs(chol[:, 0, 0] * chol[:, 1, 1]))
            return np.sum(-0.5 * (z1**2 + z2**2), axis=1) - 4 * (log_det + math.log(2 * math.pi))
        d = x_o - theta
        return np.logaddexp(_normal_log_pdf(d, 1.0), _normal_log_pdf(d, 0.01)) + math.log(0.5)

    # ------------------------------------------------------------------ reference
    def reference_posterior(self, x_o: np.ndarray, n: int, *, seed) -> ReferenceSamples:
        """``n`` samples of p(theta | x_o): exact draws for gaussian-linear, two-moons and
        gaussian-mixture, Metropolis chains on the exact likelihood for slcp."""
        n = check_int("n", n, minimum=1)
        x_o = np.asarray(x_o, dtype=np.float64).reshape(self.dim_x)
        rng = _rng(seed)
        if self.name == "gaussian-linear":
            draws = 0.5 * x_o + math.sqrt(0.05) * rng.standard_normal((n, self.dim_theta))
            return ReferenceSamples(draws, exact=True)
        if self.name == "slcp":
            return _slcp_metropolis(self, x_o, n, rng)
        return ReferenceSamples(self._rejection(x_o, n, rng), exact=True)

    def _rejection(self, x_o: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
        """Exact draws for two-moons and gaussian-mixture: proposals from the likelihood
        seen as a density in theta, kept inside the prior box."""
        kept: list[np.ndarray] = []
        total = 0
        batch = max(2 * n, 1000)
        for _ in range(_MAX_ROUNDS):
            if self.name == "two-moons":
                q = _moon_noise(batch, rng) - x_o  # = -(offset): (-|u|, v) / sqrt 2
                u = math.sqrt(2.0) * q[:, 0] * np.where(rng.random(batch) < 0.5, 1.0, -1.0)
                v = -math.sqrt(2.0) * q[:, 1]
                valid = q[:, 0] >= 0
                theta = np.stack([(u - v) / 2, (u + v) / 2], axis=1)[valid]
            else:
                scale = np.where(rng.random(batch) < 0.5, 1.0, 0.1)[:, None]
                theta = x_o + scale * rng.standard_normal((batch, 2))
            theta = theta[self.in_support(theta)]
            kept.append(theta)
            total += len(theta)
            if total >= n:
                return np.concatenate(kept)[:n]
        raise RuntimeError(
            f"{self.name}: rejection sampling of the reference posterior kept {total} of "
            f"{_MAX_ROUNDS * batch} proposals for x_o = {x_o.tolist()}; the observation lies "
            "where the prior has almost no posterior mass"
        )


def _normal_log_pdf(d: np.ndarray, variance: float) -> np.ndarray:
    """log N(d; 0, variance I) summed over the last axis."""
    return -0.5 * np.sum(d**2 / variance + math.log(2 * math.pi * variance), axis=-1)


def _moon_noise(n: int, rng: np.random.Generator) -> np.ndarray:
    """The two-moons crescent (r cos a + 0.25, r sin a): (n, 2)."""
    a = rng.uniform(-math.pi / 2, math.pi / 2, size=n)
    r = 0.1 + 0.01 * rng.standard_normal(n)
    return np.stack([r * np.cos(a) + 0.25, r * np.sin(a)], axis=1)


def _moon_offset(theta: np.ndarray) -> np.ndarray:
    """(-|theta_1 + theta_2|, theta_2 - theta_1) / sqrt 2: (n, 2)."""
    u = theta[:, 0] + theta[:, 1]
    v = theta[:, 1] - theta[:, 0]
    return np.stack([-np.abs(u), v], axis=1) / math.sqrt(2.0)


def _slcp_moments(theta: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """SLCP mean (n, 2) and lower Cholesky factor of its covariance (n, 2, 2)."""
    s1, s2, rho = theta[:, 2] ** 2, theta[:, 3] ** 2, np.tanh(theta[:, 4])
    chol = np.zeros((len(theta), 2, 2))
    chol[:, 0, 0] = s1
    chol[:, 1, 0] = rho * s2
    chol[:, 1, 1] = s2 * np.sqrt(1.0 - rho**2)
    return theta[:, :2], chol


def _slcp_to_theta(y: np.ndarray, centre: np.ndarray) -> np.ndarray:
    """SLCP parameters (n, 5) from the sampler's coordinates y = ((theta_1,2 - centre) /
    s_1,2, log theta_3, log theta_4, theta_5), theta_3, theta_4 > 0 (folded)."""
    theta = y.copy()
    theta[:, 2:4] = np.exp(y[:, 2:4])
    theta[:, :2] = centre + theta[:, 2:4] ** 2 * y[:, :2]
    return theta


def _slcp_metropolis(
    problem: BenchmarkProblem, x_o: np.ndarray, n: int, rng: np.random.Generator
) -> ReferenceSamples:
    """SLCP reference: 100 random-walk Metropolis chains in folded (theta_3, theta_4 > 0),
    non-centred coordinates (:func:`_slcp_to_theta`: the mean measured in units of the
    data's scales and the scales on a log axis, which removes the funnel between them),
    started at the best 100 of 10^5 prior draws. Proposals: the chains' pooled covariance
    and a step size tuned to 25 % acceptance, both re-estimated every 200 steps for 3000
    steps, then frozen; 2000 more steps of burn-in; then at least 400 draws per chain,
    thinned by 20 (split R-hat < 1.01 measured on SLCP observations); unfolded by
    independent random signs."""
    n_chains, adapt, burn_in, thin, window = 100, 3000, 2000, 20, 200
    steps = max(-(-n // n_chains), 400)
    centre = x_o.reshape(4, 2).mean(axis=0)

    def log_post(y: np.ndarray) -> np.ndarray:
        theta = _slcp_to_theta(y, centre)
        inside = problem.in_support(theta)
        with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
            # log |d theta / d y| = 3 (y_3 + y_4)
            value = problem.log_likelihood(theta, x_o) + 3 * (y[:, 2] + y[:, 3])
        return np.where(inside & np.isfinite(value), value, -np.inf)

    start = problem.sample_prior(100_000, seed=rng)
    start[:, 2:4] = np.log(np.abs(start[:, 2:4]))
    start[:, :2] = (start[:, :2] - centre) / np.exp(2 * start[:, 2:4])
    state = start[np.argsort(log_post(start))[-n_chains:]]
    current = log_post(state)
    cov, scale, accepted = np.cov(state.T) + 1e-6 * np.eye(5), 2.38**2 / 5, 0.0
    chol = np.linalg.cholesky(scale * cov)
    kept = []
    for step in range(adapt + burn_in + steps * thin):
        proposal = state + rng.standard_normal(state.shape) @ chol.T
        new = log_post(proposal)
        accept = np.log(rng.random(n_chains)) < new - current
        state = np.where(accept[:, None], proposal, state)
        current = np.where(accept, new, current)
        accepted += accept.mean()
        if step < adapt and step % window == window - 1:
            scale *= math.exp(accepted / window - 0.25)
            cov, accepted = np.cov(state.T) + 1e-8 * np.eye(5), 0.0
            chol = np.linalg.cholesky(scale * cov)
        past = step - adapt - burn_in
        if past >= 0 and past % thin == thin - 1:
            kept.append(state.copy())
    folded = np.stack(kept, axis=1)  # (n_chains, steps, 5) in y
    chains = _slcp_to_theta(folded.reshape(-1, 5), centre).reshape(folded.shape)
    samples = chains.reshape(-1, 5)[rng.permutation(n_chains * steps)[:n]]
    samples[:, 2:4] *= np.where(rng.random((n, 2)) < 0.5, 1.0, -1.0)
    return ReferenceSamples(samples, exact=False, chains=chains)


PROBLEMS: dict[str, BenchmarkProblem] = {
    p.name: p
    for p in (
        BenchmarkProblem("gaussian-linear", 10, 10, "normal", 0.0, math.sqrt(0.1)),
        BenchmarkProblem("two-moons", 2, 2, "uniform", -1.0, 1.0),
        BenchmarkProblem("slcp", 5, 8, "uniform", -3.0, 3.0),
        BenchmarkProblem("gaussian-mixture", 2, 2, "uniform", -10.0, 10.0),
    )
}
"""The four problems by name."""
