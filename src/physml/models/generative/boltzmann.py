r"""Restricted Boltzmann machines as generative models of data: binary and Gaussian visibles.

Two energy-based models with a visible layer v (n_visible units, the data) and a binary
hidden layer :math:`h \in \{0, 1\}^{n_h}`, in the notation of Hjorth-Jensen's lectures
(visible bias a = ``visible_bias``, hidden bias b = ``hidden_bias``, couplings
:math:`W_{ij}` = ``weight[i, j]`` of shape (n_visible, n_hidden)):

.. math::
    E_{\rm BB}(v, h) &= -\sum_i a_i v_i - \sum_j b_j h_j - \sum_{ij} v_i W_{ij} h_j,
    \qquad v \in \{0, 1\}^{n_v},\\
    E_{\rm GB}(v, h) &= \sum_i \frac{(v_i - a_i)^2}{2\sigma_i^2} - \sum_j b_j h_j
    - \sum_{ij} \frac{v_i W_{ij} h_j}{\sigma_i^2}, \qquad v \in \mathbb{R}^{n_v},

and :math:`p(v, h) = e^{-E(v, h)} / Z`. The hidden units are summed out analytically into
the free energy :math:`F(v) = -\log \sum_h e^{-E(v, h)}`, so :math:`p(v) = e^{-F(v)} / Z`:

.. math::
    F_{\rm BB}(v) &= -a \cdot v - \sum_j \operatorname{softplus}(b_j + (v W)_j),\\
    F_{\rm GB}(v) &= \sum_i \frac{(v_i - a_i)^2}{2\sigma_i^2}
    - \sum_j \operatorname{softplus}\big(b_j + ((v / \sigma^2) W)_j\big).

Summing out the visibles instead gives the hidden free energy
:math:`F(h) = -\log \sum_v e^{-E(v, h)}` (an integral for Gaussian visibles, whose
:math:`\frac12 \log 2\pi\sigma_i^2` terms it includes), and
:math:`\log Z = \log\sum_h e^{-F(h)}`. :meth:`~BernoulliRBM.log_partition_exact`
enumerates whichever layer is smaller (binary visibles) or the hidden layer (Gaussian
visibles), for at most :data:`MAX_EXACT_UNITS` units; that makes exact log-likelihoods of
models with a few thousand visibles and up to 20 hidden units cheap, and
:meth:`~BernoulliRBM.sample_exact` draws independent exact samples of such models (no
Markov chain, so no question of mixing).

Both layers are conditionally independent given the other (block Gibbs sampling):
:math:`p(h_j = 1 | v) = \sigma(b_j + \sum_i v_i W_{ij} / \sigma_i^2)` (with
:math:`\sigma_i = 1` for binary visibles), :math:`p(v_i = 1 | h) = \sigma(a_i + (W h)_i)`
for binary and :math:`v_i | h \sim \mathcal N(a_i + (W h)_i, \sigma_i^2)` for Gaussian
visibles.

Ising spins. Binary visibles are 0/1; a configuration of Ising spins
:math:`s_i = \pm 1` maps to :math:`v = (s + 1) / 2` and back to :math:`s = 2 v - 1`
(:func:`spins_to_binary`, :func:`binary_to_spins`; a flattened L x L lattice is n_visible
= L^2 units). Nothing is lost by the 0/1 convention: in spins the energy is
:math:`-a'\cdot s - b'\cdot h - s^\top W' h` + const with :math:`a' = a/2`, :math:`W' = W/2`,
:math:`b' = b + W^\top \mathbf 1 / 2`, the same family.

Conventions. Tensors are (batch, n_visible) and (batch, n_hidden); energies and free
energies are dimensionless (units of :math:`k_B T_0`, :math:`T_0 = 1`) of shape (batch,).
The models compute in their parameter dtype (``.double()`` for float64); inputs of another
dtype are cast. Randomness comes from an optional ``torch.Generator`` on the model's
device. No training code lives here: :mod:`physml.infer.contrastive_divergence` fits these
models with CD-k and persistent CD.

References:
    G. E. Hinton, "Training products of experts by minimizing contrastive divergence",
    Neural Comput. 14, 1771 (2002); G. E. Hinton, "A practical guide to training restricted
    Boltzmann machines", UTML TR 2010-003; K. Cho, A. Ilin, T. Raiko, "Improved learning
    of Gaussian-Bernoulli restricted Boltzmann machines", ICANN 2011;
    M. Hjorth-Jensen, FYS5429/9429 lecture notes, "Boltzmann machines", University of Oslo.

Example:
    >>> import torch
    >>> rbm = BernoulliRBM(4, 3).double()
    >>> all_v = binary_states(4, dtype=torch.float64)
    >>> round(float(rbm.log_prob_exact(all_v).detach().exp().sum()), 12)
    1.0
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from physml.checks import check_choice, check_int, check_real

__all__ = [
    "MAX_EXACT_UNITS",
    "BernoulliRBM",
    "GaussianBernoulliRBM",
    "binary_states",
    "binary_to_spins",
    "spins_to_binary",
]

#: Largest number of binary units :meth:`~BernoulliRBM.log_partition_exact` enumerates
#: (2^20 ~ 10^6 states).
MAX_EXACT_UNITS = 20
# States enumerated per chunk (bounds the memory of the enumeration).
_CHUNK = 1 << 14
_ENUMERATIONS = ("auto", "visible", "hidden")


def binary_states(
    n_units: int, *, dtype: torch.dtype | None = None, device: torch.device | str | None = None
) -> torch.Tensor:
    """All 2^n_units binary vectors, row k holding the bits of k (unit 0 least significant).

    Shapes:
        -> (2**n_units, n_units), entries 0/1 in ``dtype`` (default: torch's default dtype).
    """
    n = check_int("n_units", n_units, minimum=0, maximum=MAX_EXACT_UNITS)
    return _states(n, 0, 1 << n, dtype or torch.get_default_dtype(), device)


def _states(n: int, start: int, stop: int, dtype, device) -> torch.Tensor:
    index = torch.arange(start, stop, device=device)
    bits = torch.arange(n, device=device)
    return ((index.unsqueeze(-1) >> bits) & 1).to(dtype)


def spins_to_binary(spins: torch.Tensor) -> torch.Tensor:
    """Ising spins s = +-1 to binary visibles v = (s + 1) / 2 (same shape, float dtype)."""
    spins = torch.as_tensor(spins)
    if not spins.is_floating_point():
        spins = spins.to(torch.get_default_dtype())
    return (spins + 1) / 2


def binary_to_spins(v: torch.Tensor) -> torch.Tensor:
    """Binary visibles v in {0, 1} to Ising spins s = 2 v - 1 (same shape and dtype)."""
    return 2 * torch.as_tensor(v) - 1


class _RBM(nn.Module):
    """Shared piece of the two RBMs: parameters, hidden layer, Gibbs sampling, exact Z.

    Subclasses implement the visible side: :meth:`energy`, :meth:`free_energy`,
    :meth:`hidden_free_energy`, :meth:`p_v_given_h`, :meth:`sample_v_given_h`,
    :meth:`_hidden_input` and :meth:`_initial_visible`.
    """

    binary_visible: bool

    def __init__(self, n_visible: int, n_hidden: int, weight_std: float) -> None:
        super().__init__()
        self.n_visible = check_int("n_visible", n_visible, minimum=1)
        self.n_hidden = check_int("n_hidden", n_hidden, minimum=1)
        self.weight_std = check_real("weight_std", weight_std, nonnegative=True)
        self.visible_bias = nn.Parameter(torch.empty(self.n_visible))
        self.hidden_bias = nn.Parameter(torch.empty(self.n_hidden))
        self.weight = nn.Parameter(torch.empty(self.n_visible, self.n_hidden))

    def reset_parameters(self) -> None:
        """Biases zero, weights normal with std ``weight_std`` (Hinton's guide: 0.01)."""
        with torch.no_grad():
            self.visible_bias.zero_()
            self.hidden_bias.zero_()
            nn.init.normal_(self.weight, std=self.weight_std)

    # -- inputs ------------------------------------------------------------------------
    @property
    def _dtype(self) -> torch.dtype:
        return self.weight.dtype

    def _visible(self, v: torch.Tensor, name: str = "v") -> torch.Tensor:
        return self._layer(v, self.n_visible, name)

    def _hidden(self, h: torch.Tensor, name: str = "h") -> torch.Tensor:
        return self._layer(h, self.n_hidden, name)

    def _layer(self, x: torch.Tensor, width: int, name: str) -> torch.Tensor:
        x = torch.as_tensor(x)
        if x.ndim != 2 or x.shape[1] != width:
            raise ValueError(
                f"{name}.shape={tuple(x.shape)} is not allowed: expected (batch, {width})"
            )
        return x.to(device=self.weight.device, dtype=self._dtype)

    # -- hidden layer ------------------------------------------------------------------
    def _hidden_input(self, v: torch.Tensor) -> torch.Tensor:
        """b + (v / sigma^2) W, the field on each hidden unit; (batch, n_hidden)."""
        raise NotImplementedError

    def p_h_given_v(self, v: torch.Tensor) -> torch.Tensor:
        """p(h_j = 1 | v) for every hidden unit.

        Shapes:
            v (batch, n_visible) -> (batch, n_hidden) probabilities.
        """
        return torch.sigmoid(self._hidden_input(self._visible(v)))

    def sample_h_given_v(
        self, v: torch.Tensor, generator: torch.Generator | None = None
    ) -> torch.Tensor:
        """Draw h ~ p(h | v); (batch, n_visible) -> (batch, n_hidden) of 0/1."""
        return torch.bernoulli(self.p_h_given_v(v), generator=generator)

    def free_energy(self, v: torch.Tensor) -> torch.Tensor:
        """F(v) = -log sum_h exp(-E(v, h)); (batch, n_visible) -> (batch,)."""
        raise NotImplementedError

    def hidden_free_energy(self, h: torch.Tensor) -> torch.Tensor:
        """F(h) = -log sum_v exp(-E(v, h)) (an integral for Gaussian visibles)."""
        raise NotImplementedError

    def p_v_given_h(self, h: torch.Tensor) -> torch.Tensor:
        """Mean of v given h; (batch, n_hidden) -> (batch, n_visible)."""
        raise NotImplementedError

    def sample_v_given_h(
        self, h: torch.Tensor, generator: torch.Generator | None = None
    ) -> torch.Tensor:
        raise NotImplementedError

    def _initial_visible(self, n: int, generator: torch.Generator | None) -> torch.Tensor:
        raise NotImplementedError

    def forward(self, v: torch.Tensor) -> torch.Tensor:
        """Unnormalised log-probability -F(v); (batch, n_visible) -> (batch,)."""
        return -self.free_energy(v)

    # -- Gibbs sampling ----------------------------------------------------------------
    def gibbs_step(self, v: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
        """One block-Gibbs sweep v -> h ~ p(h | v) -> v' ~ p(v | h).

        Shapes:
            v (batch, n_visible) -> v' (batch, n_visible).
        """
        return self.sample_v_given_h(self.sample_h_given_v(v, generator), generator)

    @torch.no_grad()
    def sample(
        self,
        n_samples: int,
        n_steps: int,
        generator: torch.Generator | None = None,
        init: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """``n_samples`` independent chains of ``n_steps`` block-Gibbs sweeps.

        Args:
            n_samples: number of chains (rows of the result), >= 1.
            n_steps: Gibbs sweeps per chain, >= 0 (0 returns the initial states).
            generator: source of randomness (on the model's device); None uses torch's
                global generator.
            init: starting visibles (n_samples, n_visible); None draws them at random
                (uniform bits for binary visibles; for Gaussian ones v ~ p(v | h) with
                uniform random h, which spreads the chains over the mixture's centres).

        Returns:
            The visibles after the last sweep, (n_samples, n_visible) (drawn values, not
            means).
        """
        n = check_int("n_samples", n_samples, minimum=1)
        n_steps = check_int("n_steps", n_steps, minimum=0)
        if init is None:
            v = self._initial_visible(n, generator)
        else:
            v = self._visible(init, "init")
            if v.shape[0] != n:
                raise ValueError(
                    f"init.shape={tuple(v.shape)} is not allowed: expected "
                    f"({n}, {self.n_visible}) (n_samples rows)"
                )
        for _ in range(n_steps):
            v = self.gibbs_step(v, generator)
        return v

    # -- exact normalisation -----------------------------------------------------------
    def exact_layer(self, over: str = "auto") -> str:
        """The layer :meth:`log_partition_exact` enumerates: ``"visible"`` or ``"hidden"``.

        ``"auto"`` picks the smaller layer for binary visibles (the hidden one on a tie)
        and the hidden layer for Gaussian visibles, which cannot be enumerated.
        """
        over = check_choice("over", over, _ENUMERATIONS)
        if over == "visible" and not self.binary_visible:
            raise ValueError(
                "over='visible' is not allowed: expected 'auto' or 'hidden' "
                "(Gaussian visibles are integrated analytically, not enumerated)"
            )
        if over == "auto":
            smaller = self.binary_visible and self.n_visible < self.n_hidden
            return "visible" if smaller else "hidden"
        return over

    def _log_weights(self, over: str) -> tuple[str, torch.Tensor]:
        """The enumerated layer and -F of each of its 2^n states (state k: the bits of k)."""
        layer = self.exact_layer(over)
        n = self.n_visible if layer == "visible" else self.n_hidden
        if n > MAX_EXACT_UNITS:
            raise ValueError(
                f"n_{layer}={n} is not allowed for exact enumeration: expected at most "
                f"{MAX_EXACT_UNITS} units in the enumerated layer"
            )
        free = self.free_energy if layer == "visible" else self.hidden_free_energy
        device = self.weight.device
        chunks = [
            -free(_states(n, start, min(start + _CHUNK, 1 << n), self._dtype, device))
            for start in range(0, 1 << n, _CHUNK)
        ]
        return layer, torch.cat(chunks)

    def log_partition_exact(self, over: str = "auto") -> torch.Tensor:
        """log Z by enumerating the states of one layer, differentiable in the parameters.

        Args:
            over: ``"visible"`` (log sum_v exp(-F(v)), binary visibles only),
                ``"hidden"`` (log sum_h exp(-F(h))) or ``"auto"`` (:meth:`exact_layer`).

        Returns:
            0-dim tensor in the parameter dtype.

        Raises:
            ValueError: if the enumerated layer has more than :data:`MAX_EXACT_UNITS`
                units.
        """
        return torch.logsumexp(self._log_weights(over)[1], dim=0)

    @torch.no_grad()
    def sample_exact(
        self, n_samples: int, generator: torch.Generator | None = None, *, over: str = "auto"
    ) -> torch.Tensor:
        """Independent exact draws from p(v), by enumeration instead of a Markov chain.

        Draws the enumerated layer from its exact marginal (:meth:`exact_layer`), then, if
        that is the hidden layer, v ~ p(v | h). Unlike :meth:`sample`, the result does not
        depend on how well Gibbs chains mix between modes (a bimodal, ferromagnet-like
        RBM can trap them for very long), so it separates the quality of the model from
        that of the sampler. Same size limit as :meth:`log_partition_exact`.

        Shapes:
            -> (n_samples, n_visible).
        """
        n = check_int("n_samples", n_samples, minimum=1)
        layer, log_weights = self._log_weights(over)
        probs = torch.softmax(log_weights, dim=0)
        index = torch.multinomial(probs, n, replacement=True, generator=generator)
        width = self.n_visible if layer == "visible" else self.n_hidden
        bits = torch.arange(width, device=index.device)
        states = ((index.unsqueeze(-1) >> bits) & 1).to(self._dtype)
        return states if layer == "visible" else self.sample_v_given_h(states, generator)

    def log_prob_exact(self, v: torch.Tensor) -> torch.Tensor:
        """log p(v) = -F(v) - log Z (a log-density for Gaussian visibles).

        Shapes:
            v (batch, n_visible) -> (batch,).
        """
        return -self.free_energy(v) - self.log_partition_exact()

    def _sizes_repr(self) -> str:
        return f"n_visible={self.n_visible}, n_hidden={self.n_hidden}"


class BernoulliRBM(_RBM):
    r"""Binary-binary RBM, :math:`E = -a\cdot v - b\cdot h - v^\top W h`, v, h in {0, 1}.

    Ising configurations enter as v = (s + 1) / 2 (:func:`spins_to_binary`); samples map
    back with s = 2 v - 1 (:func:`binary_to_spins`).

    Args:
        n_visible: number of visible units (L^2 for an L x L Ising lattice).
        n_hidden: number of hidden units.
        weight_std: standard deviation of the normal initial weights (biases start at 0).

    Shapes:
        v (batch, n_visible), h (batch, n_hidden) of 0/1 -> energies (batch,).

    Example:
        >>> import torch
        >>> rbm = BernoulliRBM(9, 4).double()
        >>> g = torch.Generator().manual_seed(0)
        >>> rbm.sample(5, n_steps=10, generator=g).shape
        torch.Size([5, 9])
    """

    binary_visible = True

    def __init__(self, n_visible: int, n_hidden: int, *, weight_std: float = 0.01) -> None:
        super().__init__(n_visible, n_hidden, weight_std)
        self.reset_parameters()

    def energy(self, v: torch.Tensor, h: torch.Tensor) -> torch.Tensor:
        """E(v, h) = -a.v - b.h - v W h; (batch, n_visible), (batch, n_hidden) -> (batch,)."""
        v, h = self._visible(v), self._hidden(h)
        coupling = ((v @ self.weight) * h).sum(-1)
        return -(v @ self.visible_bias) - (h @ self.hidden_bias) - coupling

    def _hidden_input(self, v: torch.Tensor) -> torch.Tensor:
        return self.hidden_bias + v @ self.weight

    def free_energy(self, v: torch.Tensor) -> torch.Tensor:
        """F(v) = -a.v - sum_j softplus(b_j + (v W)_j); (batch, n_visible) -> (batch,)."""
        v = self._visible(v)
        return -(v @ self.visible_bias) - F.softplus(self._hidden_input(v)).sum(-1)

    def hidden_free_energy(self, h: torch.Tensor) -> torch.Tensor:
        """F(h) = -b.h - sum_i softplus(a_i + (W h)_i); (batch, n_hidden) -> (batch,)."""
        h = self._hidden(h)
        visible_in = self.visible_bias + h @ self.weight.T
        return -(h @ self.hidden_bias) - F.softplus(visible_in).sum(-1)

    def p_v_given_h(self, h: torch.Tensor) -> torch.Tensor:
        """p(v_i = 1 | h) = sigmoid(a_i + (W h)_i); (batch, n_hidden) -> (batch, n_visible)."""
        h = self._hidden(h)
        return torch.sigmoid(self.visible_bias + h @ self.weight.T)

    def sample_v_given_h(
        self, h: torch.Tensor, generator: torch.Generator | None = None
    ) -> torch.Tensor:
        """Draw v ~ p(v | h); (batch, n_hidden) -> (batch, n_visible) of 0/1."""
        return torch.bernoulli(self.p_v_given_h(h), generator=generator)

    def _initial_visible(self, n: int, generator: torch.Generator | None) -> torch.Tensor:
        half = torch.full((n, self.n_visible), 0.5, dtype=self._dtype, device=self.weight.device)
        return torch.bernoulli(half, generator=generator)

    def extra_repr(self) -> str:
        return self._sizes_repr()


class GaussianBernoulliRBM(_RBM):
    r"""Gaussian-binary RBM for real-valued data (one width :math:`\sigma_i` per visible).

    :math:`E = \sum_i (v_i - a_i)^2 / 2\sigma_i^2 - b\cdot h - \sum_{ij} v_i W_{ij} h_j /
    \sigma_i^2`; given h the visibles are independent normals
    :math:`\mathcal N(a_i + (W h)_i, \sigma_i^2)`, so p(v) is a mixture of 2^n_hidden
    Gaussians of common widths sigma whose centres a + W h and weights are learned.
    (:class:`~physml.models.wavefunctions.gaussian_rbm.GaussianBinaryRBM` is the same energy
    used as a
    quantum wavefunction, with a single sigma.)

    Args:
        n_visible: number of visible units.
        n_hidden: number of hidden units.
        sigma: initial width of every visible unit (> 0). Standardised data with
            sigma = 1 fixed is the usual, stable choice.
        learn_sigma: if True, :math:`\log\sigma_i` (``log_sigma``, shape (n_visible,)) is a
            parameter; else a buffer.
        weight_std: standard deviation of the normal initial weights (biases start at 0).

    Shapes:
        v (batch, n_visible) real, h (batch, n_hidden) of 0/1 -> energies (batch,).

    Example:
        >>> import torch
        >>> rbm = GaussianBernoulliRBM(1, 2, sigma=0.5).double()
        >>> x = torch.linspace(-20, 20, 40001, dtype=torch.float64).unsqueeze(-1)
        >>> density = rbm.log_prob_exact(x).detach().exp()
        >>> round(float(torch.trapezoid(density, x[:, 0])), 8)
        1.0
    """

    binary_visible = False

    def __init__(
        self,
        n_visible: int,
        n_hidden: int,
        *,
        sigma: float = 1.0,
        learn_sigma: bool = False,
        weight_std: float = 0.01,
    ) -> None:
        super().__init__(n_visible, n_hidden, weight_std)
        self.sigma_init = check_real("sigma", sigma, positive=True)
        if not isinstance(learn_sigma, bool):
            raise ValueError(f"learn_sigma={learn_sigma!r} is not allowed: expected a bool")
        self.learn_sigma = learn_sigma
        log_sigma = torch.empty(self.n_visible)
        if learn_sigma:
            self.log_sigma = nn.Parameter(log_sigma)
        else:
            self.register_buffer("log_sigma", log_sigma)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Biases zero, weights normal (std ``weight_std``), every sigma at its initial value."""
        super().reset_parameters()
        with torch.no_grad():
            self.log_sigma.fill_(math.log(self.sigma_init))

    @property
    def sigma(self) -> torch.Tensor:
        """Widths of the visible units, shape (n_visible,)."""
        return self.log_sigma.exp()

    def _inv_var(self) -> torch.Tensor:
        return torch.exp(-2.0 * self.log_sigma.to(self._dtype))

    def energy(self, v: torch.Tensor, h: torch.Tensor) -> torch.Tensor:
        """E(v, h) (module docstring); (batch, n_visible), (batch, n_hidden) -> (batch,)."""
        v, h = self._visible(v), self._hidden(h)
        inv_var = self._inv_var()
        quadratic = 0.5 * ((v - self.visible_bias) ** 2 * inv_var).sum(-1)
        coupling = (((v * inv_var) @ self.weight) * h).sum(-1)
        return quadratic - (h @ self.hidden_bias) - coupling

    def _hidden_input(self, v: torch.Tensor) -> torch.Tensor:
        return self.hidden_bias + (v * self._inv_var()) @ self.weight

    def free_energy(self, v: torch.Tensor) -> torch.Tensor:
        """F(v) = sum_i (v_i - a_i)^2 / 2 sigma_i^2 - sum_j softplus(b_j + ((v/sigma^2) W)_j)."""
        v = self._visible(v)
        quadratic = 0.5 * ((v - self.visible_bias) ** 2 * self._inv_var()).sum(-1)
        return quadratic - F.softplus(self._hidden_input(v)).sum(-1)

    def hidden_free_energy(self, h: torch.Tensor) -> torch.Tensor:
        r"""F(h) = -log of the integral of exp(-E(v, h)) over v; (batch, n_hidden) -> (batch,).

        :math:`F(h) = -b\cdot h - \sum_i [(a_i + (Wh)_i)^2 - a_i^2] / 2\sigma_i^2
        - \sum_i \tfrac12 \log 2\pi\sigma_i^2`.
        """
        h = self._hidden(h)
        inv_var = self._inv_var()
        mean = self.visible_bias + h @ self.weight.T
        shift = 0.5 * ((mean**2 - self.visible_bias**2) * inv_var).sum(-1)
        log_norm = 0.5 * (math.log(2 * math.pi) - torch.log(inv_var)).sum()
        return -(h @ self.hidden_bias) - shift - log_norm

    def p_v_given_h(self, h: torch.Tensor) -> torch.Tensor:
        """Mean a + W h of the normal p(v | h) (its widths are :attr:`sigma`).

        Shapes:
            h (batch, n_hidden) -> (batch, n_visible).
        """
        h = self._hidden(h)
        return self.visible_bias + h @ self.weight.T

    def sample_v_given_h(
        self, h: torch.Tensor, generator: torch.Generator | None = None
    ) -> torch.Tensor:
        """Draw v ~ N(a + W h, sigma^2); (batch, n_hidden) -> (batch, n_visible)."""
        mean = self.p_v_given_h(h)
        noise = torch.randn(mean.shape, generator=generator, dtype=mean.dtype, device=mean.device)
        return mean + noise * self.sigma.to(mean.dtype)

    def _initial_visible(self, n: int, generator: torch.Generator | None) -> torch.Tensor:
        shape = (n, self.n_visible)
        noise = torch.randn(
            shape, generator=generator, dtype=self._dtype, device=self.weight.device
        )
        return self.visible_bias + noise * self.sigma.to(self._dtype)

    def extra_repr(self) -> str:
        return f"{self._sizes_repr()}, sigma={self.sigma_init:g}, learn_sigma={self.learn_sigma}"
