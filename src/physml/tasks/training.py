"""Fit a model to a task's arrays with the house engine, under the run's context.

The generative tasks (``ising-generative``, ``field-emulator``) fit their networks to
numpy arrays held in memory; :func:`fit_arrays` turns them into float32 tensors, holds out
the first ``n_validation`` rows for early stopping, and runs :func:`physml.train.fit` on
the run's device with checkpoints under ``checkpoints/<name>`` and a progress bar.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from physml.tasks.base import RunContext

__all__ = ["fit_arrays"]


def fit_arrays(
    model: Any,
    loss: Callable[[Any, Any], Any],
    arrays: Sequence[np.ndarray],
    *,
    settings: Any,
    seed: int,
    ctx: RunContext,
    name: str,
    n_validation: int = 0,
) -> Any:
    """Fit ``loss(model, batch)`` over the rows of ``arrays`` (one tensor each in a batch).

    Args:
        model: an initialised ``torch.nn.Module``.
        loss: ``loss(model, batch) -> scalar``; ``batch`` is a list of float32 tensors, one
            per array, rows aligned.
        arrays: arrays with the same first dimension (samples).
        settings: the method's :class:`~physml.train.FitSettings`.
        seed: the fit's seed (data order, dropout).
        ctx: the run's context (device, checkpoint directory, progress bars).
        name: the checkpoint subdirectory and the progress bar's label.
        n_validation: the first rows held out for early stopping (0: none).

    Returns:
        The :class:`~physml.train.FitResult`.
    """
    import torch
    from torch.utils.data import TensorDataset

    from physml.train import fit

    tensors = [torch.as_tensor(np.asarray(a, dtype=np.float32)) for a in arrays]
    train = TensorDataset(*(t[n_validation:] for t in tensors))
    val = TensorDataset(*(t[:n_validation] for t in tensors)) if n_validation else None
    with ctx.progress(f"training {name}", settings.max_epochs) as bar:
        return fit(
            model,
            loss,
            train,
            val,
            settings=settings,
            seed=seed,
            device=ctx.device,
            checkpoint_dir=ctx.checkpoint_dir / name,
            on_epoch=lambda record: bar.advance(),
        )
