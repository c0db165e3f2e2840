"""Parallel sweeps over a grid of settings: one run directory per point, one summary.

``physml sweep TASK --grid key=v1,v2 [--grid key=...] --workers K [--address A]`` runs
every point of the Cartesian product of the grids as a Ray task (:mod:`physml.train.parallel`),
each with its own seed (:attr:`~physml.tasks.seeds.Stream.SWEEP_POINTS`, keyed by the
point's index), and ranks the points by the |gap| of the task's headline metric
(:func:`physml.tasks.runner.headline`).

Layout (``<out>/sweeps/<task>/<method>/sweep-<hash>/``, the hash of every point's resolved
configuration and seed, so the same command finds the same folder)::

    sweep.json      the grid, every point (settings, seed, run directory, status, headline
                    value, error, reference, gap and its error) and the best point;
                    rewritten atomically as points finish
    points/NNN/     each point's run directory (config.yaml, metrics.json, ...)

Every point is validated before anything is written: an unknown key or a refused value
is one line naming the point. Resumable: rerunning the same command runs only the points
without a ``metrics.json`` (an interrupted one resumes from its checkpoints).
"""

from __future__ import annotations

import hashlib
import itertools
import json
import math
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from physml.atomic import atomic_write_text
from physml.config import MAX_INT, ConfigError, parse_value
from physml.tasks.runner import RunRecord, headline, read_record, resolve, run_at
from physml.tasks.seeds import Stream, seed_sequence

__all__ = ["Sweep", "SweepPoint", "parse_grid", "plan_sweep", "point_seed", "run_sweep"]

MAX_POINTS = 10_000
"""Most points a sweep may have."""


@dataclass(frozen=True)
class SweepPoint:
    """One point of a sweep: its settings (``KEY=VALUE`` as typed), seed and run directory."""

    index: int
    assignments: tuple[str, ...]
    seed: int
    run_dir: Path

    @property
    def settings(self) -> dict[str, Any]:
        return {a.partition("=")[0]: parse_value(a.partition("=")[2]) for a in self.assignments}


@dataclass(frozen=True)
class Sweep:
    """A validated sweep: what every point runs and where it writes."""

    task: str
    method: str
    preset: str
    device: str
    base: tuple[str, ...]
    config_file: str | None
    grid: dict[str, list[str]]
    points: tuple[SweepPoint, ...]
    directory: Path


def _split_values(text: str) -> list[str]:
    """``v1,v2,...`` split at commas outside brackets and quotes (``[8,16],[32]``)."""
    values, depth, quote, current = [], 0, "", []
    for char in text:
        if quote:
            quote = "" if char == quote else quote
        elif char in "'\"":
            quote = char
        elif char in "[{(":
            depth += 1
        elif char in "]})":
            depth -= 1
        elif char == "," and depth == 0:
            values.append("".join(current).strip())
            current = []
            continue
        current.append(char)
    values.append("".join(current).strip())
    return values


def parse_grid(items: Sequence[str]) -> dict[str, list[str]]:
    """``["key=v1,v2", ...]`` as ``{key: ["v1", "v2"]}`` (values as typed, YAML later).

    Raises:
        ConfigError: no grid, a malformed item, an empty value or a key given twice.
    """
    if not items:
        raise ConfigError(
            "--grid: give at least one KEY=V1,V2,... (e.g. train.learning_rate=1e-3,3e-3)"
        )
    grid: dict[str, list[str]] = {}
    for item in items:
        key, sep, text = item.partition("=")
        key = key.strip()
        if not sep or not key:
            raise ConfigError(f"--grid {item!r} is not allowed: expected KEY=V1,V2,...")
        values = _split_values(text)
        if any(not v for v in values):
            raise ConfigError(f"--grid {item!r}: empty value; expected KEY=V1,V2,...")
        if key in grid:
            raise ConfigError(f"--grid {key}: given twice; put all its values in one --grid")
        grid[key] = values
    return grid


def point_seed(seed: int, index: int) -> int:
    """The seed of point ``index`` of a sweep with master ``seed`` (below 2^63)."""
    state = seed_sequence(seed, Stream.SWEEP_POINTS, index).generate_state(1, dtype=np.uint64)
    return int(state[0]) >> 1


def plan_sweep(
    task_name: str,
    method: str | None,
    preset: str,
    grid_items: Sequence[str],
    *,
    overrides: Sequence[str] = (),
    config_file: str | Path | None = None,
    seed: int = 0,
    device: str = "auto",
    out: str | Path = "runs",
) -> Sweep:
    """Validate every point of the grid (as ``physml run`` would) and name the sweep's folder.

    Nothing is written. Raises ConfigError naming the first point that is refused.
    """
    from physml.train.devices import resolve_device

    if not 0 <= seed <= MAX_INT:
        raise ConfigError(f"seed = {seed}: must be a non-negative integer below 2^63")
    try:
        resolve_device(device)
    except ValueError as err:
        raise ConfigError(f"--device: {err}") from None
    grid = parse_grid(grid_items)
    n_points = math.prod(len(v) for v in grid.values())
    if n_points > MAX_POINTS:
        raise ConfigError(f"--grid: {n_points} points is more than the {MAX_POINTS} allowed")
    combos = list(itertools.product(*([f"{k}={v}" for v in vs] for k, vs in grid.items())))
    resolved, task, chosen = [], None, method
    for index, assignments in enumerate(combos):
        try:
            task, chosen, config = resolve(
                task_name,
                method,
                preset,
                config_file=config_file,
                overrides=[*overrides, *assignments],
            )
        except ConfigError as err:
            raise ConfigError(f"--grid point {index} ({', '.join(assignments)}): {err}") from None
        resolved.append({"config": config.model_dump(mode="json"), "seed": point_seed(seed, index)})
    assert task is not None and chosen is not None  # the grid has at least one point
    identity = yaml.safe_dump(
        {
            "task": task.name,
            "method": chosen,
            "preset": preset,
            "device": device,
            "points": resolved,
        },
        sort_keys=True,
    )
    digest = hashlib.sha256(identity.encode()).hexdigest()[:10]
    directory = Path(out) / "sweeps" / task.name / chosen / f"sweep-{digest}"
    points = tuple(
        SweepPoint(i, tuple(a), point_seed(seed, i), directory / "points" / f"{i:03d}")
        for i, a in enumerate(combos)
    )
    return Sweep(
        task.name,
        chosen,
        preset,
        device,
        tuple(overrides),
        None if config_file is None else str(Path(config_file).resolve()),
        grid,
        points,
        directory,
    )


def _run_point(sweep: Sweep, cache: str | None, point: SweepPoint) -> RunRecord | str:
    """One point, in a Ray worker: its record, or one line saying why it stopped."""
    from physml.train.failures import TrainingFailed

    if cache is not None:
        os.environ["PHYSML_CACHE"] = cache
    try:
        return run_at(
            point.run_dir,
            sweep.task,
            sweep.method,
            sweep.preset,
            config_file=sweep.config_file,
            overrides=[*sweep.base, *point.assignments],
            seed=point.seed,
            device=sweep.device,
        )
    except (ConfigError, FloatingPointError, TrainingFailed) as err:
        return " ".join(str(err).split())


def _entry(point: SweepPoint, outcome: RunRecord | str | None) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "index": point.index,
        "settings": point.settings,
        "seed": point.seed,
        "run_dir": str(point.run_dir),
        "status": "pending",
    }
    if isinstance(outcome, str):
        entry.update(status="failed", error=outcome)
    elif outcome is not None:
        name, metric = headline(outcome)
        entry.update(
            status="finished",
            wall_time_s=outcome.wall_time_s,
            headline={"name": name, **metric.to_json(), "gap_sd": _gap_error(metric)},
        )
    return entry


def _gap_error(metric: Any) -> float | None:
    """The error of a metric's gap in the gap's own units (relative or absolute)."""
    error = metric.gap_error if metric.gap_error is not None else metric.error
    if metric.exact:
        return 0.0
    if error is None or metric.reference is None or not math.isfinite(error):
        return None
    relative = metric.gap_kind == "relative" and metric.reference != 0
    return float(error / abs(metric.reference)) if relative else float(error)


def _best(entries: list[dict[str, Any]]) -> int | None:
    ranked = [
        (abs(e["headline"]["gap"]), e["index"])
        for e in entries
        if e["status"] == "finished" and e["headline"].get("gap") is not None
    ]
    return min(ranked)[1] if ranked else None


def summary(sweep: Sweep, outcomes: dict[int, RunRecord | str]) -> dict[str, Any]:
    """The ``sweep.json`` document for the outcomes known so far."""
    entries = [_entry(p, outcomes.get(p.index)) for p in sweep.points]
    return {
        "task": sweep.task,
        "method": sweep.method,
        "preset": sweep.preset,
        "device": sweep.device,
        "overrides": list(sweep.base),
        "grid": {k: [parse_value(v) for v in vs] for k, vs in sweep.grid.items()},
        "points": entries,
        "best": _best(entries),
        "ranked_by": "|gap| of the headline metric (the task's reference, else the first "
        "metric with one); gap_sd is the gap's error in the gap's units",
    }


def run_sweep(
    sweep: Sweep,
    *,
    workers: int,
    address: str | None = None,
    log: Callable[[str], None] = lambda message: None,
) -> dict[str, Any]:
    """Run the unfinished points of ``sweep`` in parallel; return (and write) its summary.

    A point whose run directory holds a ``metrics.json`` is read, not rerun.
    """
    from physml.train.parallel import ray_workers, run_parallel

    outcomes: dict[int, RunRecord | str] = {}
    for point in sweep.points:
        if (point.run_dir / "metrics.json").is_file():
            outcomes[point.index] = read_record(point.run_dir)
    todo = [p for p in sweep.points if p.index not in outcomes]
    path = sweep.directory / "sweep.json"

    def write() -> None:
        text = json.dumps(summary(sweep, outcomes), indent=2) + "\n"
        atomic_write_text(path, text)

    with ray_workers(workers, address):
        sweep.directory.mkdir(parents=True, exist_ok=True)
        log(
            f"sweep {sweep.directory}: {len(sweep.points)} points, "
            f"{len(sweep.points) - len(todo)} finished before, {len(todo)} to run on "
            f"{workers} worker(s)"
        )
        write()

        def done(i: int, outcome: RunRecord | str) -> None:
            point = todo[i]
            outcomes[point.index] = outcome
            what = outcome if isinstance(outcome, str) else "finished"
            log(f"point {point.index} ({', '.join(point.assignments)}): {what}")
            write()

        cache = os.environ.get("PHYSML_CACHE")
        run_parallel(_run_point, todo, shared=(sweep, cache), on_result=done)
    write()
    return summary(sweep, outcomes)
