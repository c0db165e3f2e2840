"""Maximum-likelihood fitting of normalizing flows on the one training engine.

:func:`fit_flow` splits the samples, builds :class:`physml.train.FitSettings` and calls
:func:`physml.train.fit` with the flow's negative log-likelihood as the loss, so flows get
the same early stopping, checkpoints, resume and divergence handling as every other
model.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch
from zuko.lazy import LazyDistribution

from physml.checks import check_int, check_real
from physml.models.generative.flows import as_samples, flow_nll
from physml.train.fitting import FitResult, fit
from physml.train.settings import FitSettings

__all__ = ["fit_flow"]


def fit_flow(
    flow: LazyDistribution,
    x: torch.Tensor,
    *,
    context: torch.Tensor | None = None,
    seed: int,
    epochs: int = 100,
    batch_size: int = 256,
    lr: float = 1e-3,
    weight_decay: float = 0.0,
    val_fraction: float = 0.1,
    patience: int | None = 10,
    device: str = "cpu",
    checkpoint_dir: str | Path | None = None,
    log_path: str | Path | None = None,
    on_epoch: Callable[[dict[str, Any]], None] | None = None,
) -> FitResult:
    """Fit ``flow`` to samples ``x`` (given ``context``) by maximum likelihood.

    A fraction ``val_fraction`` of the samples (a random split fixed by ``seed``) is held
    out for early stopping and best-weight selection; the rest trains with
    :func:`physml.train.fit` (AdamW, Lightning Fabric) and the loss
    :func:`physml.models.generative.flows.flow_nll`. The precision follows the flow's dtype (float64
    flows train in ``"64-true"``); ``x`` and ``context`` are cast to it.

    Args:
        flow: the flow to train, in place (e.g. from
            :func:`physml.models.generative.flows.make_flow`, possibly wrapped in
            :class:`physml.models.generative.flows.Standardized`; with
            ``heavy_tails=True`` for power-law tails, where an affine flow's density of a
            sample beyond the training range can be off by thousands of nats).
        x: samples, (n_samples, features); must be finite.
        context: (n_samples, context) or None.
        seed: non-negative integer fixing the split, data order and in-model randomness.
        epochs, batch_size, lr, weight_decay, patience: as in
            :class:`physml.train.FitSettings` (max_epochs, learning_rate, ...).
        val_fraction: in [0, 1); 0 trains on everything and keeps the last weights.
        device, checkpoint_dir, log_path, on_epoch: as for :func:`physml.train.fit`.

    Returns:
        A :class:`physml.train.FitResult`: ``.model`` is the trained flow (in eval mode),
        ``.history`` the per-epoch losses (mean negative log-likelihood in nats).

    Raises:
        ValueError: for bad arguments or non-finite samples.
        physml.train.TrainingDiverged: when the loss becomes NaN or infinite.
    """
    from torch.utils.data import TensorDataset

    if not isinstance(flow, LazyDistribution):
        raise ValueError(
            f"flow={type(flow).__name__} is not allowed: expected a zuko LazyDistribution"
        )
    val_fraction = check_real("val_fraction", val_fraction, nonnegative=True)
    if val_fraction >= 1.0:
        raise ValueError(
            f"val_fraction={val_fraction!r} is not allowed: expected a value in [0, 1)"
        )
    param = next(iter(flow.parameters()), None)
    dtype = param.dtype if param is not None else torch.get_default_dtype()
    x = as_samples("x", x, dtype)
    tensors = [x]
    if context is not None:
        context = as_samples("context", context, dtype)
        if context.shape[0] != x.shape[0]:
            raise ValueError(
                f"context.shape={tuple(context.shape)} is not allowed: expected "
                f"{x.shape[0]} rows, one per sample of x"
            )
        tensors.append(context)
    n = x.shape[0]
    n_val = round(val_fraction * n)
    if val_fraction > 0 and not 1 <= n_val < n:
        raise ValueError(
            f"val_fraction={val_fraction!r} is not allowed: expected it to leave at least one "
            f"validation and one training sample out of {n}"
        )
    order = torch.randperm(n, generator=torch.Generator().manual_seed(seed))
    train_idx, val_idx = order[n_val:], order[:n_val]
    train = TensorDataset(*(t[train_idx] for t in tensors))
    val = TensorDataset(*(t[val_idx] for t in tensors)) if n_val else None
    settings = FitSettings(
        max_epochs=check_int("epochs", epochs, minimum=1),
        batch_size=check_int("batch_size", batch_size, minimum=1),
        learning_rate=check_real("lr", lr, positive=True),
        weight_decay=check_real("weight_decay", weight_decay, nonnegative=True),
        patience=None if patience is None else check_int("patience", patience, minimum=1),
        precision="64-true" if dtype == torch.float64 else "32-true",
    )
    return fit(
        flow,
        flow_nll,
        train,
        val,
        settings=settings,
        seed=seed,
        device=device,
        checkpoint_dir=checkpoint_dir,
        log_path=log_path,
        on_epoch=on_epoch,
    )
