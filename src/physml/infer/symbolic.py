"""Symbolic regression with dimensional analysis as a constraint.

Variables carry units (exponent vectors of the base dimensions). :func:`expression_units`
gives the units of a sympy expression and rejects one whose units do not match (a sum of
unlike terms, a power or function of a dimensional quantity) by raising
:class:`UnitsError`. :func:`dimensional_search` searches the laws y = c prod_i x_i^e_i with
exponents on a lattice (multiples of ``step`` up to ``max_power``): every exponent
vector whose units differ from the target's is rejected before any fit (Buckingham's
constraint; for Kepler's third law it leaves a single candidate), the others are fitted
in log space (log c the mean residual) and the best fit wins, ties going to the smallest
sum of |e_i|. The constant is snapped to p/q pi^k (q <= 12, |k| <= 2) where that lies
within the tolerance, and the result is a sympy expression.

:func:`gplearn_expression` turns a gplearn program into sympy with its constants snapped
the same way, for the comparison with gplearn's defaults.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from fractions import Fraction

import numpy as np
import sympy as sp

__all__ = [
    "CentralForceResult",
    "SearchResult",
    "UnitsError",
    "central_force_search",
    "consistent_exponents",
    "dimensional_search",
    "expression_units",
    "gplearn_expression",
    "monomial",
    "same_law",
    "snap_constant",
]


class UnitsError(ValueError):
    """An expression or a search whose units do not match (or are missing)."""


def expression_units(expr: sp.Expr, variable_units: dict[str, tuple]) -> tuple:
    """The units vector of ``expr`` built from variables of the given units.

    Raises:
        UnitsError: for a sum of terms of different units, a dimensional exponent or
            function argument, or a symbol without units.
    """
    if expr.is_Number or expr.is_NumberSymbol:
        return _zero(variable_units)
    if expr.is_Symbol:
        if expr.name not in variable_units:
            raise UnitsError(f"{expr.name} has no units")
        return tuple(sp.Rational(u) for u in variable_units[expr.name])
    if expr.is_Add:
        terms = [expression_units(t, variable_units) for t in expr.args]
        if any(t != terms[0] for t in terms):
            raise UnitsError(f"{expr}: adds terms of different units")
        return terms[0]
    if expr.is_Mul:
        out = _zero(variable_units)
        for factor in expr.args:
            out = tuple(
                a + b for a, b in zip(out, expression_units(factor, variable_units), strict=True)
            )
        return out
    if expr.is_Pow:
        base, power = expr.args
        if any(expression_units(power, variable_units)):
            raise UnitsError(f"{expr}: the exponent {power} has units")
        base_units = expression_units(base, variable_units)
        if not power.is_Rational:
            if any(base_units):
                raise UnitsError(f"{expr}: a dimensional base to a non-rational power")
            return base_units
        return tuple(u * power for u in base_units)
    if isinstance(expr, sp.Function):
        for arg in expr.args:
            if any(expression_units(arg, variable_units)):
                raise UnitsError(f"{expr}: {type(expr).__name__} of a dimensional argument")
        return _zero(variable_units)
    raise UnitsError(f"{expr}: cannot give units to {type(expr).__name__}")


def _zero(variable_units: dict) -> tuple:
    n = len(next(iter(variable_units.values()))) if variable_units else 0
    return tuple(sp.Integer(0) for _ in range(n))


def snap_constant(value: float, tolerance: float) -> sp.Expr:
    """``p/q pi^k`` (q <= 12, |k| <= 2) within relative ``tolerance`` of ``value``, the
    simplest (smallest |p| + q + 2|k|, then the closest); the float itself where none is."""
    best = None
    for k in (0, 1, -1, 2, -2):
        scaled = value / np.pi**k
        for q in range(1, 13):
            p = round(scaled * q)
            if p == 0 or abs(p / q - scaled) > tolerance * abs(scaled):
                continue
            cost = (abs(p) + q + 2 * abs(k), abs(p / q - scaled))
            if best is None or cost < best[0]:
                best = (cost, sp.Rational(p, q) * sp.pi**k)
    return sp.Float(value, 6) if best is None else best[1]


@dataclass(frozen=True)
class SearchResult:
    """The law found: sympy ``expression``, the fitted ``constant``, the ``exponents``,
    the rms of log residuals, and how many lattice points were ``tried`` and ``rejected``
    for their units."""

    expression: sp.Expr
    constant: float
    exponents: tuple
    rms: float
    tried: int
    rejected: int


def dimensional_search(
    x: np.ndarray,
    y: np.ndarray,
    names: list[str],
    variable_units: dict[str, tuple] | None,
    target_units: tuple | None,
    *,
    max_power: float = 3.0,
    step: float = 0.5,
    tolerance: float = 1e-6,
) -> SearchResult:
    """The monomial law y = c prod x_i^e_i of the target's units that fits best.

    Args:
        x: positive inputs, shape (n, n_variables), columns named by ``names``.
        y: positive targets, shape (n,).
        variable_units, target_units: units vectors; required (the search is over
            dimensionally consistent laws only).
        max_power, step: the exponent lattice {-max_power, ..., max_power} in steps.
        tolerance: relative tolerance of the constant's snapping.

    Raises:
        UnitsError: when units are missing, or no lattice point has the target's units.
    """
    if variable_units is None or target_units is None or set(names) - set(variable_units):
        raise UnitsError(
            "the dimensional search needs the units of the target and of every variable"
        )
    if (x <= 0).any() or (y <= 0).any():
        raise ValueError("the monomial search takes positive inputs and targets")
    candidates, tried = consistent_exponents(
        names, variable_units, target_units, max_power=max_power, step=step
    )
    residual = np.log(y)[None, :] - candidates @ np.log(x).T  # (k, n)
    log_c = residual.mean(axis=1)
    rms = np.sqrt(((residual - log_c[:, None]) ** 2).mean(axis=1))
    complexity = np.abs(candidates).sum(axis=1)
    # best fit; fits equal within 1e-9 (degenerate constant columns) go to the simplest
    order = np.lexsort((complexity, np.round(rms / max(rms.min(), 1e-300), 6)))
    best = order[0]
    constant = float(np.exp(log_c[best]))
    exps = tuple(sp.Rational(Fraction(float(e)).limit_denominator(12)) for e in candidates[best])
    expr = monomial(snap_constant(constant, tolerance), names, candidates[best])
    return SearchResult(expr, constant, exps, float(rms[best]), tried, tried - len(candidates))


def consistent_exponents(
    names: list[str],
    variable_units: dict[str, tuple],
    target_units: tuple,
    *,
    max_power: float = 3.0,
    step: float = 0.5,
) -> tuple[np.ndarray, int]:
    """The exponent vectors e on the lattice {-max_power, ..., max_power} (in steps) with
    units of prod x_i^e_i equal to the target's, shape (k, n_variables), and the number of
    lattice points tried.

    Raises:
        UnitsError: when none has the target's units.
    """
    grid = np.arange(-max_power, max_power + step / 2, step)
    lattice = np.array(list(itertools.product(grid, repeat=len(names))))
    u = np.array([[float(v) for v in variable_units[n]] for n in names])
    matches = np.all(
        np.abs(lattice @ u - np.array([float(t) for t in target_units])) < 1e-9, axis=1
    )
    if not matches.any():
        raise UnitsError("no law on the exponent lattice has the target's units")
    return lattice[matches], len(lattice)


def monomial(constant: sp.Expr, names: list[str], exponents) -> sp.Expr:
    """constant * prod_i names_i^exponents_i as sympy (positive symbols, exponents as
    fractions of denominator <= 12)."""
    symbols = [sp.Symbol(n, positive=True) for n in names]
    exps = [sp.Rational(Fraction(float(e)).limit_denominator(12)) for e in exponents]
    return constant * sp.Mul(*[s**e for s, e in zip(symbols, exps, strict=True)])


@dataclass(frozen=True)
class CentralForceResult:
    """A central law f(x) r_hat read from vector data: the ``exponents`` of f = prod x_i^e_i,
    the linear map ``B`` (d, k) and ``offset`` (k,) with data = f r_hat B + offset, and the
    fraction of the data's variance the best law leaves unexplained (1 - R^2)."""

    exponents: tuple
    B: np.ndarray
    offset: np.ndarray
    unexplained: float


def central_force_search(
    data: np.ndarray,
    delta: np.ndarray,
    x: np.ndarray,
    names: list[str],
    variable_units: dict[str, tuple],
    target_units: tuple,
    *,
    max_power: float = 3.0,
    step: float = 0.5,
) -> CentralForceResult:
    """The central law of the target's units whose linear image fits ``data`` best.

    For every exponent vector of :func:`consistent_exponents`, f = prod x_i^e_i and the
    least squares data ~ f (delta / |delta|) B + offset; the smallest residual sum of
    squares wins, ties (within 1e-6) going to the smallest sum of |e_i|. The overall scale
    of f is not identified (it is in B): the data may be in any units that are linear in
    the force, such as the messages of a graph network.

    Args:
        data: (n, k) vectors, e.g. message components.
        delta: (n, d) separation vectors (their direction r_hat).
        x: (n, n_variables) positive variables of f, columns named by ``names``.
    """
    candidates, _ = consistent_exponents(
        names, variable_units, target_units, max_power=max_power, step=step
    )
    direction = delta / np.linalg.norm(delta, axis=1, keepdims=True)
    logs = np.log(x)
    centred = data - data.mean(0)
    best = None
    for e in candidates:
        f = np.exp(logs @ e)
        design = np.concatenate([f[:, None] * direction, np.ones((len(f), 1))], axis=1)
        coef, *_ = np.linalg.lstsq(design, data, rcond=None)
        rss = float(((data - design @ coef) ** 2).sum())
        key = (round(rss / max(float((centred**2).sum()), 1e-300), 6), float(np.abs(e).sum()))
        if best is None or key < best[0]:
            best = (key, e, coef)
    (unexplained, _), e, coef = best
    exps = tuple(sp.Rational(Fraction(float(v)).limit_denominator(12)) for v in e)
    return CentralForceResult(exps, coef[:-1], coef[-1], unexplained)


def gplearn_expression(program, names: list[str], tolerance: float) -> sp.Expr:
    """A gplearn program (its ``str``) as sympy over ``names`` (X0, X1, ... renamed),
    protected division read as division, constants snapped like :func:`snap_constant`."""
    symbols = {f"X{i}": sp.Symbol(n, positive=True) for i, n in enumerate(names)}
    functions = {
        "add": lambda a, b: a + b,
        "sub": lambda a, b: a - b,
        "mul": lambda a, b: a * b,
        "div": lambda a, b: a / b,
        "sqrt": lambda a: sp.sqrt(sp.Abs(a)),
        "log": lambda a: sp.log(sp.Abs(a)),
        "neg": lambda a: -a,
        "inv": lambda a: 1 / a,
        "abs": sp.Abs,
        "sin": sp.sin,
        "cos": sp.cos,
    }
    expr = sp.sympify(str(program), locals={**symbols, **functions})
    floats = {f: snap_constant(float(f), tolerance) for f in expr.atoms(sp.Float)}
    return expr.xreplace(floats)


def same_law(found: sp.Expr, truth: sp.Expr, *, points: int = 5, seed: int = 0) -> bool:
    """Whether ``found`` is the law ``truth``: ``sympy.simplify(found - truth) == 0``,
    after a numerical screen (both evaluated at random positive points, relative 1e-9)
    that spares simplify the expressions that differ anyway."""
    symbols = sorted(truth.free_symbols | found.free_symbols, key=str)
    rng = np.random.default_rng(seed)
    for _ in range(points):
        at = {s: sp.Float(rng.uniform(0.5, 2.0)) for s in symbols}
        a, b = complex(found.evalf(subs=at)), complex(truth.evalf(subs=at))
        if not abs(a - b) <= 1e-9 * max(abs(b), 1e-300):
            return False
    return sp.simplify(found - truth) == 0
