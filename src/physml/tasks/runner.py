"""Run a task end to end and write its run directory.

Layout of a run directory (``<out>/<task>/<method>/<UTC timestamp>-<hash>/``)::

    config.yaml     resolved configuration, seed, preset, requested device
    metrics.json    {"task", "method", "preset", "seed", "metrics": {NAME: {"value",
                    "error", "reference", "gap", "gap_kind", "unit", "source"}},
                    "wall_time_s", "device", "versions", "peak_memory_mib"}; written
                    last, so its presence marks a finished run
    log.csv         training curves, one row per epoch of every fit
    plots/*.png     figures
    checkpoints/    per-fit checkpoints; ``physml run --resume DIR`` continues from them

The entries of ``metrics`` (:meth:`physml.metrics.Metric.to_json`):

    value       the measured number (null when it is NaN)
    error       its statistical error, one standard deviation: a bootstrap over the test
                events, blocking for correlated Monte Carlo chains, or propagated through
                a fit; 0 for an exact value, null where none is estimated
    reference   the exact, optimal or literature value it is compared with, or null
    gap         value - reference, relative ((value - reference) / |reference|) or
                absolute, as ``gap_kind`` says; null without a reference
    gap_kind    "relative", "absolute" (a reference of exactly 0, where a ratio is
                undefined: a KL divergence, an error) or null (no reference)
    unit, source  the value's unit and where the reference comes from
    std         (ensembles only) the spread between independently seeded members, the
                sample standard deviation: how much training varies, not an error
    exact       (only when true) the value has no statistical error (a count, a formula)
    gap_error   (only where it differs from ``error``) the error of value - reference in
                the value's unit, e.g. a paired bootstrap when the reference is the
                optimum measured on the same events

Every file is written atomically (:mod:`physml.atomic`).

A distributed run (``devices`` x ``num_nodes`` processes, :mod:`physml.train.distributed`)
starts its processes before the run directory exists; global rank 0 creates it and
tells the others, which work in a private temporary directory removed at the end, so a
run writes one run directory however many processes train it. Its ``config.yaml`` holds
``distribution`` (devices, num_nodes, strategy), which ``--resume`` reuses.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
import platform
import shutil
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

import pydantic
import yaml

import physml
from physml.atomic import atomic_write_text
from physml.config import (
    MAX_INT,
    ConfigError,
    build_config,
    closest,
    load_yaml,
    parse_assignment,
)
from physml.metrics import Metric
from physml.tasks.base import RunContext, Task, check_memory
from physml.tasks.launching import launch_plan, launched, member_workers
from physml.tasks.registry import TASKS
from physml.train.distributed import Distribution

__all__ = [
    "PRESETS",
    "RunRecord",
    "get_task",
    "headline",
    "read_record",
    "resolve",
    "resume",
    "run",
    "run_at",
]

PRESETS = ("quick", "full")
_VERSIONED = ("numpy", "scipy", "numba", "torch", "lightning", "scikit-learn", "h5py", "pydantic")


@dataclass(frozen=True)
class RunRecord:
    """A finished run: where it lives and what it measured."""

    run_dir: Path
    task: str
    method: str
    preset: str
    seed: int
    metrics: dict[str, Metric]
    wall_time_s: float
    device: str
    peak_memory_mib: float | None = None
    rank: int = 0
    """Global rank of this process in a distributed run (0 reports; others stay quiet)."""


def peak_memory_mib() -> float | None:
    """Peak resident memory of this process so far, in MiB (None where unknown)."""
    try:
        import resource
    except ImportError:  # Windows
        return None
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return round(peak / (2**20 if sys.platform == "darwin" else 2**10), 1)


def get_task(name: str) -> Task:
    """The registered task ``name``; ConfigError with the closest names otherwise."""
    if name not in TASKS:
        raise ConfigError(
            f"unknown task '{name}'{closest(name, TASKS)}; available: {', '.join(TASKS)}"
        )
    return TASKS[name]


def resolve(
    task_name: str,
    method: str | None = None,
    preset: str = "quick",
    *,
    config_file: str | Path | None = None,
    overrides: Sequence[str] | Mapping[str, Any] = (),
    data: Sequence[str | Path] = (),
) -> tuple[Task, str, Any]:
    """Validate a task, method, preset and overrides into ``(task, method, config)``.

    ``overrides`` are ``KEY=VALUE`` strings (as ``--set``) or a nested mapping. ``data``
    names real-data files for tasks that read them (``--data``); they are stored as
    absolute paths, so a resumed run reads the same files.
    """
    task = get_task(task_name)
    method = method or task.default_method
    if method not in task.methods:
        raise ConfigError(
            f"unknown method '{method}' for task '{task.name}'{closest(method, task.methods)}; "
            f"available: {', '.join(task.methods)}"
        )
    if preset not in PRESETS:
        raise ConfigError(
            f"unknown preset '{preset}'{closest(preset, PRESETS)}; allowed: {', '.join(PRESETS)}"
        )
    layers = task.preset_layers(method, preset)
    if config_file is not None:
        layers.append(load_yaml(config_file))
    if isinstance(overrides, Mapping):
        layers.append(overrides)
    else:
        layers.extend(parse_assignment(item) for item in overrides)
    if data:
        layers.append({"data": _data_paths(task, data)})
    return task, method, _validated(task, method, layers)


def _validated(task: Task, method: str, layers: Sequence[Mapping[str, Any]]) -> Any:
    """The configuration of ``layers``, refused (ConfigError) unless its settings are valid
    one by one and together, its arrays fit in memory and its data files exist: everything
    a run needs checked before its run directory exists."""
    config = build_config(task.config_model(method), layers)
    for path in getattr(config, "data", None) or ():
        if not Path(path).is_file():
            raise ConfigError(f"data file {path!r}: no such file")
    task.check(config)
    check_memory(task.name, task.memory_estimate(config))
    return config


def _data_paths(task: Task, data: Sequence[str | Path]) -> list[str]:
    """Absolute paths of existing files, for a task that reads real data."""
    if "data" not in task.settings.model_fields:
        readers = [t.name for t in TASKS.values() if "data" in t.settings.model_fields]
        raise ConfigError(
            f"task '{task.name}' does not read real data (--data); tasks that do: "
            + ", ".join(readers)
        )
    paths = []
    for item in data:
        path = Path(item).expanduser().resolve()
        if not path.is_file():
            raise ConfigError(f"--data {item}: no such file")
        paths.append(str(path))
    return paths


def versions() -> dict[str, str]:
    """Python, physml and the versions of the numerical stack (without importing it)."""
    found = {"python": platform.python_version(), "physml": physml.__version__}
    for name in _VERSIONED:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            pass
    return found


def _new_run_dir(out: Path, task: str, method: str, fingerprint: str) -> Path:
    stamp = _dt.datetime.now(_dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    base = out / task / method
    try:
        base.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise ConfigError(
            f"--out {str(out)!r}: cannot hold run directories ({err.strerror or err})"
        ) from None
    for attempt in range(1000):
        name = f"{stamp}-{fingerprint}" + (f"-{attempt}" if attempt else "")
        try:
            (base / name).mkdir()
            return base / name
        except FileExistsError:
            continue
    raise RuntimeError(f"cannot create a new run directory under {base}")


def _device(name: str) -> str:
    """Resolve ``--device`` (auto, cpu, cuda) to a torch device, as a ConfigError if not."""
    from physml.train.devices import resolve_device

    try:
        return resolve_device(name)
    except ValueError as err:
        raise ConfigError(f"--device: {err}") from None


def _execute(
    task: Task,
    method: str,
    preset: str,
    config: Any,
    *,
    seed: int,
    device: str,
    run_dir: Path,
    log: Callable[[str], None],
    progress_factory: Any,
    rank: int = 0,
    distribution: Distribution | None = None,
) -> RunRecord:
    resolved_device = _device(device)
    if rank != 0:  # one process reports
        log, progress_factory = (lambda message: None), None
    log(f"run directory: {run_dir}")
    ctx = RunContext(
        run_dir=run_dir,
        seed=seed,
        device=resolved_device,
        log=log,
        progress_factory=progress_factory,
    )
    start = time.perf_counter()
    metrics = task.run(config, ctx)
    wall = round(time.perf_counter() - start, 3)
    document = {
        "task": task.name,
        "method": method,
        "preset": preset,
        "seed": seed,
        "metrics": {name: metric.to_json() for name, metric in metrics.items()},
        "wall_time_s": wall,
        "device": resolved_device,
        "versions": versions(),
        "peak_memory_mib": peak_memory_mib(),
    }
    if distribution is not None and distribution.distributed:
        document["distribution"] = distribution.to_json()
    atomic_write_text(run_dir / "metrics.json", json.dumps(document, indent=2) + "\n")
    return RunRecord(
        run_dir,
        task.name,
        method,
        preset,
        seed,
        metrics,
        wall,
        resolved_device,
        document["peak_memory_mib"],
        rank,
    )


def run(
    task_name: str,
    method: str | None = None,
    preset: str = "quick",
    *,
    config_file: str | Path | None = None,
    overrides: Sequence[str] | Mapping[str, Any] = (),
    data: Sequence[str | Path] = (),
    seed: int = 0,
    device: str = "auto",
    out: str | Path = "runs",
    log: Callable[[str], None] = lambda message: None,
    progress_factory: Any = None,
    devices: int = 1,
    num_nodes: int = 1,
    strategy: str = "auto",
    workers: int = 1,
    address: str | None = None,
) -> RunRecord:
    """Run a task and write a new run directory under ``out``.

    ``devices`` x ``num_nodes`` processes train it (``strategy`` ``"ddp"`` forces a
    process group even for one); every process runs this function, rank 0 writes.
    ``workers`` > 1 trains ensemble members in parallel on a local Ray cluster (or the
    one at ``address``).

    Example:
        >>> record = run("ising-phase", "logistic", overrides=["sizes=[8]"])  # doctest: +SKIP
        >>> record.metrics["T_c"].gap  # doctest: +SKIP
    """
    if not 0 <= seed <= MAX_INT:
        raise ConfigError(f"seed = {seed}: must be a non-negative integer below 2^63")
    accelerator = _device(device)
    task, method, config = resolve(
        task_name, method, preset, config_file=config_file, overrides=overrides, data=data
    )
    dist = launch_plan(task, method, devices, num_nodes, strategy, accelerator)
    text = _config_text(task, method, preset, config, seed=seed, device=device, dist=dist)
    fingerprint = hashlib.sha256(text.encode()).hexdigest()[:7]
    made: list[Path] = []

    def make_run_dir() -> Path:
        run_dir = _new_run_dir(Path(out), task.name, method, fingerprint)
        made.append(run_dir)
        atomic_write_text(run_dir / "config.yaml", text)
        return run_dir

    def execute(run_dir: Path, rank: int) -> RunRecord:
        return _execute(
            task,
            method,
            preset,
            config,
            seed=seed,
            device=device,
            run_dir=run_dir,
            log=log,
            progress_factory=progress_factory,
            rank=rank,
            distribution=dist,
        )

    try:
        with member_workers(workers, address, dist):
            return launched(dist, accelerator, make_run_dir, execute)
    except ConfigError:  # found while running (a data file's contents): leave nothing behind
        for run_dir in made:
            _remove_new_run_dir(run_dir)
        raise


def _config_text(
    task: Task, method: str, preset: str, config: Any, *, seed: int, device: str, dist: Distribution
) -> str:
    """The ``config.yaml`` of a run: what :func:`resume` needs to finish it."""
    record = {
        "task": task.name,
        "method": method,
        "preset": preset,
        "seed": seed,
        "device": device,
        "config": config.model_dump(mode="json"),
    }
    if dist.distributed:
        record["distribution"] = dist.to_json()
    return yaml.safe_dump(record, sort_keys=False)


def run_at(
    run_dir: str | Path,
    task_name: str,
    method: str | None = None,
    preset: str = "quick",
    *,
    config_file: str | Path | None = None,
    overrides: Sequence[str] | Mapping[str, Any] = (),
    seed: int = 0,
    device: str = "auto",
    log: Callable[[str], None] = lambda message: None,
) -> RunRecord:
    """Run a task in the run directory ``run_dir`` (a sweep's point), or, where it
    already holds a run, finish it (:func:`resume`) or read it back."""
    run_dir = Path(run_dir)
    if (run_dir / "config.yaml").is_file():
        return resume(run_dir, log=log)
    task, method, config = resolve(
        task_name, method, preset, config_file=config_file, overrides=overrides
    )
    text = _config_text(task, method, preset, config, seed=seed, device=device, dist=Distribution())
    run_dir.mkdir(parents=True, exist_ok=True)
    atomic_write_text(run_dir / "config.yaml", text)
    return _execute(
        task,
        method,
        preset,
        config,
        seed=seed,
        device=device,
        run_dir=run_dir,
        log=log,
        progress_factory=None,
    )


def headline(record: RunRecord) -> tuple[str, Metric]:
    """The metric that ranks a run: the one named by its task's reference, else the
    first with a reference, else the first."""
    metrics = record.metrics
    task = TASKS.get(record.task)
    if task is not None and task.reference.name in metrics:
        return task.reference.name, metrics[task.reference.name]
    for name, metric in metrics.items():
        if metric.reference is not None:
            return name, metric
    name = next(iter(metrics))
    return name, metrics[name]


def _remove_new_run_dir(run_dir: Path) -> None:
    """Delete a run directory this process created, and its task and method folders if
    that leaves them empty."""
    shutil.rmtree(run_dir, ignore_errors=True)
    for parent in (run_dir.parent, run_dir.parent.parent):
        try:
            parent.rmdir()
        except OSError:  # not empty: other runs live there
            break


class _SavedRun(pydantic.BaseModel):
    """What a run directory's ``config.yaml`` holds (see :func:`run`)."""

    task: str
    method: str
    preset: str
    seed: int = pydantic.Field(ge=0, le=MAX_INT)
    device: str
    config: dict[str, Any]
    distribution: dict[str, Any] | None = None


def resume(
    run_dir: str | Path,
    *,
    log: Callable[[str], None] = lambda message: None,
    progress_factory: Any = None,
    devices: int | None = None,
    num_nodes: int | None = None,
    strategy: str | None = None,
) -> RunRecord:
    """Finish an interrupted run in place, reusing its checkpoints and cached data.

    A run that already finished (its ``metrics.json`` exists) is not run again; its
    record is read back. ``devices``, ``num_nodes`` and ``strategy`` default to the
    run's own (its ``config.yaml``); a checkpoint resumes on any number of processes.
    """
    run_dir = Path(run_dir)
    config_path = run_dir / "config.yaml"
    if not config_path.is_file():
        raise ConfigError(f"--resume {str(run_dir)!r}: not a run directory (no config.yaml)")
    raw = load_yaml(config_path)
    try:
        saved = build_config(_SavedRun, [raw])
        task = get_task(saved.task)
        if saved.method not in task.methods:
            raise ConfigError(
                f"unknown method '{saved.method}' for task '{task.name}'; "
                f"available: {', '.join(task.methods)}"
            )
        config = _validated(task, saved.method, [saved.config])
    except ConfigError as err:
        raise ConfigError(f"--resume: {config_path}: {err}") from None
    metrics_path = run_dir / "metrics.json"
    if metrics_path.is_file():
        return read_record(run_dir)
    stored = saved.distribution or {}
    dist = launch_plan(
        task,
        saved.method,
        devices if devices is not None else stored.get("devices", 1),
        num_nodes if num_nodes is not None else stored.get("num_nodes", 1),
        strategy if strategy is not None else stored.get("strategy", "auto"),
        _device(saved.device),
    )

    def execute(where: Path, rank: int) -> RunRecord:
        if rank == 0:
            log(f"resuming {run_dir}")
        return _execute(
            task,
            saved.method,
            saved.preset,
            config,
            seed=saved.seed,
            device=saved.device,
            run_dir=where,
            log=log,
            progress_factory=progress_factory,
            rank=rank,
            distribution=dist,
        )

    return launched(dist, _device(saved.device), lambda: run_dir, execute)


def read_record(run_dir: str | Path) -> RunRecord:
    """Read a finished run's ``metrics.json`` back into a :class:`RunRecord`."""
    run_dir = Path(run_dir)
    try:
        doc = json.loads((run_dir / "metrics.json").read_text(encoding="utf-8"))
        metrics = {name: Metric.from_json(m) for name, m in doc["metrics"].items()}
        return RunRecord(
            run_dir,
            doc["task"],
            doc["method"],
            doc["preset"],
            doc["seed"],
            metrics,
            doc["wall_time_s"],
            doc["device"],
            doc.get("peak_memory_mib"),
        )
    except (OSError, ValueError, KeyError, TypeError) as err:
        raise ConfigError(f"{run_dir / 'metrics.json'}: unreadable ({err})") from None
