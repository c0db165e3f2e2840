r"""Products of wavefunction factors, and derivatives of log|psi| by autograd.

Conventions: x has shape (batch, n_particles, dim); every factor's ``forward`` returns
log|psi_k| (batch,), so a product wavefunction is a sum of logs:

.. math::
    \log|\psi| = \sum_k \log|\psi_k|, \quad
    \nabla\log|\psi| = \sum_k \nabla\log|\psi_k|, \quad
    \nabla^2\log|\psi| = \sum_k \nabla^2\log|\psi_k|.

Derivative convention (shared by every continuous wavefunction in :mod:`physml.models`):
the boolean ``has_analytic_derivatives`` says whether ``derivatives(x)`` is available;
callers check ``getattr(model, "has_analytic_derivatives", False)`` (not
``hasattr(model, "derivatives")``). For a product it is True only if every factor has it;
otherwise ``ProductWavefunction.derivatives`` raises ``NotImplementedError`` and
:func:`laplacian_by_autograd` is the fallback.

Example:
    >>> import torch
    >>> from physml.models.wavefunctions.gaussian_rbm import GaussianBinaryRBM
    >>> from physml.models.wavefunctions.jastrow import PadeJastrow
    >>> psi = ProductWavefunction(GaussianBinaryRBM(2, 2, 4), PadeJastrow(2, 2)).double()
    >>> psi.has_analytic_derivatives
    True
    >>> log_psi, grad, lap = psi.derivatives(torch.randn(8, 2, 2, dtype=torch.float64))
    >>> grad.shape
    torch.Size([8, 2, 2])
"""

from __future__ import annotations

import torch
from torch import nn

__all__ = ["ProductWavefunction", "laplacian_by_autograd"]


def laplacian_by_autograd(
    model: nn.Module, x: torch.Tensor, *, create_graph: bool = False
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """``(log|psi|, grad log|psi|, Laplacian of log|psi|)`` of any wavefunction by autograd.

    One backward pass for the gradient, then one per coordinate (N * dim in all) for the
    diagonal of the Hessian; fine for the small systems of variational Monte Carlo.

    Args:
        model: maps x (batch, N, dim) to log|psi| (batch,).
        x: configurations (not modified; a detached copy is differentiated).
        create_graph: keep the graph, so that the returned tensors can be differentiated
            again (e.g. the local energy with respect to the parameters). If False the
            results are detached.

    Returns:
        log|psi| (batch,), gradient (batch, N, dim), Laplacian (batch,).
    """
    x = x.detach().requires_grad_(True)
    with torch.enable_grad():
        log_psi = model(x)
        if not log_psi.requires_grad:  # no dependence on x or parameters at all
            zeros = torch.zeros_like(x)
            return log_psi, zeros, zeros.sum((1, 2))
        (grad,) = torch.autograd.grad(log_psi.sum(), x, create_graph=True, allow_unused=True)
        if grad is None:
            grad = torch.zeros_like(x)
        flat = grad.reshape(x.shape[0], -1)
        lap = torch.zeros_like(log_psi)
        for k in range(flat.shape[1]):
            if not flat[:, k].requires_grad:  # this gradient component is constant
                continue
            (second,) = torch.autograd.grad(
                flat[:, k].sum(), x, create_graph=create_graph, retain_graph=True, allow_unused=True
            )
            if second is not None:
                lap = lap + second.reshape(x.shape[0], -1)[:, k]
    if not create_graph:
        return log_psi.detach(), grad.detach(), lap.detach()
    return log_psi, grad, lap


class ProductWavefunction(nn.Module):
    r"""Product :math:`\psi = \prod_k \psi_k` of wavefunction factors (a sum of their logs).

    Args:
        *factors: wavefunction modules mapping x (batch, N, dim) to log|psi_k| (batch,);
            those with ``n_particles``/``dim`` attributes must agree.

    Shapes:
        x (batch, n_particles, dim) -> log|psi| (batch,).
    """

    def __init__(self, *factors: nn.Module) -> None:
        super().__init__()
        if not factors:
            raise ValueError("factors=() is not allowed: expected at least one wavefunction")
        for k, factor in enumerate(factors):
            if not isinstance(factor, nn.Module):
                raise TypeError(f"factor {k} is a {type(factor).__name__}, not an nn.Module")
        for attr in ("n_particles", "dim"):
            values = {getattr(f, attr) for f in factors if hasattr(f, attr)}
            if len(values) > 1:
                raise ValueError(f"factors disagree on {attr}: {sorted(values)}; expected one")
            setattr(self, attr, values.pop() if values else None)
        self.factors = nn.ModuleList(factors)

    @property
    def has_analytic_derivatives(self) -> bool:
        """True if every factor has analytic derivatives."""
        return all(getattr(f, "has_analytic_derivatives", False) for f in self.factors)

    def reset_parameters(self) -> None:
        for factor in self.factors:
            if hasattr(factor, "reset_parameters"):
                factor.reset_parameters()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return sum(factor(x) for factor in self.factors)

    def derivatives(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Sum of the factors' analytic ``(log|psi|, grad, Laplacian)``.

        Raises:
            NotImplementedError: if a factor has no analytic derivatives (check
                ``has_analytic_derivatives`` first, or use :func:`laplacian_by_autograd`).
        """
        for k, factor in enumerate(self.factors):
            if not getattr(factor, "has_analytic_derivatives", False):
                raise NotImplementedError(
                    f"factor {k} ({type(factor).__name__}) has no analytic derivatives; "
                    "use laplacian_by_autograd"
                )
        parts = [factor.derivatives(x) for factor in self.factors]
        return tuple(sum(p[i] for p in parts) for i in range(3))

    def extra_repr(self) -> str:
        return (
            f"n_particles={self.n_particles}, dim={self.dim}, "
            f"has_analytic_derivatives={self.has_analytic_derivatives}"
        )
