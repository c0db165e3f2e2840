"""A 2-process DDP fit for tests/train/test_distributed.py (run as a script: Fabric's
launcher starts rank 1 by running this file again).

Usage: python distributed_fit_worker.py OUT_DIR. Rank 0 writes OUT_DIR/result.pt (history
and weights of a fit killed after epoch 2 and resumed), OUT_DIR/killed.pt (the checkpoint
the distributed run left when it was killed) and OUT_DIR/ranks.txt (the world size).
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import torch
from distributed_problem import KILL_AFTER, problem

from physml.train import distributed, fit
from physml.train.fitting import FitResult


class Killed(Exception):
    """Stands for the kill of a run after an epoch's checkpoint."""


def main(out: Path) -> None:
    torch.set_num_threads(1)
    rank = distributed.launch(distributed.Distribution(2, 1, "ddp"), "cpu")
    ckpt = out / "checkpoints"

    def kill(record: dict) -> None:
        if record["epoch"] == KILL_AFTER:
            raise Killed

    model, loss, train, val, settings = problem()
    try:
        fit(model, loss, train, val, settings=settings, seed=3, checkpoint_dir=ckpt, on_epoch=kill)
    except Killed:
        pass
    if rank == 0:
        shutil.copy(ckpt / "last.pt", out / "killed.pt")
    model, loss, train, val, settings = problem()
    result: FitResult = fit(model, loss, train, val, settings=settings, seed=3, checkpoint_dir=ckpt)
    if rank == 0:
        history = [(r["train_loss"], r["val_loss"]) for r in result.history]
        torch.save(
            {
                "history": history,
                "weights": model.state_dict(),
                "resumed_from": result.resumed_from,
            },
            out / "result.pt",
        )
        (out / "ranks.txt").write_text(str(torch.distributed.get_world_size()))
    distributed.end()


if __name__ == "__main__":
    main(Path(sys.argv[1]))
