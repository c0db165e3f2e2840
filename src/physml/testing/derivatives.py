"""Analytic derivatives against central finite differences in float64.

``fn`` maps a batch of configurations ``x`` of shape (batch, *shape) to one value per
configuration, shape (batch,) (a log-wavefunction, a potential, a log-density); each
value depends only on its own row. The gradient d fn / d x (shape of x) and optionally the
Laplacian sum_i d^2 fn / d x_i^2 (shape (batch,)) that the code under test supplies are
compared with the five-point central stencils of step h,

    f'(x)  ~ [f(x - 2h) - 8 f(x - h) + 8 f(x + h) - f(x + 2h)] / (12 h),
    f''(x) ~ [-f(x - 2h) + 16 f(x - h) - 30 f(x) + 16 f(x + h) - f(x + 2h)] / (12 h^2),

one coordinate at a time (4 evaluations of the batch per coordinate). With the default
h = 1e-3 the truncation error is h^4 f^(5) / 30 ~ 3e-14 (gradient) and h^4 f^(6) / 90 ~
1e-14 (Laplacian) times the higher derivatives. Rounding is added to the allowed
difference, row by row, assuming each value of fn is good to 16 ulps of the largest
|f| in its stencil: 24 eps |f| / h ~ 5e-12 |f| for the gradient and 85 eps |f| D / h^2
~ 2e-8 |f| D for a Laplacian over D coordinates; on top of it the tolerances
rtol = atol = 1e-6 by default. Close to a kink or a cusp (|x|, a Jastrow factor at
r -> 0) the stencil is wrong, not the derivative: keep sample points away from them.
Like ``torch.autograd.gradcheck``, everything must be float64.
"""

from __future__ import annotations

import sys
from collections.abc import Callable

import numpy as np

from physml.checks import check_real
from physml.testing._arrays import as_numpy, dtype_name, is_tensor, mismatch

__all__ = ["assert_gradients_match_finite_differences"]

_STENCIL = (-2, -1, 1, 2)
_ULPS = 16  # assumed accuracy of one value of fn, in units of eps |f|


def _values(fn: Callable, x, batch: int) -> np.ndarray:
    if is_tensor(x):
        with sys.modules["torch"].no_grad():
            out = fn(x)
    else:
        out = fn(x)
    if dtype_name(out) != "float64":
        raise ValueError(
            f"fn returned {dtype_name(out)}: expected float64 throughout (finite differences "
            "in float32 keep about three digits)"
        )
    out = as_numpy(out)
    if out.shape != (batch,):
        raise ValueError(f"fn returned shape {out.shape}: expected one value per row, ({batch},)")
    return out


def _autograd_gradient(fn: Callable, x):
    if not is_tensor(x):
        raise ValueError("gradient=None needs torch inputs (autograd): pass gradient= for numpy")
    torch = sys.modules["torch"]
    x = x.detach().clone().requires_grad_(True)
    with torch.enable_grad():
        (grad,) = torch.autograd.grad(fn(x).sum(), x)
    return grad


def _shifted(x, column: int, offset: float):
    flat = x.detach().clone() if is_tensor(x) else np.array(x, copy=True)
    flat = flat.reshape(x.shape[0], -1)
    flat[:, column] += offset
    return flat.reshape(x.shape)


def assert_gradients_match_finite_differences(
    fn: Callable,
    inputs,
    gradient: Callable | None = None,
    *,
    laplacian: Callable | None = None,
    step: float = 1e-3,
    rtol: float = 1e-6,
    atol: float = 1e-6,
) -> float:
    """Assert analytic d fn / d x (and the Laplacian) equal central finite differences.

    Args:
        fn: (batch, *shape) -> (batch,) values, float64; torch or numpy.
        inputs: float64 configurations, shape (batch, *shape), away from kinks.
        gradient: x -> d fn / d x, shape of x. None differentiates ``fn`` by autograd
            (torch only): a check of a custom ``autograd.Function`` or of the graph.
        laplacian: optional x -> sum_i d^2 fn / d x_i^2, shape (batch,).
        step: the finite-difference step h (> 0), in the units of x.
        rtol, atol: tolerances (>= 0) against the finite-difference values, on top of
            their rounding (module docstring).

    Returns:
        The largest |analytic - finite difference| over gradient (and Laplacian) entries.

    Raises:
        AssertionError: naming the derivative, the configuration and coordinate, both
            values and the allowed difference.
        ValueError: for inputs or values that are not float64, or wrong shapes.

    Example:
        >>> import numpy as np
        >>> x = np.random.default_rng(0).normal(size=(4, 3))
        >>> log_psi = lambda x: -0.5 * (x**2).sum(1)  # Gaussian: grad -x, Laplacian -3
        >>> assert_gradients_match_finite_differences(
        ...     log_psi, x, lambda x: -x, laplacian=lambda x: np.full(len(x), -3.0)
        ... ) < 1e-8
        True
        >>> assert_gradients_match_finite_differences(log_psi, x, lambda x: -2 * x)
        Traceback (most recent call last):
        ...
        AssertionError: gradient differs from finite differences: |difference| ...
    """
    h = check_real("step", step, positive=True)
    rtol = check_real("rtol", rtol, nonnegative=True)
    atol = check_real("atol", atol, nonnegative=True)
    if dtype_name(inputs) != "float64" or len(inputs.shape) < 1:
        raise ValueError(
            f"inputs of dtype {dtype_name(inputs)} and shape {tuple(inputs.shape)} are not "
            "allowed: expected float64 with a batch dimension first"
        )
    batch = inputs.shape[0]
    f0 = _values(fn, inputs, batch)
    n_coords = int(np.prod(inputs.shape[1:], dtype=int))
    first = np.empty((batch, n_coords))
    second = np.zeros(batch)
    scale = np.abs(f0)  # largest |f| of each row's stencils, for the rounding allowance
    for column in range(n_coords):
        fm2, fm1, fp1, fp2 = (_values(fn, _shifted(inputs, column, s * h), batch) for s in _STENCIL)
        first[:, column] = (fm2 - 8 * fm1 + 8 * fp1 - fp2) / (12 * h)
        second += (-fm2 + 16 * fm1 - 30 * f0 + 16 * fp1 - fp2) / (12 * h * h)
        scale = np.max(np.abs([scale, fm2, fm1, fp1, fp2]), axis=0)
    rounding = _ULPS * np.finfo(np.float64).eps * scale  # error of one value of fn

    analytic = gradient(inputs) if gradient is not None else _autograd_gradient(fn, inputs)
    shape = (batch,) + (1,) * (len(inputs.shape) - 1)
    checks = [("gradient", as_numpy(analytic), first.reshape(inputs.shape), 18 / (12 * h), shape)]
    if laplacian is not None:
        lap_rounding = n_coords * 64 / (12 * h * h)
        checks.append(("Laplacian", as_numpy(laplacian(inputs)), second, lap_rounding, (batch,)))
    worst = 0.0
    for name, value, finite, gain, row_shape in checks:
        allowance = atol + gain * rounding.reshape(row_shape)
        largest, detail = mismatch(value, finite, rtol, allowance)
        worst = max(worst, largest)
        if detail is not None:
            raise AssertionError(
                f"{name} differs from finite differences: {detail} (step {h:g}, entries "
                "indexed (row, *coordinate))"
            )
    return worst
