r"""Jastrow pair-correlation factors :math:`\log J = \sum_{i<j} u(r_{ij})` in continuous space.

Conventions: x has shape (batch, n_particles, dim); hbar = m = 1; pairs are enumerated
once by ``torch.triu_indices(N, N, 1)`` (row-major: (0,1), (0,2), ..., (1,2), ...), and
per-pair parameters follow that order. :math:`r_{ij} = |x_i - x_j|`.

Analytic derivatives of a pair sum, with :math:`\hat r_{ij} = (x_i - x_j)/r_{ij}`:

.. math::
    \nabla_i \log J = \sum_{j\ne i} u'(r_{ij})\,\hat r_{ij}, \qquad
    \nabla^2 \log J = 2\sum_{i<j}\Big[u''(r_{ij}) + \frac{d-1}{r_{ij}}\,u'(r_{ij})\Big],

since :math:`\nabla^2 r = (d-1)/r` in d dimensions and both particles of a pair
contribute. They are undefined where two particles coincide (a set of measure zero that
Monte Carlo never visits). For one particle there are no pairs and log J = 0.

Derivative convention (shared by every continuous wavefunction in :mod:`physml.models`):
``has_analytic_derivatives`` is True here and ``derivatives(x)`` returns ``(log J (batch,),
grad log J (batch, N, dim), Laplacian of log J (batch,))``; callers check
``getattr(model, "has_analytic_derivatives", False)``. Computations follow x's dtype.

References:
    R. Jastrow, Phys. Rev. 98, 1479 (1955); T. Kato, Commun. Pure Appl. Math. 10, 151
    (1957) (cusp condition); M. Taut, Phys. Rev. A 48, 3561 (1993) (two electrons in a
    2D/3D oscillator, exact solution with the cusp).
"""

from __future__ import annotations

import math

import torch
from torch import nn

from physml.checks import check_int, check_n_up, check_real

__all__ = ["PadeJastrow", "SimpleJastrow", "pair_displacements"]


def pair_displacements(x: torch.Tensor, pairs: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Displacements x_i - x_j and distances r_ij for the listed pairs.

    Args:
        x: coordinates.
        pairs: long tensor of particle indices, e.g. ``torch.triu_indices(N, N, 1)``.

    Returns:
        ``(diff, r)``: diff = x[:, i] - x[:, j] and its Euclidean norm.

    Shapes:
        x (batch, N, dim), pairs (2, P) -> diff (batch, P, dim), r (batch, P).
    """
    diff = x[:, pairs[0]] - x[:, pairs[1]]
    return diff, torch.sqrt((diff**2).sum(-1))


class _PairJastrow(nn.Module):
    """Shared machinery: pair indices, forward and analytic derivatives from u, u', u''."""

    has_analytic_derivatives = True

    def __init__(self, n_particles: int, dim: int) -> None:
        super().__init__()
        self.n_particles = check_int("n_particles", n_particles, minimum=1)
        self.dim = check_int("dim", dim, minimum=1)
        self.n_pairs = self.n_particles * (self.n_particles - 1) // 2
        pairs = torch.triu_indices(self.n_particles, self.n_particles, 1)
        self.register_buffer("pairs", pairs, persistent=False)

    def _radial(self, r: torch.Tensor, order: int):
        """u(r) (order 0) or (u, u', u'') (order 2), elementwise over (batch, P)."""
        raise NotImplementedError

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        _, r = pair_displacements(x, self.pairs)
        return self._radial(r, 0).sum(-1)

    def derivatives(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Analytic ``(log J, grad log J, Laplacian of log J)``.

        Shapes:
            x (batch, n_particles, dim) -> ((batch,), (batch, n_particles, dim), (batch,)).
        """
        diff, r = pair_displacements(x, self.pairs)
        u, du, d2u = self._radial(r, 2)
        du_over_r = du / r
        pair_grad = du_over_r.unsqueeze(-1) * diff
        grad = torch.zeros_like(x).index_add(1, self.pairs[0], pair_grad)
        grad = grad.index_add(1, self.pairs[1], -pair_grad)
        lap = 2.0 * (d2u + (self.dim - 1) * du_over_r).sum(-1)
        return u.sum(-1), grad, lap


class SimpleJastrow(_PairJastrow):
    r"""Exponential Jastrow :math:`\log J = \sum_{i<j} \beta_{ij} r_{ij}`, one beta per pair.

    The betas start at zero (J = 1). With distinct betas the factor is not symmetric under
    particle exchange (a pair's beta stays with its labels); it is symmetric when all
    betas are equal.

    Args:
        n_particles: number of particles N.
        dim: spatial dimension d.

    Shapes:
        x (batch, n_particles, dim) -> log J (batch,).
    """

    def __init__(self, n_particles: int, dim: int) -> None:
        super().__init__(n_particles, dim)
        self.beta = nn.Parameter(torch.empty(self.n_pairs))
        self.reset_parameters()

    def reset_parameters(self) -> None:
        with torch.no_grad():
            self.beta.zero_()

    def _radial(self, r: torch.Tensor, order: int):
        beta = self.beta.to(r.dtype)
        u = beta * r
        if order == 0:
            return u
        return u, beta.expand_as(r), torch.zeros_like(r)

    def extra_repr(self) -> str:
        return f"n_particles={self.n_particles}, dim={self.dim}, n_pairs={self.n_pairs}"


class PadeJastrow(_PairJastrow):
    r"""Padé-Jastrow factor :math:`\log J = \sum_{i<j} a_{ij} r_{ij} / (1 + \beta r_{ij})`.

    :math:`\beta = e^{\log\beta} > 0` is learnable through the parameter ``log_beta``.

    With ``cusp=True`` the :math:`a_{ij}` are fixed by Kato's cusp condition for the
    Coulomb repulsion 1/r in d dimensions, which makes the local kinetic energy cancel the
    1/r singularity as two electrons meet: antiparallel spins :math:`a = 1/(d-1)`,
    parallel spins :math:`a = 1/(d+1)` (2D: 1 and 1/3; 3D: 1/2 and 1/4). Particles
    0..n_up-1 are spin up, the rest spin down; :meth:`pair_coefficients` lists the
    :math:`a_{ij}`, built exactly in the requested dtype. With ``cusp=False`` a single learnable
    scalar ``a`` (initialised to 0, i.e. J = 1) multiplies every pair: a soft correlation
    for bosons, symmetric under every exchange.

    Args:
        n_particles: number of particles N.
        dim: spatial dimension d (``cusp=True`` needs d >= 2).
        n_up: number of spin-up particles (default ceil(N / 2)); only used with cusp.
        cusp: fix :math:`a_{ij}` by the cusp condition, or learn one shared a.
        beta: initial :math:`\beta` (> 0).

    Shapes:
        x (batch, n_particles, dim) -> log J (batch,).

    Example:
        >>> jastrow = PadeJastrow(3, 2, n_up=2)
        >>> [round(a, 4) for a in jastrow.pair_coefficients().tolist()]  # (0,1) parallel
        [0.3333, 1.0, 1.0]
    """

    def __init__(
        self,
        n_particles: int,
        dim: int,
        *,
        n_up: int | None = None,
        cusp: bool = True,
        beta: float = 0.5,
    ) -> None:
        super().__init__(n_particles, dim)
        self.n_up = check_n_up(n_up, self.n_particles)
        if cusp and self.dim < 2:
            raise ValueError(f"cusp=True needs dim >= 2 (no finite Coulomb cusp); got dim={dim}")
        self.cusp = bool(cusp)
        self.beta_init = check_real("beta", beta, positive=True)
        self.log_beta = nn.Parameter(torch.empty(()))
        if self.cusp:
            up = torch.arange(self.n_particles) < self.n_up
            parallel = up[self.pairs[0]] == up[self.pairs[1]]
            # a boolean buffer, so that a_ij are built exactly in whatever dtype is in use
            self.register_buffer("parallel", parallel, persistent=False)
        else:
            self.a = nn.Parameter(torch.empty(()))
        self.reset_parameters()

    def reset_parameters(self) -> None:
        with torch.no_grad():
            self.log_beta.fill_(math.log(self.beta_init))
            if not self.cusp:
                self.a.zero_()

    @property
    def beta(self) -> torch.Tensor:
        """Current Padé parameter beta > 0."""
        return self.log_beta.exp()

    def pair_coefficients(self, dtype: torch.dtype | None = None) -> torch.Tensor:
        """The a_ij of every pair, in ``triu_indices`` order.

        Shapes:
            -> (n_pairs,).
        """
        if self.cusp:
            dtype = dtype or torch.get_default_dtype()
            # filled on the buffer's device (no host-to-device copy per call)
            parallel = self.parallel.new_full((), 1.0 / (self.dim + 1), dtype=dtype)
            antiparallel = self.parallel.new_full((), 1.0 / (self.dim - 1), dtype=dtype)
            return torch.where(self.parallel, parallel, antiparallel)
        return self.a.to(dtype or self.a.dtype).expand(self.n_pairs)

    def _radial(self, r: torch.Tensor, order: int):
        a = self.pair_coefficients(r.dtype) if self.cusp else self.a.to(r.dtype)
        beta = self.log_beta.to(r.dtype).exp()
        denom = 1.0 / (1.0 + beta * r)
        u = a * r * denom
        if order == 0:
            return u
        du = a * denom**2
        return u, du, -2.0 * beta * du * denom

    def extra_repr(self) -> str:
        spins = f", n_up={self.n_up}" if self.cusp else ""
        return (
            f"n_particles={self.n_particles}, dim={self.dim}{spins}, cusp={self.cusp}, "
            f"beta={self.beta_init:g}"
        )
