"""Deep ensembles: several copies of a model trained from independent seeds.

The spread of the members' predictions (or metrics) estimates the model uncertainty
(Lakshminarayanan et al., "Simple and Scalable Predictive Uncertainty Estimation using Deep
Ensembles", NeurIPS 2017, arXiv:1612.01474). Member seeds come from
``numpy.random.SeedSequence(seed).spawn(n_members)``, so members are statistically
independent and the whole ensemble is reproducible from one seed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn
from torch.utils.data import Dataset

from physml.train.devices import resolve_device
from physml.train.fitting import FitResult, LossFn, fit
from physml.train.settings import FitSettings

__all__ = ["fit_ensemble", "member_seeds", "spread"]


def member_seeds(seed: int, n: int) -> list[int]:
    """Independent seeds for ``n`` ensemble members, derived from one ``seed``.

    Uses ``numpy.random.SeedSequence(seed).spawn(n)``; each seed is a non-negative integer
    below 2**63. Member ``k``'s seed does not depend on ``n``.

    Example:
        >>> member_seeds(0, 3) == member_seeds(0, 5)[:3]
        True
    """
    if n < 1:
        raise ValueError(f"n={n!r} must be at least 1")
    children = np.random.SeedSequence(seed).spawn(n)
    return [int(c.generate_state(1, dtype=np.uint64)[0]) >> 1 for c in children]


def spread(values: Iterable[float]) -> tuple[float, float]:
    """Mean and sample standard deviation (``ddof=1``) of the members' values.

    For a single member the standard deviation is reported as ``0.0`` (not NaN), so tables
    stay readable; it then carries no information about the uncertainty.

    Example:
        >>> spread([1.0, 2.0, 3.0])
        (2.0, 1.0)
    """
    arr = np.asarray(list(values), dtype=np.float64)
    if arr.ndim != 1 or arr.size == 0:
        raise ValueError(f"spread needs a non-empty 1-D sequence of numbers, got shape {arr.shape}")
    mean = float(arr.mean())
    std = float(arr.std(ddof=1)) if arr.size > 1 else 0.0
    return mean, std


def fit_ensemble(
    make_model: Callable[[int], nn.Module],
    loss_fn: LossFn,
    train: Dataset,
    val: Dataset | None = None,
    *,
    n_members: int,
    settings: FitSettings,
    seed: int,
    device: str = "cpu",
    checkpoint_dir: str | Path | None = None,
    log_dir: str | Path | None = None,
    on_epoch: Callable[[dict[str, Any]], None] | None = None,
) -> list[FitResult]:
    """Train ``n_members`` independently seeded models with :func:`physml.train.fit`.

    Member ``k`` gets seed ``s_k = member_seeds(seed, n_members)[k]``: ``make_model(s_k)``
    builds it (called with torch's global generator forked and seeded with ``s_k``, so the
    default ``nn.Module`` initialisation is reproducible and nothing leaks), and
    ``fit(..., seed=s_k)`` fixes its data order. Members train one after another, or,
    inside :func:`physml.train.parallel.ray_workers`, as parallel Ray tasks (one CPU, or
    one GPU on ``device="cuda"``, each; the same members, bit for bit at equal thread
    counts; ``on_epoch`` is then replayed for each member as it finishes).

    Args:
        make_model: ``make_model(member_seed) -> nn.Module``, a freshly initialised model
            (picklable for parallel members: a module-level function or a closure over
            picklable values).
        loss_fn, train, val, settings, device: as for :func:`physml.train.fit`.
        n_members: number of members (at least 1).
        seed: the ensemble's seed.
        checkpoint_dir: member ``k`` checkpoints in ``checkpoint_dir/member-{k}``; a rerun
            skips finished members and resumes an interrupted one.
        log_dir: member ``k`` logs to ``log_dir/member-{k}.csv``.
        on_epoch: as for :func:`fit`; the record also holds ``member`` and ``n_members``.

    Returns:
        One :class:`FitResult` per member, in member order.
    """
    from physml.train.parallel import active_workers, run_parallel

    jobs = [
        _Member(
            k,
            member_seed,
            _member_path(checkpoint_dir, f"member-{k}"),
            _member_path(log_dir, f"member-{k}.csv"),
        )
        for k, member_seed in enumerate(member_seeds(seed, n_members))
    ]
    common = (make_model, loss_fn, train, val, settings, device)
    if active_workers() > 1 and n_members > 1:

        def replay(k: int, result: FitResult) -> None:
            for record in result.history:
                on_epoch(
                    {
                        **record,
                        "max_epochs": settings.max_epochs,
                        "member": k,  # type: ignore[misc]
                        "n_members": n_members,
                    }
                )

        gpus = 1.0 if resolve_device(device) == "cuda" else 0.0
        return run_parallel(
            _fit_member,
            jobs,
            shared=common,
            gpus=gpus,
            on_result=replay if on_epoch is not None else None,
        )
    results = []
    for job in jobs:
        callback = None
        if on_epoch is not None:

            def callback(record: dict[str, Any], k: int = job.index) -> None:
                on_epoch({**record, "member": k, "n_members": n_members})

        results.append(_fit_member(*common, job, on_epoch=callback))
    return results


@dataclass(frozen=True)
class _Member:
    """One member's index, seed, checkpoint folder and log file."""

    index: int
    seed: int
    checkpoint_dir: Path | None
    log_path: Path | None


def _fit_member(
    make_model: Callable[[int], nn.Module],
    loss_fn: LossFn,
    train: Dataset,
    val: Dataset | None,
    settings: FitSettings,
    device: str,
    member: _Member,
    on_epoch: Callable[[dict[str, Any]], None] | None = None,
) -> FitResult:
    """Build member ``member`` under its own torch seed and fit it."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(member.seed)
        model = make_model(member.seed)
    return fit(
        model,
        loss_fn,
        train,
        val,
        settings=settings,
        seed=member.seed,
        device=device,
        checkpoint_dir=member.checkpoint_dir,
        log_path=member.log_path,
        on_epoch=on_epoch,
    )


def _member_path(folder: str | Path | None, name: str) -> Path | None:
    return None if folder is None else Path(folder) / name
