"""The fitting engine: one short training loop for every gradient-trained method in physml.

:func:`fit` minimises ``loss_fn(model, batch)`` over a dataset with AdamW, on the device and
in the precision asked for, with Lightning Fabric underneath. The same engine trains
classifiers (``loss_fn`` = cross entropy), autoencoders (reconstruction error) and density
models (negative log-likelihood).

Conventions:
    * Epochs are numbered from 1. A run's losses are means over samples (batch losses
      weighted by batch size), so they do not depend on how the last batch is cut.
    * Data order comes from ``torch.Generator().manual_seed(seed)``: every epoch visits
      the training samples in the order :func:`epoch_permutation` draws from it, the order
      of a ``DataLoader(train, shuffle=True, generator=...)``. A ``TensorDataset`` (the
      common case) is moved to the device once and batched there by index; other
      datasets go through that ``DataLoader``; both give the same batches, bit for bit.
      Randomness inside the model (dropout) draws from torch's global generator, which
      :func:`fit` forks, seeds from ``seed`` and restores on exit, so nothing leaks to the
      caller and the run is reproducible.
    * ``checkpoint_dir/last.pt`` holds everything needed to resume bitwise-identically
      (weights, optimizer, data-order generator, model RNG, early-stopping counters,
      history); ``best.pt`` holds the best model's ``state_dict`` only. Both contain tensors
      and plain containers only and load with ``torch.load(path, weights_only=True)``.
    * With ``precision="64-true"`` the loss is computed in float64 end to end: ``loss_fn``
      receives the plain module, not Fabric's wrapper (which casts outputs back to float32).
    * Inside a distributed session (:mod:`physml.train.distributed`, ``physml run
      --devices N``) each rank trains on its chunk of every global batch and the gradients
      are summed over ranks; only global rank 0 writes checkpoints and logs.
"""

from __future__ import annotations

import contextlib
import csv
import logging
import math
import time
import warnings
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import lightning_utilities.core.rank_zero as _lu_rank_zero
import numpy as np
import torch
from lightning.fabric import Fabric
from lightning.fabric.utilities.warnings import PossibleUserWarning
from torch import nn
from torch.utils.data import DataLoader, Dataset, TensorDataset

from physml.atomic import atomic_path
from physml.train.devices import resolve_device
from physml.train.distributed import (
    chunk_batch,
    session_fabric,
    setup_replica,
    shared_checkpoint,
    train_shard_epoch,
)
from physml.train.failures import TrainingDiverged
from physml.train.settings import FitSettings

__all__ = ["LOG_COLUMNS", "FitResult", "TrainingDiverged", "epoch_permutation", "fit"]

LOG_COLUMNS: tuple[str, ...] = ("epoch", "train_loss", "val_loss", "lr", "time_s")
"""Columns of the CSV training log, one row per epoch (``val_loss`` empty without val)."""

_CHECKPOINT_FORMAT = 1

LossFn = Callable[[nn.Module, Any], torch.Tensor]


@dataclass
class FitResult:
    """What :func:`fit` returns.

    Attributes:
        model: the trained module (the object passed in), holding the best-validation-loss
            weights, or the last weights when no validation set was given; in eval mode.
        history: one dict per epoch with the keys of :data:`LOG_COLUMNS`.
        best_epoch: epoch of the lowest validation loss (the last epoch without val).
        best_val_loss: that loss, or ``None`` without a validation set.
        stopped_early: whether early stopping ended the run before ``max_epochs``.
        resumed_from: the epoch the run was resumed after, or ``None`` for a fresh run.
        wall_time_s: training wall time in seconds, summed over all calls of this run.
    """

    model: nn.Module
    history: list[dict[str, Any]]
    best_epoch: int
    best_val_loss: float | None
    stopped_early: bool
    resumed_from: int | None
    wall_time_s: float


def fit(
    model: nn.Module,
    loss_fn: LossFn,
    train: Dataset,
    val: Dataset | None = None,
    *,
    settings: FitSettings,
    seed: int,
    device: str = "cpu",
    checkpoint_dir: str | Path | None = None,
    log_path: str | Path | None = None,
    on_epoch: Callable[[dict[str, Any]], None] | None = None,
) -> FitResult:
    """Minimise ``loss_fn(model, batch)`` over ``train`` with AdamW and early stopping on ``val``.

    Args:
        model: a plain ``torch.nn.Module``, already initialised (initialisation is the
            caller's business). It is moved to ``device`` and, for ``"64-true"``, to float64
            in place.
        loss_fn: ``loss_fn(model, batch) -> scalar tensor``, the mean loss of a batch;
            ``batch`` is what a ``DataLoader`` over ``train`` yields (a list of tensors for
            a ``TensorDataset``), already on the device and in the training precision.
        train: training set, shuffled every epoch. A ``TensorDataset`` is copied to the
            device once (it must fit in the device's memory) and batched there by index,
            without per-step host-device synchronisation; any other ``Dataset`` is read
            through a ``DataLoader``.
        val: validation set for early stopping and best-weight selection, or ``None``.
        settings: epochs, batch size, optimizer and stopping settings.
        seed: non-negative integer; fixes data order and in-model randomness.
        device: ``"cpu"``, ``"cuda"`` or ``"auto"`` (see :func:`resolve_device`).
        checkpoint_dir: where ``last.pt`` and ``best.pt`` are written after every epoch. If
            it already holds ``last.pt`` the run resumes from it; a finished run returns at
            once with the stored result.
        log_path: CSV log with columns :data:`LOG_COLUMNS`, rewritten atomically every epoch.
        on_epoch: called after every epoch (and after the checkpoint is written) with the
            epoch's record plus ``max_epochs``; for progress bars.

    Returns:
        A :class:`FitResult`.

    Raises:
        TrainingDiverged: when the training or validation loss of an epoch is not finite.
        ValueError: for an empty dataset, a negative seed, an unknown device, or a
            checkpoint written with other settings or another seed.

    Example:
        >>> from torch.utils.data import TensorDataset
        >>> x = torch.randn(64, 3, dtype=torch.float64)
        >>> data = TensorDataset(x, x @ torch.tensor([1.0, -2.0, 0.5], dtype=torch.float64))
        >>> def mse(model, batch):
        ...     x, y = batch
        ...     return ((model(x).squeeze(-1) - y) ** 2).mean()
        >>> settings = FitSettings(max_epochs=2, batch_size=16, precision="64-true")
        >>> result = fit(nn.Linear(3, 1), mse, data, settings=settings, seed=0)
        >>> len(result.history)
        2
    """
    start = time.perf_counter()
    _check_inputs(train, val, seed)
    ckpt_dir = Path(checkpoint_dir) if checkpoint_dir is not None else None
    accelerator = resolve_device(device)
    fabric = _fabric(accelerator, settings.precision)
    shard = _shard(fabric)
    optimizer = torch.optim.AdamW(
        model.parameters(), lr=settings.learning_rate, weight_decay=settings.weight_decay
    )
    if shard is None:
        # Fabric converts and moves the module in place; `model` stays the plain module.
        _, optimizer = fabric.setup(model, optimizer)
    else:
        optimizer = setup_replica(fabric, model, optimizer)
    order = torch.Generator().manual_seed(seed)
    train_batches = _batcher(fabric, train, settings.batch_size, order, shard)
    val_batches = None if val is None else _batcher(fabric, val, settings.batch_size, None)

    state = _fresh_state(settings, seed, has_val=val is not None)
    resumed_from = None
    payload = shared_checkpoint(ckpt_dir, fabric) if shard is not None else None
    if payload is not None or (
        shard is None and ckpt_dir is not None and (ckpt_dir / "last.pt").exists()
    ):
        path = ckpt_dir / "last.pt"  # type: ignore[operator]
        state = _load_checkpoint(path, state, fabric, model, optimizer, payload)
        order.set_state(state.pop("generator"))
        resumed_from = state["epoch"]
    if state["finished"]:
        return _result(model, state, resumed_from, state["wall_time_s"])

    rng_devices = [fabric.device] if fabric.device.type == "cuda" else []
    with torch.random.fork_rng(devices=rng_devices):
        _restore_global_rng(state.pop("rng"), seed, fabric.device)
        for epoch in range(state["epoch"] + 1, settings.max_epochs + 1):
            t0 = time.perf_counter()
            model.train()
            if shard is None:
                train_loss = _run_epoch(fabric, model, loss_fn, train_batches(), optimizer)
            else:
                train_loss = train_shard_epoch(fabric, model, loss_fn, train_batches(), optimizer)
            val_loss = None
            if val_batches is not None:
                model.eval()
                with torch.no_grad():
                    val_loss = _run_epoch(fabric, model, loss_fn, val_batches(), None)
            if not math.isfinite(train_loss) or not math.isfinite(val_loss or 0.0):
                where = f"; the last good checkpoint is {ckpt_dir / 'last.pt'}" if ckpt_dir else ""
                raise TrainingDiverged(
                    f"training diverged at epoch {epoch}: train_loss={train_loss}, "
                    f"val_loss={val_loss} (try a smaller learning_rate){where}"
                )
            record = {
                "epoch": epoch,
                "train_loss": train_loss,
                "val_loss": val_loss,
                "lr": optimizer.param_groups[0]["lr"],
                "time_s": time.perf_counter() - t0,
            }
            _update_state(state, record, model, settings)
            now = time.perf_counter()
            state["wall_time_s"] += now - start  # includes this call's setup time
            start = now
            if ckpt_dir is not None and fabric.is_global_zero:
                _save_checkpoint(ckpt_dir, state, model, optimizer, order, fabric)
            if log_path is not None and fabric.is_global_zero:
                _write_log(Path(log_path), state["history"])
            if on_epoch is not None:
                on_epoch({**record, "max_epochs": settings.max_epochs})
            if state["finished"]:
                break
    return _result(model, state, resumed_from, state["wall_time_s"])


def _run_epoch(
    fabric: Fabric,
    model: nn.Module,
    loss_fn: LossFn,
    batches: Iterator[tuple[Any, int]],
    optimizer: torch.optim.Optimizer | None,
) -> float:
    """One pass over ``(batch, size)`` pairs; one optimizer step per batch unless
    ``optimizer`` is None.

    Returns the sample-weighted mean loss. The sum stays on the device: the one
    host-device synchronisation of an epoch is reading it at the end (a NaN or infinite
    step loss makes it non-finite, which :func:`fit` reports as divergence).
    """
    total, count = torch.zeros((), dtype=torch.float64, device=fabric.device), 0
    for batch, n in batches:
        with fabric.autocast():
            loss = loss_fn(model, batch)
        if optimizer is not None:
            optimizer.zero_grad()
            fabric.backward(loss)
            optimizer.step()
        total += loss.detach().double() * n
        count += n
    return float(total) / count


def _batcher(
    fabric: Fabric,
    data: Dataset,
    batch_size: int,
    order: torch.Generator | None,
    shard: tuple[int, int] | None = None,
) -> Callable[[], Iterator[tuple[Any, ...]]]:
    """A function giving one epoch's ``(batch, size)`` pairs, on the device, in precision.

    A ``TensorDataset`` is moved to the device and converted once, then batched by index
    (shuffled by :func:`epoch_permutation` from ``order``, or in order when ``order`` is
    None), so a step costs one ``index_select`` per tensor instead of the ``DataLoader``'s
    per-sample ``__getitem__`` and collate. The batches are lists of tensors, the values
    a ``DataLoader`` would yield, and the random draws are the ``DataLoader``'s too, so a
    run is bitwise the same whichever path it takes. Other datasets go through a
    ``DataLoader``.

    With ``shard = (rank, world_size)`` the batches are the same global batches, and each
    yields ``(chunk, chunk size, global size)``: this rank's chunk ``rank`` of
    ``tensor_split(world_size)``.
    """
    convert = fabric.strategy.precision.convert_input
    if isinstance(data, TensorDataset):
        tensors = convert(fabric.to_device(list(data.tensors)))
        n = len(data)

        def tensor_batches() -> Iterator[tuple[Any, int]]:
            if order is None:
                # A DataLoader without a generator draws its worker base seed from torch's
                # global generator; so does this, to leave in-model randomness unchanged.
                torch.empty((), dtype=torch.int64).random_()
                for views in zip(*(t.split(batch_size) for t in tensors), strict=True):
                    yield list(views), views[0].shape[0]
                return
            for index in epoch_permutation(n, order).to(fabric.device).split(batch_size):
                if shard is not None:
                    chunk = index.tensor_split(shard[1])[shard[0]]
                    yield [t.index_select(0, chunk) for t in tensors], len(chunk), len(index)
                    continue
                yield [t.index_select(0, index) for t in tensors], len(index)

        return tensor_batches
    loader = fabric.setup_dataloaders(
        DataLoader(data, batch_size=batch_size, shuffle=order is not None, generator=order),
        use_distributed_sampler=False,
    )

    def loader_batches() -> Iterator[tuple[Any, ...]]:
        for batch in loader:
            batch = convert(batch)
            if shard is not None:
                n_global = _batch_len(batch)
                batch = chunk_batch(batch, *shard)
                yield batch, _batch_len(batch), n_global
                continue
            yield batch, _batch_len(batch)

    return loader_batches


def _update_state(
    state: dict[str, Any], record: dict[str, Any], model: nn.Module, settings: FitSettings
) -> None:
    """Append ``record`` to the history and advance best weights and early stopping."""
    state["history"].append(record)
    state["epoch"] = epoch = record["epoch"]
    val_loss = record["val_loss"]
    if val_loss is None:
        state["best_epoch"] = epoch
    elif val_loss < state["best_val_loss"] - settings.min_delta:
        state["best_epoch"], state["best_val_loss"], state["bad_epochs"] = epoch, val_loss, 0
        state["best_model"] = _clone_state(model.state_dict())
    else:
        state["bad_epochs"] += 1
    patience_out = settings.patience is not None and state["bad_epochs"] >= settings.patience
    state["stopped_early"] = patience_out and epoch < settings.max_epochs
    state["finished"] = patience_out or epoch >= settings.max_epochs


def _result(
    model: nn.Module, state: dict[str, Any], resumed_from: int | None, wall_time_s: float
) -> FitResult:
    if state["best_model"] is not None:
        model.load_state_dict(state["best_model"])
    model.eval()
    return FitResult(
        model=model,
        history=[dict(r) for r in state["history"]],
        best_epoch=state["best_epoch"],
        best_val_loss=state["best_val_loss"] if state["has_val"] else None,
        stopped_early=state["stopped_early"],
        resumed_from=resumed_from,
        wall_time_s=wall_time_s,
    )


def epoch_permutation(n: int, generator: torch.Generator) -> torch.Tensor:
    """The order in which :func:`fit` visits ``n`` training samples in one epoch.

    It is the permutation ``DataLoader(data, shuffle=True, generator=generator)`` yields,
    drawn with the same calls on ``generator`` (the loader's worker base seed, its
    sampler's permutation and the one more permutation the sampler draws when it is
    exhausted), so in-memory and other datasets see the same order and leave the
    generator in the same state.

    Args:
        n: number of samples (>= 1).
        generator: a CPU ``torch.Generator``; advanced in place.

    Returns:
        int64 tensor of shape (n,) on the CPU, a permutation of ``range(n)``.
    """
    torch.empty((), dtype=torch.int64).random_(generator=generator)
    order = torch.randperm(n, generator=generator)
    torch.randperm(n, generator=generator)
    return order


# --- state, checkpoints and logs -------------------------------------------------------


def _fresh_state(settings: FitSettings, seed: int, *, has_val: bool) -> dict[str, Any]:
    return {
        "format": _CHECKPOINT_FORMAT,
        "settings": settings.model_dump(),
        "seed": int(seed),
        "has_val": has_val,
        "epoch": 0,
        "finished": False,
        "stopped_early": False,
        "best_epoch": 0,
        "best_val_loss": math.inf,
        "bad_epochs": 0,
        "best_model": None,
        "history": [],
        "rng": None,
        "wall_time_s": 0.0,
    }


def _save_checkpoint(
    ckpt_dir: Path,
    state: dict[str, Any],
    model: nn.Module,
    optimizer: torch.optim.Optimizer,
    order: torch.Generator,
    fabric: Fabric,
) -> None:
    """Write ``last.pt`` (everything to resume) and ``best.pt`` (best weights), atomically."""
    rng = {"cpu": torch.get_rng_state()}
    if fabric.device.type == "cuda":
        rng["cuda"] = torch.cuda.get_rng_state(fabric.device)
    payload = {
        **state,
        "model": model.state_dict(),
        "optimizer": optimizer.state_dict(),
        "precision_plugin": fabric.strategy.precision.state_dict(),
        "generator": order.get_state(),
        "rng": rng,
    }
    with atomic_path(ckpt_dir / "last.pt") as tmp:
        torch.save(payload, tmp)
    improved = state["best_epoch"] == state["epoch"]
    if improved or not (ckpt_dir / "best.pt").exists():
        best = state["best_model"] if state["best_model"] is not None else model.state_dict()
        with atomic_path(ckpt_dir / "best.pt") as tmp:
            torch.save(best, tmp)


def _load_checkpoint(
    path: Path,
    fresh: dict[str, Any],
    fabric: Fabric,
    model: nn.Module,
    optimizer: torch.optim.Optimizer,
    payload: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Restore model, optimizer and precision plugin from ``path`` (or from its
    ``payload``, already read); return the loop state.

    ``fresh`` is the state a new run would start from; its settings, seed and use of a
    validation set must match the checkpoint's. A file that is damaged, foreign or written
    for another model raises :class:`~physml.train.checkpoint.CheckpointError`.
    """
    from physml.train.checkpoint import CheckpointError, read_checkpoint

    payload = read_checkpoint(path) if payload is None else payload
    if payload.get("format") != _CHECKPOINT_FORMAT:
        raise CheckpointError(
            path, f"not a physml fit checkpoint (format {payload.get('format')!r})"
        )
    stored, now = payload["settings"], fresh["settings"]
    diffs = [
        f"{k}: stored {stored.get(k)!r}, now {v!r}" for k, v in now.items() if stored.get(k) != v
    ]
    diffs += [
        f"{k}: stored {payload.get(k)!r}, now {fresh[k]!r}"
        for k in ("seed", "has_val")
        if payload.get(k) != fresh[k]
    ]
    if diffs:
        raise CheckpointError(path, f"written with other settings ({'; '.join(diffs)})")
    # Loaded after fabric.setup so tensors are copied at the training dtype (float64 stays exact).
    try:
        model.load_state_dict(payload.pop("model"))
        optimizer.load_state_dict(payload.pop("optimizer"))
        fabric.strategy.precision.load_state_dict(payload.pop("precision_plugin"))
    except (KeyError, RuntimeError, ValueError, TypeError) as err:
        problem = " ".join(str(err).split())[:160]
        raise CheckpointError(path, f"does not fit this model ({problem})") from None
    return payload


def _restore_global_rng(rng: Mapping[str, torch.Tensor] | None, seed: int, dev: torch.device):
    """Seed torch's (forked) global generator for a fresh run, or restore it on resume."""
    if rng is None:
        torch.manual_seed(int(np.random.SeedSequence([seed, 1]).generate_state(1)[0]))
        return
    torch.set_rng_state(rng["cpu"])
    if "cuda" in rng and dev.type == "cuda":
        torch.cuda.set_rng_state(rng["cuda"], dev)


def _write_log(path: Path, history: list[dict[str, Any]]) -> None:
    with atomic_path(path) as tmp, open(tmp, "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=LOG_COLUMNS)
        writer.writeheader()
        for record in history:
            writer.writerow({k: ("" if record[k] is None else record[k]) for k in LOG_COLUMNS})


# --- small helpers -------------------------------------------------------------------------


def _clone_state(state_dict: Mapping[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    return {k: v.detach().clone() for k, v in state_dict.items()}


def _batch_len(batch: Any) -> int:
    """Number of samples in a batch: the leading size of its first tensor."""
    if isinstance(batch, torch.Tensor):
        return batch.shape[0] if batch.ndim else 1
    if isinstance(batch, (Mapping, list, tuple)):
        for item in batch.values() if isinstance(batch, Mapping) else batch:
            with contextlib.suppress(TypeError):
                return _batch_len(item)
    raise TypeError(f"cannot find a tensor in a batch of type {type(batch).__name__}")


def _check_inputs(train: Dataset, val: Dataset | None, seed: int) -> None:
    if len(train) == 0:  # type: ignore[arg-type]
        raise ValueError("train is empty; fit needs at least one training sample")
    if val is not None and len(val) == 0:  # type: ignore[arg-type]
        raise ValueError("val is empty; pass val=None to train without validation")
    if not isinstance(seed, (int, np.integer)) or isinstance(seed, bool) or seed < 0:
        raise ValueError(f"seed={seed!r} must be a non-negative integer")


_FABRICS: dict[tuple[str, str], Fabric] = {}


def _shard(fabric: Fabric) -> tuple[int, int] | None:
    """``(global rank, world size)`` for a Fabric of a distributed session, else None."""
    from lightning.fabric.strategies import DDPStrategy

    if not isinstance(fabric.strategy, DDPStrategy):
        return None
    return fabric.global_rank, fabric.world_size


def _fabric(accelerator: str, precision: str) -> Fabric:
    """A launched Fabric for ``accelerator`` and ``precision``: the distributed session's
    (:func:`physml.train.distributed.session_fabric`) inside one, else single-device.

    Fabric's constructor scans the entry points of every installed package for callbacks
    (about 35 ms here, most of a short fit's overhead), so a Fabric whose precision plugin
    keeps no state (all but ``16-mixed``, whose gradient scaler belongs to one run) is made
    once per process and shared by the calls of :func:`fit`.
    """
    fabric = session_fabric(accelerator, precision) or _FABRICS.get((accelerator, precision))
    if fabric is None:
        with _quiet_lightning():
            fabric = Fabric(accelerator=accelerator, devices=1, precision=precision)
            fabric.launch()
        if not fabric.strategy.precision.state_dict():
            _FABRICS[accelerator, precision] = fabric
    return fabric


@contextlib.contextmanager
def _quiet_lightning() -> Iterator[None]:
    """Silence Lightning's start-up chatter (info logs, PossibleUserWarning) for this block only.

    Real warnings (e.g. ``16-mixed`` falling back to bf16 on CPU) still reach the user.
    """
    loggers = {logging.getLogger("lightning.fabric.utilities.rank_zero"), _lu_rank_zero.log}
    levels = {lg: lg.level for lg in loggers}
    for lg in loggers:
        lg.setLevel(logging.WARNING)
    try:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", category=PossibleUserWarning)
            yield
    finally:
        for lg, level in levels.items():
            lg.setLevel(level)
