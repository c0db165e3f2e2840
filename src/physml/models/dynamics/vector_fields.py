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
  arXiv:2106.06610; Yao et al., arXiv:2110.03761);
- :class:`AngleInvariantHNN`: the same for n planar angles and their conjugate momenta
  (states (batch, 2n, 1)) beside an in-plane g: H an MLP of O(2) invariants only (the
  rigid planar double pendulum).

The MLP, HNN and LNN take ``gravity_dim`` (default ``dim``) for a g whose length differs
from the state rows' (the rigid pendulum's angles are rows of length 1, g has 2).
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from physml.models.mlp import MLP

__all__ = ["AngleInvariantHNN", "HamiltonianNN", "InvariantScalarHNN", "LagrangianNN", "StateMLP"]


class _Field(nn.Module):
    def __init__(self, n_bodies: int, dim: int, gravity_dim: int | None = None) -> None:
        super().__init__()
        if n_bodies < 1 or dim < 1:
            raise ValueError(f"n_bodies={n_bodies}, dim={dim} are not allowed: both >= 1")
        gravity_dim = dim if gravity_dim is None else gravity_dim
        if gravity_dim < 1:
            raise ValueError(f"gravity_dim={gravity_dim} is not allowed: >= 1")
        self.n_bodies, self.dim, self.gravity_dim = n_bodies, dim, gravity_dim

    @property
    def n_inputs(self) -> int:
        """Length of the flattened (x, g)."""
        return 2 * self.n_bodies * self.dim + self.gravity_dim

    def _flat(self, x: torch.Tensor, g: torch.Tensor) -> torch.Tensor:
        return torch.cat([x.flatten(1), g], dim=-1)


class StateMLP(_Field):
    """MLP from (x, g) to dx/dt (module docstring), tanh hidden layers of ``hidden``;
    ``gravity_dim`` is the length of g (default ``dim``)."""

    def __init__(
        self,
        n_bodies: int,
        dim: int,
        hidden: Sequence[int] = (128, 128),
        gravity_dim: int | None = None,
    ) -> None:
        super().__init__(n_bodies, dim, gravity_dim)
        self.net = MLP(self.n_inputs, hidden, 2 * n_bodies * dim, activation="tanh")

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
    """H(x, g) an MLP of the flattened state and g; Hamilton's equations by autograd;
    ``gravity_dim`` is the length of g (default ``dim``)."""

    def __init__(
        self,
        n_bodies: int,
        dim: int,
        hidden: Sequence[int] = (128, 128),
        gravity_dim: int | None = None,
    ) -> None:
        super().__init__(n_bodies, dim, gravity_dim)
        self.net = MLP(self.n_inputs, hidden, 1, activation="tanh")

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


class AngleInvariantHNN(_Hamiltonian):
    """H an MLP of the O(2) invariants of n planar angles, their conjugate momenta and an
    in-plane gravity vector g; states (batch, 2n, 1): rows theta_1..theta_n, p_1..p_n.

    O(2) acts by theta_i -> phi + s theta_i, p_i -> s p_i, g -> R g (s = det R). With the
    unit vectors e_i = (cos theta_i, sin theta_i), the inputs are the scalars
    a_i = g.e_i = |g| cos u_i (u_i = theta_i - gamma), the n(n - 1)/2 products e_i.e_j =
    cos(theta_i - theta_j), and every product of two of the 2n pseudoscalars (they flip
    sign under reflections) z = (b_1..b_n, p_1..p_n), b_i = g x e_i = |g| sin(u_i)
    [n (2n + 1) products]. Complete: the orbit of (theta, p, g) is (u, p) up to the global
    sign (u, p) -> (-u, -p); a_i and z_i z_j determine it (|g|^2 = a_i^2 + b_i^2), and any
    smooth function even in z is a smooth function of the z_i z_j (Whitney 1943). The
    e_i.e_j are redundant (functions of the others) but direct. Every input is invariant, so
    H is and dx/dt = J grad H is exactly O(2)-equivariant.
    """

    def __init__(self, n_bodies: int, hidden: Sequence[int] = (128, 128)) -> None:
        super().__init__(n_bodies, 1, 2)
        k = 2 * n_bodies
        rows, cols = torch.triu_indices(k, k)
        pair_rows, pair_cols = torch.triu_indices(n_bodies, n_bodies, offset=1)
        for name, value in (
            ("rows", rows),
            ("cols", cols),
            ("pair_rows", pair_rows),
            ("pair_cols", pair_cols),
        ):
            self.register_buffer(name, value, persistent=False)
        self.net = MLP(n_bodies + len(pair_rows) + len(rows), hidden, 1, activation="tanh")

    def invariants(self, x: torch.Tensor, g: torch.Tensor) -> torch.Tensor:
        """The O(2)-invariant inputs (class docstring), shape (batch, n_inputs)."""
        n = self.n_bodies
        theta, p = x[:, :n, 0], x[:, n:, 0]
        cos, sin = torch.cos(theta), torch.sin(theta)
        gx, gy = g[:, :1], g[:, 1:]
        a = gx * cos + gy * sin
        b = gx * sin - gy * cos
        z = torch.cat([b, p], dim=1)
        pairs = z[:, :, None] * z[:, None, :]
        angles = theta[:, self.pair_rows] - theta[:, self.pair_cols]
        return torch.cat([a, torch.cos(angles), pairs[:, self.rows, self.cols]], dim=1)

    def energy(self, x: torch.Tensor, g: torch.Tensor) -> torch.Tensor:
        return self.net(self.invariants(x, g)).squeeze(-1)


class LagrangianNN(_Field):
    """L(q, v, g) = sum m_i |v_i|^2 / 2 + an MLP; accelerations from the Euler-Lagrange
    equations (module docstring). The free-particle term keeps d2L/dv2 invertible at
    initialisation (a random MLP alone gives a near-singular one and diverging first
    steps; Cranmer et al. tune the initialisation instead); the MLP can still learn any
    Lagrangian.

    Args:
        masses: one mass per body, to turn momenta into velocities (v = p / m) and
            accelerations into forces (dp/dt = m a); unit masses make the momentum rows
            plain velocities (generalised coordinates and their rates).
        gravity_dim: the length of g (default ``dim``).
    """

    def __init__(
        self,
        n_bodies: int,
        dim: int,
        masses: Sequence[float],
        hidden: Sequence[int] = (128, 128),
        gravity_dim: int | None = None,
    ) -> None:
        super().__init__(n_bodies, dim, gravity_dim)
        if len(masses) != n_bodies or min(masses) <= 0:
            raise ValueError(f"masses={list(masses)} is not allowed: {n_bodies} positive values")
        self.register_buffer("masses", torch.tensor(list(masses)), persistent=False)
        self.net = MLP(self.n_inputs, hidden, 1, activation="tanh")

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
