r"""Gaussian-binary restricted Boltzmann machine as a wavefunction in continuous space.

The neural-network quantum state of Carleo & Troyer, adapted to particles in continuous
space as in Hjorth-Jensen's FYS5429 lecture notes. The M = n_particles * dim coordinates
are the visible units (x flattened particle-major: x_1, y_1, x_2, y_2, ...), the hidden
units are binary h_j in {0, 1}, and the energy is

.. math::
    E(x, h) = \sum_i \frac{(x_i - a_i)^2}{2\sigma^2} - \sum_j b_j h_j
              - \sum_{ij} \frac{x_i w_{ij} h_j}{\sigma^2}.

The wavefunction is the marginal :math:`\psi(x) = F_{\rm rbm}(x) = \sum_h e^{-E(x,h)}`:

.. math::
    \log\psi(x) = -\sum_i \frac{(x_i - a_i)^2}{2\sigma^2}
                  + \sum_j \operatorname{softplus}\Big(b_j + \sum_i x_i w_{ij} / \sigma^2\Big).

With W = 0, a = 0 and :math:`\sigma^2 = 1/\omega` this is exactly the non-interacting
ground state of the isotropic harmonic trap (units hbar = m = 1), whose local energy is
the constant n_particles * dim * omega / 2. The weights start small so that the initial
state is close to that Gaussian. The RBM is *not* symmetric under particle exchange.

Derivative convention (shared by every continuous wavefunction in :mod:`physml.models`):
each class has a boolean ``has_analytic_derivatives``; when it is True, ``derivatives(x)``
returns ``(log|psi| (batch,), grad log|psi| (batch, n_particles, dim), Laplacian of
log|psi| summed over all coordinates (batch,))``, vectorised over the batch and
differentiable with respect to the parameters. Callers check
``getattr(model, "has_analytic_derivatives", False)``.

Computations follow the dtype of ``x`` (parameters are cast to it).

References:
    G. Carleo and M. Troyer, Science 355, 602 (2017);
    M. Hjorth-Jensen, FYS5429/9429 lecture notes, "Boltzmann machines and quantum
    mechanics", University of Oslo.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from physml.checks import check_int, check_real

__all__ = ["GaussianBinaryRBM"]


class GaussianBinaryRBM(nn.Module):
    r"""Gaussian-binary RBM wavefunction :math:`\log\psi = \log\sum_h e^{-E(x,h)}`.

    Args:
        n_particles: number of particles N.
        dim: spatial dimension d.
        n_hidden: number of binary hidden units.
        sigma: initial width :math:`\sigma` of the visible units (> 0); the Gaussian
            envelope is :math:`\exp(-|x-a|^2 / 2\sigma^2)`, so sigma = omega**-0.5
            gives the harmonic-oscillator ground state when W = 0.
        learn_sigma: if True, :math:`\log\sigma` is a parameter (``log_sigma``); else a
            buffer.
        weight_std: standard deviation of the normal initialisation of the weights
            (a and b start at zero).

    Shapes:
        x (batch, n_particles, dim) -> log|psi| (batch,).

    Note:
        Parameters are created in the default dtype; after ``.double()`` call
        :meth:`reset_parameters` if the initial log sigma must be exact to float64.

    Example:
        >>> import torch
        >>> rbm = GaussianBinaryRBM(2, 2, 4).double()
        >>> rbm(torch.zeros(3, 2, 2, dtype=torch.float64)).shape
        torch.Size([3])
    """

    has_analytic_derivatives = True

    def __init__(
        self,
        n_particles: int,
        dim: int,
        n_hidden: int,
        *,
        sigma: float = 1.0,
        learn_sigma: bool = True,
        weight_std: float = 0.01,
    ) -> None:
        super().__init__()
        self.n_particles = check_int("n_particles", n_particles, minimum=1)
        self.dim = check_int("dim", dim, minimum=1)
        self.n_hidden = check_int("n_hidden", n_hidden, minimum=1)
        self.sigma_init = check_real("sigma", sigma, positive=True)
        self.learn_sigma = bool(learn_sigma)
        self.weight_std = check_real("weight_std", weight_std, nonnegative=True)
        n_visible = self.n_particles * self.dim
        self.n_visible = n_visible
        self.a = nn.Parameter(torch.empty(n_visible))
        self.b = nn.Parameter(torch.empty(self.n_hidden))
        self.weight = nn.Parameter(torch.empty(n_visible, self.n_hidden))
        log_sigma = torch.empty(())
        if self.learn_sigma:
            self.log_sigma = nn.Parameter(log_sigma)
        else:
            self.register_buffer("log_sigma", log_sigma)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        with torch.no_grad():
            self.a.zero_()
            self.b.zero_()
            nn.init.normal_(self.weight, std=self.weight_std)
            self.log_sigma.fill_(math.log(self.sigma_init))

    @property
    def sigma(self) -> torch.Tensor:
        """Current width of the visible units."""
        return self.log_sigma.exp()

    def _terms(self, x: torch.Tensor):
        v = x.reshape(x.shape[0], self.n_visible)
        a = self.a.to(v.dtype)
        weight = self.weight.to(v.dtype)
        inv_var = torch.exp(-2.0 * self.log_sigma.to(v.dtype))
        hidden_in = self.b.to(v.dtype) + (v @ weight) * inv_var
        return v - a, weight, inv_var, hidden_in

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        shifted, _, inv_var, hidden_in = self._terms(x)
        return -0.5 * inv_var * (shifted**2).sum(-1) + F.softplus(hidden_in).sum(-1)

    def derivatives(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Analytic ``(log|psi|, grad log|psi|, Laplacian of log|psi|)``.

        Shapes:
            x (batch, n_particles, dim) -> ((batch,), (batch, n_particles, dim), (batch,)).
        """
        shifted, weight, inv_var, hidden_in = self._terms(x)
        log_psi = -0.5 * inv_var * (shifted**2).sum(-1) + F.softplus(hidden_in).sum(-1)
        s = torch.sigmoid(hidden_in)
        grad = (-shifted + s @ weight.T) * inv_var
        lap = -self.n_visible * inv_var + (s * (1.0 - s)) @ (weight**2).sum(0) * inv_var**2
        return log_psi, grad.reshape(x.shape), lap

    def extra_repr(self) -> str:
        return (
            f"n_particles={self.n_particles}, dim={self.dim}, n_hidden={self.n_hidden}, "
            f"sigma={self.sigma_init:g}, learn_sigma={self.learn_sigma}"
        )
