r"""Local energies :math:`E_L(x) = (H\psi)(x)/\psi(x)`, batched, in torch.

* Lattice spins: :math:`E_L(s) = \sum_{s'} H_{s s'} \psi(s')/\psi(s)` over the configurations
  connected to ``s`` by a :class:`~physml.sim.quantum.spins.PauliSum` (one group per set of
  flipped sites, the diagonal first).
* Continuous space (hbar = m = 1): :math:`E_L = -\tfrac12(\nabla^2\log|\psi| +
  |\nabla\log|\psi||^2) + V(x)`, with the derivatives of log|psi| taken from the
  wavefunction's analytic ``derivatives`` when it has them (``has_analytic_derivatives``)
  and from automatic differentiation otherwise; both give the same number (tested).

Devices: everything follows the configurations' device. The lattice tables (the Pauli
strings' flip signs, groups, coefficients and Z sites) are put on ``device`` once, at
construction; a continuous potential is evaluated on x's device.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal

import torch
from torch import nn

from physml.models.wavefunctions.product_wavefunction import laplacian_by_autograd
from physml.sim.quantum.spins import PauliSum

__all__ = ["ContinuousLocalEnergy", "LatticeLocalEnergy"]


class LatticeLocalEnergy:
    r"""Local energy of a spin Hamiltonian given as a :class:`PauliSum`.

    Args:
        hamiltonian: the Pauli-string Hamiltonian (real coefficients).
        dtype: floating dtype of the configurations.
        device: device of the configurations (the model's); default the CPU.

    Shapes:
        ``elements(s)``: (batch, n_sites) -> (batch, n_groups) matrix elements
        :math:`\langle s'_g|H|s\rangle`; ``__call__(log_psi, s)`` -> (batch,).
    """

    def __init__(
        self,
        hamiltonian: PauliSum,
        *,
        dtype: torch.dtype = torch.float64,
        device: torch.device | str | None = None,
    ) -> None:
        conn = hamiltonian.connections()
        self.n_sites = hamiltonian.n_sites
        dev = torch.device("cpu" if device is None else device)
        self.flip_sign = torch.tensor(1.0 - 2.0 * conn.flip_masks[1:], dtype=dtype, device=dev)
        self.term_group = torch.tensor(conn.term_group, dtype=torch.long, device=dev)
        self.term_coeff = torch.tensor(conn.term_coeff, dtype=dtype, device=dev)
        self.term_z = torch.tensor(conn.term_z, dtype=torch.long, device=dev)
        self.n_groups = len(conn.flip_masks)
        self.device = self.term_coeff.device  # with its index: 'cuda' becomes 'cuda:0'

    def elements(self, s: torch.Tensor) -> torch.Tensor:
        ones = s.new_ones(s.shape[0], 1)
        factors = torch.cat([s, ones], dim=1)[:, self.term_z].prod(-1)  # (batch, n_terms)
        out = s.new_zeros(s.shape[0], self.n_groups)
        return out.index_add_(1, self.term_group, factors * self.term_coeff)

    def connected(self, s: torch.Tensor) -> torch.Tensor:
        """Off-diagonal connected configurations (batch, n_groups - 1, n_sites)."""
        return s[:, None, :] * self.flip_sign

    @torch.no_grad()
    def __call__(
        self, log_psi: Callable[[torch.Tensor], torch.Tensor], s: torch.Tensor
    ) -> torch.Tensor:
        mel = self.elements(s)
        here = log_psi(s)
        there = log_psi(self.connected(s).reshape(-1, self.n_sites)).reshape(s.shape[0], -1)
        return mel[:, 0] + (mel[:, 1:] * torch.exp(there - here[:, None])).sum(1)


class ContinuousLocalEnergy:
    """Local energy of particles in continuous space with potential ``potential(x)``.

    Args:
        potential: (batch, n_particles, dim) -> (batch,) potential energy.
        method: "auto" (analytic when the wavefunction offers it), "analytic" or
            "autograd".
    """

    def __init__(
        self,
        potential: Callable[[torch.Tensor], torch.Tensor],
        *,
        method: Literal["auto", "analytic", "autograd"] = "auto",
    ) -> None:
        if method not in ("auto", "analytic", "autograd"):
            raise ValueError(f"method={method!r}; allowed: 'auto', 'analytic', 'autograd'")
        self.potential, self.method = potential, method

    def _analytic(self, model: nn.Module) -> bool:
        available = bool(getattr(model, "has_analytic_derivatives", False))
        if self.method == "analytic" and not available:
            raise ValueError(f"{type(model).__name__} has no analytic derivatives")
        return available and self.method != "autograd"

    def derivatives(
        self, model: nn.Module, x: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """(log|psi|, grad log|psi|, Laplacian of log|psi|), detached."""
        if self._analytic(model):
            with torch.no_grad():
                return model.derivatives(x)
        return tuple(t.detach() for t in laplacian_by_autograd(model, x))  # type: ignore[return-value]

    def __call__(self, model: nn.Module, x: torch.Tensor) -> torch.Tensor:
        _, grad, lap = self.derivatives(model, x)
        with torch.no_grad():
            return -0.5 * (lap + (grad**2).sum((1, 2))) + self.potential(x)

    def drift(
        self, model: nn.Module
    ) -> Callable[[torch.Tensor], tuple[torch.Tensor, torch.Tensor]]:
        """``x -> (log|psi|, grad log|psi|)`` for Langevin moves."""
        if self._analytic(model):

            def analytic(x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
                with torch.no_grad():
                    logp, grad, _ = model.derivatives(x)
                return logp, grad

            return analytic

        def by_autograd(x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
            with torch.enable_grad():
                x = x.detach().requires_grad_(True)
                logp = model(x)
                (grad,) = torch.autograd.grad(logp.sum(), x)
            return logp.detach(), grad

        return by_autograd
