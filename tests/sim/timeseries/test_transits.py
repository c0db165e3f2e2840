"""Transit shapes against closed forms and brute-force integration of the stellar disc."""

from __future__ import annotations

import numpy as np
import pytest

from physml.sim.timeseries.transits import (
    limb_darkened_occultation,
    orbital_separation,
    semi_major_axis,
    transit_deficit,
    transit_duration,
    trapezoid_deficit,
    uniform_occultation,
)


def brute_force_occultation(z: float, p: float, u1: float, u2: float, n: int = 3000) -> float:
    """Hidden flux fraction by summing the limb-darkened intensity over a pixel grid."""
    x = (np.arange(n) + 0.5) / n * 2 - 1
    xx, yy = np.meshgrid(x, x)
    r2 = xx**2 + yy**2
    mu = np.sqrt(np.clip(1 - r2, 0, None))
    intensity = (1 - u1 * (1 - mu) - u2 * (1 - mu) ** 2) * (r2 < 1)
    hidden = (xx - z) ** 2 + yy**2 < p**2
    return float((intensity * hidden).sum() / intensity.sum())


def test_uniform_closed_form_limits() -> None:
    p = 0.1
    assert uniform_occultation(0.5, p) == pytest.approx(p**2, abs=1e-15)  # fully inside
    assert uniform_occultation(1.2, p) == 0.0  # no overlap
    assert uniform_occultation(0.0, 1.5) == 1.0  # the star behind a larger disc
    # half the planet on the star (z = 1, p << 1): about half its area
    assert uniform_occultation(1.0, 0.01) == pytest.approx(0.5e-4, rel=0.01)
    z = np.linspace(0.85, 1.15, 61)
    values = uniform_occultation(z, p)
    assert np.all(np.diff(values) <= 1e-15)  # egress: monotone


@pytest.mark.parametrize("p", [0.05, 0.1, 0.3])
def test_limb_darkening_zero_is_the_uniform_closed_form(p: float) -> None:
    z = np.linspace(0, 1 + p + 0.05, 97)
    np.testing.assert_allclose(
        limb_darkened_occultation(z, p, 0.0, 0.0), uniform_occultation(z, p), atol=1e-9
    )


@pytest.mark.parametrize("z", [0.0, 0.5, 0.9, 1.02])
def test_quadratic_limb_darkening_against_brute_force(z: float) -> None:
    u1, u2, p = 0.4, 0.26, 0.15
    exact = limb_darkened_occultation(z, p, u1, u2)
    # pixel grid: boundary pixels give ~ 1/(n p) relative error
    assert exact == pytest.approx(brute_force_occultation(z, p, u1, u2), rel=3e-3)


def test_small_planet_sees_the_local_intensity() -> None:
    # a small planet hides p^2 I(z) / <I>: the limb-darkening law itself
    u1, u2, p = 0.5, 0.2, 1e-3
    r = np.array([0.0, 0.5, 0.8])
    mu = np.sqrt(1 - r**2)
    local = (1 - u1 * (1 - mu) - u2 * (1 - mu) ** 2) / (1 - u1 / 3 - u2 / 6)
    np.testing.assert_allclose(limb_darkened_occultation(r, p, u1, u2), p**2 * local, rtol=1e-5)


def test_duration_matches_the_contacts_of_the_orbit() -> None:
    period, radius, impact = 3.0, 0.1, 0.4
    t = np.linspace(-0.2, 0.2, 400_001)
    z = orbital_separation(t, period, 0.0, semi_major_axis(period), impact)
    in_transit = t[z < 1 + radius]
    assert in_transit[-1] - in_transit[0] == pytest.approx(
        transit_duration(period, radius, impact), abs=2e-6
    )


def test_trapezoid_area_and_depth() -> None:
    dt = np.linspace(-1, 1, 200_001)
    shape = trapezoid_deficit(dt, 0.01, 0.2, 0.02)
    assert shape.max() == pytest.approx(0.01)
    # area = depth x (duration - ingress)
    assert shape.sum() * (dt[1] - dt[0]) == pytest.approx(0.01 * 0.18, rel=1e-4)


@pytest.mark.parametrize("shape", ["mandel-agol", "trapezoid"])
def test_periodic_transits(shape: str) -> None:
    t = np.arange(0, 20, 0.01)
    deficit = transit_deficit(
        t,
        period=np.array([4.0]),
        t0=np.array([1.0]),
        radius=np.array([0.1]),
        impact=np.array([0.2]),
        shape=shape,
    )[0]
    dips = t[deficit > 0]
    # five transits, centred at t0 + k P
    centres = [dips[np.abs(dips - c) < 0.5].mean() for c in (1, 5, 9, 13, 17)]
    np.testing.assert_allclose(centres, [1, 5, 9, 13, 17], atol=0.006)
    assert 0.009 < deficit.max() < 0.0125  # ~ p^2, brighter centre under limb darkening
    with pytest.raises(ValueError, match="shape"):
        transit_deficit(t, period=4.0, t0=1.0, radius=0.1, impact=0.2, shape="box")
