"""Finished run directories read back: what ``physml report`` and the trackers export.

A run directory (:mod:`physml.tasks.runner`) is finished when its ``metrics.json`` exists
(it is written last). This module reads one back whole — the record, the resolved
``config.yaml``, the training curves of ``log.csv`` and the ``plots/*.png`` — and finds the
runs below a folder such as ``runs/``. Nothing here writes.
"""

from __future__ import annotations

import csv
import json
import math
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from physml.config import ConfigError, load_yaml
from physml.metrics import Metric
from physml.tasks.runner import RunRecord, headline, read_record

__all__ = ["TRACKING_DIRS", "FinishedRun", "find_runs", "flat_settings", "read_run"]

#: Folders the trackers write below a runs root; never searched for runs.
TRACKING_DIRS = ("mlartifacts", "mlruns", "tensorboard")


@dataclass(frozen=True)
class FinishedRun:
    """A finished run directory, read back.

    Attributes:
        record: task, method, preset, seed, metrics, wall time, device (``metrics.json``).
        config: the resolved settings (the ``config`` section of ``config.yaml``).
        versions: library versions the run recorded.
        curves: ``log.csv`` by column, each a list of ``(row, value)``; only numeric
            columns, the row index (0-based) as step since a log may hold several fits.
        plots: the run's ``plots/*.png``, sorted by name.
    """

    record: RunRecord
    config: dict[str, Any]
    versions: dict[str, str]
    curves: dict[str, list[tuple[int, float]]]
    plots: list[Path]

    @property
    def run_dir(self) -> Path:
        return self.record.run_dir

    @property
    def label(self) -> str:
        """The run directory's name; a sweep's point (``sweep-<hash>/points/NNN``) as
        ``sweep-<hash>/NNN``."""
        path = self.record.run_dir
        if path.parent.name == "points":
            return f"{path.parent.parent.name}/{path.name}"
        return path.name

    @property
    def name(self) -> str:
        """``task/method/label``: unique among the runs of one root."""
        return f"{self.record.task}/{self.record.method}/{self.label}"

    def settings(self) -> dict[str, str]:
        """The resolved settings flattened to dotted keys (:func:`flat_settings`)."""
        return flat_settings(self.config)

    def headline(self) -> tuple[str, Metric]:
        """The metric that ranks this run (:func:`physml.tasks.runner.headline`)."""
        return headline(self.record)


def flat_settings(config: Mapping[str, Any], prefix: str = "") -> dict[str, str]:
    """Nested settings as ``{"model.lr": "0.001", "sizes": "[8, 16]"}`` (JSON values)."""
    flat: dict[str, str] = {}
    for key, value in config.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            flat.update(flat_settings(value, f"{name}."))
        else:
            flat[name] = value if isinstance(value, str) else json.dumps(value)
    return flat


def _curves(path: Path) -> dict[str, list[tuple[int, float]]]:
    """Numeric columns of a CSV log; empty cells (a fit without validation) are skipped."""
    if not path.is_file():
        return {}
    try:
        with path.open(newline="", encoding="utf-8") as f:
            rows = list(csv.DictReader(f))
    except (OSError, UnicodeDecodeError, csv.Error) as err:
        raise ConfigError(f"{path}: unreadable ({err})") from None
    curves: dict[str, list[tuple[int, float]]] = {}
    for column in rows[0] if rows else ():
        points = []
        for step, row in enumerate(rows):
            cell = row.get(column)
            if cell in (None, ""):
                continue
            try:
                value = float(cell)
            except ValueError:
                break  # a text column (a method name): not a curve
            if math.isfinite(value):
                points.append((step, value))
        else:
            if points:
                curves[column] = points
    return curves


def read_run(run_dir: str | os.PathLike[str]) -> FinishedRun:
    """Read a finished run directory.

    Raises:
        ConfigError: not a directory, not a run (no ``config.yaml``), not finished (no
            ``metrics.json``), or a file in it unreadable; one line naming the path.
    """
    path = Path(run_dir)
    if not path.is_dir():
        raise ConfigError(f"{str(path)!r}: no such run directory")
    if not (path / "config.yaml").is_file():
        raise ConfigError(f"{str(path)!r}: not a run directory (no config.yaml)")
    if not (path / "metrics.json").is_file():
        raise ConfigError(
            f"{str(path)!r}: the run did not finish (no metrics.json); "
            f"finish it with: physml run --resume {path}"
        )
    record = read_record(path)
    if not record.metrics:
        raise ConfigError(f"{path / 'metrics.json'}: holds no metrics")
    saved = load_yaml(path / "config.yaml")
    try:
        versions = json.loads((path / "metrics.json").read_text(encoding="utf-8"))["versions"]
    except (KeyError, TypeError):
        versions = {}
    plots = sorted((path / "plots").glob("*.png")) if (path / "plots").is_dir() else []
    return FinishedRun(
        record=record,
        config=saved.get("config", {}) if isinstance(saved.get("config"), dict) else {},
        versions={str(k): str(v) for k, v in dict(versions or {}).items()},
        curves=_curves(path / "log.csv"),
        plots=plots,
    )


def _run_dirs_below(root: Path) -> Iterable[Path]:
    """Directories holding a ``config.yaml`` below ``root`` (not inside a run, a hidden
    folder or a tracker's store), in sorted order."""
    for child in sorted(root.iterdir()):
        if not child.is_dir() or child.name.startswith(".") or child.name in TRACKING_DIRS:
            continue
        if (child / "config.yaml").is_file():
            yield child
        else:
            yield from _run_dirs_below(child)


def find_runs(paths: Iterable[str | os.PathLike[str]]) -> tuple[list[FinishedRun], list[Path]]:
    """The finished runs named by ``paths``: run directories, or folders of them.

    A run directory named itself must have finished; below a folder, an unfinished run
    (killed, or still running) is passed over and returned second, so a report of
    ``runs/`` works while a run is in progress.

    Returns:
        ``(runs, unfinished)``: each run once, in the order found.

    Raises:
        ConfigError: a path that is neither a run nor holds one; a named run unfinished.
    """
    runs: dict[Path, FinishedRun] = {}
    unfinished: list[Path] = []
    for given in paths:
        path = Path(given)
        if not path.is_dir() or (path / "config.yaml").is_file():
            found = [path]
        else:
            found = list(_run_dirs_below(path))
            if not found:
                raise ConfigError(
                    f"{str(path)!r}: not a run directory (no config.yaml) and holds none"
                )
        if found != [path] and not any((d / "metrics.json").is_file() for d in found):
            raise ConfigError(
                f"{str(path)!r}: holds no finished run ({len(found)} unfinished; "
                "finish one with: physml run --resume RUN_DIR)"
            )
        for run_dir in found:
            key = run_dir.resolve()
            if key in runs:
                continue
            if run_dir is not path and not (run_dir / "metrics.json").is_file():
                unfinished.append(run_dir)
                continue
            runs[key] = read_run(run_dir)
    return list(runs.values()), unfinished
