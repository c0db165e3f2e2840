"""Binary classifiers shared by the tasks: fit an ensemble of torch models, predict P(1).

Labels are 0/1; models output one logit per example and are trained with the binary
cross-entropy. Each ensemble member is initialised from its own seed.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["fit_binary_ensemble", "predict_proba"]


def _bce(model: Any, batch: tuple[Any, Any]) -> Any:
    import torch.nn.functional as F

    x, y = batch
    return F.binary_cross_entropy_with_logits(model(x).squeeze(-1), y)


def fit_binary_ensemble(
    make_model: Callable[[], Any],
    x_train: np.ndarray,
    y_train: np.ndarray,
    x_val: np.ndarray,
    y_val: np.ndarray,
    *,
    n_members: int,
    settings: Any,
    seed: int,
    device: str,
    checkpoint_dir: Path | None,
    on_epoch: Callable[[dict], None] | None = None,
) -> list[Any]:
    """Fit ``n_members`` classifiers; returns :class:`physml.train.FitResult` s.

    Args:
        make_model: builds an untrained model; called under a member-specific torch seed.
        x_train, x_val: inputs, shape (n, ...), any dtype the model accepts (int8 spins).
        y_train, y_val: 0/1 labels, shape (n,).
    """
    import torch
    from torch.utils.data import TensorDataset

    from physml.train import fit_ensemble

    def member(member_seed: int) -> Any:
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(member_seed)
            return make_model()

    def dataset(x: np.ndarray, y: np.ndarray) -> TensorDataset:
        return TensorDataset(
            torch.from_numpy(np.ascontiguousarray(x)), torch.from_numpy(y.astype(np.float32))
        )

    return fit_ensemble(
        member,
        _bce,
        dataset(x_train, y_train),
        dataset(x_val, y_val),
        n_members=n_members,
        settings=settings,
        seed=seed,
        device=device,
        checkpoint_dir=checkpoint_dir,
        on_epoch=on_epoch,
    )


def predict_proba(
    model: Any, x: np.ndarray, *, device: str = "cpu", batch_size: int = 2048
) -> np.ndarray:
    """P(label = 1) for each row of ``x``, shape (n,), float64."""
    import torch

    model = model.to(device).eval()
    out = []
    with torch.no_grad():
        for start in range(0, len(x), batch_size):
            chunk = torch.from_numpy(np.ascontiguousarray(x[start : start + batch_size])).to(device)
            out.append(torch.sigmoid(model(chunk).squeeze(-1)).double().cpu().numpy())
    return np.concatenate(out) if out else np.zeros(0)
