r"""Variational autoencoder with a Gaussian latent, and small encoders/decoders for lattices.

The generative model is :math:`p(z) = \mathcal N(0, I_K)` and :math:`p_\theta(x | z)` given
by the decoder; the encoder gives a diagonal Gaussian posterior approximation
:math:`q_\phi(z | x) = \mathcal N(\mu(x), \operatorname{diag}\sigma^2(x))`. The evidence
lower bound (ELBO) of one example is

.. math::
    \mathrm{ELBO}(x) = \mathbb E_{q(z|x)}[\log p(x|z)] - \mathrm{KL}(q(z|x)\,\|\,p(z))
                     = \log p(x) - \mathrm{KL}(q(z|x)\,\|\,p(z|x)) \le \log p(x),

with equality exactly when q is the true posterior. The KL term to the prior is analytic,
:math:`\tfrac12\sum_k(\mu_k^2 + \sigma_k^2 - 1 - \log\sigma_k^2)`.

Conventions. Log-likelihoods, ELBOs and KL terms are in **nats per example**, summed over
every feature of the example (divide by ``n_features * log 2`` for bits per dimension).
A batch is ``(batch, *event_shape)``: ``(batch, n_features)`` for vectors,
``(batch, L, L)`` for a scalar lattice field. A conditional VAE (Sohn et al.) takes a
``context`` c of shape (batch, context_dim) (e.g. physical parameters) in every method:
:math:`q_\phi(z|x, c)`, :math:`p_\theta(x|z, c)`, the prior stays
:math:`\mathcal N(0, I)`; the encoder and decoder are then called as ``encoder(x, c)``
and ``decoder(z, c)``. Likelihoods (:data:`LIKELIHOODS`):

* ``"gaussian"``: :math:`x \sim \mathcal N(\text{decoder}(z), \sigma_{\rm obs}^2 I)` with
  one shared observation noise :math:`\sigma_{\rm obs}` (learned by default); a density
  on continuous data such as Gaussian random fields.
* ``"bernoulli"``: x in {0, 1}, the decoder gives logits.
* ``"spin"``: x in {-1, +1} (Ising spins), the decoder gives logits l with
  :math:`p(s) = \operatorname{sigmoid}(s\, l)`; samples are exactly +-1.

Randomness: every sampling method takes an optional ``torch.Generator``; without one it
draws from torch's global generator (which :func:`physml.train.fit` seeds and forks, so a
``loss`` used inside ``fit`` is reproducible).

References:
    D. P. Kingma and M. Welling, "Auto-Encoding Variational Bayes", ICLR 2014,
    arXiv:1312.6114; Y. Burda, R. Grosse, R. Salakhutdinov, "Importance Weighted
    Autoencoders", ICLR 2016, arXiv:1509.00519 (:meth:`VAE.log_likelihood`);
    I. Higgins et al., "beta-VAE", ICLR 2017 (``beta``); K. Sohn, H. Lee, X. Yan,
    "Learning Structured Output Representation using Deep Conditional Generative Models",
    NeurIPS 2015 (``context``).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import nn

from physml.checks import check_choice, check_int, check_real, check_widths
from physml.models.mlp import ACTIVATIONS, MLP

__all__ = ["LIKELIHOODS", "VAE", "LatticeDecoder", "LatticeEncoder"]

LIKELIHOODS: tuple[str, ...] = ("gaussian", "bernoulli", "spin")
"""Observation models :math:`p(x|z)` understood by :class:`VAE`."""

_LOG_2PI = math.log(2.0 * math.pi)


def _reset_children(module: nn.Module) -> None:
    for child in module.modules():
        if child is not module and hasattr(child, "reset_parameters"):
            child.reset_parameters()


def _lattice_input(x: torch.Tensor, in_channels: int, size: int) -> torch.Tensor:
    """(batch, L, L) or (batch, C, L, L) -> (batch, C, L, L), or a ValueError."""
    if x.ndim == 3 and in_channels == 1:
        x = x.unsqueeze(1)
    if x.ndim != 4 or tuple(x.shape[1:]) != (in_channels, size, size):
        raise ValueError(
            f"x.shape={tuple(x.shape)} is not allowed: expected (batch, {size}, {size})"
            f" or (batch, {in_channels}, {size}, {size})"
        )
    return x


def _join_context(h: torch.Tensor, context: torch.Tensor | None, context_dim: int):
    """Features h (batch, f) with the context (batch, context_dim) appended, or a ValueError
    when the context is missing, unexpected or of the wrong shape."""
    if (context is None) != (context_dim == 0) or (
        context is not None and context.shape != (h.shape[0], context_dim)
    ):
        expected = f"(batch, {context_dim})" if context_dim else "None"
        got = None if context is None else tuple(context.shape)
        raise ValueError(
            f"context of shape {got} is not allowed: expected {expected} for "
            f"context_dim={context_dim}"
        )
    return h if context is None else torch.cat([h, context.to(h.dtype)], dim=-1)


def _conv_stack(channels: Sequence[int], kernel_size: int, circular: bool, act: str) -> list:
    layers: list[nn.Module] = []
    for c_in, c_out in itertools.pairwise(channels):
        layers.append(
            nn.Conv2d(
                c_in,
                c_out,
                kernel_size,
                padding=kernel_size // 2,
                padding_mode="circular" if circular else "zeros",
            )
        )
        layers.append(ACTIVATIONS[act]())
    return layers


class LatticeEncoder(nn.Module):
    """Convolutions on an L x L lattice, then one linear map of all sites to features.

    Stride-1 convolutions (circular padding for periodic boundary conditions, zero
    padding otherwise) followed by a dense readout of the whole lattice, so the network
    sees long-range order (magnetisation, long wavelengths). Used as the VAE encoder
    (``out_features = 2 * latent_dim``) and as a GAN discriminator (``out_features = 1``).
    A context (``context_dim > 0``) is appended to the features before the readout.

    Args:
        size: lattice side L.
        out_features: output width.
        channels: output channels of each convolution (may be empty: a dense layer).
        kernel_size: odd kernel size.
        in_channels: channels of the field (1 for spins or a scalar field).
        circular: periodic (True) or open (False) boundary conditions.
        activation: one of :data:`~physml.models.mlp.ACTIVATIONS`.
        context_dim: width of the context c (0: none, the module is called as ``f(x)``).

    Shapes:
        x (batch, L, L) or (batch, in_channels, L, L), context (batch, context_dim)
        -> (batch, out_features).
    """

    def __init__(
        self,
        size: int,
        out_features: int,
        channels: Sequence[int] = (16, 16),
        *,
        kernel_size: int = 3,
        in_channels: int = 1,
        circular: bool = True,
        activation: str = "relu",
        context_dim: int = 0,
    ) -> None:
        super().__init__()
        self.size = check_int("size", size, minimum=1)
        self.out_features = check_int("out_features", out_features, minimum=1)
        self.channels = check_widths("channels", channels)
        self.kernel_size = check_int("kernel_size", kernel_size, minimum=1)
        if kernel_size % 2 != 1:
            raise ValueError(f"kernel_size={kernel_size!r} is not allowed: expected an odd int")
        self.in_channels = check_int("in_channels", in_channels, minimum=1)
        self.circular = bool(circular)
        self.activation = check_choice("activation", activation, tuple(ACTIVATIONS))
        self.context_dim = check_int("context_dim", context_dim, minimum=0)
        widths = (self.in_channels, *self.channels)
        self.features = nn.Sequential(*_conv_stack(widths, kernel_size, circular, activation))
        self.readout = nn.Linear(widths[-1] * size * size + self.context_dim, self.out_features)

    def reset_parameters(self) -> None:
        _reset_children(self)

    def forward(self, x: torch.Tensor, context: torch.Tensor | None = None) -> torch.Tensor:
        x = _lattice_input(x, self.in_channels, self.size).to(self.readout.weight.dtype)
        return self.readout(_join_context(self.features(x).flatten(1), context, self.context_dim))

    def extra_repr(self) -> str:
        return f"size={self.size}, circular={self.circular}, context_dim={self.context_dim}"


class LatticeDecoder(nn.Module):
    """A linear map from a latent vector to an L x L feature map, then convolutions.

    The mirror image of :class:`LatticeEncoder`: used as the VAE decoder and as a GAN
    generator (it has ``latent_dim``, which :func:`physml.models.generative.gan.train_gan` reads).
    A context (``context_dim > 0``) is appended to z before the linear map.

    Args:
        size: lattice side L.
        latent_dim: input width K.
        channels: channels of the feature map (``channels[0]`` right after the linear
            map) and of each following convolution; the last convolution maps to
            ``out_channels`` without activation.
        kernel_size: odd kernel size.
        out_channels: channels of the output field.
        circular: periodic (True) or open (False) boundary conditions.
        activation: one of :data:`~physml.models.mlp.ACTIVATIONS`.
        context_dim: width of the context c (0: none, the module is called as ``f(z)``).

    Shapes:
        z (batch, latent_dim), context (batch, context_dim) -> (batch, L, L) if
        out_channels == 1, else (batch, out_channels, L, L).
    """

    def __init__(
        self,
        size: int,
        latent_dim: int,
        channels: Sequence[int] = (16, 16),
        *,
        kernel_size: int = 3,
        out_channels: int = 1,
        circular: bool = True,
        activation: str = "relu",
        context_dim: int = 0,
    ) -> None:
        super().__init__()
        self.size = check_int("size", size, minimum=1)
        self.latent_dim = check_int("latent_dim", latent_dim, minimum=1)
        self.channels = check_widths("channels", channels, allow_empty=False)
        self.kernel_size = check_int("kernel_size", kernel_size, minimum=1)
        if kernel_size % 2 != 1:
            raise ValueError(f"kernel_size={kernel_size!r} is not allowed: expected an odd int")
        self.out_channels = check_int("out_channels", out_channels, minimum=1)
        self.circular = bool(circular)
        self.activation = check_choice("activation", activation, tuple(ACTIVATIONS))
        self.context_dim = check_int("context_dim", context_dim, minimum=0)
        self.dense = nn.Linear(self.latent_dim + self.context_dim, self.channels[0] * size * size)
        layers = [
            ACTIVATIONS[activation](),
            *_conv_stack(self.channels, kernel_size, circular, activation),
        ]
        layers.append(
            nn.Conv2d(
                self.channels[-1],
                self.out_channels,
                kernel_size,
                padding=kernel_size // 2,
                padding_mode="circular" if circular else "zeros",
            )
        )
        self.features = nn.Sequential(*layers)

    def reset_parameters(self) -> None:
        _reset_children(self)

    def forward(self, z: torch.Tensor, context: torch.Tensor | None = None) -> torch.Tensor:
        z = _join_context(z.to(self.dense.weight.dtype), context, self.context_dim)
        h = self.dense(z)
        h = h.reshape(-1, self.channels[0], self.size, self.size)
        out = self.features(h)
        return out.squeeze(1) if self.out_channels == 1 else out

    def extra_repr(self) -> str:
        return f"size={self.size}, circular={self.circular}, context_dim={self.context_dim}"


class VAE(nn.Module):
    r"""Variational autoencoder :math:`p(z)\,p_\theta(x|z)` with encoder :math:`q_\phi(z|x)`.

    Args:
        encoder: module mapping x (batch, \*event_shape) to (batch, 2 * latent_dim):
            the posterior mean, then the posterior log-variance.
        decoder: module mapping z (batch, latent_dim) to (batch, \*event_shape): the mean
            of x (``"gaussian"``) or logits (``"bernoulli"``, ``"spin"``).
        latent_dim: K, the latent dimension.
        likelihood: one of :data:`LIKELIHOODS` (see the module docstring).
        beta: weight of the KL term in :meth:`loss` (1: the ELBO; beta-VAE otherwise).
            :meth:`elbo` is always the true bound, whatever beta.
        obs_std: initial observation noise :math:`\sigma_{\rm obs}` (gaussian only);
            its log is stored in the default dtype, so after ``.double()`` it carries
            float32 rounding until trained or refilled.
        learn_obs_std: learn :math:`\log\sigma_{\rm obs}` (True) or keep it fixed.

    Every method takes an optional ``context`` (batch, context_dim) for a conditional
    VAE (see the module docstring); the encoder and decoder must then accept it.

    Shapes:
        x (batch, \*event_shape) -> :meth:`elbo`, :meth:`kl`, :meth:`log_likelihood`
        (batch,) in nats; :meth:`sample` (n, \*event_shape).

    Example:
        >>> import torch
        >>> vae = VAE.mlp((2,), latent_dim=1, hidden=(8,)).double()
        >>> x = torch.randn(5, 2, dtype=torch.float64)
        >>> vae.elbo(x).shape, vae.sample(3).shape
        (torch.Size([5]), torch.Size([3, 2]))
        >>> bool((vae.elbo(x, kl="monte_carlo") < 0).all())  # a density on R^2, here < 1
        True
    """

    def __init__(
        self,
        encoder: nn.Module,
        decoder: nn.Module,
        latent_dim: int,
        *,
        likelihood: str = "gaussian",
        beta: float = 1.0,
        obs_std: float = 1.0,
        learn_obs_std: bool = True,
    ) -> None:
        super().__init__()
        self.encoder = encoder
        self.decoder = decoder
        self.latent_dim = check_int("latent_dim", latent_dim, minimum=1)
        self.likelihood = check_choice("likelihood", likelihood, LIKELIHOODS)
        self.beta = check_real("beta", beta, nonnegative=True)
        self._obs_std0 = check_real("obs_std", obs_std, positive=True)
        self.learn_obs_std = bool(learn_obs_std)
        log_std = torch.tensor(math.log(self._obs_std0))
        if likelihood != "gaussian":
            self.log_obs_std = None
        elif self.learn_obs_std:
            self.log_obs_std = nn.Parameter(log_std)
        else:
            self.register_buffer("log_obs_std", log_std)

    # --- constructors ---------------------------------------------------------------

    @classmethod
    def mlp(
        cls,
        event_shape: Sequence[int],
        latent_dim: int,
        hidden: Sequence[int] = (128,),
        *,
        activation: str = "relu",
        **kwargs,
    ) -> VAE:
        """A VAE with MLP encoder and decoder on flattened examples of any ``event_shape``.

        The decoder's hidden widths are ``hidden`` reversed; ``kwargs`` go to :class:`VAE`.
        """
        shape = tuple(check_widths("event_shape", event_shape, allow_empty=False))
        k = check_int("latent_dim", latent_dim, minimum=1)
        widths = check_widths("hidden", hidden)
        n = math.prod(shape)
        encoder = nn.Sequential(nn.Flatten(), MLP(n, widths, 2 * k, activation=activation))
        decoder = nn.Sequential(
            MLP(k, widths[::-1], n, activation=activation), nn.Unflatten(-1, shape)
        )
        return cls(encoder, decoder, k, **kwargs)

    @classmethod
    def lattice(
        cls,
        size: int,
        latent_dim: int,
        channels: Sequence[int] = (16, 16),
        *,
        kernel_size: int = 3,
        circular: bool = True,
        activation: str = "relu",
        context_dim: int = 0,
        **kwargs,
    ) -> VAE:
        """A VAE on (batch, L, L) fields: :class:`LatticeEncoder` and :class:`LatticeDecoder`.

        The decoder's channels are ``channels`` reversed; ``context_dim > 0`` makes it a
        conditional VAE; ``kwargs`` go to :class:`VAE` (``likelihood="spin"`` for Ising
        configurations).
        """
        options = {
            "kernel_size": kernel_size,
            "circular": circular,
            "activation": activation,
            "context_dim": context_dim,
        }
        encoder = LatticeEncoder(size, 2 * latent_dim, channels, **options)
        decoder = LatticeDecoder(size, latent_dim, tuple(channels)[::-1] or (16,), **options)
        return cls(encoder, decoder, latent_dim, **kwargs)

    def reset_parameters(self) -> None:
        _reset_children(self.encoder)
        _reset_children(self.decoder)
        if self.log_obs_std is not None:
            with torch.no_grad():
                self.log_obs_std.fill_(math.log(self._obs_std0))

    # --- pieces ---------------------------------------------------------------------

    @property
    def _dtype(self) -> torch.dtype:
        for p in self.parameters():
            return p.dtype
        return torch.get_default_dtype()

    def encode(
        self, x: torch.Tensor, context: torch.Tensor | None = None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Posterior mean and log-variance, each (batch, latent_dim)."""
        x = x.to(self._dtype)
        out = self.encoder(x) if context is None else self.encoder(x, context)
        if out.shape[-1] != 2 * self.latent_dim:
            raise ValueError(
                f"the encoder returned shape {tuple(out.shape)}; expected (batch, "
                f"{2 * self.latent_dim}) = (batch, 2 * latent_dim)"
            )
        mean, log_var = out.chunk(2, dim=-1)
        return mean, log_var

    def decode(self, z: torch.Tensor, context: torch.Tensor | None = None) -> torch.Tensor:
        """Decoder output (mean or logits) for z (..., latent_dim) -> (..., \\*event_shape);
        a context (batch, context_dim) is broadcast against z's leading axes."""
        lead = z.shape[:-1]
        z = z.reshape(-1, self.latent_dim)
        if context is None:
            out = self.decoder(z)
        else:
            out = self.decoder(z, context.expand(*lead, context.shape[-1]).reshape(len(z), -1))
        return out.reshape(*lead, *out.shape[1:])

    def log_prob_x_given_z(self, x: torch.Tensor, params: torch.Tensor) -> torch.Tensor:
        """:math:`\\log p(x|z)` in nats, summed over the event; params from :meth:`decode`.

        Shapes:
            x (batch, \\*event), params (..., batch, \\*event) -> (..., batch).
        """
        x = x.to(params.dtype)
        if self.likelihood == "gaussian":
            log_std = self.log_obs_std.to(params.dtype)
            lp = -0.5 * ((x - params) * torch.exp(-log_std)) ** 2 - log_std - 0.5 * _LOG_2PI
        elif self.likelihood == "bernoulli":
            lp = x * params - F.softplus(params)
        else:
            lp = -F.softplus(-x * params)
        n_event = x.ndim - 1
        return lp.sum(dim=tuple(range(-n_event, 0))) if n_event else lp

    def mean_x_given_z(self, params: torch.Tensor) -> torch.Tensor:
        """Expected value of x under p(x|z): the mean, sigmoid(logits) or tanh(logits / 2)."""
        if self.likelihood == "gaussian":
            return params
        if self.likelihood == "bernoulli":
            return torch.sigmoid(params)
        return torch.tanh(0.5 * params)

    def kl(self, x: torch.Tensor, context: torch.Tensor | None = None) -> torch.Tensor:
        r"""Analytic :math:`\mathrm{KL}(q(z|x)\,\|\,\mathcal N(0, I))` in nats, shape (batch,)."""
        mean, log_var = self.encode(x, context)
        return 0.5 * (mean**2 + log_var.exp() - 1.0 - log_var).sum(-1)

    def _posterior_samples(
        self,
        x: torch.Tensor,
        n_samples: int,
        generator: torch.Generator | None,
        context: torch.Tensor | None,
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
        mean, log_var = self.encode(x, context)
        shape = (n_samples, *mean.shape)
        eps = torch.randn(shape, generator=generator, dtype=mean.dtype, device=mean.device)
        z = mean + torch.exp(0.5 * log_var) * eps
        return mean, log_var, z, eps

    @staticmethod
    def _log_q_minus_log_prior(z, eps, log_var) -> torch.Tensor:
        # log N(z; mu, sigma^2) - log N(z; 0, 1), the Gaussian constants cancel
        return (-0.5 * eps**2 - 0.5 * log_var + 0.5 * z**2).sum(-1)

    # --- the objective ----------------------------------------------------------------

    def elbo(
        self,
        x: torch.Tensor,
        *,
        n_samples: int = 1,
        kl: str = "analytic",
        generator: torch.Generator | None = None,
        context: torch.Tensor | None = None,
    ) -> torch.Tensor:
        r"""Reparameterised Monte Carlo estimate of the ELBO of each example, in nats.

        Args:
            x: a batch (batch, \*event_shape).
            n_samples: posterior samples z per example.
            kl: ``"analytic"`` (the closed-form KL to the prior, lowest variance in
                general) or ``"monte_carlo"`` (the estimator
                :math:`\log p(x|z) + \log p(z) - \log q(z|x)`, which has zero variance
                when q is the exact posterior: it then equals :math:`\log p(x)` for
                every z).
            generator: torch generator for z.
            context: (batch, context_dim) conditions of a conditional VAE, or None.

        Returns:
            (batch,) ELBO estimates; unbiased for the ELBO, which is <= log p(x).
        """
        n = check_int("n_samples", n_samples, minimum=1)
        check_choice("kl", kl, ("analytic", "monte_carlo"))
        mean, log_var, z, eps = self._posterior_samples(x, n, generator, context)
        log_px_z = self.log_prob_x_given_z(x, self.decode(z, context))
        if kl == "analytic":
            kl_term = 0.5 * (mean**2 + log_var.exp() - 1.0 - log_var).sum(-1)
            return log_px_z.mean(0) - kl_term
        return (log_px_z - self._log_q_minus_log_prior(z, eps, log_var)).mean(0)

    def loss(
        self,
        x: torch.Tensor,
        *,
        generator: torch.Generator | None = None,
        context: torch.Tensor | None = None,
    ) -> torch.Tensor:
        r"""Batch mean of :math:`-(\mathbb E_q\log p(x|z) - \beta\,\mathrm{KL})`, nats per example.

        One reparameterised sample per example, analytic KL; with ``beta == 1`` this is
        the negative ELBO. Use as ``fit(vae, lambda m, b: m.loss(b[0]), ...)``.
        """
        mean, log_var, z, _ = self._posterior_samples(x, 1, generator, context)
        log_px_z = self.log_prob_x_given_z(x, self.decode(z, context))[0]
        kl_term = 0.5 * (mean**2 + log_var.exp() - 1.0 - log_var).sum(-1)
        return -(log_px_z - self.beta * kl_term).mean()

    def log_likelihood(
        self,
        x: torch.Tensor,
        *,
        n_samples: int = 100,
        generator: torch.Generator | None = None,
        context: torch.Tensor | None = None,
    ) -> torch.Tensor:
        r"""Importance-weighted estimate of :math:`\log p(x)` in nats (IWAE bound).

        :math:`\log \frac1S\sum_s p(x, z_s)/q(z_s|x)` with :math:`z_s \sim q(z|x)`: a
        lower bound in expectation that rises monotonically to :math:`\log p(x)` as
        ``n_samples`` grows (equal to the ELBO for one sample).

        Returns:
            (batch,) estimates in nats.
        """
        n = check_int("n_samples", n_samples, minimum=1)
        _, log_var, z, eps = self._posterior_samples(x, n, generator, context)
        log_w = self.log_prob_x_given_z(x, self.decode(z, context))
        log_w = log_w - self._log_q_minus_log_prior(z, eps, log_var)
        return torch.logsumexp(log_w, dim=0) - math.log(n)

    # --- generation -------------------------------------------------------------------

    def sample(
        self,
        n: int,
        *,
        generator: torch.Generator | None = None,
        mean: bool = False,
        context: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """Draw n examples: z ~ N(0, I), then x ~ p(x|z) (or E[x|z] if ``mean``).

        Spins come out exactly +-1 and Bernoulli samples 0/1, in the model's dtype. A
        conditional VAE takes the conditions of each example as ``context`` (n, context_dim).

        Returns:
            (n, \\*event_shape) samples.
        """
        n = check_int("n", n, minimum=1)
        p = next(iter(self.parameters()), None)
        device = p.device if p is not None else None
        z = torch.randn(n, self.latent_dim, generator=generator, dtype=self._dtype, device=device)
        params = self.decode(z, context)
        expected = self.mean_x_given_z(params)
        if mean:
            return expected
        if self.likelihood == "gaussian":
            noise = torch.randn(
                params.shape, generator=generator, dtype=params.dtype, device=params.device
            )
            return params + self.log_obs_std.exp().to(params.dtype) * noise
        probs = torch.sigmoid(params)
        bits = torch.bernoulli(probs, generator=generator)
        return bits if self.likelihood == "bernoulli" else 2.0 * bits - 1.0

    def reconstruct(self, x: torch.Tensor, context: torch.Tensor | None = None) -> torch.Tensor:
        """E[x | z = posterior mean of x]: the deterministic reconstruction, shape of x."""
        mean, _ = self.encode(x, context)
        return self.mean_x_given_z(self.decode(mean, context))

    def extra_repr(self) -> str:
        noise = ""
        if self.likelihood == "gaussian":
            std = float(self.log_obs_std.detach().exp())
            noise = f", obs_std={std:.3g}, learn_obs_std={self.learn_obs_std}"
        return (
            f"latent_dim={self.latent_dim}, likelihood={self.likelihood!r}, beta={self.beta}{noise}"
        )
