"""Images of strong lenses with and without dark-matter substructure, batched in torch.

A Sérsic source at a random offset behind a singular isothermal ellipsoid with external
shear (:mod:`~physml.sim.lensing.profiles`), in three classes:

- 0, no substructure;
- 1, CDM subhalos: a Poisson number of point masses with dN/dM ~ M^-slope between
  ``subhalo_masses`` (solar masses), uniform in an annulus around the Einstein ring;
- 2, axion "vortices": ``vortex_points`` point masses evenly spaced on a segment of random
  orientation and length through a random point of that annulus, sharing ``vortex_mass``.

Ray shooting evaluates the source at beta = theta - alpha(theta) for every pixel (with
``supersample``^2 rays a pixel), then a Gaussian PSF, a uniform background and Poisson
noise. The defaults are chosen to resemble DeepLense's Model I (Alexander et al.,
arXiv:1909.07346: Sérsic source, SIE main halo with shear, Gaussian PSF; z_l = 0.5,
z_s = 1.0), not copied from its configuration files.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch

from physml.sim.lensing.profiles import (
    point_deflection,
    point_einstein_radius,
    sersic,
    shear_deflection,
    sie_deflection,
)

__all__ = ["CLASSES", "VERSION", "LensImages"]

VERSION = "1"
CLASSES = ("no substructure", "CDM subhalos", "axion vortex")


def _uniform(gen, n: int, bounds, dtype) -> torch.Tensor:
    low, high = bounds
    return low + (high - low) * torch.rand(n, 1, 1, generator=gen, dtype=dtype)


@dataclass(frozen=True)
class LensImages:
    """Settings of the simulator (angles in arcsec, masses in solar masses, distances in
    angular-diameter Mpc for z_l = 0.5, z_s = 1.0 in a flat Planck-like cosmology)."""

    n_pixels: int = 64
    pixel_scale: float = 0.1
    supersample: int = 2
    einstein_radius: tuple[float, float] = (1.0, 1.6)
    axis_ratio: tuple[float, float] = (0.7, 1.0)
    shear: float = 0.05
    source_offset: float = 0.4
    source_radius: tuple[float, float] = (0.15, 0.45)
    source_index: tuple[float, float] = (0.7, 2.0)
    source_axis_ratio: tuple[float, float] = (0.6, 1.0)
    psf_fwhm: float = 0.2
    background: float = 0.05
    exposure: float = 300.0
    n_subhalos: float = 25.0
    subhalo_masses: tuple[float, float] = (1e6, 1e10)
    subhalo_slope: float = 1.9
    annulus: tuple[float, float] = (0.6, 1.4)
    vortex_points: int = 40
    vortex_mass: tuple[float, float] = (3e9, 3e10)
    vortex_length: tuple[float, float] = (0.8, 2.4)
    distances: tuple[float, float, float] = (1259.0, 1652.0, 708.0)

    def __post_init__(self) -> None:
        if self.n_pixels < 4 or self.supersample < 1:
            raise ValueError(
                f"n_pixels={self.n_pixels}, supersample={self.supersample} are not allowed: "
                "n_pixels >= 4 and supersample >= 1"
            )
        positive = {
            "pixel_scale": self.pixel_scale,
            "psf_fwhm": self.psf_fwhm,
            "exposure": self.exposure,
            "subhalo_slope": self.subhalo_slope,
        }
        for name, value in positive.items():
            if not (value > 0 and math.isfinite(value)):
                raise ValueError(f"{name}={value} is not allowed: a positive number")
        low, high = self.subhalo_masses
        if not 0 < low < high:
            raise ValueError(f"subhalo_masses={self.subhalo_masses} is not allowed: 0 < low < high")

    @property
    def field_of_view(self) -> float:
        """Side of the image in arcsec."""
        return self.n_pixels * self.pixel_scale

    def grid(self, dtype=torch.float64) -> tuple[torch.Tensor, torch.Tensor]:
        """Ray positions (H s, W s) of the supersampled pixel grid, centred on 0; y up."""
        n = self.n_pixels * self.supersample
        step = self.pixel_scale / self.supersample
        axis = (torch.arange(n, dtype=dtype) - (n - 1) / 2) * step
        y, x = torch.meshgrid(-axis, axis, indexing="ij")
        return x, y

    def psf_kernel(self, dtype=torch.float64) -> torch.Tensor:
        """Normalised Gaussian PSF on the pixel grid, odd side covering +-3 sigma."""
        sigma = self.psf_fwhm / (2 * math.sqrt(2 * math.log(2))) / self.pixel_scale
        half = max(1, math.ceil(3 * sigma))
        r = torch.arange(-half, half + 1, dtype=dtype)
        g = torch.exp(-(r**2) / (2 * sigma**2))
        kernel = g[:, None] * g[None, :]
        return kernel / kernel.sum()

    def _subhalos(self, gen, n, radius, dtype):
        """Einstein radii and positions (n, K) of the CDM subhalos, with a 0/1 mask."""
        counts = torch.poisson(torch.full((n,), self.n_subhalos, dtype=dtype), generator=gen)
        k = max(1, int(counts.max()))
        mask = (torch.arange(k)[None, :] < counts[:, None]).to(dtype)
        a, b, s = *self.subhalo_masses, 1 - self.subhalo_slope
        u = torch.rand(n, k, generator=gen, dtype=dtype)
        mass = (a**s + u * (b**s - a**s)) ** (1 / s)
        r = radius[:, 0, 0, None] * (
            self.annulus[0]
            + (self.annulus[1] - self.annulus[0]) * torch.rand(n, k, generator=gen, dtype=dtype)
        )
        phi = 2 * math.pi * torch.rand(n, k, generator=gen, dtype=dtype)
        return (
            point_einstein_radius(mass, *self.distances).to(dtype),
            r * torch.cos(phi),
            r * torch.sin(phi),
            mask,
        )

    def _vortices(self, gen, n, radius, dtype):
        """Einstein radii and positions (n, K) of the point masses along the vortices."""
        k = self.vortex_points
        ring = radius[:, 0, 0] * (
            self.annulus[0]
            + (self.annulus[1] - self.annulus[0]) * torch.rand(n, generator=gen, dtype=dtype)
        )
        where = 2 * math.pi * torch.rand(n, generator=gen, dtype=dtype)
        along = math.pi * torch.rand(n, generator=gen, dtype=dtype)
        length = _uniform(gen, n, self.vortex_length, dtype)[:, 0, 0]
        total = _uniform(gen, n, self.vortex_mass, dtype)[:, 0, 0]
        t = (torch.arange(k, dtype=dtype) / max(k - 1, 1) - 0.5)[None, :] * length[:, None]
        x0 = ring[:, None] * torch.cos(where)[:, None] + t * torch.cos(along)[:, None]
        y0 = ring[:, None] * torch.sin(where)[:, None] + t * torch.sin(along)[:, None]
        theta = point_einstein_radius(total[:, None] / k, *self.distances).to(dtype)
        return theta.expand(n, k), x0, y0, None

    def draw(self, labels: torch.Tensor, generator: torch.Generator) -> dict[str, torch.Tensor]:
        """Random parameters of one lens system per label (0, 1, 2: :data:`CLASSES`):
        main lens, shear, source, and the point masses (Einstein radii ``theta``,
        positions ``x0``, ``y0`` and a 0/1 ``mask``, shape (n, K); all zero-masked for
        class 0). Lens and source parameters have shape (n, 1, 1)."""
        gen, dtype, n = generator, torch.float64, len(labels)
        p = {"radius": _uniform(gen, n, self.einstein_radius, dtype)}
        p["q"] = _uniform(gen, n, self.axis_ratio, dtype)
        p["angle"] = _uniform(gen, n, (0.0, math.pi), dtype)
        p["gamma1"] = _uniform(gen, n, (-self.shear, self.shear), dtype)
        p["gamma2"] = _uniform(gen, n, (-self.shear, self.shear), dtype)
        points = []
        for label, population in ((1, self._subhalos), (2, self._vortices)):
            theta, x0, y0, mask = population(gen, n, p["radius"], dtype)  # drawn for all
            chosen = (labels == label).to(dtype)[:, None]
            mask = chosen.expand_as(theta) if mask is None else mask * chosen
            points.append((theta, x0, y0, mask))
        for k, key in enumerate(("theta", "x0", "y0", "mask")):
            p[key] = torch.cat([points[0][k], points[1][k]], dim=1)
        offset = self.source_offset * torch.sqrt(torch.rand(n, 1, 1, generator=gen, dtype=dtype))
        phi = _uniform(gen, n, (0.0, 2 * math.pi), dtype)
        p["source_radius"] = _uniform(gen, n, self.source_radius, dtype)
        p["source_index"] = _uniform(gen, n, self.source_index, dtype)
        p["source_q"] = _uniform(gen, n, self.source_axis_ratio, dtype)
        p["source_angle"] = _uniform(gen, n, (0.0, math.pi), dtype)
        p["source_x"], p["source_y"] = offset * torch.cos(phi), offset * torch.sin(phi)
        return p

    def render(self, p: dict[str, torch.Tensor]) -> torch.Tensor:
        """Noise-free images (n, 1, H, W) of parameters from :meth:`draw`: ray shooting,
        pixel averaging of the supersampled rays, PSF."""
        x, y = self.grid(torch.float64)
        ax, ay = sie_deflection(x, y, p["radius"], p["q"], p["angle"])
        sx, sy = shear_deflection(x, y, p["gamma1"], p["gamma2"])
        n = len(p["radius"])
        px, py = point_deflection(
            x.expand(n, -1, -1), y.expand(n, -1, -1), p["theta"], p["x0"], p["y0"], p["mask"]
        )
        ax, ay = ax + sx + px, ay + sy + py
        image = sersic(
            x - ax,
            y - ay,
            p["source_radius"],
            p["source_index"],
            p["source_q"],
            p["source_angle"],
            p["source_x"],
            p["source_y"],
        )
        s = self.supersample
        image = torch.nn.functional.avg_pool2d(image[:, None], s) if s > 1 else image[:, None]
        kernel = self.psf_kernel(torch.float64)
        return torch.nn.functional.conv2d(image, kernel[None, None], padding=kernel.shape[-1] // 2)

    def simulate(
        self, labels: torch.Tensor, generator: torch.Generator, *, noise: bool = True
    ) -> torch.Tensor:
        """Images (n, 1, H, W) in counts / exposure above the background, one per label
        (0, 1, 2: :data:`CLASSES`), in float64."""
        image = self.render(self.draw(labels, generator))
        if not noise:
            return image
        rate = self.exposure * (image.clamp_min(0) + self.background)
        return torch.poisson(rate, generator=generator) / self.exposure - self.background
