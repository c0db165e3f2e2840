r"""Autoregressive models of Ising spins with exact, normalised log-likelihoods.

A configuration :math:`s \in \{-1, +1\}^N` of N sites (an L x L lattice is flattened in
raster order, site :math:`i = L r + c` for row r and column c) has the probability

.. math::
    q(s) = \prod_{i=0}^{N-1} q(s_i \mid s_{<i}), \qquad
    q(s_i = +1 \mid s_{<i}) = \sigma(a_i(s_{<i})),

where the logit :math:`a_i` is a network output that depends only on the earlier sites
(the *autoregressive property*), and :math:`\sigma` is the logistic function. Hence
:math:`\log q(s) = \sum_i \log \sigma(s_i a_i)` is exact and normalised by construction
(no partition function), and exact independent samples are drawn site by site. This is
what the variational autoregressive network (VAN) of Wu, Wang and Zhang needs: the
variational free energy :math:`F_q = E_q[E(s) + T \log q(s)] \ge F` is estimated from
exact samples with exact :math:`\log q` (see :mod:`physml.infer.van`).

Two networks give the logits:

* :class:`MADE` (Germain et al. 2015): masked dense layers over the flattened lattice,
  plus a masked direct (linear) input-to-output connection. It knows nothing about the
  geometry, so it suits any lattice; its parameter count grows as N x hidden.
* :class:`MaskedConvAR` (PixelCNN, van den Oord et al. 2016): masked 2D convolutions with
  zero padding, translation-invariant weights shared across the lattice, as used by Wu et
  al. for the 16 x 16 Ising model. Its parameters do not grow with L, and its locality
  matches a short-range Hamiltonian; its receptive field must be large enough to see the
  periodic neighbours across the lattice (the row above at distance L - 1 in columns):
  ``n_layers * half_kernel >= L - 1`` is advised.

Cost of sampling. A sample needs N sequential steps (site i can be drawn only once
:math:`s_{<i}` are known). The generic loop (used by :class:`MaskedConvAR`) runs the
whole network at every step: O(N) forward passes per sample, against one pass for
``log_prob``; this dominates variational training. :class:`MADE` instead computes each
hidden unit once, when the sites it depends on are drawn, so a whole sample costs about
one forward pass (N small steps). Which to use on a CPU: measured on one thread of a
busy 2-core machine, drawing 256 samples of a 16 x 16 lattice took 0.07 s for a MADE
(one hidden layer of 512) and ~16 s for a PixelCNN (16 channels, 3 layers, 7 x 7
kernels), so MADE is the practical choice without a GPU; the PixelCNN (translation
invariance, far fewer parameters; what Wu et al. ran on GPUs) where a GPU does the 256
passes.

Both share the interface of :class:`Autoregressive`: ``logits(s)``, ``conditionals(s)``,
``log_prob(s)`` (also ``forward``) and ``sample(n, generator)``. Spins may be given as
(batch, N) or (batch, L, L) (any dtype, e.g. the int8 lattices of
:func:`physml.sim.statmech.ising.sample`); they are cast to the parameter dtype.

Z2 symmetry. With ``z2=True`` the model is symmetrised under the global flip
:math:`s \to -s` (a symmetry of the zero-field Ising Hamiltonian), as in Wu et al.:
:math:`q_{sym}(s) = [q(s) + q(-s)] / 2`, i.e.
:math:`\log q_{sym}(s) = \mathrm{logsumexp}(\log q(s), \log q(-s)) - \log 2`. Samples
of :math:`q_{sym}` are samples of q flipped with probability 1/2. ``logits`` and
``conditionals`` always describe the unsymmetrised q.

References:
    D. Wu, L. Wang, P. Zhang, "Solving Statistical Mechanics Using Variational
    Autoregressive Networks", Phys. Rev. Lett. 122, 080602 (2019), arXiv:1809.10606;
    M. Germain, K. Gregor, I. Murray, H. Larochelle, "MADE: Masked Autoencoder for
    Distribution Estimation", ICML 2015, arXiv:1502.03509; A. van den Oord, N.
    Kalchbrenner, K. Kavukcuoglu, "Pixel Recurrent Neural Networks", ICML 2016,
    arXiv:1601.06759.

Example:
    >>> import itertools, torch
    >>> torch.manual_seed(0)  # doctest: +ELLIPSIS
    <torch._C.Generator object at ...>
    >>> model = MADE(4, 8, n_layers=1).double()
    >>> configs = torch.tensor(list(itertools.product([-1, 1], repeat=4)))
    >>> round(model.log_prob(configs).exp().sum().item(), 12)  # normalised
    1.0
    >>> s, log_q = model.sample(3, torch.Generator().manual_seed(0))
    >>> s.shape, bool(torch.allclose(log_q, model.log_prob(s)))
    (torch.Size([3, 4]), True)
"""

from __future__ import annotations

import math
from collections.abc import Iterator

import torch
import torch.nn.functional as F
from torch import nn

from physml.checks import check_choice, check_int
from physml.models.mlp import ACTIVATIONS

__all__ = ["MADE", "Autoregressive", "MaskedConvAR"]

_LOG2 = math.log(2.0)


class Autoregressive(nn.Module):
    """Base class: a normalised distribution over N spins from autoregressive logits.

    Subclasses set ``n_sites``, ``z2`` and ``sample_shape`` (the shape of one sample, e.g.
    ``(N,)`` or ``(L, L)``) and implement :meth:`_logits`, which maps float spins of
    shape (batch, N) in raster order to logits (batch, N) with logit i depending only on
    inputs j < i. Sites not yet drawn are passed as 0 during sampling.
    """

    n_sites: int
    z2: bool
    sample_shape: tuple[int, ...]

    def _logits(self, x: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError

    def _sequential_logits(self, x: torch.Tensor) -> Iterator[torch.Tensor]:
        """Yield logit i (batch,) for i = 0..N-1; the caller fills x[:, i] after each.

        The generic version runs the whole network once per site. Logit i sees only the
        sites < i, which are final when it is computed, so it equals its value in a
        full pass over the finished sample.
        """
        for i in range(self.n_sites):
            yield self._logits(x)[:, i]

    def _parameter_dtype(self) -> torch.dtype:
        return next(self.parameters()).dtype

    def _parameter_device(self) -> torch.device:
        return next(self.parameters()).device

    def _flatten(self, s: torch.Tensor) -> torch.Tensor:
        """(batch, N) or (batch, *sample_shape) -> float (batch, N) in the parameter dtype."""
        if not isinstance(s, torch.Tensor):
            raise TypeError(f"s must be a torch.Tensor, got {type(s).__name__}")
        if s.ndim == 2 and s.shape[1] == self.n_sites:
            flat = s
        elif s.ndim == 1 + len(self.sample_shape) and tuple(s.shape[1:]) == self.sample_shape:
            flat = s.reshape(s.shape[0], self.n_sites)
        elif s.ndim == 3 and s.shape[1] * s.shape[2] == self.n_sites:
            flat = s.reshape(s.shape[0], self.n_sites)
        else:
            raise ValueError(
                f"s.shape={tuple(s.shape)} is not allowed: expected (batch, {self.n_sites}) or "
                f"(batch, L, L) with L * L = {self.n_sites}"
            )
        return flat.to(device=self._parameter_device(), dtype=self._parameter_dtype())

    def logits(self, s: torch.Tensor) -> torch.Tensor:
        r"""Logits :math:`a_i` of :math:`q(s_i = +1 \mid s_{<i})` of the unsymmetrised q.

        Logit i depends only on s_j, j < i (raster order); s may be any real values (the
        Jacobian with respect to s is strictly lower triangular).

        Shapes:
            s (batch, N) or (batch, L, L) -> (batch, N).
        """
        return self._logits(self._flatten(s))

    def conditionals(self, s: torch.Tensor) -> torch.Tensor:
        r"""Probabilities :math:`q(s_i = +1 \mid s_{<i})`, shape (batch, N)."""
        return torch.sigmoid(self.logits(s))

    def _log_prob_flat(self, x: torch.Tensor) -> torch.Tensor:
        """log q of float spins (batch, N), symmetrised if z2 (no checks)."""
        if not self.z2:
            return F.logsigmoid(x * self._logits(x)).sum(dim=1)
        both = torch.cat([x, -x])
        lp = F.logsigmoid(both * self._logits(both)).sum(dim=1)
        return torch.logaddexp(lp[: x.shape[0]], lp[x.shape[0] :]) - _LOG2

    def log_prob(self, s: torch.Tensor) -> torch.Tensor:
        """Exact log q(s) (natural log), differentiable in the parameters.

        Shapes:
            s (batch, N) or (batch, L, L), entries +-1 -> (batch,), parameter dtype.

        Raises:
            ValueError: for a wrong shape or entries other than +-1.
        """
        x = self._flatten(s)
        if not bool(torch.all(x * x == 1)):
            raise ValueError("s is not allowed: expected spins with every entry equal to -1 or +1")
        return self._log_prob_flat(x)

    def forward(self, s: torch.Tensor) -> torch.Tensor:
        """Same as :meth:`log_prob`."""
        return self.log_prob(s)

    @torch.no_grad()
    def sample(
        self, n: int, generator: torch.Generator | None = None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Exact independent samples and their log q, drawn site by site in raster order.

        Needs N sequential steps, one per site. In general each step is a forward pass
        of the whole network, O(N) times one :meth:`log_prob` evaluation in all (so for
        :class:`MaskedConvAR`); :class:`MADE` computes each hidden unit once, so a
        sample costs about one forward pass (see the module docstring). ``z2`` adds one
        pass of s and -s.

        Args:
            n: number of samples, >= 1.
            generator: a ``torch.Generator`` on the model's device (None: torch's global
                generator). The same seeded generator gives the same samples.

        Returns:
            ``(s, log_q)``: spins +-1 of shape (n, *sample_shape) in the parameter dtype,
            and log q(s) of shape (n,) (no gradient; recompute with :meth:`log_prob` to
            differentiate).
        """
        n = check_int("n", n, minimum=1)
        dtype, device = self._parameter_dtype(), self._parameter_device()
        x = torch.zeros(n, self.n_sites, dtype=dtype, device=device)
        log_q = torch.zeros(n, dtype=dtype, device=device)
        for i, a in enumerate(self._sequential_logits(x)):
            u = torch.rand(n, generator=generator, dtype=dtype, device=device)
            x[:, i] = torch.where(u < torch.sigmoid(a), 1.0, -1.0).to(dtype)
            log_q += F.logsigmoid(x[:, i] * a)
        if self.z2:
            flip = torch.rand(n, generator=generator, dtype=dtype, device=device) < 0.5
            x = torch.where(flip[:, None], -x, x)
            log_q = self._log_prob_flat(x)
        return x.reshape(n, *self.sample_shape), log_q


# --------------------------------------------------------------------------- MADE


class _MaskedLinear(nn.Linear):
    """A linear layer whose weight is multiplied by a fixed 0/1 mask (out, in).

    Initialised uniformly in +-1/sqrt(fan_in) with each row's own fan-in (its number of
    unmasked inputs), so sparsely connected units are not starved.
    """

    def __init__(self, mask: torch.Tensor, *, bias: bool = True) -> None:
        super().__init__(mask.shape[1], mask.shape[0], bias=bias)
        self.register_buffer("mask", mask.to(self.weight.dtype))
        self.reset_parameters()

    def reset_parameters(self) -> None:
        if not hasattr(self, "mask"):  # called by nn.Linear.__init__ before the mask exists
            return
        fan_in = self.mask.sum(dim=1, keepdim=True).clamp(min=1.0)
        bound = 1.0 / fan_in.sqrt()
        with torch.no_grad():
            self.weight.uniform_(-1.0, 1.0).mul_(bound).mul_(self.mask)
            if self.bias is not None:
                self.bias.uniform_(-1.0, 1.0).mul_(bound.squeeze(1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.linear(x, self.weight * self.mask, self.bias)


def _hidden_degrees(n_sites: int, hidden: int) -> torch.Tensor:
    """MADE degrees m_k in 0..N-2 of ``hidden`` units, spread evenly and sorted.

    A unit of degree m may depend on inputs 0..m and feeds outputs m+1..N-1.
    """
    return (torch.arange(hidden) * max(n_sites - 1, 1)) // hidden


class MADE(Autoregressive):
    r"""Masked autoencoder for distribution estimation over N Ising spins.

    ``n_layers`` masked hidden layers of width ``hidden`` with activation, then a masked
    output layer, plus (``direct=True``) a masked direct linear connection from the
    inputs to the logits. Hidden unit k has a degree :math:`m_k \in \{0, .., N-2\}`
    (spread evenly, ``hidden / (N - 1)`` units per degree); a unit of degree m sees inputs
    0..m and feeds logits m+1..N-1, so logit i depends only on sites j < i and the
    first site's probability is a learned constant (its bias). ``n_layers=0`` is the
    autoregressive logistic model :math:`a_i = b_i + \sum_{j<i} W_{ij} s_j` (requires
    ``direct=True``).

    Args:
        n_sites: number of spins N >= 1 (L * L for a lattice, raster order).
        hidden: width of each hidden layer (Wu et al. use a multiple of N: a few
            units per site).
        n_layers: number of hidden layers, >= 0.
        activation: one of :data:`~physml.models.mlp.ACTIVATIONS`.
        direct: add the masked direct input-to-logit connection.
        z2: symmetrise q under s -> -s (see the module docstring).
        lattice: optional (L, L) with L * L = N: the shape of returned samples
            (default (N,)).

    Shapes:
        s (batch, N) or (batch, L, L), +-1 -> log_prob (batch,); logits (batch, N).

    Example:
        >>> model = MADE(9, 32, n_layers=2, lattice=(3, 3))
        >>> model.sample(2)[0].shape
        torch.Size([2, 3, 3])
    """

    def __init__(
        self,
        n_sites: int,
        hidden: int,
        *,
        n_layers: int = 2,
        activation: str = "relu",
        direct: bool = True,
        z2: bool = False,
        lattice: tuple[int, int] | None = None,
    ) -> None:
        super().__init__()
        self.n_sites = check_int("n_sites", n_sites, minimum=1)
        self.hidden = check_int("hidden", hidden, minimum=1)
        self.n_layers = check_int("n_layers", n_layers, minimum=0)
        self.activation = check_choice("activation", activation, tuple(ACTIVATIONS))
        self.direct = _check_bool("direct", direct)
        self.z2 = _check_bool("z2", z2)
        if self.n_layers == 0 and not self.direct:
            raise ValueError(
                "n_layers=0 is not allowed with direct=False: the model would have no inputs"
            )
        self.sample_shape = _check_lattice(lattice, self.n_sites)
        n = self.n_sites
        site = torch.arange(n)
        degrees = _hidden_degrees(n, self.hidden)
        self.register_buffer("degrees", degrees, persistent=False)
        layers: list[nn.Module] = []
        previous = site  # input i has degree i
        for _ in range(self.n_layers):
            layers.append(_MaskedLinear(degrees[:, None] >= previous[None, :]))
            layers.append(ACTIVATIONS[activation]())
            previous = degrees
        self.body = nn.Sequential(*layers)
        self.out = _MaskedLinear(site[:, None] > degrees[None, :]) if self.n_layers > 0 else None
        self.skip = (
            _MaskedLinear(site[:, None] > site[None, :], bias=self.n_layers == 0)
            if self.direct
            else None
        )

    def reset_parameters(self) -> None:
        for module in self.modules():
            if isinstance(module, _MaskedLinear):
                module.reset_parameters()

    def _logits(self, x: torch.Tensor) -> torch.Tensor:
        out = self.out(self.body(x)) if self.out is not None else None
        if self.skip is not None:
            out = self.skip(x) if out is None else out + self.skip(x)
        return out

    def _sequential_logits(self, x: torch.Tensor) -> Iterator[torch.Tensor]:
        """Site-by-site logits at the cost of about one forward pass in all.

        A hidden unit of degree m depends only on sites 0..m (in every layer), so it is
        final once site m is drawn: it is computed then, once, and its contribution is
        added to the logits of the later sites (as is the direct term of site m).
        Degrees are sorted, so the units of degree m are one slice of each layer.
        """
        linears = [m for m in self.body if isinstance(m, _MaskedLinear)]
        acts = [m for m in self.body if not isinstance(m, _MaskedLinear)]
        weights = [(m.weight * m.mask, m.bias) for m in linears]
        n_batch, n_sites = x.shape
        logits = torch.zeros_like(x)
        if self.out is not None:
            w_out = self.out.weight * self.out.mask
            logits += self.out.bias
        if self.skip is not None:
            w_skip = self.skip.weight * self.skip.mask
            if self.skip.bias is not None:
                logits += self.skip.bias
        degrees = self.degrees.tolist()
        bounds = [0] * (n_sites + 1)  # units of degree m: bounds[m]:bounds[m + 1]
        for d in degrees:
            bounds[d + 1] += 1
        for m in range(n_sites):
            bounds[m + 1] += bounds[m]
        hidden = [x.new_zeros(n_batch, self.hidden) for _ in weights]
        for i in range(n_sites):
            yield logits[:, i]
            if i + 1 == n_sites:
                break
            if self.skip is not None:
                logits[:, i + 1 :] += x[:, i : i + 1] * w_skip[i + 1 :, i]
            lo, hi = bounds[i], bounds[i + 1]
            if lo == hi or not weights:
                continue
            z = x[:, : i + 1]
            for layer, ((w, b), act) in enumerate(zip(weights, acts, strict=True)):
                hidden[layer][:, lo:hi] = act(F.linear(z, w[lo:hi, : z.shape[1]], b[lo:hi]))
                z = hidden[layer][:, :hi]
            logits[:, i + 1 :] += hidden[-1][:, lo:hi] @ w_out[i + 1 :, lo:hi].T

    def extra_repr(self) -> str:
        return (
            f"n_sites={self.n_sites}, hidden={self.hidden}, n_layers={self.n_layers}, "
            f"activation={self.activation!r}, direct={self.direct}, z2={self.z2}"
        )


# --------------------------------------------------------------------------- PixelCNN


class _MaskedConv2d(nn.Conv2d):
    """A 'same' 2D convolution (zero padding) that sees only earlier pixels in raster order.

    Kernel (2k+1) x (2k+1); the mask keeps the rows above the centre and, in the centre
    row, the pixels left of the centre, plus the centre itself unless ``exclusive``
    (PixelCNN masks 'A' and 'B'). Initialised with each output's true fan-in.
    """

    def __init__(self, c_in: int, c_out: int, half_kernel: int, *, exclusive: bool) -> None:
        size = 2 * half_kernel + 1
        super().__init__(c_in, c_out, size, padding=half_kernel)
        mask = torch.ones(size, size)
        mask[half_kernel, half_kernel + (0 if exclusive else 1) :] = 0
        mask[half_kernel + 1 :] = 0
        self.register_buffer("mask", mask)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        if not hasattr(self, "mask"):
            return
        fan_in = self.in_channels * float(self.mask.sum())
        bound = 1.0 / math.sqrt(fan_in)
        with torch.no_grad():
            self.weight.uniform_(-bound, bound).mul_(self.mask)
            self.bias.uniform_(-bound, bound)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.conv2d(x, self.weight * self.mask, self.bias, padding=self.padding)


class _Residual(nn.Module):
    def __init__(self, block: nn.Module) -> None:
        super().__init__()
        self.block = block

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.block(x)


class MaskedConvAR(Autoregressive):
    r"""PixelCNN over an L x L lattice: masked convolutions, raster-order conditionals.

    A first masked convolution 'A' (centre excluded, 1 -> ``channels``), then
    ``n_layers - 1`` blocks activation + masked convolution 'B' (centre included), with
    residual connections, then activation and a 1 x 1 convolution to one logit per site
    (as in Wu et al.'s PixelCNN). Boundaries of the convolutions are zero-padded (a
    periodic padding would break the raster order); the periodic couplings of the
    Hamiltonian are learned through the receptive field, which reaches
    ``n_layers * half_kernel`` rows up (and, as in any PixelCNN, has a blind spot up
    and to the right, which only limits what the model can express, never its
    normalisation).

    Args:
        L: linear size of the lattice, >= 2 (N = L^2 sites).
        channels: feature channels of the hidden layers, >= 1.
        n_layers: number of masked convolutions, >= 1.
        half_kernel: k for kernels of (2k + 1) x (2k + 1), >= 1.
        activation: one of :data:`~physml.models.mlp.ACTIVATIONS`.
        z2: symmetrise q under s -> -s (see the module docstring).

    Shapes:
        s (batch, L, L) or (batch, L * L), +-1 -> log_prob (batch,); samples
        (n, L, L).

    Example:
        >>> model = MaskedConvAR(4, 8, n_layers=2, half_kernel=2)
        >>> s, log_q = model.sample(5)
        >>> s.shape, log_q.shape
        (torch.Size([5, 4, 4]), torch.Size([5]))
    """

    def __init__(
        self,
        L: int,
        channels: int,
        *,
        n_layers: int = 3,
        half_kernel: int = 3,
        activation: str = "relu",
        z2: bool = False,
    ) -> None:
        super().__init__()
        self.L = check_int("L", L, minimum=2)
        self.channels = check_int("channels", channels, minimum=1)
        self.n_layers = check_int("n_layers", n_layers, minimum=1)
        self.half_kernel = check_int("half_kernel", half_kernel, minimum=1)
        self.activation = check_choice("activation", activation, tuple(ACTIVATIONS))
        self.z2 = _check_bool("z2", z2)
        self.n_sites = self.L * self.L
        self.sample_shape = (self.L, self.L)
        act = ACTIVATIONS[activation]
        layers: list[nn.Module] = [_MaskedConv2d(1, channels, half_kernel, exclusive=True)]
        for _ in range(self.n_layers - 1):
            block = nn.Sequential(
                act(), _MaskedConv2d(channels, channels, half_kernel, exclusive=False)
            )
            layers.append(_Residual(block))
        layers += [act(), nn.Conv2d(channels, 1, 1)]
        self.net = nn.Sequential(*layers)

    def reset_parameters(self) -> None:
        for module in self.net.modules():
            if isinstance(module, nn.Conv2d):
                module.reset_parameters()

    def _logits(self, x: torch.Tensor) -> torch.Tensor:
        out = self.net(x.reshape(x.shape[0], 1, self.L, self.L))
        return out.reshape(x.shape[0], self.n_sites)

    def extra_repr(self) -> str:
        return (
            f"L={self.L}, channels={self.channels}, n_layers={self.n_layers}, "
            f"half_kernel={self.half_kernel}, activation={self.activation!r}, z2={self.z2}"
        )


# --------------------------------------------------------------------------- checks


def _check_bool(name: str, value) -> bool:
    if not isinstance(value, bool):
        raise ValueError(f"{name}={value!r} is not allowed: expected True or False")
    return value


def _check_lattice(lattice, n_sites: int) -> tuple[int, ...]:
    if lattice is None:
        return (n_sites,)
    ok = isinstance(lattice, (tuple, list)) and len(lattice) == 2
    if ok:
        try:
            rows = check_int("lattice[0]", lattice[0], minimum=1)
            cols = check_int("lattice[1]", lattice[1], minimum=1)
        except ValueError:
            ok = False
        else:
            ok = rows * cols == n_sites
    if not ok:
        raise ValueError(
            f"lattice={lattice!r} is not allowed: expected None or (rows, cols) with "
            f"rows * cols = n_sites = {n_sites}"
        )
    return (rows, cols)
