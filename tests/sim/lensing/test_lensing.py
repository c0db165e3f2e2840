"""Lensing profiles against closed forms (SIS, SIE convergence by finite differences, the
Einstein radius of a point mass), surface-brightness conservation and the SIS
magnification of a compact source, and the image simulator's classes."""

from __future__ import annotations

import math

import pytest
import torch

from physml.sim.lensing.profiles import (
    ARCSEC,
    point_deflection,
    point_einstein_radius,
    sersic,
    sie_convergence,
    sie_deflection,
    sis_deflection,
)
from physml.sim.lensing.substructure import LensImages

AU_MPC = 1.495978707e11 / 3.0856775814913673e22
R_SUN_M = 6.957e8


def _points(n: int = 200, seed: int = 0):
    gen = torch.Generator().manual_seed(seed)
    return 3 * torch.rand(2, n, generator=gen, dtype=torch.float64) - 1.5


def test_sis_deflection_has_the_einstein_radius_everywhere() -> None:
    x, y = _points()
    ax, ay = sis_deflection(x, y, 1.3)
    torch.testing.assert_close(torch.hypot(ax, ay), torch.full_like(x, 1.3))
    torch.testing.assert_close(ax * y - ay * x, torch.zeros_like(x))  # radial
    sx, sy = sie_deflection(x, y, 1.3, torch.tensor(1.0), torch.tensor(0.4))  # q -> 1 is SIS
    torch.testing.assert_close(sx, ax, atol=1e-5, rtol=0)
    torch.testing.assert_close(sy, ay, atol=1e-5, rtol=0)


@pytest.mark.parametrize("q", [0.5, 0.8])
def test_sie_divergence_is_twice_the_convergence_and_curl_free(q: float) -> None:
    x, y = _points(seed=1)
    keep = torch.hypot(x, y) > 0.2
    x, y, h = x[keep], y[keep], 1e-5
    angle = torch.tensor(0.7)
    q_t = torch.tensor(q, dtype=torch.float64)

    def alpha(a, b):
        return sie_deflection(a, b, 1.2, q_t, angle)

    dxx = (alpha(x + h, y)[0] - alpha(x - h, y)[0]) / (2 * h)
    dyy = (alpha(x, y + h)[1] - alpha(x, y - h)[1]) / (2 * h)
    dxy = (alpha(x, y + h)[0] - alpha(x, y - h)[0]) / (2 * h)
    dyx = (alpha(x + h, y)[1] - alpha(x - h, y)[1]) / (2 * h)
    kappa = sie_convergence(x, y, 1.2, q, angle)
    torch.testing.assert_close(dxx + dyy, 2 * kappa, atol=1e-7, rtol=1e-6)
    torch.testing.assert_close(dxy, dyx, atol=1e-7, rtol=1e-6)


def test_point_einstein_radius() -> None:
    # the Sun's focal line starts where its Einstein radius equals its angular radius, at
    # D = R_sun^2 c^2 / (4 G M_sun) = 548 AU (source at infinity)
    d = 548.0 * AU_MPC
    theta = float(point_einstein_radius(1.0, d, 1e12, 1e12))
    assert theta == pytest.approx(R_SUN_M / (548.0 * 1.495978707e11) / ARCSEC, rel=2e-3)
    assert float(point_einstein_radius(4.0, d, 1e12, 1e12)) == pytest.approx(2 * theta)
    # a ring at the Einstein radius maps to the lens position (beta = 0)
    phi = torch.linspace(0, 2 * math.pi, 9, dtype=torch.float64)
    x, y = (0.7 * torch.cos(phi) + 0.1)[None, None], (0.7 * torch.sin(phi) - 0.2)[None, None]
    one = torch.ones(1, 1, dtype=torch.float64)
    ax, ay = point_deflection(x, y, 0.7 * one, 0.1 * one, -0.2 * one)
    torch.testing.assert_close(x - ax, 0.1 * torch.ones_like(x))
    torch.testing.assert_close(y - ay, -0.2 * torch.ones_like(y))


def _fine_grid(half: float, n: int):
    axis = torch.linspace(-half, half, n, dtype=torch.float64)
    y, x = torch.meshgrid(axis, axis, indexing="ij")
    return x, y


def test_surface_brightness_is_conserved_and_flux_magnified() -> None:
    x, y = _fine_grid(2.0, 801)
    ax, ay = sis_deflection(x, y, 1.0)
    # a uniform source stays uniform: lensing changes areas, never surface brightness
    flat = sersic(x - ax, y - ay, 1e6, 1.0, 1.0, 0.0, 0.0, 0.0)
    assert float((flat.max() - flat.min()) / flat.mean()) < 1e-5
    # a compact source at beta = theta_E / 2 behind an SIS: total magnification 2 theta_E / beta
    source = dict(r_e=0.02, n=0.5, q=1.0, angle=0.0, x0=0.5, y0=0.0)
    lensed = sersic(x - ax, y - ay, **source).sum()
    unlensed = sersic(x, y, **source).sum()
    assert float(lensed / unlensed) == pytest.approx(4.0, rel=2e-2)


def test_classes_share_lens_and_source_and_differ_by_substructure() -> None:
    sim = LensImages(n_pixels=32, supersample=1)
    images = {
        label: sim.simulate(torch.full((4,), label), torch.Generator().manual_seed(3), noise=False)
        for label in (0, 1, 2)
    }
    assert images[0].shape == (4, 1, 32, 32)
    for label in (1, 2):
        change = (images[label] - images[0]).abs().max() / images[0].abs().max()
        assert 0 < float(change) < 1
    again = sim.simulate(torch.tensor([0, 1, 2, 0]), torch.Generator().manual_seed(5))
    torch.testing.assert_close(
        again, sim.simulate(torch.tensor([0, 1, 2, 0]), torch.Generator().manual_seed(5))
    )
    assert torch.isclose(sim.psf_kernel().sum(), torch.tensor(1.0, dtype=torch.float64))


def test_refusals() -> None:
    with pytest.raises(ValueError, match="n_pixels=2"):
        LensImages(n_pixels=2)
    with pytest.raises(ValueError, match="subhalo_masses"):
        LensImages(subhalo_masses=(1e10, 1e6))
