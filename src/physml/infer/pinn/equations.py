r"""The PDEs physml's physics-informed tasks fit (each a :class:`.problems.PDEProblem`).

- :class:`Burgers`: u_t + u u_x = nu u_xx on [0, 1] x [-1, 1], u(0, x) = -sin(pi x),
  u(t, +-1) = 0 built in exactly: u = -sin(pi x) + t (1 - x^2) N(t, x).
- :class:`BurgersInverse`: u_t + l1 u u_x - l2 u_xx = 0 with l1, l2 = exp(s) trainable,
  fitted to observations of u (no constraint built in; Raissi et al., J. Comput. Phys.
  378, 686 (2019)).
- :class:`Poisson2d`: -(u_xx + u_yy) = f on [0, 1]^2 with u = 0 on the edge built in
  exactly: u = x (1 - x) y (1 - y) N(x, y); f from a manufactured solution.
- :class:`NavierStokesInverse`: incompressible 2D Navier-Stokes, fields (u, v, p),
  [u_t +] l1 (u . grad) u = -grad p + l2 lap u and div u = 0, steady on (x, y) or
  unsteady on (t, x, y), l1 and l2 = exp(s) trainable, fitted to scattered velocities.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import torch
from torch import nn

from physml.infer.pinn.problems import PDEProblem

__all__ = ["Burgers", "BurgersInverse", "NavierStokesInverse", "Poisson2d"]


class _Observed(PDEProblem):
    """A problem with observed fields at ``data_points`` (a data loss on some outputs)."""

    def __init__(self, data_points: torch.Tensor, data_values: torch.Tensor) -> None:
        super().__init__()
        self.register_buffer("data_points", data_points)
        self.register_buffer("data_values", data_values)

    def soft_loss(self, field) -> dict[str, torch.Tensor]:
        predicted = field(self.data_points)[:, : self.data_values.shape[1]]
        return {"data": ((predicted - self.data_values) ** 2).mean()}


class Burgers(PDEProblem):
    """Forward viscous Burgers (hard initial and boundary conditions)."""

    second = 1

    def __init__(self, nu: float, t_max: float = 1.0) -> None:
        super().__init__()
        self.nu = nu
        self.lower, self.upper = (0.0, -1.0), (t_max, 1.0)

    def output(self, z: torch.Tensor, raw: torch.Tensor) -> torch.Tensor:
        t, x = z[:, :1], z[:, 1:]
        return -torch.sin(math.pi * x) + t * (1.0 - x**2) * raw

    def residual(self, z, u, jac, hess) -> torch.Tensor:
        u_t, u_x, u_xx = jac[:, 0, 0], jac[:, 0, 1], hess[:, 0, 1]
        return (u_t + u[:, 0] * u_x - self.nu * u_xx)[:, None]


class BurgersInverse(_Observed):
    """Burgers with unknown l1 (advection) and l2 = exp(s) (viscosity), from observed u."""

    second = 1

    def __init__(self, data_points: torch.Tensor, data_values: torch.Tensor) -> None:
        super().__init__(data_points, data_values)
        self.lower, self.upper = (0.0, -1.0), (1.0, 1.0)
        self.lambda_1 = nn.Parameter(torch.zeros((), dtype=data_values.dtype))
        self.log_lambda_2 = nn.Parameter(torch.full((), -6.0, dtype=data_values.dtype))

    def coefficients(self) -> dict[str, float]:
        return {
            "lambda_1": float(self.lambda_1.detach()),
            "lambda_2": float(self.log_lambda_2.detach().exp()),
        }

    def residual(self, z, u, jac, hess) -> torch.Tensor:
        u_t, u_x, u_xx = jac[:, 0, 0], jac[:, 0, 1], hess[:, 0, 1]
        l2 = self.log_lambda_2.exp()
        return (u_t + self.lambda_1 * u[:, 0] * u_x - l2 * u_xx)[:, None]


class Poisson2d(PDEProblem):
    """-(u_xx + u_yy) = f on the unit square, zero Dirichlet data built in."""

    def __init__(self, modes: Mapping[tuple[int, int], float]) -> None:
        super().__init__()
        self.modes = dict(modes)
        self.lower, self.upper = (0.0, 0.0), (1.0, 1.0)

    def output(self, z: torch.Tensor, raw: torch.Tensor) -> torch.Tensor:
        x, y = z[:, :1], z[:, 1:]
        return x * (1.0 - x) * y * (1.0 - y) * raw

    def residual(self, z, u, jac, hess) -> torch.Tensor:
        from physml.sim.pde.linear_pdes import poisson_source

        f = poisson_source(z[:, 0], z[:, 1], modes=self.modes).to(u)
        return (-(hess[:, 0, 0, 0] + hess[:, 0, 1, 1]) - f)[:, None]


class NavierStokesInverse(_Observed):
    """2D Navier-Stokes with unknown l1 and l2 = exp(s), from observed (u, v).

    Coordinates (x, y), or (t, x, y) when ``unsteady`` (then u_t enters the momentum
    residual and fixes the scale of l1, l2 and p that a steady flow leaves free)."""

    n_fields = 3

    def __init__(self, data_points, data_values, lower, upper, *, unsteady: bool = False) -> None:
        super().__init__(data_points, data_values)
        self.lower, self.upper = tuple(lower), tuple(upper)
        self.unsteady = unsteady
        self.lambda_1 = nn.Parameter(torch.zeros((), dtype=data_values.dtype))
        self.log_lambda_2 = nn.Parameter(torch.full((), -4.0, dtype=data_values.dtype))

    def coefficients(self) -> dict[str, float]:
        return {
            "lambda_1": float(self.lambda_1.detach()),
            "lambda_2": float(self.log_lambda_2.detach().exp()),
        }

    def residual(self, z, u, jac, hess) -> torch.Tensor:
        l1, l2 = self.lambda_1, self.log_lambda_2.exp()
        x, y = (1, 2) if self.unsteady else (0, 1)
        vel = u[:, :2]
        grad = jac[:, :2, [x, y]]  # (N, 2 velocity components, 2 positions)
        advection = (grad * vel[:, None, :]).sum(-1)
        laplacian = hess[:, :2, x, x] + hess[:, :2, y, y]
        momentum = l1 * advection + jac[:, 2, [x, y]] - l2 * laplacian
        if self.unsteady:
            momentum = momentum + jac[:, :2, 0]
        continuity = grad[:, 0, 0] + grad[:, 1, 1]
        return torch.cat([momentum, continuity[:, None]], dim=1)
