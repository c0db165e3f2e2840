r"""Permutation-invariant (deep-set) neural-network wavefunction for bosons in a trap.

Conventions: x has shape (batch, n_particles, dim); hbar = m = 1. The network sums
one-body and two-body features before a readout, so it is symmetric under every particle
exchange:

.. math::
    \log\psi(x) = \rho\Big(\sum_i \phi(x_i),\ \sum_{i<j} \chi(r_{ij})\Big)
                  - \alpha\,\omega\,|x|^2 / 2,

with :math:`\phi, \chi, \rho` small MLPs (:class:`~physml.models.mlp.MLP`) with smooth
activations, so that the Laplacian exists away from r_ij = 0, and a learnable alpha > 0
(parameter ``log_alpha``, alpha starts at 1) for a normalisable state. The readout's last
layer starts at zero, so the initial state is exactly the oscillator ground state
:math:`e^{-\omega|x|^2/2}` (only the readout's last layer and alpha get a gradient at
that point; the rest follow after the first update).

Derivative convention (shared by every continuous wavefunction in :mod:`physml.models`):
``has_analytic_derivatives`` is False here and there is no ``derivatives`` method; the VMC
engine differentiates with autograd (see
:func:`~physml.models.wavefunctions.product_wavefunction.laplacian_by_autograd`). The output has x's
dtype; the MLPs compute in their own parameter dtype.

References:
    M. Zaheer et al., "Deep Sets", NeurIPS 2017; G. Pescia, J. Han, A. Lovato, J. Lu,
    G. Carleo, Phys. Rev. Research 4, 023138 (2022).
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from physml.checks import check_choice, check_int, check_real
from physml.models.mlp import MLP
from physml.models.wavefunctions.jastrow import pair_displacements

__all__ = ["SMOOTH_ACTIVATIONS", "DeepSetWavefunction"]

#: Activations with a continuous second derivative (the kinetic energy needs a Laplacian).
SMOOTH_ACTIVATIONS = ("tanh", "silu", "gelu", "sigmoid")


class DeepSetWavefunction(nn.Module):
    r"""Permutation-invariant deep-set wavefunction with a Gaussian envelope.

    :math:`\log\psi = \rho(\sum_i\phi(x_i), \sum_{i<j}\chi(r_{ij})) - \alpha\omega|x|^2/2`.

    Args:
        n_particles: number of particles N.
        dim: spatial dimension d.
        hidden: hidden widths shared by the three MLPs phi, chi and rho.
        omega: trap frequency (> 0) of the Gaussian envelope.
        latent: width of the one-body and two-body feature vectors.
        activation: one of :data:`SMOOTH_ACTIVATIONS`.

    Shapes:
        x (batch, n_particles, dim) -> log|psi| (batch,).

    Example:
        >>> import torch
        >>> model = DeepSetWavefunction(3, 2, (16,)).double()
        >>> x = torch.randn(5, 3, 2, dtype=torch.float64)
        >>> torch.allclose(model(x), -0.5 * (x**2).sum((1, 2)))  # initial state
        True
    """

    has_analytic_derivatives = False

    def __init__(
        self,
        n_particles: int,
        dim: int,
        hidden: Sequence[int] = (32, 32),
        *,
        omega: float = 1.0,
        latent: int = 16,
        activation: str = "tanh",
    ) -> None:
        super().__init__()
        self.n_particles = check_int("n_particles", n_particles, minimum=1)
        self.dim = check_int("dim", dim, minimum=1)
        self.latent = check_int("latent", latent, minimum=1)
        self.omega = check_real("omega", omega, positive=True)
        self.activation = check_choice("activation", activation, SMOOTH_ACTIVATIONS)
        self.hidden = tuple(check_int("hidden width", h, minimum=1) for h in hidden)
        self.phi = MLP(self.dim, self.hidden, self.latent, activation=activation)
        self.chi = MLP(1, self.hidden, self.latent, activation=activation)
        self.rho = MLP(2 * self.latent, self.hidden, 1, activation=activation)
        self.log_alpha = nn.Parameter(torch.empty(()))
        pairs = torch.triu_indices(self.n_particles, self.n_particles, 1)
        self.register_buffer("pairs", pairs, persistent=False)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        for mlp in (self.phi, self.chi, self.rho):
            mlp.reset_parameters()
        with torch.no_grad():
            readout = self.rho.net[-1]
            readout.weight.zero_()
            readout.bias.zero_()
            self.log_alpha.zero_()

    @property
    def alpha(self) -> torch.Tensor:
        """Current width alpha of the Gaussian envelope (1 at initialisation)."""
        return self.log_alpha.exp()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        _, r = pair_displacements(x, self.pairs)
        one_body = self.phi(x).sum(1)
        two_body = self.chi(r.unsqueeze(-1)).sum(1)
        out = self.rho(torch.cat([one_body, two_body], dim=-1)).squeeze(-1).to(x.dtype)
        alpha = self.log_alpha.to(x.dtype).exp()
        return out - 0.5 * alpha * self.omega * (x**2).sum((1, 2))

    def extra_repr(self) -> str:
        return (
            f"n_particles={self.n_particles}, dim={self.dim}, hidden={self.hidden}, "
            f"latent={self.latent}, omega={self.omega:g}, activation={self.activation!r}"
        )
