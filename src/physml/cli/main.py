"""The ``physml`` command: list, run, report, info, bench.

Heavy libraries (torch, Lightning, numba) are imported inside the commands that need
them, so ``physml list`` and ``physml --help`` answer at once. A user error (unknown
task, bad value, malformed YAML or data file, a directory that is not a run: a
:class:`~physml.config.ConfigError`) prints one line and exits with status 2; any other
exception is a bug in physml and keeps its traceback.
"""

from __future__ import annotations

import contextlib
import os
import sys
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from physml.config import ConfigError, closest
from physml.train.failures import TrainingFailed

__all__ = ["app"]

app = typer.Typer(
    name="physml",
    help="Machine learning for physics, measured against the physics.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
console = Console()
errors = Console(stderr=True)

WIDE_LIST = 140
"""Console width from which ``physml list`` shows where each reference comes from."""

BENCHMARKS = {
    "anomaly": "physml.bench.anomaly",
    "generative": "physml.bench.generative",
    "gp": "physml.bench.gp",
    "ising": "physml.bench.ising",
    "jets": "physml.bench.jets",
    "learn": "physml.bench.learn",
    "operators": "physml.bench.operators",
    "pinn": "physml.bench.pinn",
    "quantum-data": "physml.bench.quantum_data",
    "sbi": "physml.bench.sbi",
    "scale": "physml.bench.scale",
    "signals": "physml.bench.signals",
    "symmetry": "physml.bench.symmetry",
    "train": "physml.bench.train",
    "vmc": "physml.bench.vmc",
}


def _fail(message: str, code: int = 2) -> typer.Exit:
    """Print ``message`` as one line (its text verbatim, never read as markup)."""
    line = " ".join(message.split())
    errors.print(f"[bold red]error:[/] {escape(line)}", highlight=False, soft_wrap=True)
    return typer.Exit(code)


@contextlib.contextmanager
def _user_errors() -> Iterator[None]:
    """Turn configuration errors into one line and exit status 2; show warnings briefly."""

    def show(message, category, filename, lineno, file=None, line=None):
        text = escape(str(message))
        errors.print(f"[yellow]warning:[/] {text}", highlight=False, soft_wrap=True)

    previous = warnings.showwarning
    warnings.showwarning = show
    try:
        yield
    except ConfigError as err:
        raise _fail(str(err)) from None
    except (FloatingPointError, TrainingFailed) as err:  # diverged or collapsed: where and why
        raise _fail(str(err), code=1) from None
    except KeyboardInterrupt:
        raise _fail(
            "interrupted; finish the run with: physml run --resume RUN_DIR "
            "(the run directory printed above)",
            code=130,
        ) from None
    finally:
        warnings.showwarning = previous


@app.command("list")
def list_tasks() -> None:
    """List the tasks, their methods (* = default) and their references."""
    from physml.tasks.registry import TASKS

    wide = console.width >= WIDE_LIST
    table = Table(title="physml tasks", title_justify="left")
    table.add_column("task", no_wrap=True)
    for column in (
        ("methods", "reference", "source", "what") if wide else ("methods", "reference", "what")
    ):
        table.add_column(column, overflow="fold")
    for task in TASKS.values():
        methods = ", ".join(m + ("*" if m == task.default_method else "") for m in task.methods)
        ref = task.reference
        value = ref.name if ref.value is None else f"{ref.name} = {ref.value:.6g} {ref.unit}"
        table.add_row(task.name, methods, value, *((ref.source,) if wide else ()), task.summary)
    console.print(table)
    if not wide:
        console.print(f"(the sources of the references: a terminal of {WIDE_LIST} columns or more)")


@app.command()
def run(
    task: Annotated[str | None, typer.Argument(help="task name (see physml list)")] = None,
    method: Annotated[str | None, typer.Option("--method", "-m", help="method")] = None,
    preset: Annotated[str, typer.Option(help="quick (default, ~1 min) or full")] = "quick",
    set_: Annotated[
        list[str] | None,
        typer.Option(
            "--set",
            help="override a setting: KEY=VALUE (repeatable; dotted keys: train.max_epochs=5)",
        ),
    ] = None,
    config: Annotated[Path | None, typer.Option(help="YAML file of settings")] = None,
    data: Annotated[
        list[Path] | None,
        typer.Option(help="real-data file instead of the simulator (repeatable; qg-jets)"),
    ] = None,
    seed: Annotated[int, typer.Option(help="master seed of the run")] = 0,
    device: Annotated[str, typer.Option(help="auto, cpu or cuda")] = "auto",
    out: Annotated[Path, typer.Option(help="root of the run directories")] = Path("runs"),
    resume: Annotated[Path | None, typer.Option(help="finish an interrupted run directory")] = None,
    track: Annotated[
        list[str] | None,
        typer.Option(help="export the finished run: mlflow or tensorboard (repeatable)"),
    ] = None,
    track_uri: Annotated[
        str | None,
        typer.Option(help="MLflow tracking URI or TensorBoard folder (default: beside --out)"),
    ] = None,
    devices: Annotated[
        int | None, typer.Option(help="processes (CPU) or GPUs per node training it (DDP)")
    ] = None,
    num_nodes: Annotated[
        int | None, typer.Option(help="nodes (under SLURM's srun or torchrun)")
    ] = None,
    strategy: Annotated[str | None, typer.Option(help="auto or ddp")] = None,
    workers: Annotated[
        int, typer.Option(help="train ensemble members in parallel on Ray (cluster extra)")
    ] = 1,
    address: Annotated[
        str | None, typer.Option(help="Ray cluster to join (HOST:PORT); default: a local one")
    ] = None,
) -> None:
    """Simulate, train and evaluate a task; print metric | value | reference | gap."""
    from physml.cli.report import metrics_table, progress_bars
    from physml.cli.tracking import check_trackers
    from physml.tasks import runner

    with _user_errors():
        check_trackers(track or [], track_uri)
        if resume is None and task is None:
            raise ConfigError("name a task (see 'physml list') or give --resume RUN_DIR")
        if resume is not None and (task is not None or data):
            raise ConfigError("give either a task or --resume RUN_DIR, not both")
        with progress_bars(console) as factory:
            log = lambda message: console.print(f"  {message}", highlight=False)  # noqa: E731
            scale = {"devices": devices, "num_nodes": num_nodes, "strategy": strategy}
            if resume is not None:
                record = runner.resume(resume, log=log, progress_factory=factory, **scale)
            else:
                record = runner.run(
                    task,
                    method,
                    preset,
                    config_file=config,
                    overrides=set_ or (),
                    data=data or (),
                    seed=seed,
                    device=device,
                    out=out,
                    log=log,
                    progress_factory=factory,
                    devices=1 if devices is None else devices,
                    num_nodes=1 if num_nodes is None else num_nodes,
                    strategy=strategy or "auto",
                    workers=workers,
                    address=address,
                )
    if record.rank != 0:  # another process of a distributed run: rank 0 reports
        return
    memory = f" · peak {record.peak_memory_mib:.0f} MiB" if record.peak_memory_mib else ""
    title = (
        f"{record.task} · {record.method} · preset {record.preset} · seed {record.seed} · "
        f"{record.device} · {record.wall_time_s:.1f} s{memory}"
    )
    console.print(metrics_table(record.metrics, title))
    console.print(f"run directory: {record.run_dir}", highlight=False)
    if track:
        from physml.cli.tracking import track_run

        with _user_errors():
            for line in track_run(record.run_dir, track, track_uri):
                console.print(line, highlight=False, soft_wrap=True)


@app.command()
def sweep(
    task: Annotated[str, typer.Argument(help="task name (see physml list)")],
    grid: Annotated[
        list[str] | None,
        typer.Option(help="KEY=V1,V2,... (repeatable: the grid is their product)"),
    ] = None,
    method: Annotated[str | None, typer.Option("--method", "-m", help="method")] = None,
    preset: Annotated[str, typer.Option(help="quick (default) or full")] = "quick",
    set_: Annotated[
        list[str] | None, typer.Option("--set", help="a setting of every point: KEY=VALUE")
    ] = None,
    config: Annotated[Path | None, typer.Option(help="YAML file of settings")] = None,
    seed: Annotated[int, typer.Option(help="master seed (each point gets its own)")] = 0,
    device: Annotated[str, typer.Option(help="auto, cpu or cuda")] = "auto",
    out: Annotated[Path, typer.Option(help="root of the run directories")] = Path("runs"),
    workers: Annotated[int, typer.Option(help="points run at once")] = 2,
    address: Annotated[
        str | None, typer.Option(help="Ray cluster to join (HOST:PORT); default: a local one")
    ] = None,
) -> None:
    """Run a task over a grid of settings in parallel (Ray); rank the points by |gap|.

    Rerunning the same command runs only the points that did not finish.
    """
    from physml.cli.sweep_table import sweep_table
    from physml.tasks.sweep import plan_sweep, run_sweep

    with _user_errors():
        plan = plan_sweep(
            task,
            method,
            preset,
            grid or [],
            overrides=set_ or (),
            config_file=config,
            seed=seed,
            device=device,
            out=out,
        )
        log = lambda message: console.print(f"  {message}", highlight=False)  # noqa: E731
        result = run_sweep(plan, workers=workers, address=address, log=log)
    console.print(sweep_table(result))
    console.print(f"sweep: {plan.directory / 'sweep.json'}", highlight=False)


@app.command("report")
def report_page(
    run_dirs: Annotated[
        list[Path] | None,
        typer.Argument(help="run directories, or folders holding them (default: runs)"),
    ] = None,
    out: Annotated[Path, typer.Option(help="the HTML page; images go beside it")] = Path(
        "report.html"
    ),
) -> None:
    """One static HTML page of many runs: leaderboards, metric tables, settings, plots."""
    from physml.cli.html_report import assets_dir, write_report
    from physml.cli.run_dirs import find_runs

    with _user_errors():
        runs, unfinished = find_runs(run_dirs or [Path("runs")])
        if unfinished:
            names = ", ".join(str(path) for path in unfinished)
            warnings.warn(f"passed over {len(unfinished)} unfinished run(s): {names}", stacklevel=1)
        page = write_report(runs, out)
    console.print(f"report: {page} ({len(runs)} runs, images in {assets_dir(page)})")


@app.command()
def info() -> None:
    """Versions, compute device and cache location."""
    import torch

    from physml.data import cache_dir
    from physml.tasks.runner import versions

    table = Table(show_header=False)
    for name, version in versions().items():
        table.add_row(name, version)
    cuda = torch.cuda.is_available()
    table.add_row("device (auto)", "cuda: " + torch.cuda.get_device_name(0) if cuda else "cpu")
    table.add_row("cpu threads", f"torch {torch.get_num_threads()}, os {os.cpu_count()}")
    table.add_row("cache", f"{cache_dir()}  (set PHYSML_CACHE to move it)")
    console.print(table)


@app.command()
def bench(
    name: Annotated[str, typer.Argument(help=f"benchmark: {', '.join(BENCHMARKS)}")],
    quick: Annotated[bool, typer.Option(help="fewer repeats, smaller sizes")] = False,
) -> None:
    """Measure speed against a baseline run in the same process; print ratios."""
    import importlib

    if name not in BENCHMARKS:
        raise _fail(
            f"unknown benchmark '{name}'{closest(name, BENCHMARKS)}; "
            f"available: {', '.join(BENCHMARKS)}"
        )
    module = importlib.import_module(BENCHMARKS[name])
    rows = module.run(quick=quick)
    table = Table(title=f"physml bench {name}", title_justify="left")
    for i, column in enumerate(rows[0]):  # a number split over two lines is unreadable
        number = column in ("physml", "ratio")
        table.add_column(str(column), justify="left" if i == 0 else "right", no_wrap=number)
    for row in rows:
        table.add_row(*(escape(str(v)) for v in row.values()))  # "[tsne]" is not markup
    console.print(table)


def main() -> None:  # pragma: no cover - console entry point alias
    app()


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
