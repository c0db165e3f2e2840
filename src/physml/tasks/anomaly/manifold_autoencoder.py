"""``manifold-autoencoder``: autoencoders must tear manifolds with topology, so they flag
ordinary points and miss a real anomaly (seed 004; Batson, Haaf, Kahn & Roberts,
"Topological obstructions to autoencoding", JHEP 04 (2021) 280).

Data (:mod:`physml.sim.geometry.manifolds`): the circle, the 2-sphere, the Clifford
torus T^2 in R^4 and massless 3-body phase space (a topological 5-sphere in the 9
momentum components), uniform; a band around a submanifold (the sphere's equator,
:func:`~physml.sim.geometry.manifolds.excised`) is removed from the training data and is
the "anomaly". Autoencoders with latent dimension k = d - 1, d, d + 1 (d the manifold's
dimension), an ensemble over seeds trained as one batched module
(:class:`physml.models.autoencoders.EnsembleAutoencoder`) by the house ``fit`` engine.

The bound, and why it is exact: by the Borsuk–Ulam theorem every continuous map of S^d
(with any free involution T) to R^k, k <= d, sends some pair x, T x to one code, so the
decoder returns one point for both and the worst error is at least |x - T x| / 2. For the
unit sphere and circle (T = -1) that is the radius, 1; for phase space (T reverses every
momentum) it is min |p| = 1/sqrt(3) (three energies of 1/3: the Mercedes event); for the
torus into R^1 a circle factor of radius 1/sqrt(2) gives 1/sqrt(2). The torus into R^2 has
no such bound (its free involutions have Z_2-index 1), though no injective map exists.
The measured worst error over a dense test sample must stay above the bound.

Reported per manifold and k: the maximum and median reconstruction error (mean over
seeds, error: standard error over seeds, std: their spread), at k = d where the maximum
sits (the fraction of seeds whose worst point lies in the excised band, against the
band's share of the manifold), at k = d + 1 the AUC of the reconstruction error for
excised against ordinary test points (0.5: the anomaly is missed) and the fraction of
seeds reaching the global minimum (worst error on ordinary points below ``tolerance``;
for the torus the donut embedding in R^3).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from physml.config import ConfigError
from physml.metrics import Metric, ensemble_std
from physml.tasks.base import Method, Reference, RunContext, Task, Widths
from physml.tasks.seeds import Stream, generator, seed_sequence

__all__ = ["MANIFOLDS", "ManifoldAutoencoder", "topological_bound"]

#: name -> (kind, k of the sampler)
MANIFOLDS = {
    "circle": ("sphere", 1),
    "sphere": ("sphere", 2),
    "torus": ("torus", 2),
    "phase_space": ("phase_space", 3),
}


def topological_bound(name: str, latent: int) -> float | None:
    """Lower bound on the worst-case reconstruction error of any continuous autoencoder
    with ``latent`` dimensions (see the module docstring); None where none is known."""
    from physml.sim.geometry.manifolds import manifold_dimension

    d = manifold_dimension(*MANIFOLDS[name])
    if name == "torus":
        return 1 / math.sqrt(2) if latent <= 1 else None
    if latent > d:
        return None
    return 1 / math.sqrt(3) if name == "phase_space" else 1.0


class ManifoldAutoencoderSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")
    manifolds: list[str] = Field(list(MANIFOLDS), min_length=1, description="which manifolds")
    latent_offsets: list[int] = Field(
        [-1, 0, 1], min_length=1, max_length=8, description="k - d of the autoencoders"
    )
    n_train: int = Field(4000, ge=50, le=10**6, description="sampled points before excision")
    n_test: int = Field(4000, ge=50, le=10**6, description="uniform test points")
    width: float = Field(0.1, gt=0, lt=1, description="half-width of the excised band")
    n_seeds: int = Field(8, ge=2, le=256, description="autoencoders per (manifold, k)")
    tolerance: float = Field(0.1, gt=0, description="worst error of a global minimum")


class AutoencoderSettings(BaseModel):
    """MLP autoencoder, tanh, mirrored decoder."""

    model_config = ConfigDict(extra="forbid")
    hidden: Widths = Field([64, 64], min_length=1)


class ManifoldAutoencoder(Task):
    name = "manifold-autoencoder"
    summary = "autoencoders tear manifolds: worst error vs the Borsuk-Ulam bound, missed anomaly"
    reference = Reference(
        "max error",
        None,
        "",
        "Borsuk-Ulam: worst error >= |x - Tx|/2 for k <= d (JHEP 04 (2021) 280)",
    )
    settings = ManifoldAutoencoderSettings
    methods = {
        "mlp": Method(
            "mlp",
            "MLP autoencoders, an ensemble over seeds trained as one module",
            AutoencoderSettings,
            presets={
                "quick": {
                    "train": {
                        "max_epochs": 40,
                        "batch_size": 200,
                        "learning_rate": 3e-3,
                        "patience": 8,
                    }
                },
                "full": {
                    "train": {
                        "max_epochs": 150,
                        "batch_size": 200,
                        "learning_rate": 2e-3,
                        "patience": 20,
                    }
                },
            },
        )
    }
    default_method = "mlp"
    presets = {"quick": {}, "full": {"n_train": 20_000, "n_test": 20_000, "n_seeds": 32}}

    def check(self, config: Any) -> None:
        from physml.sim.geometry.manifolds import ambient_dimension, manifold_dimension

        for name in config.manifolds:
            if name not in MANIFOLDS:
                raise ConfigError(
                    f"manifolds: {name!r} is not allowed; expected some of {', '.join(MANIFOLDS)}"
                )
            d, ambient = manifold_dimension(*MANIFOLDS[name]), ambient_dimension(*MANIFOLDS[name])
            for offset in config.latent_offsets:
                if d + offset > ambient:
                    raise ConfigError(
                        f"latent_offsets={offset} is not allowed for {name}: latent dimension "
                        f"{d + offset} is larger than the input's {ambient}"
                    )

    def run(self, config: Any, ctx: RunContext) -> dict[str, Metric]:
        from physml.sim.geometry import manifolds

        metrics: dict[str, Metric] = {}
        tears = {}
        for key, name in enumerate(config.manifolds):
            kind, k = MANIFOLDS[name]
            d = manifolds.manifold_dimension(kind, k)
            pool = manifolds.sample(
                kind, k, config.n_train, generator(ctx.seed, Stream.MANIFOLD_DATA, key, 0)
            )
            train = pool[~manifolds.excised(kind, pool, config.width)]
            test = manifolds.sample(
                kind, k, config.n_test, generator(ctx.seed, Stream.MANIFOLD_DATA, key, 1)
            )
            band = manifolds.excised(kind, test, config.width)
            if band.sum() < 2 or (~band).sum() < 2:
                raise ConfigError(
                    f"width={config.width}: the band of {name} holds {band.sum()} of "
                    f"{len(band)} test points; widen it or add test points"
                )
            for offset in sorted(config.latent_offsets):
                latent = d + offset
                if latent < 1:
                    continue
                errors = _fit_and_measure(
                    config, ctx, train, test, latent, f"{name}-k{latent}", (key, latent)
                )
                metrics |= _metrics(config, name, d, latent, errors, band)
                if latent == d:
                    tears[name] = (test, errors)
        _plot(ctx, tears)
        return metrics


def _fit_and_measure(config, ctx, train, test, latent, label, keys) -> np.ndarray:
    """Train ``n_seeds`` autoencoders on ``train`` and return their reconstruction
    errors |x - x_hat| on ``test``, shape (n_seeds, n_test)."""
    import torch

    from physml.models.autoencoders import EnsembleAutoencoder
    from physml.tasks.training import fit_arrays

    seed = int(seed_sequence(ctx.seed, Stream.MANIFOLD_DATA, *keys, 2).generate_state(1)[0])
    model = EnsembleAutoencoder(
        config.n_seeds,
        train.shape[1],
        latent,
        tuple(config.model.hidden),
        generator=torch.Generator().manual_seed(seed),
    )

    def loss(net, batch):
        x = batch[0]
        return ((net(x) - x) ** 2).sum(dim=-1).mean(dim=1).sum()

    n_val = max(len(train) // 10, 1)
    fit_arrays(
        model,
        loss,
        [train],
        settings=config.train,
        seed=seed,
        ctx=ctx,
        name=label,
        n_validation=n_val,
    )
    with torch.no_grad():
        x = torch.as_tensor(test, dtype=torch.float32)
        return torch.linalg.norm(model(x) - x, dim=-1).double().numpy()


def _over_seeds(values: np.ndarray, reference, unit: str, source: str) -> Metric:
    """Mean over seeds, its standard error, their spread."""
    return Metric(
        float(values.mean()),
        reference,
        unit,
        source,
        ensemble_std(values),
        error=float(values.std(ddof=1) / math.sqrt(len(values))),
    )


def _metrics(
    config, name: str, d: int, latent: int, errors: np.ndarray, band: np.ndarray
) -> dict[str, Metric]:
    from physml.metrics.classification import auc

    bound = topological_bound(name, latent)
    where = "below" if latent < d else "at" if latent == d else "above"
    tag = f"{name} k={latent} ({where} d={d})"
    source = (
        f"Borsuk-Ulam lower bound {bound:.4f}: measured over {errors.shape[1]} test points"
        if bound is not None
        else "no topological bound (k > d, or the torus into R^2)"
    )
    out = {
        f"max error {tag}": _over_seeds(errors.max(axis=1), bound, "", source),
        f"median error {tag}": _over_seeds(
            np.median(errors, axis=1), None, "", "ordinary and excised test points"
        ),
    }
    if latent == d:
        inside = band[errors.argmax(axis=1)].astype(float)
        out[f"P(tear in the band) {name} k={latent}"] = Metric(
            float(inside.mean()),
            float(band.mean()),
            "",
            "reference: the band's share of the manifold (a tear placed at random)",
            error=float(
                math.sqrt(max(inside.mean() * (1 - inside.mean()), 1 / len(inside)) / len(inside))
            ),
        )
    if latent == d + 1:
        scores = np.array([auc(band.astype(np.int8), e) for e in errors])
        out[f"anomaly AUC {name} k={latent}"] = _over_seeds(
            scores, 0.5, "", "0.5: reconstruction error misses the excised band"
        )
        found = (errors[:, ~band].max(axis=1) < config.tolerance).astype(float)
        p = found.mean()
        out[f"P(global minimum) {name} k={latent}"] = Metric(
            float(p),
            None,
            "",
            f"fraction of {len(found)} seeds with worst ordinary error < {config.tolerance}",
            error=float(math.sqrt(max(p * (1 - p), 1 / len(found)) / len(found))),
        )
    return out


def _plot(ctx: RunContext, tears: dict) -> None:
    """``tear.png``: reconstruction error of the first seed at k = d around the circle (or
    against the first coordinate), the worst point marked."""
    from physml.tasks.figures import new_figure, save_figure

    if not tears:
        return
    fig, ax = new_figure()
    for name, (test, errors) in tears.items():
        x = np.arctan2(test[:, 1], test[:, 0]) if name == "circle" else test[:, 0]
        order = np.argsort(x)
        ax.plot(x[order], errors[0, order], ".", ms=2, label=name)
        worst = errors[0].argmax()
        ax.plot(x[worst], errors[0, worst], "kx")
    xlabel = "angle (circle), first coordinate (the others)"
    ax.set(yscale="log", xlabel=xlabel, ylabel="|x - x_hat|")
    ax.set_title("manifold-autoencoder: where k = d autoencoders tear")
    ax.legend(fontsize=8, markerscale=4)
    save_figure(fig, ctx.plot_dir / "tear.png")
