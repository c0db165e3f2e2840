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

from physml.metrics import CONSISTENT_SIGMA, Metric, gap_kind

__all__ = [
    "CONSISTENT_MARK",
    "format_gap",
    "format_measurement",
    "format_number",
    "metrics_table",
    "progress_bars",
]


def format_number(x: float | None, digits: int = 5) -> str:
    """``x`` with ``digits`` significant digits; '-' for missing, 'nan' for NaN."""
    if x is None:
        return "-"
    if not math.isfinite(x):
        return str(x)
    return f"{x:.{digits}g}"


def format_measurement(value: float | None, error: float | None, exact: bool = False) -> str:
    """``value ± error`` with the error to two significant digits and the value rounded to
    the same decimal place (``0.82345 ± 0.0015`` -> ``0.8235 ± 0.0015``); ``value (exact)``
    for an exact value; the value alone without a finite error."""
    text = format_number(value)
    if exact:
        return f"{text} (exact)"
    if value is None or not math.isfinite(value) or error is None or not math.isfinite(error):
        return text
    if error <= 0:
        return f"{text} ± 0"
    decimals = 1 - math.floor(math.log10(error))
    if decimals > 8 or abs(value) >= 1e7:
        return f"{value:.6g} ± {error:.2g}"
    decimals = max(decimals, 0)
    return f"{value:.{decimals}f} ± {error:.{decimals}f}"


def format_gap(gap: float | None, reference: float | None = None) -> str:
    """A relative gap as a signed percentage (``-0.31 %``), '-' without a reference.

    Against a reference of exactly 0 (a divergence, an error) the gap is the absolute
    difference (:func:`physml.metrics.relative_gap`), shown as a plain signed number.
    """
    if gap is None:
        return "-"
    if gap_kind(reference) == "absolute":
        return f"{gap:+.3g}"
    return f"{gap * 100:+.2f} %" if abs(gap) >= 1e-4 else f"{gap * 100:+.1e} %"


#: Appended to a gap within :data:`physml.metrics.CONSISTENT_SIGMA` standard deviations of 0.
CONSISTENT_MARK = "✓"


def metrics_table(metrics: Mapping[str, Metric], title: str = "") -> Table:
    """The run summary: metric | value ± error | spread (only when some metric has an
    ensemble spread) | reference | gap | unit. A gap within 2 sigma of zero carries
    :data:`CONSISTENT_MARK`; the sources of the references are numbered notes under the
    table."""
    table = Table(title=title or None, title_justify="left", caption_justify="left")
    spread = any(metric.std is not None for metric in metrics.values())
    columns = [("metric", "left"), ("value ± error", "right")]
    columns += [("spread", "right")] if spread else []
    columns += [("reference", "right"), ("gap", "right"), ("unit", "left")]
    # In a narrow terminal the metric's name wraps, never the numbers: a long name
    # ("max SIC f=0.001 (S/B_SR=0.87%, ...)") must not squeeze the values out of sight.
    for column, justify in columns:
        table.add_column(
            column, justify=justify, no_wrap=column != "metric", overflow="fold", min_width=6
        )
    sources: list[str] = []
    marked = False
    for name, metric in metrics.items():
        value = format_measurement(metric.value, metric.error, metric.exact)
        reference = format_number(metric.reference)
        if metric.reference is not None and metric.source:
            if metric.source not in sources:
                sources.append(metric.source)
            reference += f" [{sources.index(metric.source) + 1}]"
        gap = format_gap(metric.gap, metric.reference)
        if metric.consistent:
            gap += f" {CONSISTENT_MARK}"
            marked = True
        row = [name, value] + ([format_number(metric.std, 2)] if spread else [])
        table.add_row(*row, reference, gap, metric.unit)
    notes = [f"[{i}] {source}" for i, source in enumerate(sources, 1)]
    if marked:
        notes.append(
            f"{CONSISTENT_MARK} within {CONSISTENT_SIGMA:g} sigma of the reference (errors: "
            "one standard deviation, statistical)"
        )
    if spread:
        notes.append("spread: standard deviation between independently seeded members")
    table.caption = "\n".join(notes) or None
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
