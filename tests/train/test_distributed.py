"""Distributed fits: two processes on gloo give the one-process fit, and resume it.

The 2-process run is a subprocess (tests/train/distributed_fit_worker.py; Fabric's
launcher starts its rank 1). The sums of a global batch's gradient are taken in another
order (two chunk means, weighted, then summed over ranks), so the fits agree to float64
rounding, not bit for bit: within 1e-12 after five epochs of this smooth problem.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from distributed_problem import KILL_AFTER, problem

from physml.train import distributed, fit
from physml.train.checkpoint import read_checkpoint

WORKER = Path(__file__).parent / "distributed_fit_worker.py"
TOLERANCE = 1e-12


@pytest.fixture(scope="module")
def two_process_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("ddp")
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONWARNINGS": "ignore"}
    subprocess.run([sys.executable, str(WORKER), str(out)], check=True, env=env, timeout=600)
    return out


def _single(checkpoint_dir: Path | None = None):
    model, loss, train, val, settings = problem()
    result = fit(model, loss, train, val, settings=settings, seed=3, checkpoint_dir=checkpoint_dir)
    return result, model


def test_two_processes_give_the_single_process_fit(two_process_run: Path) -> None:
    stored = torch.load(two_process_run / "result.pt", weights_only=True)
    assert (two_process_run / "ranks.txt").read_text() == "2"
    assert stored["resumed_from"] == KILL_AFTER  # killed after epoch 2, resumed from there
    result, model = _single()
    one = [(r["train_loss"], r["val_loss"]) for r in result.history]
    assert len(one) == len(stored["history"]) == 5
    for (t1, v1), (t2, v2) in zip(one, stored["history"], strict=True):
        assert t2 == pytest.approx(t1, rel=TOLERANCE) and v2 == pytest.approx(v1, rel=TOLERANCE)
    assert one[-1][0] < 0.9 * one[0][0]  # it trained
    for name, weight in model.state_dict().items():
        torch.testing.assert_close(stored["weights"][name], weight, rtol=TOLERANCE, atol=TOLERANCE)


def test_rank_zero_alone_writes_and_one_process_resumes_it(two_process_run: Path, tmp_path) -> None:
    files = sorted(p.name for p in (two_process_run / "checkpoints").iterdir())
    assert files == ["best.pt", "last.pt"]  # one checkpoint, not one per rank
    killed = read_checkpoint(two_process_run / "killed.pt")
    assert killed["epoch"] == KILL_AFTER
    # a checkpoint written by the distributed run resumes on one process
    (tmp_path / "ckpt").mkdir()
    (tmp_path / "ckpt" / "last.pt").write_bytes((two_process_run / "killed.pt").read_bytes())
    resumed, model = _single(tmp_path / "ckpt")
    assert resumed.resumed_from == KILL_AFTER
    stored = torch.load(two_process_run / "result.pt", weights_only=True)
    for name, weight in model.state_dict().items():
        torch.testing.assert_close(stored["weights"][name], weight, rtol=TOLERANCE, atol=TOLERANCE)


@pytest.mark.parametrize(
    ("args", "says"),
    [
        ((2, 1, "fsdp"), "--strategy 'fsdp' is not allowed; allowed: auto, ddp"),
        ((0, 1, "ddp"), "--devices 0 is not allowed: must be a positive integer"),
        ((10_000, 1, "ddp"), "--devices 10000 is more than this node's"),
        ((1, 2, "ddp"), "--num-nodes 2 needs a scheduler"),
    ],
)
def test_check_distribution_refuses(args, says, monkeypatch) -> None:
    for name in ("SLURM_NTASKS", "LOCAL_RANK"):
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(ValueError, match="^" + says.replace("(", r"\(").replace("'", "'")):
        distributed.check_distribution(*args, "cpu")


def test_check_distribution_accepts_a_slurm_job(monkeypatch) -> None:
    monkeypatch.setenv("SLURM_NTASKS", "8")
    dist = distributed.check_distribution(1, 2, "ddp", "cpu")
    assert dist.world_size == 2 and dist.distributed
    assert not distributed.Distribution().distributed
