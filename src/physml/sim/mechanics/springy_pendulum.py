"""The springy double pendulum in d = 2 or 3 dimensions with gravity as an input vector.

Two point masses m1, m2 hang from the origin on two springs (stiffness k1, k2, rest
lengths l1, l2): the first between the origin and mass 1, the second between the masses.
Gravity is a vector g (an acceleration) that may point anywhere, so the system is
O(d)-equivariant when q, p and g rotate together (Yao et al., arXiv:2110.03761). With
q_i, p_i the positions and momenta,

    H = |p1|^2 / 2 m1 + |p2|^2 / 2 m2 + k1 (|q1| - l1)^2 / 2 + k2 (|q2 - q1| - l2)^2 / 2
        - m1 g.q1 - m2 g.q2.

States are arrays of shape (..., 4, d): rows q1, q2, p1, p2. The exact reference is the
DOP853 integration of Hamilton's equations at rtol = atol = 1e-12 (energy conserved to
1e-10 over tens of periods, tested). Units: m = l = |g| = 1 by default; the reference
period is that of a simple pendulum of length l1, 2 pi sqrt(l1 / |g|).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

__all__ = ["VERSION", "SpringyPendulum"]

VERSION = "1"


@dataclass(frozen=True)
class SpringyPendulum:
    """Parameters of the springy double pendulum (module docstring).

    Attributes:
        dim: 2 (planar) or 3.
        masses, lengths, stiffness: (m1, m2), rest lengths (l1, l2), spring constants (k1, k2).
        gravity: |g|, the magnitude of the gravity vector (its direction is per state).
    """

    dim: int = 3
    masses: tuple[float, float] = (1.0, 1.0)
    lengths: tuple[float, float] = (1.0, 1.0)
    stiffness: tuple[float, float] = (20.0, 20.0)
    gravity: float = 1.0

    def __post_init__(self) -> None:
        if self.dim not in (2, 3):
            raise ValueError(f"dim={self.dim} is not allowed: 2 (planar) or 3")
        for name in ("masses", "lengths", "stiffness"):
            values = getattr(self, name)
            if len(values) != 2 or not all(v > 0 and math.isfinite(v) for v in values):
                raise ValueError(f"{name}={values} is not allowed: two positive finite numbers")
        if not (self.gravity > 0 and math.isfinite(self.gravity)):
            raise ValueError(f"gravity={self.gravity} is not allowed: a positive number")

    @property
    def period(self) -> float:
        """Reference period 2 pi sqrt(l1 / |g|) (time unit of the reports)."""
        return 2 * math.pi * math.sqrt(self.lengths[0] / self.gravity)

    @property
    def spring_period(self) -> float:
        """Shortest uncoupled spring period 2 pi sqrt(m / k), the fastest time scale."""
        return 2 * math.pi * min(math.sqrt(m / k) for m in self.masses for k in self.stiffness)

    def energy(self, x: np.ndarray, g: np.ndarray) -> np.ndarray:
        """H of states x (..., 4, d) with gravity vectors g (..., d) -> (...)."""
        (m1, m2), (l1, l2), (k1, k2) = self.masses, self.lengths, self.stiffness
        q1, q2, p1, p2 = x[..., 0, :], x[..., 1, :], x[..., 2, :], x[..., 3, :]
        r1 = np.linalg.norm(q1, axis=-1)
        r12 = np.linalg.norm(q2 - q1, axis=-1)
        kinetic = (p1**2).sum(-1) / (2 * m1) + (p2**2).sum(-1) / (2 * m2)
        springs = 0.5 * k1 * (r1 - l1) ** 2 + 0.5 * k2 * (r12 - l2) ** 2
        return kinetic + springs - m1 * (g * q1).sum(-1) - m2 * (g * q2).sum(-1)

    def vector_field(self, x: np.ndarray, g: np.ndarray) -> np.ndarray:
        """Hamilton's equations dx/dt = (dH/dp, -dH/dq) of x (..., 4, d) -> (..., 4, d)."""
        (m1, m2), (l1, l2), (k1, k2) = self.masses, self.lengths, self.stiffness
        q1, q2, p1, p2 = x[..., 0, :], x[..., 1, :], x[..., 2, :], x[..., 3, :]
        r1 = np.linalg.norm(q1, axis=-1, keepdims=True)
        d12 = q2 - q1
        r12 = np.linalg.norm(d12, axis=-1, keepdims=True)
        spring1 = k1 * (r1 - l1) * q1 / r1  # force of spring 1 pulls mass 1 back
        spring2 = k2 * (r12 - l2) * d12 / r12  # pulls mass 2 towards mass 1
        f1 = -spring1 + spring2 + m1 * g
        f2 = -spring2 + m2 * g
        return np.stack([p1 / m1, p2 / m2, f1, f2], axis=-2)

    @staticmethod
    def positions(x: np.ndarray) -> np.ndarray:
        """Positions q1, q2 of states (..., 4, d) -> (..., 2, d)."""
        return x[..., :2, :]

    @staticmethod
    def act(x: np.ndarray, g: np.ndarray, r: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The orthogonal matrix r (d, d) acting on states (..., 4, d) and gravity (..., d):
        every vector row turned by r."""
        return x @ r.T, g @ r.T

    @staticmethod
    def act_on_derivative(dx: np.ndarray, r: np.ndarray) -> np.ndarray:
        """How the time derivative of a state turns under r: every row by r."""
        return dx @ r.T

    def initial_conditions(
        self, n: int, rng: np.random.Generator, *, max_angle: float = 1.0, speed: float = 0.3
    ) -> tuple[np.ndarray, np.ndarray]:
        """Random states and gravity vectors.

        The gravity direction is uniform on the sphere; each arm makes an angle uniform in
        [-max_angle, max_angle] (radians) with it, towards a random perpendicular
        direction, with its spring stretched by a uniform +-10 %; momenta are m * speed *
        N(0, 1) per component.

        Returns:
            x (n, 4, d) and g (n, d).
        """
        d = self.dim
        down = rng.standard_normal((n, d))
        down /= np.linalg.norm(down, axis=-1, keepdims=True)
        positions = [np.zeros((n, d))]
        for length in self.lengths:
            side = rng.standard_normal((n, d))
            side -= (side * down).sum(-1, keepdims=True) * down
            side /= np.linalg.norm(side, axis=-1, keepdims=True)
            angle = rng.uniform(-max_angle, max_angle, (n, 1))
            stretch = length * rng.uniform(0.9, 1.1, (n, 1))
            positions.append(
                positions[-1] + stretch * (np.cos(angle) * down + np.sin(angle) * side)
            )
        momenta = [m * speed * rng.standard_normal((n, d)) for m in self.masses]
        return np.stack(positions[1:] + momenta, axis=-2), self.gravity * down

    def trajectories(
        self, x0: np.ndarray, g: np.ndarray, times: np.ndarray, *, tol: float = 1e-12
    ) -> np.ndarray:
        """Exact trajectories from x0 (n, 4, d) at ``times`` (t,), starting at times[0].

        All n systems are integrated as one ODE by DOP853 at rtol = atol = ``tol``.

        Returns:
            (n, t, 4, d).
        """
        from physml.sim.mechanics.exact_flow import dop853

        shape = x0.shape

        def rhs(_t: float, y: np.ndarray) -> np.ndarray:
            return self.vector_field(y.reshape(shape), g).ravel()

        y = dop853(rhs, x0.ravel(), times, tol)
        return np.moveaxis(y.reshape(*shape, len(times)), -1, 1)
