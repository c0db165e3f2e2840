"""Terminal output: the metrics table, the task list, progress bars (rich)."""

from __future__ import annotations

import contextlib
import math
from collections.abc import Iterator, Mapping
from typing import Any

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table

from physml.metrics import Metric

__all__ = ["format_gap", "format_number", "metrics_table", "progress_bars"]


def format_number(x: float | None, digits: int = 5) -> str:
    """``x`` with ``digits`` significant digits; '-' for missing, 'nan' for NaN."""
    if x is None:
        return "-"
    if not math.isfinite(x):
        return str(x)
    return f"{x:.{digits}g}"


def format_gap(gap: float | None, reference: float | None = None) -> str:
    """A relative gap as a signed percentage (``-0.31 %``), '-' without a reference.

    Against a reference of exactly 0 (a divergence, an error) the gap is the absolute
    difference (:func:`physml.metrics.relative_gap`), shown as a plain signed number.
    """
    if gap is None:
        return "-"
    if reference == 0:
        return f"{gap:+.3g}"
    return f"{gap * 100:+.2f} %" if abs(gap) >= 1e-4 else f"{gap * 100:+.1e} %"


def metrics_table(metrics: Mapping[str, Metric], title: str = "") -> Table:
    """The run summary: metric | value | reference | gap | unit, with the sources of the
    references as numbered notes under the table."""
    table = Table(title=title or None, title_justify="left", caption_justify="left")
    for column, justify in (
        ("metric", "left"),
        ("value", "right"),
        ("reference", "right"),
        ("gap", "right"),
        ("unit", "left"),
    ):
        table.add_column(column, justify=justify, no_wrap=column == "metric")
    sources: list[str] = []
    for name, metric in metrics.items():
        value = format_number(metric.value)
        if metric.std is not None:
            value += f" ± {format_number(metric.std, 2)}"
        reference = format_number(metric.reference)
        if metric.reference is not None and metric.source:
            if metric.source not in sources:
                sources.append(metric.source)
            reference += f" [{sources.index(metric.source) + 1}]"
        gap = format_gap(metric.gap, metric.reference)
        table.add_row(name, value, reference, gap, metric.unit)
    table.caption = "\n".join(f"[{i}] {source}" for i, source in enumerate(sources, 1)) or None
    return table


@contextlib.contextmanager
def progress_bars(console: Console) -> Iterator[Any]:
    """Yield a ``progress_factory`` for :class:`physml.tasks.RunContext`.

    The display starts with the first bar, so a run that fails validation prints nothing
    but its error.
    """
    progress = Progress(
        SpinnerColumn(),
        TextColumn("{task.description:<20}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=False,
    )

    @contextlib.contextmanager
    def factory(description: str, total: float) -> Iterator[Any]:
        progress.start()  # no-op once started
        task_id = progress.add_task(description, total=total)

        class Bar:
            def advance(self, amount: float = 1) -> None:
                progress.advance(task_id, amount)

        yield Bar()
        progress.update(task_id, completed=total)

    try:
        yield factory
    finally:
        if progress.live.is_started:
            progress.stop()
