"""physml sweep: grid points in parallel on a local 2-worker Ray cluster, one run
directory each with its own seed, the best by |gap|; a rerun runs only unfinished points;
bad grids and dead addresses refused in one line with nothing written."""

from __future__ import annotations

import json
import socket

import pytest

from cli_refusals import assert_refused
from physml.config import ConfigError
from physml.tasks.sweep import parse_grid, plan_sweep, point_seed, run_sweep

pytest.importorskip("ray")

TINY = ["n_events=1000", "n_eval=2000", "train.max_epochs=2", "model.hidden=[16]"]
SWEEP = ["sweep", "higgs-events", "-m", "mlp", "--device", "cpu"]


def test_grids_split_at_top_level_commas() -> None:
    grid = parse_grid(["model.hidden=[8,16],[32]", "train.learning_rate=1e-3, 3e-3"])
    assert grid == {"model.hidden": ["[8,16]", "[32]"], "train.learning_rate": ["1e-3", "3e-3"]}
    for bad, says in [
        (["lr"], "expected KEY=V1,V2"),
        (["a=1,,2"], "empty value"),
        (["a=1", "a=2"], "given twice"),
        ([], "give at least one"),
    ]:
        with pytest.raises(ConfigError, match=says):
            parse_grid(bad)


@pytest.mark.parametrize(
    ("grid", "says"),
    [
        ("train.nope=1,2", "--grid point 0 (train.nope=1):"),
        ("train.learning_rate=1e-3,-1", "--grid point 1 (train.learning_rate=-1):"),
        ("n_events=1000,nan", "--grid point 1 (n_events=nan):"),
    ],
)
def test_bad_grids_are_refused(grid, says, tmp_path) -> None:
    assert_refused([*SWEEP, "--grid", grid], says, tmp_path)


def test_a_dead_address_is_refused(tmp_path) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    args = [*SWEEP, "--grid", "train.learning_rate=1e-3,1e-2", "--address", f"127.0.0.1:{port}"]
    assert_refused(args, "no Ray cluster answers there", tmp_path)


def test_sweep_runs_points_in_parallel_and_reruns_only_unfinished(tmp_path) -> None:
    from physml.train.parallel import ray_workers

    grid = ["train.learning_rate=1e-3,1e-2"]
    plan = plan_sweep(
        "higgs-events", "mlp", "quick", grid, overrides=TINY, device="cpu", out=tmp_path, seed=4
    )
    lines: list[str] = []
    with ray_workers(2):  # one local cluster for both calls
        summary = run_sweep(plan, workers=2, log=lines.append)
        assert "2 points, 0 finished before, 2 to run on 2 worker(s)" in lines[0]
        points = summary["points"]
        assert [p["status"] for p in points] == ["finished", "finished"]
        assert [p["seed"] for p in points] == [point_seed(4, 0), point_seed(4, 1)]
        assert points[0]["seed"] != points[1]["seed"]
        for point in points:
            record = json.loads((plan.points[point["index"]].run_dir / "metrics.json").read_text())
            assert record["seed"] == point["seed"] and record["task"] == "higgs-events"
            head = point["headline"]
            assert head["name"] == "AMS" and head["gap"] < 0  # below the optimal cut's AMS
            assert head["gap_sd"] > 0
        gaps = {p["index"]: abs(p["headline"]["gap"]) for p in points}
        assert summary["best"] == min(gaps, key=gaps.get)
        assert json.loads((plan.directory / "sweep.json").read_text()) == summary
        # a point that did not finish (no metrics.json) is the only one run again
        kept = plan.points[0].run_dir / "metrics.json"
        stamp = kept.stat().st_mtime_ns
        (plan.points[1].run_dir / "metrics.json").unlink()
        again = plan_sweep(
            "higgs-events", "mlp", "quick", grid, overrides=TINY, device="cpu", out=tmp_path, seed=4
        )
        assert again.directory == plan.directory
        lines.clear()
        rerun = run_sweep(again, workers=2, log=lines.append)
    assert "1 finished before, 1 to run" in lines[0]
    assert kept.stat().st_mtime_ns == stamp
    assert rerun["points"][1]["status"] == "finished" and rerun["best"] is not None


def test_a_sweep_without_a_grid_is_refused(tmp_path) -> None:
    assert_refused(SWEEP, "--grid: give at least one KEY=V1,V2,...", tmp_path)
