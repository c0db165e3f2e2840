"""The terminal table of a sweep: one row per point, the best marked (rich)."""

from __future__ import annotations

from typing import Any

from rich.table import Table

from physml.cli.report import format_measurement

__all__ = ["sweep_table"]


def sweep_table(summary: dict[str, Any]) -> Table:
    """Points of a sweep summary (:func:`physml.tasks.sweep.summary`): settings, status,
    headline value ± error, reference, gap ± its error; ``*`` marks the best point."""
    keys = list(summary["grid"])
    table = Table(
        title=f"physml sweep {summary['task']} · {summary['method']} · preset {summary['preset']}",
        title_justify="left",
    )
    for column in ("point", *keys, "status", "headline", "value", "reference", "gap"):
        table.add_column(column)
    for entry in summary["points"]:
        settings = [str(entry["settings"][k]) for k in keys]
        mark = "*" if entry["index"] == summary["best"] else ""
        head = entry.get("headline")
        if head is None:
            status = entry["status"] if "error" not in entry else f"failed: {entry['error'][:60]}"
            table.add_row(f"{entry['index']}{mark}", *settings, status, "", "", "", "")
            continue
        reference = "-" if head["reference"] is None else f"{head['reference']:.6g}"
        table.add_row(
            f"{entry['index']}{mark}",
            *settings,
            entry["status"],
            head["name"],
            format_measurement(head["value"], head["error"], head.get("exact", False)),
            reference,
            format_measurement(head["gap"], head["gap_sd"]),
        )
    return table
