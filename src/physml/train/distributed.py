"""Data-parallel training across processes, GPUs and nodes through Lightning Fabric.

A distributed run is one *session* per process: :func:`launch` starts it before the run
directory exists (Fabric's launcher re-runs the command once per extra local process;
under SLURM or torchrun the scheduler starts every process and Fabric's cluster
environment detection reads the ranks), and every :func:`physml.train.fit` of the run
then trains on :func:`session_fabric`.

Conventions:
    * Every rank runs the whole task (data, evaluation); only :func:`physml.train.fit`
      divides work. Each global batch of ``batch_size`` samples is the one a
      single-process run draws; rank ``r`` takes chunk ``r`` of
      ``index.tensor_split(world_size)``, back-propagates its mean loss weighted by
      ``n_r / n``, and :func:`all_reduce_gradients` sums the gradients over ranks: the
      gradient of the global batch mean, as in one process, up to the order of the sums.
      The validation loss is computed in full on every rank (bitwise that of one process
      with the same weights), so every rank takes the same early-stopping decisions.
    * Weights stay bitwise identical across ranks (the reduced gradients are, and so
      are the optimizer steps); floating buffers (BatchNorm statistics) are averaged over
      ranks after every epoch.
    * Only global rank 0 writes (the run directory, checkpoints, logs); on resume it reads
      the checkpoint and broadcasts it, so other ranks, even on other nodes, need no access
      to the run directory.
    * Randomness inside the model (dropout) draws from torch's global generator, seeded
      the same on every rank; a resumed run restores rank 0's state on all ranks.

Torch and Lightning are imported inside the functions: the runner validates
``--devices`` without them.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    import torch
    from lightning.fabric import Fabric
    from torch import nn

    from physml.train.fitting import LossFn

__all__ = [
    "STRATEGIES",
    "Distribution",
    "all_reduce_gradients",
    "average_buffers",
    "broadcast",
    "check_distribution",
    "chunk_batch",
    "end",
    "global_rank",
    "launch",
    "session_fabric",
    "setup_replica",
    "shared_checkpoint",
    "train_shard_epoch",
]

STRATEGIES: tuple[str, ...] = ("auto", "ddp")
"""Values of ``--strategy``: ``auto`` is single-process for one device, DDP for more."""

Strategy = Literal["auto", "ddp"]


@dataclass(frozen=True)
class Distribution:
    """How many processes train a run: ``devices`` per node times ``num_nodes``."""

    devices: int = 1
    num_nodes: int = 1
    strategy: Strategy = "auto"

    @property
    def world_size(self) -> int:
        return self.devices * self.num_nodes

    @property
    def distributed(self) -> bool:
        """Whether training goes through a process group (DDP), even with one process."""
        return self.world_size > 1 or self.strategy == "ddp"

    def to_json(self) -> dict[str, Any]:
        return {"devices": self.devices, "num_nodes": self.num_nodes, "strategy": self.strategy}


def _cluster_launched() -> bool:
    """Whether a scheduler (SLURM's srun, torchrun) started this process with its ranks."""
    return "SLURM_NTASKS" in os.environ or "LOCAL_RANK" in os.environ


def check_distribution(
    devices: int, num_nodes: int, strategy: str, accelerator: str
) -> Distribution:
    """Validate ``--devices``, ``--num-nodes`` and ``--strategy`` for ``accelerator``.

    On the CPU a device is a process, at most one per core; on CUDA at most the GPUs this
    node has. More than one node needs a scheduler that starts the processes (SLURM's
    ``srun``, ``torchrun``).

    Raises:
        ValueError: one line naming the option, the value and what is allowed.
    """
    if strategy not in STRATEGIES:
        raise ValueError(
            f"--strategy {strategy!r} is not allowed; allowed: {', '.join(STRATEGIES)}"
        )
    for name, value in (("--devices", devices), ("--num-nodes", num_nodes)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"{name} {value!r} is not allowed: must be a positive integer")
    if accelerator == "cuda":
        import torch

        available, what = torch.cuda.device_count(), "CUDA devices"
    else:
        available, what = os.cpu_count() or 1, "CPU cores (one process each)"
    if devices > available:
        raise ValueError(
            f"--devices {devices} is more than this node's {available} {what}; "
            f"allowed: 1 to {available}"
        )
    if num_nodes > 1 and not _cluster_launched():
        raise ValueError(
            f"--num-nodes {num_nodes} needs a scheduler that starts the processes of every "
            "node (SLURM's srun, torchrun); none started this one (see docs/distributed.md)"
        )
    return Distribution(devices, num_nodes, strategy)  # type: ignore[arg-type]


_SESSION: dict[str, Any] = {}


def launch(distribution: Distribution, accelerator: str) -> int:
    """Start this process's distributed session and return its global rank.

    Called once per process before anything is written. On the first process of a
    single-node run Fabric re-runs the command for local ranks 1..devices-1 (they find
    ``LOCAL_RANK`` set and start no more); the process group is gloo on the CPU and NCCL
    on CUDA. Without ``distribution.distributed`` nothing starts and the rank is 0.
    """
    if not distribution.distributed:
        return 0
    fabric = _new_fabric(distribution, accelerator, "32-true")
    _SESSION.update(distribution=distribution, accelerator=accelerator, fabrics={})
    _SESSION["fabrics"][accelerator, "32-true"] = fabric
    return fabric.global_rank


def session_fabric(accelerator: str, precision: str) -> Any | None:
    """The launched DDP Fabric of this session for ``precision``, or None outside one.

    A second precision gets its own Fabric on the same process group (Fabric finds the
    group initialised and ``LOCAL_RANK`` set, so it launches nothing)."""
    if not _SESSION:
        return None
    if accelerator != _SESSION["accelerator"]:
        raise ValueError(
            f"device {accelerator!r} differs from the distributed session's "
            f"{_SESSION['accelerator']!r}"
        )
    key = (accelerator, precision)
    if key not in _SESSION["fabrics"]:
        _SESSION["fabrics"][key] = _new_fabric(_SESSION["distribution"], accelerator, precision)
    return _SESSION["fabrics"][key]


def _new_fabric(distribution: Distribution, accelerator: str, precision: str) -> Any:
    from lightning.fabric import Fabric

    from physml.train.fitting import _quiet_lightning

    chatter = logging.getLogger("lightning.fabric.utilities.distributed")  # "Initializing ..."
    level = chatter.level
    chatter.setLevel(logging.WARNING)
    with _quiet_lightning():
        fabric = Fabric(
            accelerator=accelerator,
            strategy="ddp",
            devices=distribution.devices,
            num_nodes=distribution.num_nodes,
            precision=precision,
        )
        fabric.launch()
    chatter.setLevel(level)
    return fabric


def global_rank() -> int:
    """This process's global rank (0 outside a distributed session)."""
    if not _SESSION:
        return 0
    return next(iter(_SESSION["fabrics"].values())).global_rank


def broadcast(obj: Any) -> Any:
    """``obj`` as global rank 0 has it (any picklable object); ``obj`` outside a session."""
    if not _SESSION:
        return obj
    return next(iter(_SESSION["fabrics"].values())).broadcast(obj, src=0)


def end(*, abort: bool = False) -> None:
    """Close the session: wait for every rank and for the processes Fabric started, or,
    with ``abort`` (this rank failed), stop those processes rather than wait for them."""
    if not _SESSION:
        return
    fabric = next(iter(_SESSION["fabrics"].values()))
    procs = getattr(fabric.strategy.launcher, "procs", [])
    if abort:
        for proc in procs:
            proc.kill()
    else:
        fabric.barrier()
    for proc in procs:
        proc.wait()
    _SESSION.clear()


def all_reduce_gradients(params: Sequence[Any]) -> None:
    """Sum the gradients of ``params`` over all ranks, in place, in one collective.

    A parameter without a gradient on a rank counts as zero there; one without a gradient
    on every rank keeps ``grad = None`` (as AdamW then skips it in one process too).
    """
    import torch
    import torch.distributed as dist

    grads = [p.grad if p.grad is not None else torch.zeros_like(p) for p in params]
    present = [float(p.grad is not None) for p in params]
    if not grads:
        return
    flat = torch.cat([g.reshape(-1) for g in grads])
    flat = torch.cat([flat, torch.tensor(present, dtype=flat.dtype, device=flat.device)])
    dist.all_reduce(flat)
    offset = 0
    sizes = [p.numel() for p in params]
    counts = flat[sum(sizes) :]
    for p, n, count in zip(params, sizes, counts, strict=True):
        p.grad = None if count == 0 else flat[offset : offset + n].view_as(p).to(p.dtype).clone()
        offset += n


def average_buffers(module: Any) -> None:
    """Average the floating-point buffers of ``module`` (BatchNorm statistics) over ranks."""
    import torch.distributed as dist

    world = dist.get_world_size()
    for buffer in module.buffers():
        if buffer.is_floating_point():
            dist.all_reduce(buffer)
            buffer.div_(world)


# --- the pieces of a distributed fit ------------------------------------------------


def train_shard_epoch(
    fabric: Fabric,
    model: nn.Module,
    loss_fn: LossFn,
    batches: Iterator[tuple[Any, int, int]],
    optimizer: torch.optim.Optimizer,
) -> float:
    """One distributed training pass over ``(local batch, local size, global size)``.

    Each rank back-propagates its chunk's mean loss weighted by its share of the global
    batch; the summed gradients are those of the global batch mean. Returns the
    sample-weighted mean loss over all ranks (one all-reduce per epoch).
    """
    import torch
    import torch.distributed as dist

    params = [p for p in model.parameters() if p.requires_grad]
    total, count = torch.zeros((), dtype=torch.float64, device=fabric.device), 0
    for batch, n, n_global in batches:
        optimizer.zero_grad()
        if n:
            with fabric.autocast():
                loss = loss_fn(model, batch)
            fabric.backward(loss * (n / n_global))
            total += loss.detach().double() * n
        all_reduce_gradients(params)
        optimizer.step()
        count += n_global
    dist.all_reduce(total)
    average_buffers(model)
    return float(total) / count


def shared_checkpoint(ckpt_dir: Path | None, fabric: Fabric) -> dict[str, Any] | None:
    """``ckpt_dir/last.pt`` as global rank 0 reads it, on every rank (None: no checkpoint).

    A checkpoint rank 0 cannot read is refused on every rank with rank 0's message.
    """
    from physml.config import ConfigError
    from physml.train.checkpoint import CheckpointError, read_checkpoint

    payload, problem = None, None
    if ckpt_dir is not None and fabric.is_global_zero and (ckpt_dir / "last.pt").exists():
        try:
            payload = read_checkpoint(ckpt_dir / "last.pt")
        except CheckpointError as err:
            problem = str(err)
    payload, problem = fabric.broadcast((payload, problem), src=0)
    if problem is not None:
        raise ConfigError(problem)
    return payload


def chunk_batch(batch: Any, rank: int, world: int) -> Any:
    """Chunk ``rank`` of ``world`` of every tensor in ``batch``, along the sample axis."""
    import torch

    if isinstance(batch, torch.Tensor):
        return batch.tensor_split(world)[rank] if batch.ndim else batch
    if isinstance(batch, Mapping):
        return {k: chunk_batch(v, rank, world) for k, v in batch.items()}
    if isinstance(batch, (list, tuple)):
        return type(batch)(chunk_batch(v, rank, world) for v in batch)
    return batch


def setup_replica(
    fabric: Fabric, model: nn.Module, optimizer: torch.optim.Optimizer
) -> torch.optim.Optimizer:
    """Convert and move ``model`` in place for a distributed fit, without DDP's wrapper.

    ``loss_fn`` calls the plain module (and methods other than ``forward``: a flow's
    ``log_prob``), which DDP's wrapper would not synchronise, so gradients are summed by
    :func:`~physml.train.distributed.all_reduce_gradients` instead. Rank 0's initial
    weights are broadcast, so ranks start equal even from differently seeded models.
    """
    import torch
    import torch.distributed as dist

    fabric.strategy.precision.convert_module(model)
    model.to(fabric.device)
    with torch.no_grad():
        for tensor in [*model.parameters(), *model.buffers()]:
            dist.broadcast(tensor, src=0)
    return fabric.setup_optimizers(optimizer)
