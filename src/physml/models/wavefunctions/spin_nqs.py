r"""Neural-network quantum states (NQS) for spin-1/2 lattices.

Conventions: a configuration is a tensor ``s`` of shape (batch, n_sites) holding +1/-1 in
the sigma^z basis (any leading shape works: (..., n_sites) -> (...)); inputs are cast to
the model's floating dtype, so build the model in float64 (``.double()``) for VMC. Every
``forward`` returns :math:`\log\psi(s)`, real, shape (batch,).

The amplitudes are positive: :math:`\psi(s) = \exp(\log\psi(s)) > 0`. That suffices for
the chains we target because their sign structure is known exactly: for the Heisenberg
antiferromagnet on a bipartite lattice the Marshall sign rule is applied in the
Hamiltonian (a rotation of one sublattice), which makes the ground state positive in the
sigma^z basis; the transverse-field Ising ground state is positive already.

Per-sample log-derivatives :math:`O_k(s) = \partial\log\psi(s)/\partial\theta_k`, which
VMC needs, come from ``torch.func``::

    params = {k: v.detach() for k, v in model.named_parameters()}
    f = lambda p, s: torch.func.functional_call(model, p, (s,))
    grads = torch.func.vmap(torch.func.grad(f), in_dims=(None, 0))(params, s)

References:
    G. Carleo and M. Troyer, Science 355, 602 (2017), arXiv:1606.02318.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from physml.checks import check_int, check_real
from physml.models.mlp import MLP

__all__ = ["SpinFeedForward", "SpinRBM", "SymmetricSpinRBM", "log_2cosh"]

#: Standard deviation of the Gaussian initialisation of RBM parameters (NetKet's default).
_INIT_STD = 0.01


def log_2cosh(x: torch.Tensor) -> torch.Tensor:
    r"""Numerically stable :math:`\log(2\cosh x) = |x| + \log(1 + e^{-2|x|})`.

    Finite for every finite ``x`` (the naive form overflows near :math:`|x| \approx 89` in
    float32); its derivative is :math:`\tanh x`, also at ``x = 0``.
    """
    ax = x.abs()
    return ax + torch.log1p(torch.exp(-2.0 * ax))


def _check_input(s: torch.Tensor, n_sites: int) -> None:
    if s.dim() == 0 or s.shape[-1] != n_sites:
        raise ValueError(f"s has shape {tuple(s.shape)}; expected (batch, {n_sites})")


class SpinRBM(nn.Module):
    r"""Restricted Boltzmann machine wavefunction (Carleo & Troyer 2017).

    .. math::
        \log\psi(s) = \sum_i a_i s_i + \sum_{j=1}^{M} \log 2\cosh\Big(b_j + \sum_i W_{ji} s_i\Big),

    the hidden units :math:`h_j = \pm 1` traced out analytically:
    :math:`\psi(s) = \sum_h \exp(a\cdot s + b\cdot h + h^\top W s)`.

    Args:
        n_sites: number of spins N.
        alpha: hidden-unit density; :math:`M = \mathrm{round}(\alpha N)` (at least 1).
            Default 1 when neither ``alpha`` nor ``n_hidden`` is given.
        n_hidden: number of hidden units M, instead of ``alpha`` (give at most one).
        visible_bias: include the visible bias :math:`a` (without it, :math:`\psi` is
            invariant under the global flip s -> -s when b = 0).

    Shapes:
        input (batch, n_sites) -> output (batch,).

    Example:
        >>> model = SpinRBM(8, alpha=2).double()
        >>> model(torch.ones(3, 8, dtype=torch.float64)).shape
        torch.Size([3])
    """

    def __init__(
        self,
        n_sites: int,
        *,
        alpha: float | None = None,
        n_hidden: int | None = None,
        visible_bias: bool = True,
    ) -> None:
        super().__init__()
        n_sites = check_int("n_sites", n_sites, minimum=1)
        if alpha is not None and n_hidden is not None:
            raise ValueError(f"alpha={alpha} and n_hidden={n_hidden}; give at most one")
        if n_hidden is None:
            alpha = check_real("alpha", 1.0 if alpha is None else alpha, positive=True)
            n_hidden = max(1, round(alpha * n_sites))
        else:
            n_hidden = check_int("n_hidden", n_hidden, minimum=1)
        self.n_sites = n_sites
        self.n_hidden = n_hidden
        self.weight = nn.Parameter(torch.empty(n_hidden, n_sites))
        self.hidden_bias = nn.Parameter(torch.empty(n_hidden))
        if visible_bias:
            self.visible_bias = nn.Parameter(torch.empty(n_sites))
        else:
            self.register_parameter("visible_bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Draw every parameter from N(0, 0.01^2) (torch's global generator)."""
        for p in self.parameters():
            nn.init.normal_(p, std=_INIT_STD)

    def forward(self, s: torch.Tensor) -> torch.Tensor:
        _check_input(s, self.n_sites)
        s = s.to(self.weight.dtype)
        theta = s @ self.weight.T + self.hidden_bias  # (..., M)
        out = log_2cosh(theta).sum(-1)
        if self.visible_bias is not None:
            out = out + s @ self.visible_bias
        return out

    def extra_repr(self) -> str:
        return (
            f"n_sites={self.n_sites}, n_hidden={self.n_hidden}, "
            f"visible_bias={self.visible_bias is not None}"
        )


class SymmetricSpinRBM(nn.Module):
    r"""Translation-invariant RBM on a periodic chain (Carleo & Troyer 2017).

    ``alpha`` feature filters :math:`W_f` are shared over all N translations, giving
    :math:`M = \alpha N` hidden units from :math:`\alpha (N + 1) + 1` parameters:

    .. math::
        \log\psi(s) = a \sum_i s_i + \sum_{f=1}^{\alpha} \sum_{t=0}^{N-1}
            \log 2\cosh\Big(b_f + \sum_i W_{f,i}\, s_{(i+t) \bmod N}\Big).

    :math:`\psi` is exactly invariant under ``torch.roll(s, k, dims=-1)``. It equals a
    :class:`SpinRBM` whose hidden unit (f, t) has weights ``torch.roll(W[f], t)``.

    Args:
        n_sites: chain length N (periodic boundary conditions).
        alpha: number of feature filters (hidden-unit density), a positive integer.
        visible_bias: include the single visible bias :math:`a`.

    Shapes:
        input (batch, n_sites) -> output (batch,).
    """

    def __init__(self, n_sites: int, *, alpha: int = 1, visible_bias: bool = True) -> None:
        super().__init__()
        n_sites = check_int("n_sites", n_sites, minimum=1)
        alpha = check_int("alpha", alpha, minimum=1)
        self.n_sites = n_sites
        self.alpha = alpha
        self.weight = nn.Parameter(torch.empty(alpha, n_sites))
        self.hidden_bias = nn.Parameter(torch.empty(alpha))
        if visible_bias:
            self.visible_bias = nn.Parameter(torch.empty(()))
        else:
            self.register_parameter("visible_bias", None)
        # _shifts[t, i] = (i + t) mod N: row t of s[..., _shifts] is s translated by t.
        shifts = (torch.arange(n_sites)[None, :] + torch.arange(n_sites)[:, None]) % n_sites
        self.register_buffer("_shifts", shifts, persistent=False)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Draw every parameter from N(0, 0.01^2) (torch's global generator)."""
        for p in self.parameters():
            nn.init.normal_(p, std=_INIT_STD)

    def forward(self, s: torch.Tensor) -> torch.Tensor:
        _check_input(s, self.n_sites)
        s = s.to(self.weight.dtype)
        translated = s[..., self._shifts]  # (..., t, i)
        theta = translated @ self.weight.T + self.hidden_bias  # (..., t, f)
        out = log_2cosh(theta).sum((-2, -1))
        if self.visible_bias is not None:
            out = out + self.visible_bias * s.sum(-1)
        return out

    def extra_repr(self) -> str:
        return (
            f"n_sites={self.n_sites}, alpha={self.alpha}, "
            f"visible_bias={self.visible_bias is not None}"
        )


class SpinFeedForward(nn.Module):
    r"""Feed-forward NQS: :math:`\log\psi(s) = \mathrm{MLP}(s)` with one output.

    Args:
        n_sites: number of spins N.
        hidden: widths of the hidden layers (default one layer of width N).
        activation: one of :data:`physml.models.mlp.ACTIVATIONS`; a smooth one ("tanh",
            "silu", "gelu") keeps the log-derivatives continuous.
        init: weight initialisation, one of :data:`physml.models.mlp.INITS`.

    Shapes:
        input (batch, n_sites) -> output (batch,).
    """

    def __init__(
        self,
        n_sites: int,
        hidden: Sequence[int] | None = None,
        *,
        activation: str = "tanh",
        init: str = "default",
    ) -> None:
        super().__init__()
        n_sites = check_int("n_sites", n_sites, minimum=1)
        hidden = (n_sites,) if hidden is None else tuple(hidden)
        self.n_sites = n_sites
        self.hidden = hidden
        self.activation = activation
        self.mlp = MLP(n_sites, hidden, 1, activation=activation, init=init)

    def reset_parameters(self) -> None:
        self.mlp.reset_parameters()

    def forward(self, s: torch.Tensor) -> torch.Tensor:
        _check_input(s, self.n_sites)
        return self.mlp(s).squeeze(-1)

    def extra_repr(self) -> str:
        return f"n_sites={self.n_sites}, hidden={self.hidden}, activation={self.activation!r}"
