r"""Energy and Particle Flow Networks: permutation-invariant deep sets for particle jets.

Conventions (shared by both models). A batch of jets is a float tensor ``x`` of shape
(batch, n_particles, n_features), one row per constituent, zero-padded to a common
n_particles. Feature 0 is the momentum fraction :math:`z_i = p_{T,i} / \sum_j p_{T,j}`
(>= 0); features 1, 2 are the angular coordinates relative to the jet axis
(:math:`\Delta\eta_i, \Delta\phi_i`); the Particle Flow Network may be given further
per-particle features after them. **Padding is z == 0**: every row with :math:`z_i \le 0`
is absent, whatever its other features hold (they are zeroed before :math:`\Phi` sees
them, so even NaN there is harmless). A physical z is never negative.

Both models are a latent sum over the particles followed by a readout :math:`F`,

.. math::
    \mathrm{PFN}(x) = F\Big(\sum_i m_i\, \Phi(p_i)\Big), \qquad
    \mathrm{EFN}(x) = F\Big(\sum_i z_i\, \Phi(\hat n_i)\Big),

with :math:`m_i = [z_i > 0]`, :math:`p_i` all features of particle i and
:math:`\hat n_i` its angular features only. :math:`\Phi` and :math:`F` are
:class:`~physml.models.mlp.MLP`\ s; :math:`\Phi` ends with the activation (the latent is
nonlinear, as in EnergyFlow's default), :math:`F` ends linear (logits). Both are
invariant under permutations of the particles and under adding or removing padding rows.

IRC safety. The EFN is infrared and collinear safe by construction: a particle with
z = 0 contributes nothing, and splitting a particle collinearly (z -> a z, (1 - a) z at
the same angles) leaves the weighted sum unchanged. The PFN is neither: its
:math:`\Phi` sees z and counts particles, so a collinear split changes the output, and a
particle with z -> 0+ still contributes a full :math:`\Phi(p_i)` (it drops out only at
exactly z = 0, the padding convention).

The models compute in their parameter dtype (``.double()`` for float64); inputs of
another dtype are cast, and the output has the parameter dtype.

References:
    P. T. Komiske, E. M. Metodiev, J. Thaler, "Energy Flow Networks: Deep Sets for
    Particle Jets", JHEP 01 (2019) 121, arXiv:1810.05165; M. Zaheer et al., "Deep Sets",
    NeurIPS 2017.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from physml.checks import check_choice, check_int, check_widths
from physml.models.mlp import ACTIVATIONS, MLP

__all__ = ["EFN", "PFN", "padding_mask"]


def padding_mask(x: torch.Tensor) -> torch.Tensor:
    """Which rows of a jet batch are particles: True where z = x[..., 0] > 0.

    Shapes:
        x (batch, n_particles, n_features) -> mask (batch, n_particles) bool.
    """
    return x[..., 0] > 0


class _JetDeepSet(nn.Module):
    """Shared piece of :class:`PFN` and :class:`EFN`: weighted latent sum, then F.

    Subclasses pass ``phi_in``, the width of Phi's input, and implement
    :meth:`_weights_and_inputs`.
    """

    def __init__(
        self,
        phi_in: int,
        phi_hidden: Sequence[int],
        latent: int,
        f_hidden: Sequence[int],
        out_features: int,
        activation: str,
    ) -> None:
        super().__init__()
        self.phi_hidden = check_widths("phi_hidden", phi_hidden)
        # ``latent`` is the method returning the pooled latent; its width is latent_dim.
        self.latent_dim = check_int("latent", latent, minimum=1)
        self.f_hidden = check_widths("f_hidden", f_hidden)
        self.out_features = check_int("out_features", out_features, minimum=1)
        self.activation = check_choice("activation", activation, tuple(ACTIVATIONS))
        self.phi = nn.Sequential(
            MLP(phi_in, self.phi_hidden, self.latent_dim, activation=activation),
            ACTIVATIONS[activation](),
        )
        self.f = MLP(self.latent_dim, self.f_hidden, self.out_features, activation=activation)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        self.phi[0].reset_parameters()
        self.f.reset_parameters()

    def _weights_and_inputs(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Per-particle weights (batch, n) and Phi inputs (batch, n, phi_in), padding zeroed."""
        raise NotImplementedError

    def _check_input(self, x: torch.Tensor, min_features: int, exact: bool) -> None:
        ok = x.ndim == 3 and (x.shape[-1] == min_features if exact else x.shape[-1] >= min_features)
        if not ok:
            expected = f"{min_features}" if exact else f">= {min_features}"
            raise ValueError(
                f"x.shape={tuple(x.shape)} is not allowed: expected "
                f"(batch, n_particles, n_features) with n_features {expected}"
            )

    def latent(self, x: torch.Tensor) -> torch.Tensor:
        r"""The pooled latent :math:`\sum_i w_i \Phi(\cdot_i)` that F reads.

        Shapes:
            x (batch, n_particles, n_features) -> (batch, latent).
        """
        weights, inputs = self._weights_and_inputs(x)
        phi = self.phi(inputs)
        return (weights.to(phi.dtype).unsqueeze(-1) * phi).sum(dim=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.f(self.latent(x))

    def _sizes_repr(self) -> str:
        return (
            f"phi_hidden={self.phi_hidden}, latent={self.latent_dim}, "
            f"f_hidden={self.f_hidden}, out_features={self.out_features}, "
            f"activation={self.activation!r}"
        )


class PFN(_JetDeepSet):
    r"""Particle Flow Network: :math:`F(\sum_i [z_i > 0]\, \Phi(p_i))`.

    :math:`\Phi` sees every feature of a particle (z, angles and any extras), so the PFN
    can use multiplicity and is not IRC safe; see the module docstring.

    Args:
        n_features: features per particle (feature 0 is z, 1, 2 the angles).
        phi_hidden: hidden widths of the per-particle network Phi.
        latent: width of the latent sum (Phi's output, F's input).
        f_hidden: hidden widths of the readout F.
        out_features: number of output logits.
        activation: one of :data:`~physml.models.mlp.ACTIVATIONS`, used in Phi
            (including after its last layer) and in F's hidden layers.

    Shapes:
        x (batch, n_particles, n_features) -> logits (batch, out_features).

    References:
        P. T. Komiske, E. M. Metodiev, J. Thaler, JHEP 01 (2019) 121, arXiv:1810.05165,
        eq. (1.2) with per-particle features.

    Example:
        >>> import torch
        >>> model = PFN(3, (16,), 8, (16,), 2)
        >>> x = torch.tensor([[[0.7, 0.0, 0.0], [0.3, 0.1, -0.2], [0.0, 0.0, 0.0]]])
        >>> model(x).shape, model.latent(x).shape
        (torch.Size([1, 2]), torch.Size([1, 8]))
    """

    def __init__(
        self,
        n_features: int = 3,
        phi_hidden: Sequence[int] = (100, 100),
        latent: int = 128,
        f_hidden: Sequence[int] = (100, 100),
        out_features: int = 1,
        *,
        activation: str = "relu",
    ) -> None:
        n_in = check_int("n_features", n_features, minimum=1)
        super().__init__(n_in, phi_hidden, latent, f_hidden, out_features, activation)
        self.n_features = n_in

    def _weights_and_inputs(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        self._check_input(x, self.n_features, exact=True)
        mask = padding_mask(x)
        inputs = x.masked_fill(~mask.unsqueeze(-1), 0.0)
        return mask, inputs

    def extra_repr(self) -> str:
        return f"n_features={self.n_features}, {self._sizes_repr()}"


class EFN(_JetDeepSet):
    r"""Energy Flow Network: :math:`F(\sum_i z_i\, \Phi(\hat n_i))`, IRC safe.

    :math:`\Phi` sees only the angular features ``x[..., 1:1 + n_angular]``; features
    after them are ignored, so an EFN reads the same input as a :class:`PFN`.

    Args:
        n_angular: number of angular features after z (2: delta eta, delta phi).
        phi_hidden: hidden widths of the per-particle network Phi.
        latent: width of the latent sum (Phi's output, F's input).
        f_hidden: hidden widths of the readout F.
        out_features: number of output logits.
        activation: one of :data:`~physml.models.mlp.ACTIVATIONS`, used in Phi
            (including after its last layer) and in F's hidden layers.

    Shapes:
        x (batch, n_particles, n_features >= 1 + n_angular) -> logits
        (batch, out_features).

    References:
        P. T. Komiske, E. M. Metodiev, J. Thaler, JHEP 01 (2019) 121, arXiv:1810.05165,
        eq. (1.3).

    Example:
        >>> import torch
        >>> model = EFN(2, (16,), 8, (16,), 1).double()
        >>> x = torch.tensor([[[0.7, 0.0, 0.0], [0.3, 0.1, -0.2]]], dtype=torch.float64)
        >>> split = torch.tensor([[[0.7, 0.0, 0.0], [0.1, 0.1, -0.2], [0.2, 0.1, -0.2]]],
        ...                      dtype=torch.float64)
        >>> torch.allclose(model(x), model(split), rtol=0, atol=1e-12)  # collinear safe
        True
    """

    def __init__(
        self,
        n_angular: int = 2,
        phi_hidden: Sequence[int] = (100, 100),
        latent: int = 128,
        f_hidden: Sequence[int] = (100, 100),
        out_features: int = 1,
        *,
        activation: str = "relu",
    ) -> None:
        n_in = check_int("n_angular", n_angular, minimum=1)
        super().__init__(n_in, phi_hidden, latent, f_hidden, out_features, activation)
        self.n_angular = n_in

    def _weights_and_inputs(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        self._check_input(x, 1 + self.n_angular, exact=False)
        mask = padding_mask(x)
        z = x[..., 0].masked_fill(~mask, 0.0)
        angles = x[..., 1 : 1 + self.n_angular].masked_fill(~mask.unsqueeze(-1), 0.0)
        return z, angles

    def extra_repr(self) -> str:
        return f"n_angular={self.n_angular}, {self._sizes_repr()}"
