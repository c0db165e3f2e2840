r"""Hopfield networks: storing patterns in couplings, recalling them by descending an energy.

Conventions: N neurons ``s_i = +-1``; p patterns ``xi`` of shape (p, N) with entries +-1;
couplings ``W`` (N, N), symmetric; energy ``E(s) = -s W s / 2``; local fields ``h = W s``.
A neuron updates to ``sign(h_i)`` and keeps its state where ``h_i = 0``; a field with
``|h_i| <= TIE`` counts as 0, so that rounding in the incrementally updated fields never
decides a tie (Hebb's fields are multiples of 1/N, far above ``TIE``). Batches of states
have shape (B, N), float64.

Learning rules ("fire together, wire together", seed 003):

* Hebb: ``W = xi^T xi / N`` with zero diagonal. Capacity of retrieval from a stored pattern:
  ``alpha_c = p / N ~ 0.138`` as N -> infinity (Amit, Gutfreund & Sompolinsky, PRL 55,
  1530 (1985); :func:`ags_capacity` solves their zero-temperature replica-symmetric
  equations).
* Pseudo-inverse (projection, Personnaz et al. 1985; Kanter & Sompolinsky 1987):
  ``W = xi^T C^{-1} xi / N`` with the overlap matrix ``C = xi xi^T / N``. W projects onto the
  span of the patterns, so ``W xi_mu = xi_mu`` and every pattern is a fixed point for any
  p < N of linearly independent patterns; the diagonal (``W_ii = sum_mu ...``, between 0
  and 1) is kept, as the projection needs it.
* Storkey (1997): patterns added one at a time,
  ``W_ij += (xi_i xi_j - xi_i h_ji - h_ij xi_j) / N`` with
  ``h_ij = sum_{k != i, j} W_ik xi_k``; zero diagonal; local, incremental, and of larger
  capacity than Hebb's.

Recall: :func:`asynchronous_recall` (one neuron at a time, a fresh random order each
sweep; with ``W_ii >= 0`` each flip lowers E by ``2 |h_i - W_ii s_i| >= 0``, so E never
rises and the dynamics stop at a fixed point) and :func:`synchronous_recall` (all at once,
``s <- sign(W s)``; E can rise and the dynamics may end in a 2-cycle).

Example:
    >>> rng = np.random.default_rng(0)
    >>> xi = random_patterns(5, 200, seed=rng)
    >>> W = hebbian(xi)
    >>> cue = xi[:1] * np.where(rng.random((1, 200)) < 0.1, -1, 1)   # 10 % of bits flipped
    >>> final, _ = asynchronous_recall(W, cue, seed=1)
    >>> float(overlaps(final, xi[:1])[0])
    1.0
"""

from __future__ import annotations

import math

import numba as nb
import numpy as np
from scipy import optimize, special

__all__ = [
    "RULES",
    "TIE",
    "ags_capacity",
    "ags_overlap",
    "asynchronous_recall",
    "energy",
    "hebbian",
    "overlaps",
    "pseudo_inverse",
    "random_patterns",
    "storkey",
    "synchronous_recall",
]

RULES = ("hebbian", "pseudo-inverse", "storkey")
#: Fields this close to 0 are ties: the neuron keeps its state.
TIE = 1e-9


def random_patterns(p: int, n_neurons: int, *, seed) -> np.ndarray:
    """p independent uniform patterns of N entries +-1, float64 (p, N)."""
    return 2.0 * np.random.default_rng(seed).integers(0, 2, size=(p, n_neurons)) - 1.0


def hebbian(xi: np.ndarray) -> np.ndarray:
    """Hebb's rule ``xi^T xi / N``, zero diagonal; (p, N) -> (N, N)."""
    W = xi.T @ xi / xi.shape[1]
    np.fill_diagonal(W, 0.0)
    return W


def pseudo_inverse(xi: np.ndarray) -> np.ndarray:
    """The projection rule ``xi^T C^{-1} xi / N``, ``C = xi xi^T / N``; (p, N) -> (N, N).
    Raises ValueError unless p < N and the patterns are linearly independent."""
    p, n = xi.shape
    if p >= n:
        raise ValueError(f"p={p} patterns: the pseudo-inverse rule needs p < N = {n}")
    C = xi @ xi.T / n
    try:
        W = xi.T @ np.linalg.solve(C, xi) / n
    except np.linalg.LinAlgError:
        raise ValueError(
            "the patterns are linearly dependent: C = xi xi^T / N is singular"
        ) from None
    return 0.5 * (W + W.T)


def storkey(xi: np.ndarray) -> np.ndarray:
    """Storkey's incremental rule, patterns added in order; (p, N) -> (N, N)."""
    n = xi.shape[1]
    W = np.zeros((n, n))
    for pattern in xi:
        h = W @ pattern
        # H[i, j] = h_ij = sum_{k != i, j} W_ik xi_k (the diagonal of W is 0)
        H = h[:, None] - W * pattern[None, :]
        W += (np.outer(pattern, pattern) - pattern[:, None] * H.T - H * pattern[None, :]) / n
        np.fill_diagonal(W, 0.0)
    return W


def energy(W: np.ndarray, states: np.ndarray) -> np.ndarray:
    """``E = -s W s / 2`` of states (B, N); shape (B,)."""
    return -0.5 * np.einsum("bi,ij,bj->b", states, W, states)


def overlaps(states: np.ndarray, patterns: np.ndarray) -> np.ndarray:
    """``m = s . xi / N`` of each state with its own pattern, (B, N), (B, N) -> (B,)."""
    return np.einsum("bi,bi->b", states, patterns) / states.shape[1]


@nb.njit(cache=True)
def _asynchronous(W, states, fields, orders, tie):  # pragma: no cover - compiled
    n_batch, n = states.shape
    sweeps = np.full(n_batch, -1, np.int64)
    for b in range(n_batch):
        for t in range(orders.shape[1]):
            flips = 0
            for i in orders[b, t]:
                h = fields[b, i]
                new = 1.0 if h > tie else (-1.0 if h < -tie else states[b, i])
                if new != states[b, i]:
                    states[b, i] = new
                    step = 2.0 * new
                    for j in range(n):
                        fields[b, j] += step * W[j, i]
                    flips += 1
            if flips == 0:
                sweeps[b] = t + 1
                break
    return sweeps


def asynchronous_recall(
    W: np.ndarray, cues: np.ndarray, *, seed, max_sweeps: int = 100
) -> tuple[np.ndarray, np.ndarray]:
    """Asynchronous dynamics from ``cues`` (B, N): each sweep visits every neuron once in
    a fresh random order (per state) and sets it to ``sign(h_i)``, until a sweep changes
    nothing. Returns the final states (B, N) and the sweeps each took including the last,
    unchanged one (-1 where ``max_sweeps`` ended it first)."""
    states = np.array(cues, dtype=np.float64, order="C", ndmin=2)
    rng = np.random.default_rng(seed)
    orders = np.argsort(rng.random((len(states), max_sweeps, states.shape[1])), axis=-1)
    fields = states @ W.T
    sweeps = _asynchronous(np.ascontiguousarray(W), states, fields, orders, TIE)
    return states, sweeps


def synchronous_recall(
    W: np.ndarray, cues: np.ndarray, *, max_sweeps: int = 100
) -> tuple[np.ndarray, np.ndarray]:
    """Synchronous dynamics ``s <- sign(W s)`` (ties keep their state) from ``cues`` (B, N)
    until a fixed point or a 2-cycle. Returns the final states and the steps taken
    (-1 where ``max_sweeps`` ended it first, or where a 2-cycle did: state from before)."""
    states = np.array(cues, dtype=np.float64, ndmin=2)
    previous = np.full_like(states, np.nan)
    steps = np.full(len(states), -1, np.int64)
    running = np.ones(len(states), bool)
    for t in range(1, max_sweeps + 1):
        fields = states[running] @ W.T
        new = np.where(fields > TIE, 1.0, np.where(fields < -TIE, -1.0, states[running]))
        fixed = np.all(new == states[running], axis=1)
        cycle = np.all(new == previous[running], axis=1)
        index = np.flatnonzero(running)
        steps[index[fixed]] = t
        previous[index] = states[index]
        states[index[~fixed]] = new[~fixed]
        running[index[fixed | cycle]] = False
        if not running.any():
            break
    return states, steps


def _ags_alpha(y: float) -> float:
    """The load at which ``y`` solves the zero-temperature AGS equation
    ``erf(y) / y = sqrt(2 alpha) + (2 / sqrt(pi)) exp(-y^2)``."""
    return 0.5 * (special.erf(y) / y - 2 / math.sqrt(math.pi) * math.exp(-(y**2))) ** 2


def _ags_turning_point() -> float:
    """The y at which the load of :func:`_ags_alpha` is largest (the end of retrieval)."""
    return optimize.minimize_scalar(
        lambda y: -_ags_alpha(y), bounds=(0.5, 3.0), method="bounded", options={"xatol": 1e-12}
    ).x


def ags_capacity() -> tuple[float, float]:
    """The replica-symmetric capacity of Hebb's rule at T = 0 and the overlap there,
    ``(alpha_c, m_c) = (0.1379, 0.9674)``: the largest load with a retrieval solution of
    Amit, Gutfreund & Sompolinsky's equations ``m = erf(y)``, ``y = m / sqrt(2 alpha r)``,
    ``r = (1 - C)^-2``, ``C = sqrt(2 / (pi alpha r)) exp(-y^2)``, which reduce to
    ``erf(y) / y = sqrt(2 alpha) + (2 / sqrt(pi)) exp(-y^2)``.

    >>> tuple(round(v, 4) for v in ags_capacity())
    (0.1379, 0.9674)
    """
    y = _ags_turning_point()
    return float(_ags_alpha(y)), float(special.erf(y))


def ags_overlap(alpha: float) -> float:
    """The retrieval overlap ``m(alpha)`` of the replica-symmetric T = 0 theory (the
    retrieval branch, largest y); NaN above :func:`ags_capacity`.

    >>> round(ags_overlap(0.1), 4)
    0.998
    """
    y_c = _ags_turning_point()
    if alpha > _ags_alpha(y_c):
        return math.nan
    if alpha <= 0:
        return 1.0
    y = optimize.brentq(lambda y: _ags_alpha(y) - alpha, y_c, 1e8, xtol=1e-14)
    return float(special.erf(y))
