r"""What the operator-learning tasks share: network settings, training, relative L2, plots.

``burgers-operator`` and ``navier-stokes-operator`` learn the solution operator
G: u(0, .) -> u(T, .) of a PDE from pairs made by a spectral solver (:mod:`physml.sim.pde`),
on a grid of ``train_size`` points per axis, and are judged on held-out initial
conditions at that resolution and, zero-shot, at twice it: the solver's solution is the
reference there (exact to its discretisation, ~1e-10 here), so every error is the
network's.

Error of one sample: ||G_net(u0) - G(u0)||_2 / ||G(u0)||_2 over the grid (Li et al.'s
relative L2). Reported: its mean over test samples, averaged over ``n_members``
independently seeded networks, with the bootstrap error over test samples (the members'
means resampled together) and the spread between members as ``std``; and the ratio of
the zero-shot error at twice the resolution to the error at the training resolution.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from physml.config import ConfigError
from physml.metrics import Metric, bootstrap
from physml.tasks.base import MAX_WIDTH, RunContext, Widths
from physml.tasks.seeds import N_RESAMPLES, Stream, bootstrap_seed, generator, member_seeds

__all__ = [
    "DeepONetSettings",
    "FNOSettings",
    "check_sizes",
    "error_metrics",
    "fit_operator",
    "fno_net",
    "judge_members",
    "plot_history",
    "predict",
    "relative_l2",
    "seeded_model",
    "solved_pairs",
    "standardised",
    "train_fno",
]


class FNOSettings(BaseModel):
    """A Fourier neural operator (:class:`~physml.models.operators.FNO`)."""

    model_config = ConfigDict(extra="forbid")
    modes: int = Field(16, ge=1, le=1024, description="Fourier modes kept per axis")
    width: int = Field(32, ge=1, le=MAX_WIDTH, description="channels of the Fourier layers")
    n_layers: int = Field(4, ge=1, le=32, description="Fourier layers")
    projection: int = Field(64, ge=1, le=MAX_WIDTH, description="hidden width of the projection")
    n_members: int = Field(1, ge=1, le=32, description="independently seeded networks")


class DeepONetSettings(BaseModel):
    """A DeepONet (:class:`~physml.models.operators.DeepONet`), branch on the grid points."""

    model_config = ConfigDict(extra="forbid")
    hidden: Widths = Field([128, 128], min_length=1, description="hidden widths of both nets")
    n_basis: int = Field(64, ge=1, le=MAX_WIDTH, description="products summed, p")
    n_members: int = Field(1, ge=1, le=32, description="independently seeded networks")


def check_sizes(config: Any) -> None:
    """Refuse a solver grid the training and doubled test grids cannot be subsampled from,
    and a validation split as large as the training set."""
    if config.solver_size % (2 * config.train_size):
        raise ConfigError(
            f"solver_size={config.solver_size} must be a multiple of 2 x train_size = "
            f"{2 * config.train_size} (the data at both resolutions are subsampled from it)"
        )
    if config.n_validation >= config.n_train:
        raise ConfigError(
            f"n_validation={config.n_validation} must be below n_train={config.n_train}"
        )


def standardised(net: Any, inputs: np.ndarray, targets: np.ndarray) -> Any:
    """``net`` seeing inputs in units of their training standard deviation and answering
    in units of the targets' (:class:`~physml.models.operators.Rescaled`): the solution at
    T can be a hundred times smaller than u(0) (Burgers at nu = 0.1: 0.010 against 0.61),
    which left an unscaled FNO's loss jumping between 0.1 and 0.5 from epoch to epoch."""
    from physml.models.operators import Rescaled

    return Rescaled(net, float(np.std(inputs)), float(np.std(targets)))


def seeded_model(build: Callable[[], Any], seed: int, inputs: np.ndarray, targets: np.ndarray):
    """``build()``'s network, initialised under ``seed`` (torch's global generator left as it
    was), :func:`standardised` on the training pairs."""
    import torch

    with torch.random.fork_rng():
        torch.manual_seed(seed % 2**31)
        return standardised(build(), inputs, targets)


def fno_net(config: Any, dim: int) -> Any:
    """The FNO that ``config.model`` (:class:`FNOSettings`) describes, on a ``dim``-D grid."""
    from physml.models.operators import FNO

    m = config.model
    return FNO(dim, modes=m.modes, width=m.width, n_layers=m.n_layers, projection=m.projection)


def solved_pairs(
    config: Any,
    ctx: RunContext,
    *,
    name: str,
    version: str,
    stream: Stream,
    dim: int,
    solve: Callable[[Any], Any],
    label: str,
    dtype: type = np.float64,
) -> dict[str, np.ndarray]:
    """The pairs (u0, u(T)) of ``config.n_train + config.n_test`` Gaussian random initial
    conditions on ``config.solver_size`` points per axis, from the cache ``name`` or solved
    by ``solve(u0) -> u(T)`` (torch, (n, *grid) each): ``coarse`` (n, 2, *train grid) and
    ``fine`` (n_test, 2, *twice the train grid), subsampled from the solver's grid."""
    from physml.data import cached
    from physml.sim.pde.spectral_stepping import gaussian_random_field

    params = config.model_dump(exclude={"model", "train"})

    def simulate() -> dict[str, np.ndarray]:
        u0 = gaussian_random_field(
            config.n_train + config.n_test,
            config.solver_size,
            dim=dim,
            alpha=config.alpha,
            tau=config.tau,
            sigma=config.sigma,
            seed=generator(ctx.seed, stream),
        )
        pairs = np.stack([u0.numpy(), solve(u0).numpy()], axis=1).astype(dtype)
        step = config.solver_size // config.train_size
        coarse = (Ellipsis, *[slice(None, None, step)] * dim)
        fine = (slice(config.n_train, None), slice(None), *[slice(None, None, step // 2)] * dim)
        return {"coarse": pairs[coarse], "fine": pairs[fine]}

    events: list[str] = []
    with ctx.progress(f"solving {label}", 1) as bar:
        data = cached(name, version, params, ctx.seed, simulate, on_event=events.append)
        bar.advance()
    ctx.log(f"{len(data['coarse'])} {label} solutions: {events[-1].split(':')[0]}")
    return data


def relative_l2(prediction: np.ndarray, truth: np.ndarray) -> np.ndarray:
    """||prediction - truth|| / ||truth|| of each sample over all but the first axis: (n,)."""
    diff = (prediction - truth).reshape(len(truth), -1)
    return np.linalg.norm(diff, axis=1) / np.linalg.norm(truth.reshape(len(truth), -1), axis=1)


def _relative_l2_loss(prediction, truth):
    """Mean relative L2 of a batch (torch), the loss Li et al. train with."""
    diff = (prediction - truth).flatten(1).norm(dim=1)
    return (diff / truth.flatten(1).norm(dim=1)).mean()


def fit_operator(
    model: Any,
    forward: Callable[[Any, Any], Any],
    inputs: np.ndarray,
    targets: np.ndarray,
    *,
    settings: Any,
    seed: int,
    ctx: RunContext,
    name: str,
    n_validation: int,
) -> Any:
    """Fit ``forward(model, inputs) -> predictions`` to ``targets`` by the relative L2 loss
    with the house engine (:func:`physml.tasks.training.fit_arrays`); the first
    ``n_validation`` pairs are held out for early stopping. Returns the FitResult."""
    from physml.tasks.training import fit_arrays

    return fit_arrays(
        model,
        lambda m, batch: _relative_l2_loss(forward(m, batch[0]), batch[1]),
        [inputs, targets],
        settings=settings,
        seed=seed % 2**31,
        ctx=ctx,
        name=name,
        n_validation=n_validation,
    )


def predict(
    forward: Callable[[Any], Any], inputs: np.ndarray, device: str, batch: int = 128
) -> np.ndarray:
    """``forward(tensor)`` over ``inputs`` in batches, without gradients, as float64 numpy."""
    import torch

    with torch.no_grad():
        parts = [
            forward(torch.as_tensor(inputs[i : i + batch], dtype=torch.float32).to(device))
            for i in range(0, len(inputs), batch)
        ]
    return np.concatenate([p.double().cpu().numpy() for p in parts])


def error_metrics(errors: dict[str, np.ndarray], *, seed: int, source: str) -> dict[str, Metric]:
    """Metrics of per-sample relative L2 errors, one array (members, n_test) per label:
    the members' mean with its bootstrap error over test samples and the members' spread;
    reference 0 (the solver's solution). Each label gets its own resamples of the same
    test samples (paired across labels through the shared seed)."""
    out = {}
    for label, e in errors.items():
        e = np.asarray(e, dtype=np.float64)
        n = e.shape[1]
        resamples = bootstrap(
            lambda w, e=e: (w @ e.T).mean(axis=1) / w.sum(axis=1),
            n,
            n_resamples=N_RESAMPLES,
            seed=bootstrap_seed(seed),
        )
        means = e.mean(axis=1)
        std = float(np.std(means, ddof=1)) if len(means) > 1 else None
        out[label] = Metric(
            float(means.mean()), 0.0, "", source, error=float(resamples.error), std=std
        )
    return out


Trainer = Callable[..., tuple[Callable, Callable, list[dict]]]
"""``trainer(config, u0, u1, seed, ctx, name) -> (forward, fine_forward, history)``: fit one
network on the training pairs; ``forward`` maps (batch, *grid) inputs at the training
resolution to predictions, ``fine_forward`` those at twice it."""


def train_fno(
    config: Any, u0, u1, seed: int, ctx: RunContext, name: str, *, build: Callable[[Any], Any]
) -> tuple[Callable, Callable, list[dict]]:
    """A :data:`Trainer` for the FNO ``build(config)``: the same network answers at both
    resolutions (the grid is a channel-free (batch, *grid) input)."""
    model = seeded_model(lambda: build(config), seed, u0, u1)
    result = fit_operator(
        model,
        lambda m, x: m(x[:, None])[:, 0],
        u0,
        u1,
        settings=config.train,
        seed=seed,
        ctx=ctx,
        name=name,
        n_validation=config.n_validation,
    )
    net = result.model

    def forward(x):
        return net(x[:, None])[:, 0]

    return forward, forward, result.history


def judge_members(
    config: Any, ctx: RunContext, data: dict[str, np.ndarray], trainer: Trainer, *, source: str
) -> tuple[dict[str, Metric], dict[str, list[np.ndarray]], tuple, list[list[dict]]]:
    """Train ``config.model.n_members`` networks with ``trainer`` on the first
    ``config.n_train`` pairs of ``data["coarse"]`` (n, 2, *grid) and judge each on the
    rest and, zero-shot, on ``data["fine"]`` (n_test, 2, *fine_grid).

    Returns:
        the metrics (relative L2 at both resolutions and their ratio), the per-sample
        errors per resolution and member, the first member's predictions at both
        resolutions, and the training histories.
    """
    coarse, fine = data["coarse"], data["fine"]
    n_train = config.n_train
    u0, u1 = coarse[:, 0], coarse[:, 1]
    errors: dict[str, list[np.ndarray]] = {"train": [], "fine": []}
    histories, shown = [], None
    for i, seed in enumerate(member_seeds(ctx.seed, config.model.n_members)):
        forward, fine_forward, history = trainer(
            config, u0[:n_train], u1[:n_train], seed, ctx, f"member-{i}"
        )
        histories.append(history)
        pred = predict(forward, u0[n_train:], ctx.device)
        pred_fine = predict(fine_forward, fine[:, 0], ctx.device)
        errors["train"].append(relative_l2(pred, u1[n_train:]))
        errors["fine"].append(relative_l2(pred_fine, fine[:, 1]))
        if shown is None:
            shown = (pred, pred_fine)
    s, s2 = config.train_size, 2 * config.train_size
    labels = {"train": f"relative L2 (s={s})", "fine": f"relative L2 (s={s2}, zero-shot)"}
    metrics = error_metrics(
        {labels[k]: np.stack(v) for k, v in errors.items()}, seed=ctx.seed, source=source
    )
    top, bottom = metrics[labels["fine"]], metrics[labels["train"]]
    ratio = top.value / bottom.value
    metrics[f"zero-shot ratio (s={s2} / s={s})"] = Metric(
        float(ratio),
        1.0,
        "",
        "resolution invariance: the same error at both resolutions; error: first order, "
        "the two errors taken as independent (an upper estimate: same test samples)",
        error=float(abs(ratio) * np.hypot(top.error / top.value, bottom.error / bottom.value)),
    )
    ctx.write_log([{"member": i, **r} for i, h in enumerate(histories) for r in h])
    return metrics, errors, shown, histories


def plot_history(ctx: RunContext, histories: list[list[dict]], title: str) -> None:
    """``loss.png``: training and validation relative L2 per epoch of every member."""
    from physml.tasks.figures import new_figure, save_figure

    fig, ax = new_figure()
    for i, history in enumerate(histories):
        epochs = [r["epoch"] for r in history]
        ax.plot(epochs, [r["train_loss"] for r in history], color=f"C{i}", label=f"train {i}")
        val = [r["val_loss"] for r in history]
        if all(v is not None for v in val):
            ax.plot(epochs, val, "--", color=f"C{i}", label=f"validation {i}")
    ax.set(yscale="log", xlabel="epoch", ylabel="relative L2", title=title)
    ax.legend(fontsize=7)
    save_figure(fig, ctx.plot_dir / "loss.png")
