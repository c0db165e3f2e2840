"""Learned vector fields dx/dt = f(x, g) of n point masses in d dimensions.

Every model takes states x of shape (batch, 2n, d) (rows q_1..q_n, then p_1..p_n) and a
gravity (or any external) vector g of shape (batch, d), and returns dx/dt of shape
(batch, 2n, d):

- :class:`StateMLP`: an MLP from the flattened (x, g) to dx/dt (the baseline);
- :class:`HamiltonianNN`: an MLP H(x, g) and Hamilton's equations dq/dt = dH/dp,
  dp/dt = -dH/dq (Greydanus, Dzamba & Yosinski, NeurIPS 2019);
- :class:`LagrangianNN`: L(q, v, g) = free kinetic term + an MLP, with v = p / m and
  the Euler-Lagrange acceleration a = (d2L/dv2)^-1 (dL/dq - d2L/dv dq v) (Cranmer et
  al., arXiv:2003.04630; non-finite where the learned d2L/dv2 is singular);
- :class:`InvariantScalarHNN`: H an MLP of the dot products of {q_i, p_i, g} only, so H is
  O(d)-invariant and the vector field exactly O(d)-equivariant (Villar et al.,
  arXiv:2106.06610; Yao et al., arXiv:2110.03761).
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from physml.models.mlp import MLP

__all__ = ["HamiltonianNN", "InvariantScalarHNN", "LagrangianNN", "StateMLP"]


class _Field(nn.Module):
    def __init__(self, n_bodies: int, dim: int) -> None:
        super().__init__()
        if n_bodies < 1 or dim < 1:
            raise ValueError(f"n_bodies={n_bodies}, dim={dim} are not allowed: both >= 1")
        self.n_bodies, self.dim = n_bodies, dim

    def _flat(self, x: torch.Tensor, g: torch.Tensor) -> torch.Tensor:
        return torch.cat([x.flatten(1), g], dim=-1)


class StateMLP(_Field):
    """MLP from (x, g) to dx/dt (module docstring), tanh hidden layers of ``hidden``."""

    def __init__(self, n_bodies: int, dim: int, hidden: Sequence[int] = (128, 128)) -> None:
        super().__init__(n_bodies, dim)
        self.net = MLP((2 * n_bodies + 1) * dim, hidden, 2 * n_bodies * dim, activation="tanh")

    def forward(self, x: torch.Tensor, g: torch.Tensor) -> torch.Tensor:
        return self.net(self._flat(x, g)).reshape(x.shape)


class _Hamiltonian(_Field):
    def energy(self, x: torch.Tensor, g: torch.Tensor) -> torch.Tensor:
        """The learned H(x, g), shape (batch,)."""
        raise NotImplementedError

    def forward(self, x: torch.Tensor, g: torch.Tensor) -> torch.Tensor:
        train = torch.is_grad_enabled()  # keep the graph only where parameters learn
        with torch.enable_grad():
            x = x if x.requires_grad else x.detach().requires_grad_(True)
            (grad,) = torch.autograd.grad(self.energy(x, g).sum(), x, create_graph=train)
        n = self.n_bodies
        return torch.cat([grad[:, n:], -grad[:, :n]], dim=1)


class HamiltonianNN(_Hamiltonian):
    """H(x, g) an MLP of the flattened state and g; Hamilton's equations by autograd."""

    def __init__(self, n_bodies: int, dim: int, hidden: Sequence[int] = (128, 128)) -> None:
        super().__init__(n_bodies, dim)
        self.net = MLP((2 * n_bodies + 1) * dim, hidden, 1, activation="tanh")

    def energy(self, x: torch.Tensor, g: torch.Tensor) -> torch.Tensor:
        return self.net(self._flat(x, g)).squeeze(-1)


class InvariantScalarHNN(_Hamiltonian):
    """H an MLP of the (2n + 1)(2n + 2) / 2 dot products of the vectors q_i, p_i and g.

    Rotating or reflecting every vector by one orthogonal R leaves the dot products, hence
    H, unchanged, and dx/dt = J grad H turns with R: exactly O(d)-equivariant.
    """

    def __init__(self, n_bodies: int, dim: int, hidden: Sequence[int] = (128, 128)) -> None:
        super().__init__(n_bodies, dim)
        k = 2 * n_bodies + 1
        rows, cols = torch.triu_indices(k, k)
        self.register_buffer("rows", rows, persistent=False)
        self.register_buffer("cols", cols, persistent=False)
        self.net = MLP(len(rows), hidden, 1, activation="tanh")

    def energy(self, x: torch.Tensor, g: torch.Tensor) -> torch.Tensor:
        vectors = torch.cat([x, g[:, None, :]], dim=1)
        gram = vectors @ vectors.transpose(1, 2)
        return self.net(gram[:, self.rows, self.cols]).squeeze(-1)


class LagrangianNN(_Field):
    """L(q, v, g) = sum m_i |v_i|^2 / 2 + an MLP; accelerations from the Euler-Lagrange
    equations (module docstring). The free-particle term keeps d2L/dv2 invertible at
    initialisation (a random MLP alone gives a near-singular one and diverging first
    steps; Cranmer et al. tune the initialisation instead); the MLP can still learn any
    Lagrangian.

    Args:
        masses: one mass per body, to turn momenta into velocities (v = p / m) and
            accelerations into forces (dp/dt = m a).
    """

    def __init__(
        self, n_bodies: int, dim: int, masses: Sequence[float], hidden: Sequence[int] = (128, 128)
    ) -> None:
        super().__init__(n_bodies, dim)
        if len(masses) != n_bodies or min(masses) <= 0:
            raise ValueError(f"masses={list(masses)} is not allowed: {n_bodies} positive values")
        self.register_buffer("masses", torch.tensor(list(masses)), persistent=False)
        self.net = MLP((2 * n_bodies + 1) * dim, hidden, 1, activation="tanh")

    def _lagrangian(self, z: torch.Tensor, g: torch.Tensor) -> torch.Tensor:
        v = z[self.n_bodies * self.dim :]
        free = 0.5 * (self.masses.to(z.dtype).repeat_interleave(self.dim) * v * v).sum()
        return free + self.net(torch.cat([z, g])).squeeze(-1)

    def forward(self, x: torch.Tensor, g: torch.Tensor) -> torch.Tensor:
        from torch.func import grad, jacfwd, vmap

        n, d = self.n_bodies, self.dim
        m = self.masses.to(x.dtype)[:, None]
        q, v = x[:, :n], x[:, n:] / m
        z = torch.cat([q, v], dim=1).flatten(1)

        def gradient(z1, g1):
            d = grad(self._lagrangian)(z1, g1)
            return d, d

        # the Hessian as the forward Jacobian of the gradient, which comes along as aux
        hess, dz = vmap(jacfwd(gradient, has_aux=True))(z, g)
        nd = n * d
        rhs = dz[:, :nd] - (hess[:, nd:, :nd] @ v.flatten(1)[:, :, None]).squeeze(-1)
        # a singular learned d2L/dv2 (off the training states) gives non-finite
        # accelerations rather than an exception: a rollout through it has diverged
        a, _ = torch.linalg.solve_ex(hess[:, nd:, nd:], rhs)
        a = a.reshape(-1, n, d)
        return torch.cat([v, m * a], dim=1)
