"""Export a finished run directory to MLflow or TensorBoard (``physml run --track``).

The exporters read the run directory (:func:`physml.cli.run_dirs.read_run`), so they work
for every task and for runs made before tracking was asked for. What is exported:

- parameters: task, method, preset, seed, device and the resolved settings, flattened to
  dotted keys (``train.max_epochs``); lists as JSON text;
- curves: every numeric column of ``log.csv`` as ``curve/<column>``, step = row;
- final metrics: ``<name>`` (the value) and, where present, ``<name>/error``,
  ``<name>/reference``, ``<name>/gap``, ``<name>/std``; ``wall_time_s``,
  ``peak_memory_mib``;
- artifacts: ``metrics.json``, ``config.yaml``, ``log.csv`` and ``plots/*.png``
  (TensorBoard: the plots as images, the metric table and config as text).

MLflow keys allow letters, digits and ``_-. /`` only: other characters become ``_``
(``max|K - K_exact|`` -> ``max_K - K_exact_``); the artifact ``metric_names.json`` maps
each such key back to its name. Stores: MLflow's default is a local SQLite store beside the run
roots (``<out>/mlflow.db``, artifacts in ``<out>/mlartifacts/``; MLflow 3 refuses its old
``./mlruns`` file store unless ``MLFLOW_ALLOW_FILE_STORE=true``); TensorBoard's is
``<out>/tensorboard/<task>/<method>/<run>/``. A run exported twice is not duplicated.
"""

from __future__ import annotations

import importlib.util
import json
import logging
import math
import os
import re
import shutil
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from physml.cli.run_dirs import FinishedRun, read_run
from physml.config import ConfigError

__all__ = [
    "TRACKERS",
    "check_trackers",
    "default_store",
    "export_mlflow",
    "export_tensorboard",
    "metric_values",
    "track_run",
]

#: Tracker name -> the module it needs (all in the ``track`` extra).
TRACKERS = {"mlflow": "mlflow", "tensorboard": "tensorboard"}

_ARTIFACTS = ("metrics.json", "config.yaml", "log.csv")
_MLFLOW_KEY = re.compile(r"[^A-Za-z0-9_\-. /]")


def check_trackers(names: list[str], uri: str | None = None) -> None:
    """Refuse an unknown tracker, one whose library is missing, or a ``--track-uri``
    that does not name one tracker, before a run starts."""
    if uri is not None and len(set(names)) != 1:
        raise ConfigError(
            f"--track-uri {uri!r}: goes with exactly one --track (mlflow or tensorboard), "
            f"got {len(set(names))}"
        )
    for name in names:
        if name not in TRACKERS:
            raise ConfigError(f"--track {name!r}: unknown tracker; available: mlflow, tensorboard")
        if importlib.util.find_spec(TRACKERS[name]) is None:
            raise ConfigError(
                f"--track {name}: {TRACKERS[name]} is not installed; "
                "install the extra: pip install -e '.[track]'"
            )


def default_store(run_dir: Path, tracker: str) -> str:
    """Where a tracker writes by default: beside the root of the run directories
    (``<out>`` of ``<out>/<task>/<method>/<run>``, or of a sweep's
    ``<out>/sweeps/<task>/<method>/sweep-<hash>/points/<NNN>``)."""
    path = run_dir.resolve()
    sweeps = [p for p in path.parents if p.name == "sweeps"]
    root = sweeps[0].parent if path.parent.name == "points" and sweeps else path.parents[2]
    if tracker == "mlflow":
        return f"sqlite:///{root / 'mlflow.db'}"
    return str(root / "tensorboard")


def metric_values(run: FinishedRun) -> list[tuple[str, str, float]]:
    """The final numbers of a run as ``(name, suffix, value)``: suffix "" for the value,
    "/error", "/reference", "/gap", "/std"; finite numbers only."""
    values: list[tuple[str, str, float | None]] = []
    for name, metric in run.record.metrics.items():
        values += [
            (name, "", metric.value),
            (name, "/error", 0.0 if metric.exact else metric.error),
            (name, "/reference", metric.reference),
            (name, "/gap", metric.gap),
            (name, "/std", metric.std),
        ]
    values += [("wall_time_s", "", run.record.wall_time_s)]
    values += [("peak_memory_mib", "", run.record.peak_memory_mib)]
    return [(n, s, float(v)) for n, s, v in values if v is not None and math.isfinite(v)]


def _mlflow_keys(names: list[str]) -> dict[str, str]:
    """Name -> a unique MLflow-safe key."""
    keys: dict[str, str] = {}
    for name in names:
        key = _MLFLOW_KEY.sub("_", name)
        while key in keys.values():
            key += "_"
        keys[name] = key
    return keys


def export_mlflow(run_dir: str | os.PathLike[str], uri: str | None = None) -> str:
    """Log a finished run to MLflow as one run of the experiment named after its task.

    Args:
        run_dir: the run directory.
        uri: a tracking URI (``sqlite:///path.db``, ``http://host:5000``); default
            :func:`default_store`.

    Returns:
        The MLflow run id (the existing one if this run directory was exported before).
    """
    from mlflow.entities import Metric, Param, RunTag
    from mlflow.tracking import MlflowClient

    for name in ("mlflow", "alembic"):  # their INFO lines on creating a store
        logging.getLogger(name).setLevel(logging.WARNING)
    run = read_run(run_dir)
    uri = uri or default_store(run.run_dir, "mlflow")
    client = MlflowClient(tracking_uri=uri)
    experiment = client.get_experiment_by_name(run.record.task)
    if experiment is None:
        artifacts = None  # the server's or store's own choice
        if uri.startswith("sqlite:///"):  # else MLflow puts them in ./mlartifacts
            artifacts = (Path(uri[len("sqlite:///") :]).resolve().parent / "mlartifacts").as_uri()
        experiment_id = client.create_experiment(run.record.task, artifact_location=artifacts)
    else:
        experiment_id = experiment.experiment_id
    found = client.search_runs(
        [experiment_id], filter_string=f"tags.`physml.run` = '{run.name}'", max_results=1
    )
    if found:
        return found[0].info.run_id
    r = run.record
    created = client.create_run(experiment_id, run_name=f"{r.method} seed {r.seed}")
    run_id = created.info.run_id
    try:
        values = metric_values(run)
        keys = _mlflow_keys([*run.record.metrics, "wall_time_s", "peak_memory_mib"])
        keys |= _mlflow_keys([f"curve/{c}" for c in run.curves])
        now = int(time.time() * 1000)
        metrics = [Metric(keys[n] + suffix, v, now, 0) for n, suffix, v in values]
        for column, points in run.curves.items():
            key = keys[f"curve/{column}"]
            metrics += [Metric(key, value, now, step) for step, value in points]
        header = {"task": r.task, "method": r.method, "preset": r.preset, "seed": str(r.seed)}
        params = {**header, "device": r.device, **run.settings()}
        tags = {
            "physml.run": run.name,
            "physml.run_dir": str(run.run_dir.resolve()),
            **{f"physml.{k}": v for k, v in header.items()},
        }
        for start in range(0, len(metrics), 1000):  # MLflow's batch limit
            client.log_batch(
                run_id,
                metrics=metrics[start : start + 1000],
                params=[Param(k, v[:6000]) for k, v in params.items()] if start == 0 else [],
                tags=[RunTag(k, v) for k, v in tags.items()] if start == 0 else [],
            )
        renamed = {key: name for name, key in keys.items() if key != name}
        if renamed:
            client.log_dict(run_id, renamed, "metric_names.json")
        for name in _ARTIFACTS:
            if (run.run_dir / name).is_file():
                client.log_artifact(run_id, str(run.run_dir / name))
        for plot in run.plots:
            client.log_artifact(run_id, str(plot), "plots")
    except BaseException:
        client.delete_run(run_id)  # no half-exported run in the store
        raise
    client.set_terminated(run_id, "FINISHED")
    return run_id


def _markdown_table(run: FinishedRun) -> str:
    from physml.cli.report import format_gap, format_measurement, format_number

    lines = ["| metric | value ± error | reference | gap | unit |", "|---|---|---|---|---|"]
    for name, m in run.record.metrics.items():
        value = format_measurement(m.value, m.error, m.exact)
        gap = format_gap(m.gap, m.reference)
        lines.append(f"| {name} | {value} | {format_number(m.reference)} | {gap} | {m.unit} |")
    return "\n".join(lines)


def export_tensorboard(run_dir: str | os.PathLike[str], logdir: str | None = None) -> Path:
    """Write a finished run as a TensorBoard event file.

    Args:
        run_dir: the run directory.
        logdir: the TensorBoard root; default :func:`default_store`. The events go to
            ``<logdir>/<task>/<method>/<run>/``, written to a temporary folder first and
            moved into place whole.

    Returns:
        The folder holding the event file (existing if exported before).
    """
    import matplotlib.image
    from torch.utils.tensorboard import SummaryWriter

    run = read_run(run_dir)
    target = Path(logdir or default_store(run.run_dir, "tensorboard")) / run.name
    if target.is_dir():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
    try:
        with SummaryWriter(log_dir=str(tmp)) as writer:
            for column, points in run.curves.items():
                for step, value in points:
                    writer.add_scalar(f"curve/{column}", value, step)
            for name, suffix, value in metric_values(run):
                writer.add_scalar(f"metrics/{name}{suffix}", value, 0)
            writer.add_text("metrics", _markdown_table(run), 0)
            config = json.dumps(run.config, indent=2)
            writer.add_text("config", "    " + config.replace("\n", "\n    "), 0)
            for plot in run.plots:
                image = matplotlib.image.imread(plot)[..., :3]  # H x W x RGB in [0, 1]
                writer.add_image(f"plots/{plot.stem}", image, 0, dataformats="HWC")
        os.replace(tmp, target)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return target


def track_run(run_dir: Path, trackers: list[str], uri: str | None = None) -> Iterator[str]:
    """Export ``run_dir`` to each tracker; yield one line per tracker saying where.

    Raises:
        ConfigError: MLflow refused the store (a bad URI, a server that does not answer);
            the run directory is kept and can be exported again.
    """
    for name in dict.fromkeys(trackers):
        if name == "mlflow":
            from mlflow.exceptions import MlflowException

            store = uri or default_store(run_dir, "mlflow")
            try:
                run_id = export_mlflow(run_dir, store)
            except MlflowException as err:
                reason = " ".join(str(err).split())[:300]
                raise ConfigError(
                    f"--track mlflow: {store!r} refused the run ({reason}); the run is kept: "
                    f"export it with physml run --resume {run_dir} --track mlflow"
                ) from None
            yield f"mlflow: run {run_id} in {store} (view: mlflow ui --backend-store-uri {store})"
        else:
            where = export_tensorboard(run_dir, uri)
            yield f"tensorboard: {where} (view: tensorboard --logdir {where.parents[2]})"
