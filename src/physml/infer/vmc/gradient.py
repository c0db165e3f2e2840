r"""The VMC energy gradient and its stochastic-reconfiguration preconditioner.

With :math:`O_k(x) = \partial_{\theta_k}\log|\psi_\theta(x)|` and samples from
:math:`|\psi|^2`, the energy gradient is (Hjorth-Jensen, FYS5429; real wavefunctions)

.. math:: \partial_{\theta_k} E = 2\,\big(\langle E_L O_k\rangle - \langle E_L\rangle
          \langle O_k\rangle\big) = 2 F_k .

Stochastic reconfiguration (Sorella 1998; Carleo & Troyer 2017) replaces the Euclidean
step by the natural-gradient step :math:`\delta = (S + \epsilon I)^{-1}\, 2F` with the
quantum geometric tensor :math:`S_{kl} = \langle \Delta O_k \Delta O_l\rangle`
(:math:`\Delta O = O - \langle O\rangle`) and a diagonal shift :math:`\epsilon`. The
factor 2 (the full energy gradient, as NetKet uses for real parameters) makes learning
rates and diagonal shifts carry over from NetKet unchanged. When there are more
parameters than samples the same step is solved in sample space,
:math:`\delta = X^T (X X^T + \epsilon I)^{-1}\, 2\Delta E / \sqrt{n}` with
:math:`X = \Delta O/\sqrt{n}` (the push-through identity; MinSR, Chen & Heyl 2024).
"""

from __future__ import annotations

import math

import torch
from torch import nn
from torch.func import functional_call, grad, vmap

__all__ = ["energy_gradient", "log_derivatives", "stochastic_reconfiguration"]


def log_derivatives(
    model: nn.Module, configs: torch.Tensor, *, chunk_size: int = 4096
) -> torch.Tensor:
    """Per-sample log-derivatives :math:`O_k(x)` of every trainable parameter.

    Shapes:
        configs (batch, ...) -> (batch, n_parameters), parameters in
        ``model.named_parameters()`` order, each flattened.
    """
    names = [name for name, p in model.named_parameters() if p.requires_grad]
    params = {name: p.detach() for name, p in model.named_parameters() if p.requires_grad}

    def single(p: dict[str, torch.Tensor], x: torch.Tensor) -> torch.Tensor:
        return functional_call(model, p, (x.unsqueeze(0),)).squeeze(0)

    per_sample = vmap(grad(single), in_dims=(None, 0), chunk_size=chunk_size)(params, configs)
    return torch.cat([per_sample[name].reshape(configs.shape[0], -1) for name in names], dim=1)


def energy_gradient(o: torch.Tensor, e_loc: torch.Tensor) -> torch.Tensor:
    r"""The force :math:`F_k = \langle \Delta O_k\, \Delta E_L\rangle` (half the gradient).

    Shapes:
        o (batch, n_parameters), e_loc (batch,) -> (n_parameters,)
    """
    d_o = o - o.mean(0)
    return d_o.T @ (e_loc - e_loc.mean()) / o.shape[0]


def stochastic_reconfiguration(
    o: torch.Tensor, e_loc: torch.Tensor, *, diag_shift: float = 0.01
) -> torch.Tensor:
    r"""The natural-gradient direction :math:`(S + \epsilon I)^{-1}\, 2F`.

    Solved by Cholesky in parameter space or in sample space, whichever is smaller.

    Shapes:
        o (batch, n_parameters), e_loc (batch,) -> (n_parameters,)
    """
    n, n_params = o.shape
    x = (o - o.mean(0)) / math.sqrt(n)
    e = 2.0 * (e_loc - e_loc.mean()) / math.sqrt(n)
    if n_params <= n:
        s = x.T @ x
        s.diagonal().add_(diag_shift)
        chol = torch.linalg.cholesky(s)
        return torch.cholesky_solve((x.T @ e)[:, None], chol)[:, 0]
    t = x @ x.T
    t.diagonal().add_(diag_shift)
    chol = torch.linalg.cholesky(t)
    return x.T @ torch.cholesky_solve(e[:, None], chol)[:, 0]
