"""Argument checks shared by the simulators, models and samplers.

Each check takes the argument's name and value, returns the value (numbers as a plain
``int`` or ``float``), and otherwise raises a one-line :class:`ValueError` in the house format
``"{name}={value!r} is not allowed: expected ..."``: the argument, the value and what is
allowed. Booleans are never accepted as numbers (``True`` is an ``int`` to Python, never
a count or a temperature here); numpy integers and floats are.

Example:
    >>> check_int("n_samples", 8, minimum=1)
    8
    >>> check_int("dim", 4, minimum=1, maximum=3)
    Traceback (most recent call last):
    ...
    ValueError: dim=4 is not allowed: expected an int in 1..3
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence

__all__ = ["check_choice", "check_int", "check_n_up", "check_real", "check_widths", "is_int"]


def is_int(value) -> bool:
    """True for Python and numpy integers, False for bools, floats (even 2.0) and the rest."""
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def check_int(name: str, value, *, minimum: int | None = None, maximum: int | None = None) -> int:
    """``value`` as an ``int`` if it is an integer in [minimum, maximum] (None: unbounded).

    Raises:
        ValueError: for a bool, a non-integer (including floats such as 2.0) or a value
            out of range.
    """
    ok = is_int(value)
    ok = ok and (minimum is None or value >= minimum) and (maximum is None or value <= maximum)
    if not ok:
        if minimum is not None and maximum is not None:
            allowed = f"an int in {minimum}..{maximum}"
        elif minimum is not None:
            allowed = f"an int >= {minimum}"
        elif maximum is not None:
            allowed = f"an int <= {maximum}"
        else:
            allowed = "an int"
        raise ValueError(f"{name}={value!r} is not allowed: expected {allowed}")
    return int(value)


def check_real(name: str, value, *, positive: bool = False, nonnegative: bool = False) -> float:
    """``value`` as a ``float`` if it is a finite real number (> 0 or >= 0 if asked).

    Raises:
        ValueError: for a bool, a non-real, nan, +-inf, or a value below the bound.
    """
    ok = isinstance(value, numbers.Real) and not isinstance(value, bool) and math.isfinite(value)
    if positive:
        bound = " > 0"
        ok = ok and value > 0
    elif nonnegative:
        bound = " >= 0"
        ok = ok and value >= 0
    else:
        bound = ""
    if not ok:
        raise ValueError(f"{name}={value!r} is not allowed: expected a finite real number{bound}")
    return float(value)


def check_choice(name: str, value, allowed: Sequence[str]) -> str:
    """``value`` unchanged if it is one of ``allowed``.

    Raises:
        ValueError: listing the allowed values.
    """
    if value not in allowed:
        options = ", ".join(repr(option) for option in allowed)
        raise ValueError(f"{name}={value!r} is not allowed: expected one of {options}")
    return value


def check_n_up(n_up, n_particles: int) -> int:
    """Number of spin-up particles out of ``n_particles``; None gives ceil(n_particles / 2).

    Raises:
        ValueError: unless n_up is an int in 0..n_particles.
    """
    if n_up is None:
        return math.ceil(n_particles / 2)
    return check_int("n_up", n_up, minimum=0, maximum=n_particles)


def check_widths(name: str, widths, *, allow_empty: bool = True) -> tuple[int, ...]:
    """Layer widths as a tuple of ints >= 1 (an empty sequence only if ``allow_empty``)."""
    kind = "a sequence" if allow_empty else "a non-empty sequence"
    ok = not (is_int(widths) or isinstance(widths, str)) and isinstance(widths, Sequence)
    if not ok or (not allow_empty and len(widths) == 0):
        raise ValueError(f"{name}={widths!r} is not allowed: expected {kind} of ints >= 1")
    return tuple(check_int(f"{name}[{i}]", w, minimum=1) for i, w in enumerate(widths))
