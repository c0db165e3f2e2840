"""Five laws with the SI units of their variables, sampled with optional noise.

Each :class:`Law` is a sympy expression of its variables, with the units of the target
and of every variable as exponents of the base dimensions (kg, m, s, K, mol, C). Physical
constants (G, k_e, R, g) are variables with their units, sampled at their one value:
dimensional analysis is what fixes their exponents. Inputs are drawn log-uniformly over
the ranges given; the target is the law times (1 + noise * N(0, 1)).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import sympy as sp

__all__ = ["BASE_DIMENSIONS", "LAWS", "Law", "sample"]

#: The base dimensions, in the order of every units vector.
BASE_DIMENSIONS = ("kg", "m", "s", "K", "mol", "C")


def units(**powers: float) -> tuple[sp.Rational, ...]:
    """Units vector from keyword powers of the base dimensions, e.g. units(m=1, s=-2)."""
    return tuple(sp.Rational(powers.get(d, 0)) for d in BASE_DIMENSIONS)


@dataclass(frozen=True)
class Law:
    """A law y = f(x) and the units and ranges of its variables.

    Attributes:
        name: short name.
        expression: sympy expression of the symbols named in ``variables``.
        target_units: units vector of y.
        variables: name -> (units vector, (low, high) sampling range; low == high for a
            constant).
    """

    name: str
    expression: sp.Expr
    target_units: tuple
    variables: dict

    def symbols(self) -> list[sp.Symbol]:
        return [sp.Symbol(name, positive=True) for name in self.variables]


def _s(name: str) -> sp.Symbol:
    return sp.Symbol(name, positive=True)


_G, _KE, _R, _GRAV = 6.674e-11, 8.9875517923e9, 8.314462618, 9.80665
LAWS: dict[str, Law] = {
    "kepler": Law(
        "kepler",
        2 * sp.pi * sp.sqrt(_s("a") ** 3 / (_s("G") * _s("M"))),
        units(s=1),
        {
            "a": (units(m=1), (1e10, 1e12)),
            "M": (units(kg=1), (1e29, 1e31)),
            "G": (units(m=3, kg=-1, s=-2), (_G, _G)),
        },
    ),
    "pendulum": Law(
        "pendulum",
        2 * sp.pi * sp.sqrt(_s("L") / _s("g")),
        units(s=1),
        {"L": (units(m=1), (0.1, 10.0)), "g": (units(m=1, s=-2), (_GRAV, _GRAV))},
    ),
    "ideal-gas": Law(
        "ideal-gas",
        _s("n") * _s("R") * _s("T") / _s("V"),
        units(kg=1, m=-1, s=-2),
        {
            "n": (units(mol=1), (0.1, 10.0)),
            "R": (units(kg=1, m=2, s=-2, K=-1, mol=-1), (_R, _R)),
            "T": (units(K=1), (100.0, 1000.0)),
            "V": (units(m=3), (1e-3, 1.0)),
        },
    ),
    "newton": Law(
        "newton",
        _s("G") * _s("m1") * _s("m2") / _s("r") ** 2,
        units(kg=1, m=1, s=-2),
        {
            "m1": (units(kg=1), (1e20, 1e25)),
            "m2": (units(kg=1), (1e20, 1e25)),
            "r": (units(m=1), (1e7, 1e9)),
            "G": (units(m=3, kg=-1, s=-2), (_G, _G)),
        },
    ),
    "coulomb": Law(
        "coulomb",
        _s("k_e") * _s("q1") * _s("q2") / _s("r") ** 2,
        units(kg=1, m=1, s=-2),
        {
            "q1": (units(C=1), (1e-9, 1e-6)),
            "q2": (units(C=1), (1e-9, 1e-6)),
            "r": (units(m=1), (1e-3, 1.0)),
            "k_e": (units(kg=1, m=3, s=-2, C=-2), (_KE, _KE)),
        },
    ),
}


def sample(law: Law, n: int, rng: np.random.Generator, noise: float = 0.0):
    """``n`` samples: inputs (n, n_variables) log-uniform over each range and targets (n,)
    times (1 + noise * N(0, 1))."""
    columns = []
    for _, (low, high) in law.variables.values():
        columns.append(np.exp(rng.uniform(np.log(low), np.log(high), n)))
    x = np.stack(columns, axis=1)
    f = sp.lambdify(law.symbols(), law.expression, "numpy")
    y = f(*x.T) * (1.0 + noise * rng.standard_normal(n))
    return x, y
