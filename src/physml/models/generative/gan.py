r"""Generative adversarial networks: a stable objective and the networks it trains.

Objective. The discriminator D outputs a logit; the losses are the *non-saturating* GAN
losses plus Mescheder's R1 gradient penalty on real data,

.. math::
    L_D = \mathbb E_{x\sim p_{\rm data}}[\operatorname{softplus}(-D(x))]
        + \mathbb E_{z}[\operatorname{softplus}(D(G(z)))]
        + \frac{\gamma}{2}\,\mathbb E_{x\sim p_{\rm data}}\|\nabla_x D(x)\|^2, \qquad
    L_G = \mathbb E_{z}[\operatorname{softplus}(-D(G(z)))].

Why this one and not WGAN-GP: the non-saturating generator loss keeps useful gradients
when D confidently rejects the fakes (the minimax loss :math:`\log(1 - D)` saturates
there), and the R1 penalty makes the training dynamics locally convergent (Mescheder et
al. 2018 prove it for the Dirac GAN, where unregularised GANs and WGAN-GP cycle). R1 needs
one gradient on real samples only: no interpolates, no Lipschitz clipping, and one D step
per G step instead of WGAN-GP's five. Losses are in nats per example.

Tricks, all documented in :class:`GANSettings`: Adam with betas (0.5, 0.9) (a low
first-moment decay, the DCGAN/WGAN-GP habit, damps the rotation of the two players'
updates); optional spectral normalisation of every D layer (:func:`apply_spectral_norm`,
Miyato et al. 2018) for a 1-Lipschitz D; leaky-ReLU in D so its gradient never vanishes;
no labels (unconditional, "label-free"): D only tells data from samples.

Training, with failure detection (a NaN loss, or a discriminator that wins completely),
is :func:`physml.train.train_gan`.

Data layout: ``(n_samples, *event_shape)``; a generator maps z (batch, latent_dim) to
(batch, \*event_shape) and must have an int attribute ``latent_dim``; a discriminator
maps (batch, \*event_shape) to logits (batch,) or (batch, 1). :class:`MLPGenerator` and
:class:`MLPDiscriminator` are such a pair; :class:`~physml.models.generative.vae.LatticeDecoder` and
:class:`~physml.models.generative.vae.LatticeEncoder` (``out_features=1``) are a pair for L x L
lattices. For Ising spins use ``output="tanh"`` and take the sign of the samples.

References:
    I. Goodfellow et al., "Generative Adversarial Nets", NeurIPS 2014 (non-saturating
    loss); L. Mescheder, A. Geiger, S. Nowozin, "Which Training Methods for GANs do
    actually Converge?", ICML 2018, arXiv:1801.04406 (R1); T. Miyato et al., "Spectral
    Normalization for GANs", ICLR 2018, arXiv:1802.05957; I. Gulrajani et al., "Improved
    Training of Wasserstein GANs", NeurIPS 2017 (Adam betas (0.5, 0.9)).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import nn

from physml.checks import check_choice, check_int, check_real, check_widths

__all__ = [
    "MLPDiscriminator",
    "MLPGenerator",
    "apply_spectral_norm",
    "discriminator_loss",
    "generator_loss",
    "r1_penalty",
]


# --- networks -----------------------------------------------------------------------------


class MLPGenerator(nn.Module):
    """Generator x = G(z), z ~ N(0, I): an MLP reshaped to ``event_shape``.

    Args:
        latent_dim: dimension of the noise z.
        event_shape: shape of one generated example, e.g. (1,) or (L, L).
        hidden: hidden widths.
        output: ``"linear"`` (continuous data) or ``"tanh"`` (values in (-1, 1), e.g.
            relaxed Ising spins).

    Shapes:
        z (batch, latent_dim) -> (batch, \\*event_shape).
    """

    def __init__(
        self,
        latent_dim: int,
        event_shape: Sequence[int],
        hidden: Sequence[int] = (64, 64),
        *,
        output: str = "linear",
    ) -> None:
        super().__init__()
        self.latent_dim = check_int("latent_dim", latent_dim, minimum=1)
        self.event_shape = check_widths("event_shape", event_shape, allow_empty=False)
        self.hidden = check_widths("hidden", hidden)
        self.output = check_choice("output", output, ("linear", "tanh"))
        widths = [self.latent_dim, *self.hidden, math.prod(self.event_shape)]
        layers: list[nn.Module] = []
        for i, (n_in, n_out) in enumerate(itertools.pairwise(widths)):
            layers.append(nn.Linear(n_in, n_out))
            if i < len(widths) - 2:
                layers.append(nn.ReLU())
        if output == "tanh":
            layers.append(nn.Tanh())
        self.net = nn.Sequential(*layers, nn.Unflatten(-1, self.event_shape))

    def reset_parameters(self) -> None:
        for layer in self.net:
            if isinstance(layer, nn.Linear):
                layer.reset_parameters()

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.net(z.to(self.net[0].weight.dtype))

    @torch.no_grad()
    def sample(self, n: int, *, generator: torch.Generator | None = None) -> torch.Tensor:
        """n examples (n, \\*event_shape) from z ~ N(0, I) drawn with ``generator``."""
        w = self.net[0].weight
        z = torch.randn(n, self.latent_dim, generator=generator, dtype=w.dtype, device=w.device)
        return self(z)

    def extra_repr(self) -> str:
        return (
            f"latent_dim={self.latent_dim}, event_shape={self.event_shape}, output={self.output!r}"
        )


class MLPDiscriminator(nn.Module):
    """Discriminator logit D(x) (> 0: "real"): a leaky-ReLU MLP on the flattened example.

    Args:
        event_shape: shape of one example.
        hidden: hidden widths.
        spectral_norm: spectrally normalise every linear layer (see
            :func:`apply_spectral_norm`).
        negative_slope: slope of the leaky ReLU for negative inputs.

    Shapes:
        x (batch, \\*event_shape) -> logits (batch,).
    """

    def __init__(
        self,
        event_shape: Sequence[int],
        hidden: Sequence[int] = (64, 64),
        *,
        spectral_norm: bool = False,
        negative_slope: float = 0.2,
    ) -> None:
        super().__init__()
        self.event_shape = check_widths("event_shape", event_shape, allow_empty=False)
        self.hidden = check_widths("hidden", hidden)
        self.negative_slope = check_real("negative_slope", negative_slope, nonnegative=True)
        self.spectral_norm = bool(spectral_norm)
        widths = [math.prod(self.event_shape), *self.hidden, 1]
        layers: list[nn.Module] = [nn.Flatten()]
        for i, (n_in, n_out) in enumerate(itertools.pairwise(widths)):
            layers.append(nn.Linear(n_in, n_out))
            if i < len(widths) - 2:
                layers.append(nn.LeakyReLU(self.negative_slope))
        self.net = nn.Sequential(*layers)
        if self.spectral_norm:
            apply_spectral_norm(self)

    def reset_parameters(self) -> None:
        for layer in self.net:
            if isinstance(layer, nn.Linear):
                layer.reset_parameters()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        dtype = next(self.parameters()).dtype
        return self.net(x.to(dtype)).squeeze(-1)

    def extra_repr(self) -> str:
        return f"event_shape={self.event_shape}, spectral_norm={self.spectral_norm}"


def apply_spectral_norm(module: nn.Module) -> nn.Module:
    """Spectrally normalise every ``Linear`` and ``Conv`` layer of ``module`` in place.

    Each weight is divided by its largest singular value (one power iteration per
    training-mode forward, :func:`torch.nn.utils.parametrizations.spectral_norm`), which
    makes a network with 1-Lipschitz activations 1-Lipschitz. Returns ``module``.
    """
    layers = (nn.Linear, nn.Conv1d, nn.Conv2d, nn.Conv3d)
    for sub in list(module.modules()):
        if isinstance(sub, layers) and not hasattr(sub, "parametrizations"):
            nn.utils.parametrizations.spectral_norm(sub)
    return module


# --- losses -------------------------------------------------------------------------------


def _logits(disc: nn.Module, x: torch.Tensor) -> torch.Tensor:
    out = disc(x)
    return out.reshape(out.shape[0]) if out.ndim > 1 else out


def r1_penalty(disc: nn.Module, real: torch.Tensor) -> torch.Tensor:
    r"""Mean squared gradient norm :math:`\mathbb E\|\nabla_x D(x)\|^2` on real samples.

    Differentiable with respect to D's parameters (the graph is kept), so it can be
    added to D's loss; under ``torch.no_grad`` it is still computed, without that graph.

    Shapes:
        real (batch, \*event_shape) -> scalar.
    """
    with torch.enable_grad():  # also under no_grad, e.g. for monitoring
        real = real.detach().requires_grad_(True)
        logits = _logits(disc, real)
        (grad,) = torch.autograd.grad(logits.sum(), real, create_graph=torch.is_grad_enabled())
    return grad.pow(2).reshape(grad.shape[0], -1).sum(-1).mean()


def discriminator_loss(
    disc: nn.Module, real: torch.Tensor, fake: torch.Tensor, r1_gamma: float = 10.0
) -> tuple[torch.Tensor, dict[str, float]]:
    r"""Non-saturating D loss plus :math:`\tfrac{\gamma}{2}` R1, and diagnostics.

    Args:
        disc: the discriminator.
        real: a batch of data (batch, \*event_shape).
        fake: a batch of generated samples (detached from the generator).
        r1_gamma: weight :math:`\gamma` of the R1 penalty (0 switches it off).

    Returns:
        ``(loss, parts)``: the scalar loss in nats and a dict with ``"disc_loss"`` (without
        penalty), ``"r1"`` (the mean squared gradient norm), ``"d_accuracy"`` (fraction of
        real and fake samples D classifies correctly), ``"real_logit"`` and
        ``"fake_logit"`` (means).
    """
    gamma = check_real("r1_gamma", r1_gamma, nonnegative=True)
    grad_enabled = torch.is_grad_enabled()
    with torch.set_grad_enabled(grad_enabled or gamma > 0):  # R1 needs autograd, always
        if gamma > 0:
            real = real.detach().requires_grad_(True)
        real_logits = _logits(disc, real)
        r1 = torch.zeros((), dtype=real_logits.dtype, device=real_logits.device)
        if gamma > 0:  # one forward on real data serves the loss and the penalty
            (grad,) = torch.autograd.grad(real_logits.sum(), real, create_graph=grad_enabled)
            r1 = grad.pow(2).reshape(grad.shape[0], -1).sum(-1).mean()
    if not grad_enabled:
        real_logits = real_logits.detach()
    fake_logits = _logits(disc, fake.detach())
    adversarial = F.softplus(-real_logits).mean() + F.softplus(fake_logits).mean()
    loss = adversarial + 0.5 * gamma * r1
    with torch.no_grad():
        accuracy = 0.5 * ((real_logits > 0).float().mean() + (fake_logits < 0).float().mean())
        parts = {
            "disc_loss": float(adversarial),
            "r1": float(r1),
            "d_accuracy": float(accuracy),
            "real_logit": float(real_logits.mean()),
            "fake_logit": float(fake_logits.mean()),
        }
    return loss, parts


def generator_loss(disc: nn.Module, fake: torch.Tensor) -> torch.Tensor:
    r"""Non-saturating generator loss :math:`\mathbb E[\operatorname{softplus}(-D(G(z)))]`.

    It is :math:`-\log\operatorname{sigmoid}(D)`, the nats by which D rejects the fakes.
    """
    return F.softplus(-_logits(disc, fake)).mean()
