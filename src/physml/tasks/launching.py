"""How a run's processes start: a DDP session (``--devices``) or Ray workers (``--workers``).

:func:`launch_plan` validates ``--devices``, ``--num-nodes`` and ``--strategy`` for a
method, :func:`member_workers` starts Ray for parallel ensemble members, and
:func:`launched` starts the processes of a distributed run, gives global rank 0 the run
directory and the other ranks a temporary one, and runs the task on every rank.
"""

from __future__ import annotations

import contextlib
import dataclasses
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from physml.config import ConfigError
from physml.tasks.base import Task
from physml.train.distributed import Distribution, check_distribution
from physml.train.settings import FitSettings

if TYPE_CHECKING:
    from physml.tasks.runner import RunRecord

__all__ = ["launch_plan", "launched", "member_workers"]


def launch_plan(
    task: Task, method: str, devices: int, num_nodes: int, strategy: str, accelerator: str
) -> Distribution:
    """Validate ``--devices``, ``--num-nodes`` and ``--strategy`` for this method (as
    ConfigError): only methods trained by :func:`physml.train.fit` are distributed."""
    try:
        dist = check_distribution(devices, num_nodes, strategy, accelerator)
    except ValueError as err:
        raise ConfigError(str(err)) from None
    spec = task.methods[method]
    if dist.distributed and not (spec.trained and issubclass(spec.training, FitSettings)):
        how = (
            f"trains with its own loop ({spec.training.__name__}), not the fit engine"
            if spec.trained
            else "is not trained by gradient descent"
        )
        raise ConfigError(
            f"--devices {devices} --num-nodes {num_nodes} --strategy {strategy}: method "
            f"'{method}' of {task.name} {how}; only fit-engine methods train distributed "
            "(run it with --devices 1)"
        )
    return dist


@contextlib.contextmanager
def member_workers(workers: int, address: str | None, dist: Distribution) -> Iterator[None]:
    """Ensemble members in parallel on a Ray cluster (``--workers K``), or nothing."""
    if workers == 1 and address is None:
        yield
        return
    if dist.distributed:
        raise ConfigError(
            f"--workers {workers} with --devices {dist.devices}: give one or the other "
            "(a member trains either on Ray or on a process group)"
        )
    from physml.train.parallel import ray_workers

    with ray_workers(workers, address):
        yield


def launched(
    dist: Distribution,
    accelerator: str,
    make_run_dir: Callable[[], Path],
    execute: Callable[[Path, int], RunRecord],
) -> RunRecord:
    """Start the processes of ``dist``, give rank 0 the run directory ``make_run_dir()``
    makes and the others a temporary one, and ``execute(run_dir, rank)`` on every rank."""
    from physml.train import distributed

    rank = distributed.launch(dist, accelerator)
    if not dist.distributed:
        return execute(make_run_dir(), 0)
    failed = True
    scratch = None
    try:
        made, problem = None, None
        if rank == 0:
            try:
                made = str(make_run_dir())
            except ConfigError as err:
                problem = str(err)
        made, problem = distributed.broadcast((made, problem))
        if problem is not None:
            raise ConfigError(problem)
        if rank == 0:
            run_dir = Path(made)
        else:
            scratch = run_dir = Path(tempfile.mkdtemp(prefix=f"physml-rank{rank}-"))
        record = execute(run_dir, rank)
        failed = False
        return record if rank == 0 else dataclasses.replace(record, run_dir=Path(made))
    finally:
        distributed.end(abort=failed)
        if scratch is not None:
            shutil.rmtree(scratch, ignore_errors=True)
