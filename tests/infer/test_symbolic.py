"""Units as a constraint: mismatched expressions rejected; the dimensional search recovers
laws exactly, with noise, and refuses to run without units."""

from __future__ import annotations

import numpy as np
import pytest
import sympy as sp

from physml.infer.symbolic import (
    UnitsError,
    central_force_search,
    dimensional_search,
    expression_units,
    gplearn_expression,
    same_law,
    snap_constant,
)
from physml.sim.laws.catalogue import LAWS, sample, units

UNITS = {"m1": units(kg=1), "m2": units(kg=1), "r": units(m=1), "G": units(m=3, kg=-1, s=-2)}
m1, m2, r, G = (sp.Symbol(n, positive=True) for n in ("m1", "m2", "r", "G"))


def test_mismatched_units_are_rejected() -> None:
    assert expression_units(G * m1 * m2 / r**2, UNITS) == units(kg=1, m=1, s=-2)
    assert expression_units(sp.sqrt(r**3 / (G * m1)), UNITS) == units(s=1)
    assert expression_units(m1 / m2 + 1, UNITS) == units()
    for bad in (m1 + r, sp.exp(r), r**m1, m1 / m2 + r):
        with pytest.raises(UnitsError):
            expression_units(bad, UNITS)
    with pytest.raises(UnitsError, match="no units"):
        expression_units(sp.Symbol("q", positive=True) * r, UNITS)


def test_units_leave_kepler_a_single_candidate_and_the_search_needs_them() -> None:
    law = LAWS["kepler"]
    x, y = sample(law, 100, np.random.default_rng(0))
    names, table = list(law.variables), {n: v[0] for n, v in law.variables.items()}
    found = dimensional_search(x, y, names, table, law.target_units)
    assert found.tried - found.rejected == 1
    assert found.expression == 2 * sp.pi * sp.sqrt(sp.Symbol("a", positive=True) ** 3) / sp.sqrt(
        sp.Symbol("G", positive=True) * sp.Symbol("M", positive=True)
    )
    assert same_law(found.expression, law.expression)
    with pytest.raises(UnitsError, match="needs the units"):
        dimensional_search(x, y, names, None, law.target_units)
    with pytest.raises(UnitsError, match="no law on the exponent lattice"):
        dimensional_search(x, y, names, table, units(C=1))


@pytest.mark.parametrize("noise", [0.0, 0.01])
def test_newton_recovered_exactly_from_noisy_pairs(noise: float) -> None:
    law = LAWS["newton"]
    x, y = sample(law, 200, np.random.default_rng(1), noise)
    # the constant is known to ~noise / sqrt(n): snapped within 5 of those
    tolerance = max(1e-6, 5 * noise / np.sqrt(200))
    found = dimensional_search(
        x, y, list(law.variables), UNITS, law.target_units, tolerance=tolerance
    )
    assert found.exponents == (1, 1, -2, 1)
    assert same_law(found.expression, G * m1 * m2 / r**2)
    assert found.rms == pytest.approx(noise, rel=0.2, abs=1e-9)


def test_snapping_and_equality() -> None:
    assert snap_constant(4 * np.pi**2 * (1 + 1e-8), 1e-6) == 4 * sp.pi**2
    assert snap_constant(0.75, 1e-6) == sp.Rational(3, 4)
    assert isinstance(snap_constant(np.e, 1e-9), sp.Float)  # e is no p/q pi^k
    assert same_law((m1 * m2 * G) / (r * r), G * m1 * m2 / r**2)
    assert not same_law(G * m1 * m2 / r**2 * (1 + sp.Rational(1, 10**12)), G * m1 * m2 / r**2)
    assert gplearn_expression("div(mul(X0, X1), mul(X2, X2))", ["m1", "m2", "r"], 1e-6) == (
        m1 * m2 / r**2
    )


def test_snapping_takes_the_simplest_fraction_within_the_tolerance() -> None:
    assert snap_constant(1.0623, 0.1) == 1  # not 12/11, the closest with q <= 12
    assert snap_constant(-0.988, 0.02) == -1
    assert snap_constant(1.0623, 1e-6) != 1


def test_central_force_search_reads_newton_from_a_linear_image() -> None:
    rng = np.random.default_rng(3)
    n = 300
    delta = rng.normal(size=(n, 2))
    x = np.stack(
        [rng.uniform(0.5, 2, n), rng.uniform(0.5, 2, n), np.linalg.norm(delta, axis=1), np.ones(n)],
        axis=1,
    )
    force = -(x[:, 0] * x[:, 1] / x[:, 2] ** 2)[:, None] * delta / x[:, 2:3]
    b = np.array([[2.0, 0.5], [-1.0, 1.5]])
    data = force @ b + np.array([0.3, -0.1])
    found = central_force_search(
        data, delta, x, ["m1", "m2", "r", "G"], UNITS, units(kg=1, m=1, s=-2)
    )
    assert found.exponents == (1, 1, -2, 1)
    np.testing.assert_allclose(found.B, -b, atol=1e-10)  # f = +G m1 m2 / r^2: the sign is in B
    np.testing.assert_allclose(found.offset, [0.3, -0.1], atol=1e-10)
    assert found.unexplained < 1e-20
