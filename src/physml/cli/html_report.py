"""``physml report``: one static HTML page for many finished runs.

The page (one ``.html`` file and a ``<name>_files/`` folder of PNGs beside it, no server,
nothing fetched) holds, per task: a sortable leaderboard of its runs (method, preset,
seed, the settings that differ between them — a sweep's grid —, headline value ± error,
reference, gap, gap in standard deviations, wall time),
a plot of the headline's |gap| against wall time across methods, and for each run its
full metric table, its settings, its environment and its plots.

The headline of a run is :meth:`physml.cli.run_dirs.FinishedRun.headline`; the leaderboard
opens ranked by |gap| (smallest first, runs without a reference last). Errors are one
standard deviation as the runs recorded them; "spread" is the ensemble spread, not an
error. The page and its folder are built in a temporary folder and moved into place, so
a failed report leaves the previous one untouched.
"""

from __future__ import annotations

import datetime as _dt
import html
import math
import os
import shutil
import tempfile
from collections.abc import Sequence
from pathlib import Path

import yaml

from physml.cli.report import format_gap, format_measurement, format_number
from physml.cli.run_dirs import FinishedRun
from physml.config import ConfigError
from physml.metrics import Metric

__all__ = ["MAX_VARIED", "assets_dir", "gap_sigma", "write_report"]

#: The most settings that differ between a task's runs shown as leaderboard columns.
MAX_VARIED = 4

_CSS = """
body { font: 15px/1.45 system-ui, sans-serif; margin: 0 auto; max-width: 72rem;
  padding: 1rem 1.5rem; color: #1b1b1b; }
h1 { font-size: 1.6rem; } h2 { margin-top: 2.5rem; border-bottom: 1px solid #ccc; }
table { border-collapse: collapse; margin: 0.6rem 0; }
th, td { padding: 0.25rem 0.6rem; border-bottom: 1px solid #e3e3e3; text-align: right; }
th:first-child, td:first-child, td.text, th.text { text-align: left; }
table.leaderboard td { white-space: nowrap; }
table.leaderboard th { cursor: pointer; user-select: none; background: #f3f5f8; }
table.leaderboard th[aria-sort=ascending]::after { content: " \\25B2"; }
table.leaderboard th[aria-sort=descending]::after { content: " \\25BC"; }
.ok { color: #17752f; } .note { color: #555; font-size: 0.9rem; }
.plots { display: flex; flex-wrap: wrap; gap: 0.8rem; }
.plots figure { margin: 0; max-width: 30rem; } .plots img { width: 100%; }
figcaption { font-size: 0.85rem; color: #555; }
pre { background: #f6f8fa; padding: 0.6rem; overflow-x: auto; font-size: 0.85rem; }
section.run { margin-left: 1rem; } .wide { overflow-x: auto; }
"""

_JS = """
function sortBy(th) {
  const table = th.closest("table"), body = table.tBodies[0];
  const index = Array.from(th.parentNode.children).indexOf(th);
  const ascending = th.getAttribute("aria-sort") !== "ascending";
  const key = (row) => row.children[index].dataset.sort;
  const numeric = Array.from(body.rows).every((r) => key(r) === "" || !isNaN(Number(key(r))));
  const rows = Array.from(body.rows).sort((a, b) => {
    const x = key(a), y = key(b);
    if (x === "" || y === "") return (x === "") - (y === "");  // missing last
    const order = numeric ? Number(x) - Number(y) : x.localeCompare(y);
    return ascending ? order : -order;
  });
  table.querySelectorAll("th").forEach((h) => h.removeAttribute("aria-sort"));
  th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
  rows.forEach((row) => body.appendChild(row));
}
document.querySelectorAll("table.leaderboard th").forEach((th) => {
  th.addEventListener("click", () => sortBy(th));
});
"""


def assets_dir(out: Path) -> Path:
    """The folder of a report's images: ``report.html`` -> ``report_files/``."""
    return out.with_name(f"{out.stem}_files")


def gap_sigma(metric: Metric) -> float | None:
    """|value - reference| in standard deviations of that difference (None if unknown)."""
    sigma = metric.difference_error
    if metric.gap is None or sigma is None or not math.isfinite(sigma) or sigma <= 0:
        return None
    return abs(metric.value - metric.reference) / sigma


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


def _cell(text: str, sort: float | str | None = None, cls: str = "") -> str:
    """A table cell; ``sort`` is the key the leaderboard sorts by ('' = missing)."""
    key = "" if sort is None or (isinstance(sort, float) and not math.isfinite(sort)) else sort
    return f'<td data-sort="{_e(key)}"{f" class={cls!r}" if cls else ""}>{_e(text)}</td>'


def _abs_gap(metric: Metric) -> float | None:
    return None if metric.gap is None or not math.isfinite(metric.gap) else abs(metric.gap)


def _varied(runs: list[tuple[int, FinishedRun]]) -> list[str]:
    """The settings every run has that differ between them (a sweep's grid keys; not a
    method's own section), at most :data:`MAX_VARIED`."""
    settings = [run.settings() for _, run in runs]
    shared = [k for k in settings[0] if all(k in flat for flat in settings)]
    varied = [k for k in shared if len({flat[k] for flat in settings}) > 1]
    return varied[:MAX_VARIED]


def _sort_key(text: str) -> float | str:
    try:
        return float(text)
    except ValueError:
        return text


def _leaderboard(runs: list[tuple[int, FinishedRun]]) -> str:
    names = sorted({run.headline()[0] for _, run in runs})
    varied = _varied(runs)
    header = ["run", "method", "preset", "seed", *varied]
    header += [f"{' / '.join(names)}: value ± error"]
    header += ["reference", "gap", "|gap| / σ", "wall time (s)", "device"]
    ths = "".join(
        f'<th scope="col"{" class=text" if i < 3 else ""}>{_e(h)}</th>'
        for i, h in enumerate(header)
    )
    gaps = {index: _abs_gap(run.headline()[1]) for index, run in runs}
    ranked = sorted(runs, key=lambda item: (gaps[item[0]] is None, gaps[item[0]] or 0.0))
    rows = []
    for index, run in ranked:
        r = run.record
        name, m = run.headline()
        label = format_measurement(m.value, m.error, m.exact)
        sigma = gap_sigma(m)
        mark = " ✓" if m.consistent else ""
        cells = [
            f'<td data-sort="{_e(run.name)}"><a href="#run-{index}">{_e(run.label)}</a></td>',
            _cell(r.method, r.method, "text"),
            _cell(r.preset, r.preset, "text"),
            _cell(str(r.seed), float(r.seed)),
            *(_cell(v, _sort_key(v)) for v in (run.settings()[k] for k in varied)),
            _cell(label if len(names) == 1 else f"{name}: {label}", m.value),
            _cell(format_number(m.reference), m.reference),
            _cell(format_gap(m.gap, m.reference) + mark, _abs_gap(m)),
            _cell("-" if sigma is None else f"{sigma:.2g}", sigma),
            _cell(f"{r.wall_time_s:.1f}", r.wall_time_s),
            _cell(r.device, r.device, "text"),
        ]
        rows.append(f"<tr>{''.join(cells)}</tr>")
    return (
        f'<div class="wide"><table class="leaderboard"><thead><tr>{ths}</tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table></div>"
        '<p class="note">Click a column to sort. Ranked by |gap| of the headline metric; '
        "errors are one standard deviation; ✓: within 2σ of the reference.</p>"
    )


def _gap_plot(task: str, runs: list[FinishedRun], path: Path) -> bool:
    """|gap| of the headline against wall time, one marker per method; False if no run
    has a gap."""
    from physml.tasks.figures import new_figure, save_figure

    points: dict[str, list[tuple[float, float, float]]] = {}
    name, kind = runs[0].headline()[0], None
    for run in runs:
        metric = run.headline()[1]
        gap = _abs_gap(metric)
        if gap is None:
            continue
        kind = metric.gap_kind
        sigma = metric.difference_error
        scale = 1.0 if kind == "absolute" else abs(metric.reference)
        error = sigma / scale if sigma is not None and math.isfinite(sigma) else 0.0
        points.setdefault(run.record.method, []).append((run.record.wall_time_s, gap, error))
    if not points:
        return False
    fig, ax = new_figure(figsize=(6.0, 3.8))
    markers = "osD^vP*X"
    for i, (method, rows) in enumerate(sorted(points.items())):
        x, y, err = zip(*rows, strict=True)
        ax.errorbar(x, y, yerr=err, fmt=markers[i % len(markers)], capsize=3, label=method)
    values = [p[1] for rows in points.values() for p in rows]
    if min(values) > 0:
        ax.set_yscale("log")
    if min(p[0] for rows in points.values() for p in rows) > 0:
        ax.set_xscale("log")
    ax.set_xlabel("wall time (s)")
    ax.set_ylabel(f"|gap| of {name}" + (" (absolute)" if kind == "absolute" else " (relative)"))
    ax.set_title(f"{task}: closeness to the reference against cost")
    ax.legend(title="method")
    save_figure(fig, path)
    return True


def _metric_table(run: FinishedRun) -> str:
    rows = []
    for name, m in run.record.metrics.items():
        gap = format_gap(m.gap, m.reference) + (" ✓" if m.consistent else "")
        cells = [
            f"<td>{_e(name)}</td>",
            f"<td>{_e(format_measurement(m.value, m.error, m.exact))}</td>",
            f"<td>{_e(format_number(m.std, 2))}</td>",
            f"<td>{_e(format_number(m.reference))}</td>",
            f"<td>{_e(gap)}</td>",
            f'<td class="text">{_e(m.unit)}</td>',
            f'<td class="text note">{_e(m.source)}</td>',
        ]
        rows.append(f"<tr>{''.join(cells)}</tr>")
    head = "".join(
        f'<th scope="col"{" class=text" if h in ("unit", "source") else ""}>{h}</th>'
        for h in ("metric", "value ± error", "spread", "reference", "gap", "unit", "source")
    )
    body = "".join(rows)
    table = f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
    return f'<div class="wide">{table}</div>'


def _run_section(index: int, run: FinishedRun, images: dict[Path, str]) -> str:
    r = run.record
    memory = f" · peak {r.peak_memory_mib:.0f} MiB" if r.peak_memory_mib else ""
    environment = {"run directory": str(r.run_dir), **run.versions}
    figures = "".join(
        f'<figure><img src="{_e(images[plot])}" alt="{_e(plot.stem)}">'
        f"<figcaption>{_e(plot.name)}</figcaption></figure>"
        for plot in run.plots
    )
    return (
        f'<section class="run" id="run-{index}"><h3>{_e(r.method)} · preset {_e(r.preset)} · '
        f"seed {r.seed} · {_e(run.label)}</h3>"
        f'<p class="note">{_e(r.device)} · {r.wall_time_s:.1f} s{_e(memory)}</p>'
        f"{_metric_table(run)}"
        f"<details><summary>settings (config.yaml)</summary><pre>"
        f"{_e(yaml.safe_dump(run.config, sort_keys=False))}</pre></details>"
        f"<details><summary>environment</summary><pre>"
        f"{_e(yaml.safe_dump(environment, sort_keys=False))}</pre></details>"
        + (f'<div class="plots">{figures}</div>' if figures else "<p class=note>no plots</p>")
        + "</section>"
    )


def _page(sections: list[str], n_runs: int) -> str:
    stamp = _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    contents = "".join(sections)
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<link rel="icon" href="data:,"><title>physml report</title>'
        f"<style>{_CSS}</style></head><body><h1>physml report</h1>"
        f'<p class="note">{n_runs} run(s), written {stamp} by physml report.</p>'
        f"{contents}<script>{_JS}</script></body></html>\n"
    )


def _task_summary(task: str) -> str:
    from physml.tasks.registry import TASKS

    if task not in TASKS:
        return ""
    ref = TASKS[task].reference
    value = "set by each run's settings" if ref.value is None else f"{ref.value:.6g} {ref.unit}"
    return (
        f'<p>{_e(TASKS[task].summary)}</p><p class="note">Reference: {_e(ref.name)} = '
        f"{_e(value)} ({_e(ref.source)})</p>"
    )


def write_report(runs: Sequence[FinishedRun], out: str | os.PathLike[str]) -> Path:
    """Write the HTML page for ``runs`` to ``out`` and its images to ``<stem>_files/``.

    Both are built in a temporary folder beside ``out`` and moved into place only when
    complete. Returns the page's path.

    Raises:
        ConfigError: no runs, or ``out`` is a folder or cannot be written.
    """
    out = Path(out)
    if not runs:
        raise ConfigError("physml report: no finished runs to report")
    if out.is_dir():
        raise ConfigError(f"--out {str(out)!r}: is a folder; give the page's file name")
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        build = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    except OSError as err:
        raise ConfigError(f"--out {str(out)!r}: cannot be written ({err.strerror})") from None
    try:
        assets = build / "assets"
        assets.mkdir()
        link = assets_dir(out).name
        by_task: dict[str, list[tuple[int, FinishedRun]]] = {}
        for index, run in enumerate(runs):
            by_task.setdefault(run.record.task, []).append((index, run))
        sections = []
        for task, members in sorted(by_task.items()):
            images: dict[Path, str] = {}
            for index, run in members:
                for i, plot in enumerate(run.plots):
                    name = f"run-{index}-{i}-{plot.name}"
                    shutil.copyfile(plot, assets / name)
                    images[plot] = f"{link}/{name}"
            slug = "".join(c if c.isalnum() or c in "-_" else "_" for c in task)
            plotted = _gap_plot(task, [run for _, run in members], assets / f"{slug}-gap.png")
            gap = (
                f'<figure><img src="{_e(link)}/{_e(slug)}-gap.png" alt="gap against wall '
                f'time, {_e(task)}"></figure>'
                if plotted
                else "<p class=note>no run of this task has a reference: no gap plot</p>"
            )
            details = "".join(_run_section(index, run, images) for index, run in members)
            sections.append(
                f'<section class="task" id="task-{_e(slug)}"><h2>{_e(task)}</h2>'
                f"{_task_summary(task)}{_leaderboard(members)}{gap}{details}</section>"
            )
        (build / "page.html").write_text(_page(sections, len(runs)), encoding="utf-8")
        target = assets_dir(out)
        old = build / "previous"
        if target.exists():
            os.replace(target, old)
        os.replace(assets, target)
        os.replace(build / "page.html", out)
    finally:
        shutil.rmtree(build, ignore_errors=True)
    return out
