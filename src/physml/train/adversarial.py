r"""Adversarial training of a generator against a discriminator (:func:`train_gan`).

Two players do not fit the single-loss engine :func:`physml.train.fit`, so they get this
short loop: CPU/GPU agnostic (everything runs on the generator's device) and seeded, with
the losses of :mod:`physml.models.generative.gan`.

Failure detection. :func:`train_gan` stops with :class:`GANDiverged` when a loss becomes
NaN or infinite, and with :class:`GANCollapsed` when the discriminator wins completely
over a window of steps (mean D accuracy above ``collapse_accuracy`` and the generator
loss above ``collapse_gen_loss`` nats throughout): then the generator receives no useful
signal and training is lost. Either way both networks are restored to the last good
snapshot and the error names the step.
"""

from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import nn

from physml.checks import check_int
from physml.models.generative.gan import discriminator_loss, generator_loss
from physml.train.failures import TrainingFailed
from physml.train.settings import GANSettings

__all__ = ["GANCollapsed", "GANDiverged", "GANResult", "GANSettings", "train_gan"]


class GANCollapsed(TrainingFailed):
    """GAN training failed; ``step``, ``good_step`` (the restored snapshot) and ``history``
    are attributes, and both networks hold the state of ``good_step``."""

    def __init__(self, message: str, *, step: int, good_step: int, history: list) -> None:
        super().__init__(message)
        self.step, self.good_step, self.history = step, good_step, history


class GANDiverged(GANCollapsed, FloatingPointError):
    """A GAN loss became NaN or infinite (a :class:`GANCollapsed` and a FloatingPointError)."""


@dataclass
class GANResult:
    """What :func:`train_gan` returns: both networks (in eval mode), the history (one dict
    per ``log_every`` steps: step, disc_loss, gen_loss, r1, d_accuracy, real_logit,
    fake_logit) and the wall time in seconds."""

    generator: nn.Module
    discriminator: nn.Module
    history: list[dict[str, Any]] = field(default_factory=list)
    wall_time_s: float = 0.0


def _snapshot(gen: nn.Module, disc: nn.Module) -> tuple[dict, dict] | None:
    states = tuple({k: v.detach().clone() for k, v in m.state_dict().items()} for m in (gen, disc))
    finite = all(
        torch.isfinite(v).all() for s in states for v in s.values() if v.is_floating_point()
    )
    return states if finite else None  # type: ignore[return-value]


def train_gan(
    generator: nn.Module,
    discriminator: nn.Module,
    data: torch.Tensor | torch.utils.data.TensorDataset,
    *,
    settings: GANSettings,
    seed: int,
    on_step: Callable[[dict[str, Any]], None] | None = None,
) -> GANResult:
    """Train ``generator`` against ``discriminator`` on ``data`` (non-saturating + R1).

    Each step: ``n_disc_steps`` D updates on fresh real and fake batches, then one G update.
    Batches are drawn with replacement, and z from N(0, I), with a ``torch.Generator``
    seeded from ``seed``; everything runs on the generator's device.

    Args:
        generator: module with ``latent_dim``; z (batch, latent_dim) -> samples.
        discriminator: samples -> logits (batch,) or (batch, 1).
        data: (n_samples, \\*event_shape) tensor, or a TensorDataset whose first tensor it is.
        settings: see :class:`GANSettings`.
        seed: non-negative int.
        on_step: called every ``log_every`` steps with the history record.

    Returns:
        A :class:`GANResult`.

    Raises:
        GANDiverged: a loss is not finite; the message names the step.
        GANCollapsed: D wins completely over ``settings.window`` steps; the message names
            the step and the restored snapshot.
    """
    start = time.perf_counter()
    seed = check_int("seed", seed, minimum=0)
    latent_dim = check_int(
        "generator.latent_dim", getattr(generator, "latent_dim", None), minimum=1
    )
    if isinstance(data, torch.utils.data.TensorDataset):
        data = data.tensors[0]
    param = next(generator.parameters())
    data = data.to(device=param.device)
    if data.shape[0] == 0:
        raise ValueError("data is empty; train_gan needs at least one sample")
    rng = torch.Generator(param.device).manual_seed(seed)
    adam = {"betas": settings.betas}
    opt_d = torch.optim.Adam(discriminator.parameters(), lr=settings.lr_discriminator, **adam)
    opt_g = torch.optim.Adam(generator.parameters(), lr=settings.lr_generator, **adam)
    n, batch = data.shape[0], settings.batch_size

    def noise() -> torch.Tensor:
        return torch.randn(batch, latent_dim, generator=rng, dtype=param.dtype, device=param.device)

    history: list[dict[str, Any]] = []
    recent: deque[tuple[float, float]] = deque(maxlen=settings.window)
    snapshots: deque[tuple[int, tuple[dict, dict]]] = deque()
    snapshots.append((0, _snapshot(generator, discriminator)))
    generator.train()
    discriminator.train()

    def fail(kind: type[GANCollapsed], step: int, why: str, before: int) -> GANCollapsed:
        good_step, states = snapshots[0]
        for s, st in snapshots:
            if s <= before:
                good_step, states = s, st
        generator.load_state_dict(states[0])
        discriminator.load_state_dict(states[1])
        generator.eval()
        discriminator.eval()
        message = (
            f"GAN training failed at step {step}: {why}; both networks were restored to "
            f"their state at step {good_step}"
        )
        return kind(message, step=step, good_step=good_step, history=history)

    for step in range(1, settings.n_steps + 1):
        for _ in range(settings.n_disc_steps):
            real = data[torch.randint(n, (batch,), generator=rng, device=param.device)]
            with torch.no_grad():
                fake = generator(noise())
            d_loss, parts = discriminator_loss(discriminator, real, fake, settings.r1_gamma)
            opt_d.zero_grad(set_to_none=True)
            d_loss.backward()
            opt_d.step()
        flags = [p.requires_grad for p in discriminator.parameters()]
        discriminator.requires_grad_(False)  # G's step needs no gradients for D
        g_loss = generator_loss(discriminator, generator(noise()))
        opt_g.zero_grad(set_to_none=True)
        g_loss.backward()
        opt_g.step()
        for p, flag in zip(discriminator.parameters(), flags, strict=True):
            p.requires_grad_(flag)

        record = {"step": step, **parts, "gen_loss": float(g_loss.detach())}
        d_total = float(d_loss.detach())
        if not (math.isfinite(d_total) and math.isfinite(record["gen_loss"])):
            why = (
                f"a loss is not finite (discriminator loss={d_total}, generator loss="
                f"{record['gen_loss']}); try smaller learning rates"
            )
            raise fail(GANDiverged, step, why, step)
        recent.append((record["d_accuracy"], record["gen_loss"]))
        if len(recent) == settings.window:
            accuracy = sum(a for a, _ in recent) / settings.window
            lowest = min(g for _, g in recent)
            if accuracy >= settings.collapse_accuracy and lowest >= settings.collapse_gen_loss:
                why = (
                    f"the discriminator wins completely (mean D accuracy {accuracy:.3f} and "
                    f"generator loss >= {lowest:.2f} nats over the last {settings.window} "
                    f"steps); try a larger r1_gamma, spectral_norm, or a smaller "
                    f"lr_discriminator"
                )
                raise fail(GANCollapsed, step, why, step - settings.window)
        if step % settings.snapshot_every == 0:
            states = _snapshot(generator, discriminator)
            if states is not None:
                snapshots.append((step, states))
                # keep the newest snapshot older than one window, and everything after it
                while len(snapshots) > 1 and snapshots[1][0] <= step - settings.window:
                    snapshots.popleft()
        if step % settings.log_every == 0 or step == settings.n_steps:
            history.append(record)
            if on_step is not None:
                on_step(record)
    generator.eval()
    discriminator.eval()
    return GANResult(generator, discriminator, history, time.perf_counter() - start)
