"""A density integrates (or a distribution sums) to one.

Three ways to compute Z = integral of exp(log_prob), chosen by the keyword given:

- ``bounds`` (d <= 3): composite Gauss-Legendre quadrature on the box, ``panels``
  equal panels per axis (default 16, 8 in 3D) with 8 nodes each (exact for polynomials
  of degree 15 on each panel: spectral on smooth densities, and robust to the kinks of
  spline flows, where one high-order rule over the whole box converges slowly). The
  quadrature error is estimated as the change from half as many panels per axis (the
  coarser grid's error bounds the finer one's once the rule converges at least
  linearly); the check refuses to decide when that estimate exceeds the tolerance.
  Mass outside the box is missed: choose the box wide enough that it is below the
  tolerance (8 standard deviations of a Gaussian leave 1e-15).
- ``states``: the exact sum over enumerated configurations of a discrete distribution.
- ``proposal`` (any d): importance sampling, Z ~ mean of exp(log_prob(x) - log q(x))
  over ``n_samples`` draws x ~ q, with its standard error; the check passes when
  |Z - 1| <= n_sigma * error + atol, and refuses to decide when the relative error
  error / Z exceeds ``max_error`` (1e-2 needs an effective sample size of about 1e4).
  The error estimate is only honest when q has heavier tails than the density
  (otherwise the weights have infinite variance) and covers all its modes.

Default tolerances: atol = 1e-6 for float64 log-probabilities and 1e-4 for float32 (grid
and sums); 0 for importance sampling (the statistical error sets the scale).

``log_prob`` takes points of shape (N, d), even for d = 1, and returns shape (N,). Grid
points and proposal draws are float64 torch tensors (``backend="torch"``, evaluated
under ``torch.no_grad``) or numpy arrays (``backend="numpy"``; the proposal is then a
frozen ``scipy.stats`` distribution with ``rvs`` and ``logpdf``). Grid points are on the
CPU: wrap a float32 or GPU model as ``lambda x: flow().log_prob(x.float().cuda())``.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Callable, Sequence

import numpy as np
from scipy.special import logsumexp

from physml.checks import check_choice, check_int, check_real
from physml.testing._arrays import as_numpy, dtype_name, is_tensor

__all__ = ["assert_normalized"]

_ATOL = {"float64": 1e-6}  # anything else (float32, float16): 1e-4
_ORDER = 8  # Gauss-Legendre nodes per panel


def _log_values(log_prob: Callable, points, n: int) -> tuple[np.ndarray, str]:
    if is_tensor(points):
        with sys.modules["torch"].no_grad():
            out = log_prob(points)
    else:
        out = log_prob(points)
    values = as_numpy(out)
    if values.shape != (n,):
        raise ValueError(f"log_prob returned shape {values.shape}: expected ({n},)")
    if np.isnan(values).any():
        raise AssertionError(f"log_prob is NaN at {int(np.isnan(values).sum())} of {n} points")
    return values, dtype_name(out)


def _grid(bounds: np.ndarray, panels: int) -> tuple[np.ndarray, np.ndarray]:
    """Composite Gauss-Legendre nodes (N, d) on the box and their log-weights (N,)."""
    nodes, weights = np.polynomial.legendre.leggauss(_ORDER)
    axes, log_w = [], []
    for low, high in bounds:
        edges = np.linspace(low, high, panels + 1)
        half = (edges[1:, None] - edges[:-1, None]) / 2
        axes.append(((edges[1:, None] + edges[:-1, None]) / 2 + half * nodes).ravel())
        log_w.append(np.log(half * weights).ravel())
    points = np.stack(np.meshgrid(*axes, indexing="ij"), -1).reshape(-1, len(bounds))
    log_weights = sum(np.meshgrid(*log_w, indexing="ij")).reshape(-1)
    return points, log_weights


def _quadrature(log_prob, bounds, panels, batch_size, backend) -> tuple[float, str]:
    """log Z on the composite grid, evaluated in chunks of batch_size points."""
    points, log_weights = _grid(bounds, panels)
    chunks, dtype = [], "float64"
    for start in range(0, len(points), batch_size):
        chunk = points[start : start + batch_size]
        if backend == "torch":
            import torch

            chunk = torch.from_numpy(chunk)
        values, dtype = _log_values(log_prob, chunk, len(chunk))
        chunks.append(values)
    return float(logsumexp(np.concatenate(chunks) + log_weights)), dtype


def _importance(log_prob, proposal, n_samples, seed, backend) -> tuple[np.ndarray, str]:
    """log w = log_prob(x) - log q(x) for x ~ q."""
    if backend == "torch":
        import torch

        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            x = proposal.sample((n_samples,)).double()
        log_q = as_numpy(proposal.log_prob(x))
    else:
        x = np.asarray(proposal.rvs(size=n_samples, random_state=seed), dtype=np.float64)
        x = x.reshape(n_samples, -1)
        log_q = np.asarray(proposal.logpdf(x), dtype=np.float64).reshape(-1)
    values, dtype = _log_values(log_prob, x, n_samples)
    return values - log_q, dtype


def _fail(what: str, z: float, atol: float, note: str = "") -> AssertionError:
    return AssertionError(
        f"{what} is {z:.10g}, not 1: off by {z - 1:+.3g} (allowed {atol:.2g}){note}"
    )


def assert_normalized(
    log_prob: Callable,
    *,
    bounds: Sequence[tuple[float, float]] | None = None,
    states=None,
    proposal=None,
    panels: int | None = None,
    n_samples: int = 100_000,
    n_sigma: float = 5.0,
    max_error: float = 0.01,
    atol: float | None = None,
    seed: int = 0,
    backend: str = "torch",
    batch_size: int = 65_536,
) -> float:
    """Assert that exp(log_prob) integrates (or sums) to one.

    Args:
        log_prob: points (N, d) -> log-density (N,), in the units of the points.
        bounds: per dimension (low, high), at most 3 dimensions: quadrature on the box.
        states: all configurations (N, ...) of a discrete distribution: an exact sum.
        proposal: a distribution to importance-sample from (torch: ``sample`` and
            ``log_prob``; numpy: ``rvs`` and ``logpdf``).
        panels: panels per axis (>= 2) for ``bounds``, 8 nodes each; None: 16 in 1D
            and 2D (128 x 128 points), 8 in 3D (64^3 points).
        n_samples: draws from ``proposal``.
        n_sigma: allowed standard errors of the importance-sampling estimate.
        max_error: largest relative standard error of Z that still decides (importance
            sampling).
        atol: allowed |Z - 1|; None: module docstring.
        seed: seeds the proposal's draws.
        backend: "torch" or "numpy": the type of the grid points and draws.
        batch_size: grid points per call of ``log_prob``.

    Returns:
        Z, the integral or sum of exp(log_prob).

    Raises:
        AssertionError: Z is off by more than allowed (the message gives Z, the offset,
            the allowed offset and the error estimate), or the estimate is too coarse
            or noisy to decide.
        ValueError: unless exactly one of bounds, states and proposal is given, or for
            bad settings.

    Example:
        >>> import numpy as np
        >>> log_normal = lambda x: -0.5 * (x**2).sum(1) - 0.5 * x.shape[1] * np.log(2 * np.pi)
        >>> z = assert_normalized(log_normal, bounds=[(-9, 9)] * 2, backend="numpy")
        >>> abs(z - 1) < 1e-12
        True
        >>> assert_normalized(lambda x: log_normal(x) + 0.01, bounds=[(-9, 9)], backend="numpy")
        Traceback (most recent call last):
        ...
        AssertionError: integral over the box is 1.010050167, not 1: off by +0.0101 ...
    """
    named = {"bounds": bounds, "states": states, "proposal": proposal}
    given = [name for name, value in named.items() if value is not None]
    if len(given) != 1:
        raise ValueError(
            f"{' and '.join(given) or 'none'} given: expected exactly one of bounds (a grid, "
            "d <= 3), states (an enumeration) or proposal (importance sampling)"
        )
    backend = check_choice("backend", backend, ("torch", "numpy"))
    if atol is not None:
        atol = check_real("atol", atol, nonnegative=True)

    if states is not None:
        values, dtype = _log_values(log_prob, states, len(states))
        z = math.exp(logsumexp(values))
        tol = _ATOL.get(dtype, 1e-4) if atol is None else atol
        if not abs(z - 1) <= tol:
            raise _fail(f"sum over {len(states)} states", z, tol)
        return z

    if proposal is not None:
        n_samples = check_int("n_samples", n_samples, minimum=2)
        n_sigma = check_real("n_sigma", n_sigma, positive=True)
        max_error = check_real("max_error", max_error, positive=True)
        log_w, _ = _importance(log_prob, proposal, n_samples, seed, backend)
        w = np.exp(log_w - log_w.max())
        scale = math.exp(log_w.max())
        z = scale * w.mean()
        error = scale * w.std(ddof=1) / math.sqrt(n_samples)
        ess = w.sum() ** 2 / (w**2).sum()
        stats = f"standard error {error:.2g}, effective sample size {ess:.0f} of {n_samples}"
        if not error <= max_error * z:
            raise AssertionError(
                f"importance sampling cannot decide: Z = {z:.6g} ({stats}), relative error "
                f"above max_error={max_error:g}: use a proposal closer to the density or more "
                "samples"
            )
        tol = n_sigma * error + (0.0 if atol is None else atol)
        if not abs(z - 1) <= tol:
            raise _fail("importance-sampling estimate of the integral", z, tol, f" ({stats})")
        return z

    box = np.asarray(bounds, dtype=np.float64)
    if box.ndim != 2 or box.shape[1] != 2 or not 1 <= len(box) <= 3:
        raise ValueError(
            f"bounds={bounds!r} is not allowed: expected 1 to 3 pairs (low, high); in higher "
            "dimensions pass proposal= for importance sampling"
        )
    if not (np.isfinite(box).all() and (box[:, 0] < box[:, 1]).all()):
        raise ValueError(f"bounds={bounds!r} is not allowed: expected finite low < high")
    panels = check_int(
        "panels", (16 if len(box) < 3 else 8) if panels is None else panels, minimum=2
    )
    batch_size = check_int("batch_size", batch_size, minimum=1)
    log_z, dtype = _quadrature(log_prob, box, panels, batch_size, backend)
    log_z_coarse, _ = _quadrature(log_prob, box, panels // 2, batch_size, backend)
    z, quadrature_error = math.exp(log_z), abs(math.exp(log_z) - math.exp(log_z_coarse))
    tol = _ATOL.get(dtype, 1e-4) if atol is None else atol
    grids = f"{panels} against {panels // 2} panels of {_ORDER} nodes per axis"
    if not abs(z - 1) <= tol + quadrature_error:
        note = f" (quadrature error ~{quadrature_error:.1g} from {grids}; a wider box?)"
        raise _fail("integral over the box", z, tol, note)
    if not quadrature_error <= tol:
        raise AssertionError(
            f"quadrature cannot decide: integral {z:.10g} with error ~{quadrature_error:.2g} "
            f"({grids}) above the tolerance {tol:.2g}: raise panels or fit the box to the "
            "support"
        )
    return z
