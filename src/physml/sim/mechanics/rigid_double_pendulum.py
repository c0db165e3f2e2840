"""The rigid planar double pendulum, in angles and their conjugate momenta, with gravity
as an in-plane input vector.

Two point masses m1, m2 on massless rigid rods of lengths l1, l2: the first rod from the
origin to mass 1, the second from mass 1 to mass 2. The angles theta_i are measured from
the fixed x axis, q1 = l1 (cos theta1, sin theta1), q2 = q1 + l2 (cos theta2, sin theta2),
and gravity g = |g| (cos gamma, sin gamma) points anywhere in the plane. With
D = theta1 - theta2, u_i = theta_i - gamma and the mass matrix

    M = [[(m1 + m2) l1^2, m2 l1 l2 cos D], [m2 l1 l2 cos D, m2 l2^2]],

the conjugate momenta are p = M theta_dot and

    H = p^T M^-1 p / 2 - (m1 + m2) |g| l1 cos u1 - m2 |g| l2 cos u2
      = [m2 l2^2 p1^2 + (m1 + m2) l1^2 p2^2 - 2 m2 l1 l2 p1 p2 cos D]
        / [2 m2 l1^2 l2^2 (m1 + m2 sin^2 D)] - (m1 + m2) |g| l1 cos u1 - m2 |g| l2 cos u2.

O(2) acts on (theta, p, g): a rotation by phi shifts both angles by phi and turns g; a
reflection about the line at angle beta maps theta_i -> 2 beta - theta_i, p_i -> -p_i and
reflects g. Both leave H unchanged (H depends on u_i through cos u_i and on p through a
form even under p -> -p) and the reflection is canonical (dtheta ^ dp is unchanged), so
Hamilton's flow is O(2)-equivariant (tested).

States are arrays of shape (..., 4, 1): rows theta1, theta2, p1, p2 (one component each,
so that the learned fields of :mod:`physml.models.dynamics` take them as 4 "vectors" in
d = 1 beside the 2-vector g). The exact reference is DOP853 on Hamilton's equations at
rtol = atol = 1e-12 (energy conserved to 1e-10 over tens of periods, tested). Units:
m = l = |g| = 1 by default; the reference period is 2 pi sqrt(l1 / |g|). Small
oscillations with m1 = m2, l1 = l2 have omega^2 = (|g| / l)(2 -+ sqrt 2) (tested).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

__all__ = ["VERSION", "RigidDoublePendulum"]

VERSION = "1"


@dataclass(frozen=True)
class RigidDoublePendulum:
    """Parameters of the rigid planar double pendulum (module docstring).

    Attributes:
        masses, lengths: (m1, m2) and the rod lengths (l1, l2).
        gravity: |g|, the magnitude of the gravity vector (its direction is per state).
    """

    masses: tuple[float, float] = (1.0, 1.0)
    lengths: tuple[float, float] = (1.0, 1.0)
    gravity: float = 1.0
    dim: int = 2
    """Dimension of the plane the gravity vector and the masses live in (always 2)."""

    def __post_init__(self) -> None:
        if self.dim != 2:
            raise ValueError(
                f"dim={self.dim} is not allowed: the rigid double pendulum is planar, 2"
            )
        for name in ("masses", "lengths"):
            values = getattr(self, name)
            if len(values) != 2 or not all(v > 0 and math.isfinite(v) for v in values):
                raise ValueError(f"{name}={values} is not allowed: two positive finite numbers")
        if not (self.gravity > 0 and math.isfinite(self.gravity)):
            raise ValueError(f"gravity={self.gravity} is not allowed: a positive number")

    @property
    def period(self) -> float:
        """Reference period 2 pi sqrt(l1 / |g|) (time unit of the reports)."""
        return 2 * math.pi * math.sqrt(self.lengths[0] / self.gravity)

    def normal_mode_frequencies(self) -> tuple[float, float]:
        """Angular frequencies of the small oscillations about the hanging state,
        from det(K - omega^2 M0) = 0 with M0 = M(D = 0), K = diag((m1 + m2) g l1, m2 g l2)."""
        (m1, m2), (l1, l2), g = self.masses, self.lengths, self.gravity
        a, b, c = (m1 + m2) * l1**2, m2 * l1 * l2, m2 * l2**2
        k1, k2 = (m1 + m2) * g * l1, m2 * g * l2
        # (a c - b^2) w^4 - (a k2 + c k1) w^2 + k1 k2 = 0
        quad, lin, const = a * c - b * b, -(a * k2 + c * k1), k1 * k2
        root = math.sqrt(lin * lin - 4 * quad * const)
        low, high = ((-lin - root) / (2 * quad), (-lin + root) / (2 * quad))
        return math.sqrt(low), math.sqrt(high)

    @staticmethod
    def _split(x: np.ndarray, g: np.ndarray):
        theta1, theta2, p1, p2 = (x[..., i, 0] for i in range(4))
        gamma = np.arctan2(g[..., 1], g[..., 0])
        return theta1, theta2, p1, p2, gamma, np.linalg.norm(g, axis=-1)

    def energy(self, x: np.ndarray, g: np.ndarray) -> np.ndarray:
        """H of states x (..., 4, 1) with gravity vectors g (..., 2) -> (...)."""
        (m1, m2), (l1, l2) = self.masses, self.lengths
        theta1, theta2, p1, p2, gamma, gn = self._split(x, g)
        d = theta1 - theta2
        kinetic = (
            m2 * l2**2 * p1**2 + (m1 + m2) * l1**2 * p2**2 - 2 * m2 * l1 * l2 * p1 * p2 * np.cos(d)
        ) / (2 * m2 * l1**2 * l2**2 * (m1 + m2 * np.sin(d) ** 2))
        potential = -(m1 + m2) * gn * l1 * np.cos(theta1 - gamma) - m2 * gn * l2 * np.cos(
            theta2 - gamma
        )
        return kinetic + potential

    def vector_field(self, x: np.ndarray, g: np.ndarray) -> np.ndarray:
        """Hamilton's equations dx/dt = (dH/dp, -dH/dtheta) of x (..., 4, 1) -> (..., 4, 1)."""
        (m1, m2), (l1, l2) = self.masses, self.lengths
        theta1, theta2, p1, p2, gamma, gn = self._split(x, g)
        d = theta1 - theta2
        cos, sin = np.cos(d), np.sin(d)
        den = m1 + m2 * sin**2
        dtheta1 = (l2 * p1 - l1 * p2 * cos) / (l1**2 * l2 * den)
        dtheta2 = (-m2 * l2 * p1 * cos + (m1 + m2) * l1 * p2) / (m2 * l1 * l2**2 * den)
        c1 = p1 * p2 * sin / (l1 * l2 * den)
        c2 = (
            (m2 * l2**2 * p1**2 + (m1 + m2) * l1**2 * p2**2 - 2 * m2 * l1 * l2 * p1 * p2 * cos)
            * np.sin(2 * d)
            / (2 * l1**2 * l2**2 * den**2)
        )
        dp1 = -(m1 + m2) * gn * l1 * np.sin(theta1 - gamma) - c1 + c2
        dp2 = -m2 * gn * l2 * np.sin(theta2 - gamma) + c1 - c2
        return np.stack([dtheta1, dtheta2, dp1, dp2], axis=-1)[..., None]

    def mass_matrix(self, theta: np.ndarray) -> np.ndarray:
        """M(theta) of angles (..., 2) -> (..., 2, 2); p = M theta_dot."""
        (m1, m2), (l1, l2) = self.masses, self.lengths
        off = m2 * l1 * l2 * np.cos(theta[..., 0] - theta[..., 1])
        diag1 = np.full_like(off, (m1 + m2) * l1**2)
        diag2 = np.full_like(off, m2 * l2**2)
        return np.stack([np.stack([diag1, off], -1), np.stack([off, diag2], -1)], -2)

    def positions(self, x: np.ndarray) -> np.ndarray:
        """Cartesian positions q1, q2 of states (..., 4, 1) -> (..., 2, 2)."""
        (l1, l2) = self.lengths
        theta1, theta2 = x[..., 0, 0], x[..., 1, 0]
        q1 = l1 * np.stack([np.cos(theta1), np.sin(theta1)], -1)
        q2 = q1 + l2 * np.stack([np.cos(theta2), np.sin(theta2)], -1)
        return np.stack([q1, q2], -2)

    @staticmethod
    def act(x: np.ndarray, g: np.ndarray, r: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The orthogonal 2 x 2 matrix r acting on states (..., 4, 1) and gravity (..., 2):
        theta_i -> phi + s theta_i, p_i -> s p_i, g -> r g, with s = det r and phi the
        angle of r's first column (module docstring)."""
        s = float(np.sign(np.linalg.det(r)))
        phi = float(np.arctan2(r[1, 0], r[0, 0]))
        out = s * x
        out[..., :2, :] += phi
        return out, g @ r.T

    @staticmethod
    def act_on_derivative(dx: np.ndarray, r: np.ndarray) -> np.ndarray:
        """How the time derivative of a state turns under r: multiplied by det r."""
        return float(np.sign(np.linalg.det(r))) * dx

    def initial_conditions(
        self, n: int, rng: np.random.Generator, *, max_angle: float = 1.0, speed: float = 0.3
    ) -> tuple[np.ndarray, np.ndarray]:
        """Random states and gravity vectors.

        The gravity direction gamma is uniform on the circle; each rod makes an angle
        uniform in [-max_angle, max_angle] (radians) with it; the angular velocities are
        speed * N(0, 1) (in units of sqrt(|g| / l1)), turned into momenta by p = M theta_dot.

        Returns:
            x (n, 4, 1) and g (n, 2).
        """
        gamma = rng.uniform(0.0, 2 * math.pi, n)
        theta = gamma[:, None] + rng.uniform(-max_angle, max_angle, (n, 2))
        omega = speed * math.sqrt(self.gravity / self.lengths[0]) * rng.standard_normal((n, 2))
        p = (self.mass_matrix(theta) @ omega[..., None])[..., 0]
        x = np.concatenate([theta, p], axis=-1)[..., None]
        return x, self.gravity * np.stack([np.cos(gamma), np.sin(gamma)], -1)

    def trajectories(
        self, x0: np.ndarray, g: np.ndarray, times: np.ndarray, *, tol: float = 1e-12
    ) -> np.ndarray:
        """Exact trajectories from x0 (n, 4, 1) at ``times`` (t,), starting at times[0].

        All n systems are integrated as one ODE by DOP853 at rtol = atol = ``tol``.

        Returns:
            (n, t, 4, 1).
        """
        from physml.sim.mechanics.exact_flow import dop853

        shape = x0.shape

        def rhs(_t: float, y: np.ndarray) -> np.ndarray:
            return self.vector_field(y.reshape(shape), g).ravel()

        y = dop853(rhs, x0.ravel(), times, tol)
        return np.moveaxis(y.reshape(*shape, len(times)), -1, 1)
