r"""The toy parton shower's parameters and emission density: the leading-order splitting
functions with colour factors C_F and C_A, the Poisson intensity of emissions and the mean
multiplicity, in closed form.

Conventions and the model are those of :mod:`physml.sim.collider.jets` (which samples
jets from this density and re-exports everything here): pT in GeV, angles in radians, z
the momentum fraction of an emission, theta its angle to the jet axis, psi its azimuth.

Example:
    >>> from physml.sim.collider import shower
    >>> round(shower.mean_multiplicity("gluon") / shower.mean_multiplicity("quark"), 3)
    2.562
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass

import numpy as np

from physml.checks import check_choice, check_int, check_real

__all__ = [
    "CASIMIRS",
    "FLAVOURS",
    "SHAPES",
    "Shower",
    "emission_density",
    "mean_multiplicity",
    "splitting_function",
]

#: Jet flavours, named by the hard parton.
FLAVOURS = ("quark", "gluon")
#: Emission z-shapes: the leading-order splitting functions, or their common soft limit.
SHAPES = ("splitting", "soft")
#: Colour factors C_F = 4/3 and C_A = 3 of SU(3).
CASIMIRS = {"quark": 4.0 / 3.0, "gluon": 3.0}

_T_R = 0.5
_TWO_PI = 2.0 * math.pi


# --------------------------------------------------------------------------- parameters


@dataclass(frozen=True)
class Shower:
    """Parameters of the toy shower (validated; see the module docstring for meanings).

    Args:
        alpha_s: fixed strong coupling, in (0, 1).
        radius: jet radius R, in (theta_min, 1].
        z_cut: soft cut-off on the emission's momentum fraction, in (0, 1/2).
        theta_min: collinear cut-off on the emission angle, in (0, R).
        shape: ``"splitting"`` (leading-order splitting functions) or ``"soft"``
            (P_i = 2 C_i / z; the Casimir-scaling limit, where multiplicity is optimal).
        n_flavours: light quark flavours n_f in the g -> q qbar term, 0..6 (``"splitting"``
            only).
        pt_min: lower end of the hard parton's pT window (GeV, > 0).
        pt_max: upper end (GeV, >= pt_min; equal for a fixed pT).
        eta_max: the jet axis has eta uniform in [-eta_max, eta_max] (>= 0).

    Example:
        >>> Shower(z_cut=0.6)
        Traceback (most recent call last):
        ...
        ValueError: z_cut=0.6 is not allowed: expected a real number in (0, 1/2)
    """

    alpha_s: float = 0.12
    radius: float = 0.4
    z_cut: float = 0.01
    theta_min: float = 0.01
    shape: str = "splitting"
    n_flavours: int = 5
    pt_min: float = 500.0
    pt_max: float = 550.0
    eta_max: float = 2.0

    def __post_init__(self) -> None:
        radius = _check_interval("radius", self.radius, 0.0, 1.0, "(0, 1]")
        values = {
            "alpha_s": _check_interval("alpha_s", self.alpha_s, 0.0, 1.0, "(0, 1)", open_high=True),
            "radius": radius,
            "z_cut": _check_interval("z_cut", self.z_cut, 0.0, 0.5, "(0, 1/2)", open_high=True),
            "theta_min": _check_interval(
                "theta_min", self.theta_min, 0.0, radius, f"(0, radius={radius!r})", open_high=True
            ),
            "n_flavours": check_int("n_flavours", self.n_flavours, minimum=0, maximum=6),
            "pt_min": check_real("pt_min", self.pt_min, positive=True),
            "eta_max": check_real("eta_max", self.eta_max, nonnegative=True),
        }
        values["pt_max"] = _check_interval(
            "pt_max",
            self.pt_max,
            values["pt_min"],
            math.inf,
            f"[pt_min={values['pt_min']!r}, inf)",
            open_low=False,
        )
        check_choice("shape", self.shape, SHAPES)
        for name, value in values.items():
            object.__setattr__(self, name, value)


def _check_interval(
    name: str, value, low: float, high: float, allowed: str, *, open_low=True, open_high=False
) -> float:
    """``value`` as a float if it is a finite real in the interval, named ``allowed``."""
    ok = isinstance(value, numbers.Real) and not isinstance(value, bool)
    ok = ok and math.isfinite(value)
    ok = ok and (value > low if open_low else value >= low)
    ok = ok and (value < high if open_high else value <= high)
    if not ok:
        raise ValueError(f"{name}={value!r} is not allowed: expected a real number in {allowed}")
    return float(value)


def _shower(shower) -> Shower:
    if shower is None:
        return Shower()
    if not isinstance(shower, Shower):
        raise TypeError(f"shower must be a Shower or None, got {type(shower).__name__}")
    return shower


# --------------------------------------------------------------------------- densities


def splitting_function(z, flavour: str, *, shower: Shower | None = None) -> np.ndarray:
    """The z-shape P_i(z) of the emission density, colour factor included.

    Args:
        z: momentum fraction(s) of the emission, any shape; values in (0, 1).
        flavour: ``"quark"`` or ``"gluon"``.
        shower: the parameters (``shape``, ``n_flavours``); None for the defaults.

    Returns:
        P_i(z), float64, the shape of ``z`` (no support cut: see :func:`emission_density`).
    """
    flavour = check_choice("flavour", flavour, FLAVOURS)
    shower = _shower(shower)
    z = np.asarray(z, dtype=np.float64)
    c = CASIMIRS[flavour]
    if shower.shape == "soft":
        return 2.0 * c / z
    if flavour == "quark":
        return c * (1.0 + (1.0 - z) ** 2) / z
    y = 1.0 - z
    gg = 2.0 * c * (z / y + y / z + z * y)
    return gg + 2.0 * shower.n_flavours * _T_R * (z * z + y * y)


def emission_density(
    z, theta, azimuth, flavour: str, *, shower: Shower | None = None
) -> np.ndarray:
    """The intensity rho_i(z, theta, psi) of the emission process (zero off its support).

    Args:
        z: momentum fraction; theta: angle to the axis; azimuth: psi about the axis.
            Arrays broadcast together.
        flavour: ``"quark"`` or ``"gluon"``.
        shower: the parameters; None for the defaults.

    Returns:
        (alpha_s / pi) P_i(z) / theta / (2 pi) on z_cut <= z <= 1/2, theta_min <= theta <=
        R, 0 <= psi < 2 pi, else 0; float64 of the broadcast shape.
    """
    shower = _shower(shower)
    z, theta, azimuth = np.broadcast_arrays(
        *(np.asarray(a, dtype=np.float64) for a in (z, theta, azimuth))
    )
    inside = _inside(z, theta, azimuth, shower)
    out = np.zeros(z.shape)
    p = splitting_function(z[inside], flavour, shower=shower)
    out[inside] = shower.alpha_s / math.pi * p / theta[inside] / _TWO_PI
    return out


def _inside(z, theta, azimuth, shower: Shower) -> np.ndarray:
    return (
        (z >= shower.z_cut)
        & (z <= 0.5)
        & (theta >= shower.theta_min)
        & (theta <= shower.radius)
        & (azimuth >= 0.0)
        & (azimuth < _TWO_PI)
    )


def _z_integral(flavour: str, shower: Shower) -> float:
    """int_{z_cut}^{1/2} P_i(z) dz in closed form."""
    c = CASIMIRS[flavour]
    a = shower.z_cut
    if shower.shape == "soft":
        return 2.0 * c * math.log(0.5 / a)

    def quark(z):  # antiderivative of (1 + (1 - z)^2) / z
        return 2.0 * math.log(z) - 2.0 * z + z * z / 2.0

    def gg(z):  # of z / (1 - z) + (1 - z) / z + z (1 - z)
        return -math.log1p(-z) + math.log(z) - 2.0 * z + z * z / 2.0 - z**3 / 3.0

    def qq(z):  # of z^2 + (1 - z)^2
        return 2.0 * z**3 / 3.0 - z * z + z

    if flavour == "quark":
        return c * (quark(0.5) - quark(a))
    return 2.0 * c * (gg(0.5) - gg(a)) + 2.0 * shower.n_flavours * _T_R * (qq(0.5) - qq(a))


def mean_multiplicity(flavour: str, *, shower: Shower | None = None) -> float:
    """Exact mean number of emissions Lambda_i, the integral of the emission density.

    Lambda_i = (alpha_s / pi) ln(R / theta_min) int_{z_cut}^{1/2} P_i(z) dz, with the z
    integral in closed form. In the soft limit Lambda_g / Lambda_q = C_A / C_F = 9/4.

    Args:
        flavour: ``"quark"`` or ``"gluon"``.
        shower: the parameters; None for the defaults.

    Returns:
        Lambda_i (the multiplicity is Poisson with this mean).
    """
    flavour = check_choice("flavour", flavour, FLAVOURS)
    shower = _shower(shower)
    log_theta = math.log(shower.radius / shower.theta_min)
    return shower.alpha_s / math.pi * log_theta * _z_integral(flavour, shower)
