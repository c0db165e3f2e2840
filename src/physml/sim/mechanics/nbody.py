"""N point bodies with central pair forces |F| ∝ 1/r^k (k = 1, 2): gravity or Coulomb.

Body i has position q_i, momentum p_i, mass m_i and charge q_i' (both node features). The
force on i from j is

    F_ij = s_ij (q_i - q_j) / r_ij^(k + 1),   s_ij = -G m_i m_j (gravity, attractive)
                                               s_ij = +k_e c_i c_j (Coulomb, like charges repel)

so F_ij = -F_ji (Newton's third law, total momentum conserved) and F = -grad U with the
pair potential U_ij = s_ij / r (k = 2) or -s_ij log r (k = 1). States are arrays of shape
(..., 2n, d): rows q_1..q_n, then p_1..p_n. The exact reference is DOP853 at rtol = atol
= 1e-12 on Hamilton's equations (energy conserved to ~1e-10, momentum to rounding; tested).
Simulation units: the coupling constant (G or k_e) is 1 by default; no softening.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import numpy as np

__all__ = ["VERSION", "NBody"]

VERSION = "1"


@dataclass(frozen=True)
class NBody:
    """Parameters of the N-body system (module docstring).

    Attributes:
        n_bodies: number of bodies (>= 2).
        dim: spatial dimension (2 or 3).
        law: "gravity" (masses attract) or "coulomb" (charges; like charges repel).
        power: k in |F| ∝ 1/r^k, 1 or 2.
        constant: G or k_e in simulation units.
    """

    n_bodies: int = 4
    dim: int = 2
    law: Literal["gravity", "coulomb"] = "gravity"
    power: int = 2
    constant: float = 1.0

    def __post_init__(self) -> None:
        if self.n_bodies < 2 or self.dim not in (2, 3):
            raise ValueError(
                f"n_bodies={self.n_bodies}, dim={self.dim} are not allowed: >= 2 bodies in 2 or 3"
            )
        if self.law not in ("gravity", "coulomb") or self.power not in (1, 2):
            raise ValueError(
                f"law={self.law!r}, power={self.power} are not allowed: gravity or coulomb, 1 or 2"
            )
        if not (self.constant > 0 and math.isfinite(self.constant)):
            raise ValueError(f"constant={self.constant} is not allowed: a positive number")

    def strengths(self, masses: np.ndarray, charges: np.ndarray) -> np.ndarray:
        """s_ij of masses and charges (..., n) -> (..., n, n)."""
        if self.law == "gravity":
            return -self.constant * masses[..., :, None] * masses[..., None, :]
        return self.constant * charges[..., :, None] * charges[..., None, :]

    def pair_forces(
        self, positions: np.ndarray, masses: np.ndarray, charges: np.ndarray
    ) -> np.ndarray:
        """F_ij, the force on i from j, of positions (..., n, d) -> (..., n, n, d); 0 at i = j."""
        delta = positions[..., :, None, :] - positions[..., None, :, :]
        r = np.linalg.norm(delta, axis=-1)
        r = np.where(np.eye(self.n_bodies, dtype=bool), np.inf, r)
        scale = self.strengths(masses, charges) / r ** (self.power + 1)
        return scale[..., None] * delta

    def energy(self, x: np.ndarray, masses: np.ndarray, charges: np.ndarray) -> np.ndarray:
        """H = sum |p_i|^2 / 2 m_i + sum_{i<j} U_ij of states x (..., 2n, d) -> (...)."""
        n = self.n_bodies
        q, p = x[..., :n, :], x[..., n:, :]
        kinetic = ((p**2).sum(-1) / (2 * masses)).sum(-1)
        r = np.linalg.norm(q[..., :, None, :] - q[..., None, :, :], axis=-1)
        upper = np.triu(np.ones((n, n), dtype=bool), 1)
        s = self.strengths(masses, charges)
        r = np.where(upper, r, 1.0)
        pair = s / r if self.power == 2 else -s * np.log(r)
        return kinetic + np.where(upper, pair, 0.0).sum((-1, -2))

    def momentum(self, x: np.ndarray) -> np.ndarray:
        """Total momentum sum_i p_i of states (..., 2n, d) -> (..., d)."""
        return x[..., self.n_bodies :, :].sum(-2)

    def vector_field(self, x: np.ndarray, masses: np.ndarray, charges: np.ndarray) -> np.ndarray:
        """Hamilton's equations (p_i / m_i, sum_j F_ij) of x (..., 2n, d) -> (..., 2n, d)."""
        n = self.n_bodies
        forces = self.pair_forces(x[..., :n, :], masses, charges).sum(-2)
        return np.concatenate([x[..., n:, :] / masses[..., None], forces], axis=-2)

    def initial_conditions(
        self,
        n_systems: int,
        rng: np.random.Generator,
        *,
        box: float = 2.0,
        min_separation: float = 0.5,
        speed: float = 0.3,
        feature_range: tuple[float, float] = (0.5, 2.0),
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Random systems: positions uniform in [-box, box]^d with every pair at least
        ``min_separation`` apart (rejection), masses and charges uniform in
        ``feature_range``, momenta m_i * speed * N(0, 1) less their mean (the centre of
        mass at rest).

        Returns:
            x (n_systems, 2n, d), masses and charges (n_systems, n).
        """
        n, d = self.n_bodies, self.dim
        positions = np.empty((n_systems, n, d))
        for s in range(n_systems):
            for _ in range(10_000):
                trial = rng.uniform(-box, box, (n, d))
                gaps = np.linalg.norm(trial[:, None] - trial[None], axis=-1)
                if gaps[np.triu_indices(n, 1)].min() >= min_separation:
                    break
            else:
                raise ValueError(
                    f"min_separation={min_separation} is not allowed with box={box}: "
                    f"{n} bodies do not fit"
                )
            positions[s] = trial
        masses = rng.uniform(*feature_range, (n_systems, n))
        charges = rng.uniform(*feature_range, (n_systems, n))
        momenta = masses[..., None] * speed * rng.standard_normal((n_systems, n, d))
        momenta -= momenta.mean(1, keepdims=True)
        return np.concatenate([positions, momenta], axis=1), masses, charges

    def trajectories(
        self,
        x0: np.ndarray,
        masses: np.ndarray,
        charges: np.ndarray,
        times: np.ndarray,
        *,
        tol: float = 1e-12,
        stop_below: float | None = None,
    ) -> np.ndarray:
        """Exact trajectories from x0 (s, 2n, d) at ``times`` (t,), starting at times[0], by
        DOP853 at rtol = atol = ``tol``: all s systems as one ODE, or with ``stop_below``
        each system alone, stopped (its later states NaN) when two bodies come closer than
        ``stop_below`` (a close encounter would take the step size, and the time, to 0).

        Returns:
            (s, t, 2n, d).
        """
        if stop_below is None:
            return self._integrate(x0, masses, charges, times, tol, None)
        out = np.full((x0.shape[0], len(times), *x0.shape[1:]), np.nan)
        for s in range(x0.shape[0]):
            path = self._integrate(
                x0[s : s + 1], masses[s : s + 1], charges[s : s + 1], times, tol, stop_below
            )
            out[s, : path.shape[1]] = path[0]
        return out

    def _integrate(self, x0, masses, charges, times, tol: float, stop_below: float | None):
        from physml.sim.mechanics.exact_flow import dop853

        shape, n = x0.shape, self.n_bodies
        pairs = np.triu_indices(n, 1)

        def rhs(_t: float, y: np.ndarray) -> np.ndarray:
            return self.vector_field(y.reshape(shape), masses, charges).ravel()

        def close(_t: float, y: np.ndarray) -> float:
            q = y.reshape(shape)[0, :n]
            return np.linalg.norm(q[:, None] - q[None], axis=-1)[pairs].min() - stop_below

        y = dop853(rhs, x0.ravel(), times, tol, None if stop_below is None else close)
        return np.moveaxis(y.reshape(*shape, y.shape[-1]), -1, 1)
