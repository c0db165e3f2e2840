"""physml run --devices 2: one run directory, the single-process metrics, resumable;
bad --devices/--num-nodes/--strategy refused in one line before any run directory."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from cli_refusals import assert_refused
from physml.tasks import run

TINY = [
    "n_events=1000",
    "n_eval=2000",
    "train.max_epochs=3",
    "train.batch_size=64",
    "model.hidden=[16]",
]


def _physml(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "OMP_NUM_THREADS": "1", "COLUMNS": "200"}
    command = [sys.executable, "-m", "physml.cli.main", *args]
    return subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=600)


def test_two_processes_write_one_run_with_the_single_process_metrics(tmp_path) -> None:
    sets = [a for item in TINY for a in ("--set", item)]
    args = ["run", "higgs-events", "-m", "mlp", *sets, "--device", "cpu", "--out", "runs"]
    scratch = Path(tempfile.gettempdir())
    before = set(scratch.glob("physml-rank1-*"))
    done = _physml(*args, "--devices", "2", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    runs = list((tmp_path / "runs").glob("*/*/*"))
    assert len(runs) == 1 and done.stdout.count("  run directory:") == 1  # rank 0 reports
    document = json.loads((runs[0] / "metrics.json").read_text())
    assert document["distribution"] == {"devices": 2, "num_nodes": 1, "strategy": "auto"}
    single = run("higgs-events", "mlp", overrides=TINY, device="cpu", out=tmp_path / "one")
    for name, metric in single.metrics.items():  # float32 nets: equal to rounding
        assert document["metrics"][name]["value"] == pytest.approx(metric.value, rel=1e-4), name
    assert set(scratch.glob("physml-rank1-*")) <= before  # rank 1's directory is gone


@pytest.mark.slow
def test_resume_relaunches_the_processes_of_the_run(tmp_path) -> None:
    sets = [a for item in TINY for a in ("--set", item)]
    args = ["run", "higgs-events", "-m", "mlp", *sets, "--device", "cpu", "--devices", "2"]
    assert _physml(*args, "--out", "runs", cwd=tmp_path).returncode == 0
    (run_dir,) = (tmp_path / "runs").glob("*/*/*")
    document = json.loads((run_dir / "metrics.json").read_text())
    (run_dir / "metrics.json").unlink()  # killed before its metrics were written
    resumed = _physml("run", "--resume", str(run_dir), cwd=tmp_path)
    assert resumed.returncode == 0, resumed.stderr
    again = json.loads((run_dir / "metrics.json").read_text())
    assert again["metrics"] == document["metrics"] and again["distribution"]["devices"] == 2
    assert len(list((tmp_path / "runs").glob("*/*/*"))) == 1


@pytest.mark.parametrize(
    ("extra", "says"),
    [
        (["--devices", "4096"], "--devices 4096 is more than this node's"),
        (["--devices", "0"], "--devices 0 is not allowed: must be a positive integer"),
        (["--strategy", "fsdp"], "--strategy 'fsdp' is not allowed; allowed: auto, ddp"),
        (["--num-nodes", "2"], "--num-nodes 2 needs a scheduler"),
        (["--devices", "2", "-m", "bdt"], "method 'bdt' of higgs-events is not trained by"),
        (["--devices", "2", "--workers", "2"], "--workers 2 with --devices 2: give one"),
    ],
)
def test_bad_distribution_is_refused(extra, says, tmp_path, monkeypatch) -> None:
    for name in ("SLURM_NTASKS", "LOCAL_RANK"):
        monkeypatch.delenv(name, raising=False)
    assert_refused(["run", "higgs-events", "--device", "cpu", *extra], says, tmp_path)


def test_own_training_loops_refuse_devices(tmp_path) -> None:
    says = "method 'gan' of ising-generative trains with its own loop (GANSettings)"
    assert_refused(["run", "ising-generative", "-m", "gan", "--devices", "2"], says, tmp_path)
