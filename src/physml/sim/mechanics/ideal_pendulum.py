"""The ideal (rigid, frictionless) pendulum: a point mass m on a massless rod of length L.

With q the angle from the downward vertical (rad) and p = m L^2 dq/dt the angular
momentum (kg m^2 s^-1),

    H(q, p) = p^2 / (2 m L^2) + m g L (1 - cos q)   (J, zero at the stable equilibrium),

and Hamilton's equations dq/dt = p / (m L^2), dp/dt = -m g L sin q. States are arrays of
shape (..., 2): (q, p). The exact vector field is the reference of learned ones; the
Hamiltonian is exported as a sympy expression for symbolic recovery.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import sympy as sp

__all__ = ["IdealPendulum"]


@dataclass(frozen=True)
class IdealPendulum:
    """Mass (kg), length (m) and gravitational acceleration (m s^-2)."""

    mass: float = 1.0
    length: float = 1.0
    gravity: float = 9.80665

    def __post_init__(self) -> None:
        for name in ("mass", "length", "gravity"):
            value = getattr(self, name)
            if not (value > 0 and math.isfinite(value)):
                raise ValueError(f"{name}={value} is not allowed: a positive number")

    @staticmethod
    def hamiltonian() -> sp.Expr:
        """H of the symbols q, p, m, g, L (all positive), as in the module docstring."""
        q, p, m, g, length = sp.symbols("q p m g L", positive=True)
        return p**2 / (2 * m * length**2) + m * g * length * (1 - sp.cos(q))

    def energy(self, x: np.ndarray) -> np.ndarray:
        """H of states (..., 2) -> (...), in J."""
        m, length, g = self.mass, self.length, self.gravity
        return x[..., 1] ** 2 / (2 * m * length**2) + m * g * length * (1 - np.cos(x[..., 0]))

    def vector_field(self, x: np.ndarray) -> np.ndarray:
        """(dq/dt, dp/dt) of states (..., 2) -> (..., 2)."""
        m, length, g = self.mass, self.length, self.gravity
        return np.stack([x[..., 1] / (m * length**2), -m * g * length * np.sin(x[..., 0])], axis=-1)

    def sample_states(
        self, n: int, rng: np.random.Generator, *, max_angle: float = 2.5
    ) -> np.ndarray:
        """n states uniform over |q| <= max_angle (rad) and |p| below the momentum that
        reaches max_angle from q = 0, shape (n, 2)."""
        p_max = self.max_momentum(max_angle)
        return np.stack(
            [rng.uniform(-max_angle, max_angle, n), rng.uniform(-p_max, p_max, n)], axis=-1
        )

    def max_momentum(self, max_angle: float) -> float:
        """The momentum at q = 0 of the orbit whose turning angle is ``max_angle``:
        sqrt(2 m^2 g L^3 (1 - cos max_angle))."""
        m, length, g = self.mass, self.length, self.gravity
        return math.sqrt(2 * m**2 * g * length**3 * (1 - math.cos(max_angle)))
