"""Arrays for the checks: torch tensors or numpy arrays in, float64 numpy out.

torch is never imported here: a tensor can only exist once its caller has imported
torch, so ``sys.modules`` tells whether a value may be one. Default tolerances depend on
the floating type the checked code computed in (e3nn ships its equivariance tolerances
per dtype the same way).
"""

from __future__ import annotations

import sys
from collections.abc import Mapping

import numpy as np

__all__ = [
    "as_numpy",
    "default_tolerances",
    "dtype_name",
    "flatten",
    "is_tensor",
    "mismatch",
    "where",
]

# dtype -> (rtol, atol): a few hundred roundings of a result of order one
_TOLERANCES = {
    "float16": (1e-2, 1e-2),
    "bfloat16": (5e-2, 5e-2),
    "float32": (1e-4, 1e-5),
    "float64": (1e-10, 1e-10),
}


def is_tensor(value) -> bool:
    """True if ``value`` is a torch tensor (without importing torch)."""
    torch = sys.modules.get("torch")
    return torch is not None and isinstance(value, torch.Tensor)


def dtype_name(value) -> str:
    """The floating type's name without its library: 'float32', 'float64', 'int64', ..."""
    if is_tensor(value):
        return str(value.dtype).removeprefix("torch.")
    return np.asarray(value).dtype.name


def as_numpy(value) -> np.ndarray:
    """A float64 numpy copy of a tensor (any device, grad or not) or an array-like."""
    if is_tensor(value):
        value = value.detach().cpu()
        if value.is_complex():
            return value.numpy().astype(np.complex128)
        return value.double().numpy()
    array = np.asarray(value)
    return array.astype(np.complex128 if np.iscomplexobj(array) else np.float64)


def default_tolerances(dtypes, rtol: float | None, atol: float | None) -> tuple[float, float]:
    """(rtol, atol) for results in ``dtypes``: the loosest default among them where not
    given; integers and bools compare exactly."""
    real = {"complex64": "float32", "complex128": "float64"}  # the type of each part
    defaults = [_TOLERANCES.get(real.get(name, name), (0.0, 0.0)) for name in dtypes]
    loosest = max(defaults, default=(0.0, 0.0))
    return (loosest[0] if rtol is None else rtol), (loosest[1] if atol is None else atol)


def flatten(value, label: str = "") -> list[tuple[str, object]]:
    """(label, array) for each array of a tensor, an array, or a (nested) tuple, list or
    dict of them, in order; labels such as '[0]' or "['mass']" ('' for a single array)."""
    if isinstance(value, Mapping):
        return [leaf for key, item in value.items() for leaf in flatten(item, f"{label}[{key!r}]")]
    if isinstance(value, tuple | list):
        return [leaf for i, item in enumerate(value) for leaf in flatten(item, f"{label}[{i}]")]
    return [(label, value)]


def where(index: int, shape: tuple[int, ...]) -> str:
    """A flat index as a readable position, e.g. '(3, 1)' ('()' for a scalar)."""
    return str(tuple(int(i) for i in np.unravel_index(index, shape))) if shape else "()"


def mismatch(actual, expected, rtol: float, atol) -> tuple[float, str | None]:
    """Largest |actual - expected| and, where some element lies outside
    atol + rtol * |expected| (NaN always does), one line saying where and by how much.
    ``atol`` may be an array broadcastable to the values."""
    a, e = as_numpy(actual), as_numpy(expected)
    if a.shape != e.shape:
        return float("inf"), f"shape {a.shape} where {e.shape} was expected"
    diff = np.abs(a - e)
    allowed = atol + rtol * np.abs(e)
    bad = ~(diff <= allowed)
    largest = float(np.nanmax(np.where(np.isnan(diff), np.inf, diff), initial=0.0))
    if not bad.any():
        return largest, None
    flat = np.where(bad, np.nan_to_num(diff, nan=np.inf), -1.0).ravel()
    k = int(np.argmax(flat))
    atol_k = float(np.broadcast_to(atol, e.shape).ravel()[k])
    detail = (
        f"|difference| {flat[k]:.3g} at {where(k, a.shape)} (value {a.ravel()[k]:.10g}, "
        f"expected {e.ravel()[k]:.10g}; allowed {atol_k:.1e} + {rtol:.1e} * |expected| = "
        f"{allowed.ravel()[k]:.2g}); {int(bad.sum())} of {bad.size} elements outside"
    )
    return largest, detail
