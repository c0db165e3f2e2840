"""``--track mlflow|tensorboard``: a finished run exported, then read back from the store."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cli_refusals import assert_refused
from finished_runs import ONSAGER_TC, make_run
from physml.cli import tracking
from physml.cli.main import app
from physml.cli.run_dirs import read_run

pytest.importorskip("mlflow", reason="the track extra: pip install -e '.[track]'")
pytest.importorskip("tensorboard", reason="the track extra: pip install -e '.[track]'")

runner = CliRunner()


@pytest.fixture
def run_dir(tmp_path: Path) -> Path:
    return make_run(tmp_path / "runs", method="logistic", seed=3, t_c=2.26, error=0.004, plots=2)


def test_mlflow_store_reads_back_what_the_run_directory_holds(run_dir: Path) -> None:
    from mlflow.tracking import MlflowClient

    # through the CLI: --resume of a finished run reads it back, then exports it
    result = runner.invoke(app, ["run", "--resume", str(run_dir), "--track", "mlflow"])
    assert result.exit_code == 0, result.output
    store = f"sqlite:///{run_dir.parents[2] / 'mlflow.db'}"  # the default, beside the runs
    assert "mlflow: run " in result.output and store in result.output
    client = MlflowClient(tracking_uri=store)
    (run,) = client.search_runs([client.get_experiment_by_name("ising-phase").experiment_id])
    assert run.info.status == "FINISHED"
    params, metrics = run.data.params, run.data.metrics
    assert params["seed"] == "3" and params["method"] == "logistic"
    assert params["sizes"] == "[8, 12]" and params["model.inverse_regularization"] == "1.0"
    # the final numbers exactly as metrics.json holds them (Onsager's T_c the reference)
    assert metrics["T_c"] == 2.26 and metrics["T_c/error"] == 0.004
    assert metrics["T_c/reference"] == ONSAGER_TC
    assert metrics["T_c/gap"] == pytest.approx((2.26 - ONSAGER_TC) / ONSAGER_TC, rel=1e-12)
    assert "accuracy/reference" not in metrics and metrics["n_sizes/error"] == 0.0
    assert metrics["max_dm_"] == 0.01 and metrics["wall_time_s"] == 12.5
    # the curves, step = row of log.csv (two fits one after the other)
    history = client.get_metric_history(run.info.run_id, "curve/train_loss")
    curve = read_run(run_dir).curves["train_loss"]
    assert sorted((m.step, m.value) for m in history) == curve
    steps = [m.step for m in client.get_metric_history(run.info.run_id, "curve/val_loss")]
    assert sorted(steps) == [1, 3]
    artifacts = {f.path for f in client.list_artifacts(run.info.run_id)}
    assert {"metrics.json", "config.yaml", "log.csv", "plots", "metric_names.json"} <= artifacts
    plots = {f.path for f in client.list_artifacts(run.info.run_id, "plots")}
    assert plots == {"plots/figure_0.png", "plots/figure_1.png"}
    names = json.loads(
        Path(client.download_artifacts(run.info.run_id, "metric_names.json")).read_text()
    )
    assert names["max_dm_"] == "max|dm|"
    # exporting again finds the run instead of adding a second one
    assert tracking.export_mlflow(run_dir, store) == run.info.run_id
    assert len(client.search_runs([run.info.experiment_id])) == 1


def test_tensorboard_event_file_reads_back(run_dir: Path, tmp_path: Path) -> None:
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    logdir = tmp_path / "tb"
    where = tracking.export_tensorboard(run_dir, str(logdir))
    assert where == logdir / "ising-phase" / "logistic" / run_dir.name
    events = EventAccumulator(str(where), size_guidance={"images": 0, "scalars": 0}).Reload()
    tags = events.Tags()
    train = [(e.step, e.value) for e in events.Scalars("curve/train_loss")]
    expected = read_run(run_dir).curves["train_loss"]
    assert [s for s, _ in train] == [s for s, _ in expected]
    assert [v for _, v in train] == pytest.approx([v for _, v in expected], rel=1e-6)  # float32
    (t_c,) = events.Scalars("metrics/T_c/reference")
    assert t_c.value == pytest.approx(ONSAGER_TC, rel=1e-7)
    assert set(tags["images"]) == {"plots/figure_0", "plots/figure_1"}
    image = events.Images("plots/figure_1")[0]
    assert (image.width, image.height) == (9, 6)
    assert "metrics/text_summary" in tags["tensors"] and "config/text_summary" in tags["tensors"]
    assert tracking.export_tensorboard(run_dir, str(logdir)) == where  # not written twice
    assert [p.name for p in where.parent.iterdir()] == [run_dir.name]  # no temporary left


@pytest.mark.parametrize(
    ("extra", "says"),
    [
        (["--track", "wandb"], "--track 'wandb': unknown tracker"),
        (["--track-uri", "sqlite:///x.db"], "goes with exactly one --track"),
        (["--track", "mlflow", "--track", "tensorboard", "--track-uri", "x"], "exactly one"),
    ],
)
def test_bad_tracking_is_refused_before_the_run(extra, says, tmp_path) -> None:
    assert_refused(["run", "ising-phase", *extra], says, tmp_path)


def test_missing_tracker_library_names_the_extra(monkeypatch, tmp_path) -> None:
    monkeypatch.setitem(tracking.TRACKERS, "mlflow", "physml_no_such_module")
    assert_refused(
        ["run", "ising-phase", "--track", "mlflow"], "pip install -e '.[track]'", tmp_path
    )


def test_store_that_refuses_gives_one_line_and_keeps_the_run(run_dir: Path) -> None:
    args = ["run", "--resume", str(run_dir), "--track", "mlflow", "--track-uri", "nonsense://x"]
    result = runner.invoke(app, args)
    lines = result.stderr.strip().splitlines()
    assert result.exit_code == 2 and len(lines) == 1, result.output
    assert "refused the run" in lines[0] and f"--resume {run_dir}" in lines[0]
    assert (run_dir / "metrics.json").is_file()


def test_a_real_run_tracked_from_the_command_line(tmp_path: Path) -> None:
    from mlflow.tracking import MlflowClient

    # 28 pair couplings of an 8-spin chain, 60 noiseless states: OLS is exact to rounding
    small = ["size=8", "n_train=60", "n_test=60", "n_bootstrap=2"]
    args = ["run", "ising-couplings", "--method", "ols", "--out", str(tmp_path / "runs")]
    args += [
        *(a for s in small for a in ("--set", s)),
        "--track",
        "mlflow",
        "--track",
        "tensorboard",
    ]
    result = runner.invoke(app, args, terminal_width=200)
    assert result.exit_code == 0, result.output
    (run_dir,) = (tmp_path / "runs").glob("ising-couplings/ols/*")
    run = read_run(run_dir)
    client = MlflowClient(tracking_uri=f"sqlite:///{tmp_path / 'runs' / 'mlflow.db'}")
    (tracked,) = client.search_runs(
        [client.get_experiment_by_name("ising-couplings").experiment_id]
    )
    metrics = tracked.data.metrics
    exact = run.record.metrics["max|K - K_exact|"]
    assert metrics["max_K - K_exact_"] == exact.value < 1e-10
    assert metrics["max_K - K_exact_/reference"] == 0.0
    for column, points in run.curves.items():
        history = client.get_metric_history(tracked.info.run_id, f"curve/{column}")
        assert sorted((m.step, m.value) for m in history) == points
    plots = {f.path for f in client.list_artifacts(tracked.info.run_id, "plots")}
    assert plots == {f"plots/{p.name}" for p in run.plots} and plots
    assert (tmp_path / "runs" / "tensorboard" / "ising-couplings" / "ols" / run_dir.name).is_dir()


def test_default_stores_sit_beside_the_run_roots(tmp_path: Path) -> None:
    runs = tmp_path / "runs"
    point = runs / "sweeps" / "ising-phase" / "cnn" / "sweep-abc" / "points" / "003"
    assert tracking.default_store(point, "mlflow") == f"sqlite:///{runs / 'mlflow.db'}"
    run_dir = runs / "ising-phase" / "cnn" / "20260101T000000Z-abc"
    assert tracking.default_store(run_dir, "tensorboard") == str(runs / "tensorboard")
