"""Benchmark of physics-informed training on Burgers, against DeepXDE in the same run.

Rows:

- time to relative L2 1e-2 and 1e-3 on Burgers (nu = 0.01 / pi, against the exact
  Cole-Hopf solution), in training seconds (evaluations excluded): physml's side is the
  ``burgers-pinn`` task itself, run through :func:`physml.tasks.runner.run` (exactly
  ``physml run burgers-pinn``: quick preset, or full with ``n_members=1``; seed 0, its
  members, points and RAD resampling; optional ``--set`` overrides), its relative L2 on
  the task's 101 x 256 grid read from the run's ``log.csv`` at every L-BFGS chunk (500
  iterations at quick); per member, then the mean +- standard error over members.
  Beside it DeepXDE's official Burgers example (:mod:`physml.bench.pinn_deepxde`, a
  subprocess with ``DDE_BACKEND=pytorch`` in the same process group, after physml's
  run so they never share the CPU; scored on the example's 100 x 256 grid, t <= 0.99,
  every 250 Adam steps and every L-BFGS step), capped at ``cap`` training seconds; a
  level not reached is reported as "> cap (best e)". Ratio = DeepXDE's time / physml's
  mean time at equal accuracy (a lower bound, cap / physml's, where DeepXDE hit its cap);
  the issue's target is physml's time to 1e-3 below DeepXDE's time to 1e-2 (third row).
- the final relative L2 of both, and each whole run's CPU and wall seconds.
- residual evaluation rate: points per second of the Burgers residual with its
  parameter gradient (what one optimiser step costs) by physml's ``torch.func`` path
  (:func:`~physml.infer.pinn.derivatives.field_derivatives`: for this scalar field u_xx
  by reverse-over-reverse, a ``vjp`` of the per-point ``vjp``, vmapped) against nested
  ``torch.autograd.grad`` on the batch (one Hessian column too: the gradient of u_x), on
  the same 8 x 20 network and points; the two residuals are checked equal (to 1e-12)
  before timing.

Run with ``physml bench pinn`` (``--quick``: the quick recipe, DeepXDE capped at 300 s;
without: the full preset, one member, 1800 s), or ``python -m physml.bench.pinn --quick
--set train.lbfgs_iterations=20000 [--no-deepxde]`` for task overrides. Needs
``pip install -e ".[pde-bench]"`` for DeepXDE; without it those rows say so.
"""

from __future__ import annotations

import json
import math
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Sequence
from typing import Any

from physml.tasks.seeds import Stream, generator

__all__ = ["burgers_residual_rates", "deepxde_burgers", "physml_burgers", "run", "time_to"]

LEVELS = (1e-2, 1e-3)


def time_to(history: list[tuple[float, float]], level: float) -> float | None:
    """First training time at which the relative L2 is <= ``level`` (None: never)."""
    for seconds, rel in history:
        if rel <= level:
            return seconds
    return None


def physml_burgers(
    quick: bool, overrides: Sequence[str] = ()
) -> tuple[list[list[tuple[float, float]]], dict[str, Any], dict[str, float]]:
    """physml's side: the ``burgers-pinn`` task itself, run through
    :func:`physml.tasks.runner.run` (what ``physml run burgers-pinn [--preset full] --set
    ...`` runs: its preset, seed 0, its members' seeds, points and resampling) into a
    temporary directory. Returns each member's (training seconds, relative L2 against the
    Cole-Hopf solution on the task's 101 x 256 grid) at every logged checkpoint (every
    L-BFGS chunk: 500 iterations at quick) read from the run's ``log.csv``, the run's
    metrics, and the run's wall and CPU seconds (this process, so all of it is physml's)."""
    import csv
    import tempfile

    from physml.tasks.runner import run as run_task

    preset = "quick" if quick else "full"
    wall, cpu = time.perf_counter(), time.process_time()
    with tempfile.TemporaryDirectory(prefix="physml-bench-pinn-") as out:
        record = run_task("burgers-pinn", "pinn", preset, overrides=list(overrides), out=out)
        with open(record.run_dir / "log.csv", newline="") as f:
            rows = list(csv.DictReader(f))
    clock = {"wall_s": time.perf_counter() - wall, "cpu_s": time.process_time() - cpu}
    members: dict[int, list[tuple[float, float]]] = {}
    for row in rows:
        members.setdefault(int(row["member"]), []).append(
            (float(row["time_s"]), float(row["rel_l2"]))
        )
    return [members[m] for m in sorted(members)], record.metrics, clock


def deepxde_burgers(
    cap: float, adam: int = 15_000, lbfgs: int = 15_000, every: int = 250
) -> tuple[list[tuple[float, float]], str, dict[str, float]]:
    """(training seconds, relative L2) of DeepXDE's Burgers example, a note, and the
    subprocess's wall and CPU seconds (import and evaluations included)."""
    import resource

    env = {**os.environ, "DDE_BACKEND": "pytorch"}
    args = [str(adam), str(lbfgs), f"{cap:g}", str(every)]
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    wall = time.perf_counter()

    def clock() -> dict[str, float]:
        now = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = now.ru_utime + now.ru_stime - usage.ru_utime - usage.ru_stime
        return {"wall_s": time.perf_counter() - wall, "cpu_s": cpu}

    try:
        proc = subprocess.run(
            [sys.executable, "-m", "physml.bench.pinn_deepxde", *args],
            capture_output=True,
            text=True,
            env=env,
            timeout=cap * 2 + 300,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return [], "DeepXDE run exceeded its time limit", clock()
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("PHYSML_DEEPXDE ")]
    if proc.returncode or not lines:
        last = (proc.stderr.strip().splitlines() or ["no output"])[-1]
        return [], f"DeepXDE not run ({last[:120]}; pip install -e '.[pde-bench]')", clock()
    result = json.loads(lines[-1].removeprefix("PHYSML_DEEPXDE "))
    history = [(s, r) for s, r, _ in result["history"]]
    return (
        history,
        f"DeepXDE {result['version']}, Adam ends at {result['phase_ends']['adam']:.0f} s",
        clock(),
    )


def burgers_residual_rates(n: int, repeats: int) -> tuple[float, float, float]:
    """Points per CPU second of the Burgers residual + parameter gradient (median over
    ``repeats`` steps, alternating the two paths): torch.func, nested autograd, and the
    largest difference of the two residuals."""
    import torch

    from physml.infer.pinn.derivatives import field_derivatives, nested_autograd_derivatives
    from physml.infer.pinn.equations import Burgers
    from physml.models.pinn import PINNNetwork
    from physml.sim.pde.burgers_exact import NU_RAISSI

    problem = Burgers(NU_RAISSI)
    torch.manual_seed(0)
    net = PINNNetwork(2, [20] * 8, 1, lower=problem.lower, upper=problem.upper).double()

    def field(z):
        return problem.output(z, net(z))

    z = torch.from_numpy(problem.sample(n, generator(0, Stream.PINN_BENCH, 3)))

    def ours():
        u, jac, col = field_derivatives(field, z, second=1)
        return problem.residual(z, u, jac, col)

    def plain():
        u, jac, col = nested_autograd_derivatives(field, z, second=1)
        return problem.residual(z, u, jac, col)

    gap = float((ours() - plain()).detach().abs().max())
    if not gap < 1e-12:
        raise AssertionError(f"torch.func and nested autograd residuals differ by {gap:.2e}")

    def step(fn):
        def go():
            net.zero_grad()
            (fn() ** 2).mean().backward()

        return go

    steps = [step(ours), step(plain)]
    for go in steps:
        go()  # warm up (torch.func traces its transforms once)
    times: list[list[float]] = [[], []]
    for _ in range(repeats):  # alternating, so a change of load hits both alike
        for go, spent in zip(steps, times, strict=True):
            start = time.process_time()  # CPU time: robust to other jobs on the machine
            go()
            spent.append(time.process_time() - start)
    rates = [n / statistics.median(spent) for spent in times]
    return rates[0], rates[1], gap


def _best(history) -> float:
    return min((r for _, r in history), default=math.nan)


def _fmt(seconds: float | None, history, cap: float) -> str:
    if seconds is not None:
        return f"{seconds:.1f} s"
    return f"> {cap:.0f} s (best {_best(history):.2g})"


def _members_fmt(times: list[float | None], members, ends: list[float]) -> str:
    """Time to a level over physml's members: mean +- standard error of those that reach
    it, each member's time, and the best error of those that do not."""
    reached = [t for t in times if t is not None]
    each = ", ".join(
        f"{t:.0f}" if t is not None else f"> {end:.0f} (best {_best(h):.2g})"
        for t, h, end in zip(times, members, ends, strict=True)
    )
    if not reached:
        return f"not reached, 0/{len(times)} (s: {each})"
    mean = statistics.fmean(reached)
    error = (
        f" ± {statistics.stdev(reached) / math.sqrt(len(reached)):.1f}" if len(reached) > 1 else ""
    )
    return f"{mean:.1f}{error} s ({len(reached)}/{len(times)}; s: {each})"


def _ratio(ours: list[float | None], theirs: float | None, cap: float, ran: bool) -> str:
    """DeepXDE's time over physml's mean time (members that reach the level; all must);
    a lower bound (">") where DeepXDE hit its cap."""
    if not ours or any(t is None for t in ours):
        return "-"
    mean = statistics.fmean(ours)
    if theirs is not None:
        return f"{theirs / mean:.3g}"
    return f"> {cap / mean:.3g}" if ran else "-"


def run(
    *,
    quick: bool = False,
    overrides: Sequence[str] = (),
    cap: float | None = None,
    deepxde: bool = True,
    keep: dict[str, Any] | None = None,
) -> list[dict]:
    """All rows of the benchmark table (see the module docstring); ``overrides`` are
    ``--set`` overrides of the ``burgers-pinn`` task (e.g. a longer L-BFGS budget; default:
    none at quick, ``n_members=1`` at full), ``cap`` DeepXDE's training-time cap (300 s
    quick, 1800 s otherwise), ``deepxde=False`` runs physml's side only; ``keep`` (a dict)
    receives both sides' histories (training s, relative L2) under "physml" (per member)
    and "deepxde"."""
    cap = cap if cap is not None else 300.0 if quick else 1800.0
    overrides = list(overrides) if (overrides or quick) else ["n_members=1"]
    members, metrics, our_clock = physml_burgers(quick, overrides)
    if deepxde:
        theirs, note, their_clock = deepxde_burgers(cap)
    else:
        theirs, note, their_clock = [], "DeepXDE not run (deepxde=False)", {}
    if keep is not None:
        keep.update(physml=members, deepxde=theirs)
    ends = [h[-1][0] for h in members]
    setting = "quick" if quick else "full"
    recipe = f"physml run burgers-pinn ({setting}{'; ' + ' '.join(overrides) if overrides else ''})"
    rows = []
    for level in LEVELS:
        ours = [time_to(h, level) for h in members]
        rows.append(
            {
                "benchmark": "burgers time-to-accuracy",
                "case: physml vs baseline": f"rel L2 {level:g}, training s: {recipe} vs {note}",
                "physml": _members_fmt(ours, members, ends),
                "baseline": _fmt(time_to(theirs, level), theirs, cap) if theirs else note,
                "ratio": _ratio(ours, time_to(theirs, level), cap, bool(theirs)),
            }
        )
    ours = [time_to(h, LEVELS[1]) for h in members]
    rows.append(
        {
            "benchmark": "burgers time-to-accuracy",
            "case: physml vs baseline": "target: physml to 1e-3 vs DeepXDE to 1e-2",
            "physml": _members_fmt(ours, members, ends),
            "baseline": _fmt(time_to(theirs, LEVELS[0]), theirs, cap) if theirs else note,
            "ratio": _ratio(ours, time_to(theirs, LEVELS[0]), cap, bool(theirs)),
        }
    )
    final = metrics["relative L2"]
    error = f" ± {final.error:.2g}" if final.error is not None else ""
    last = theirs[-1][1] if theirs else math.nan
    rows.append(
        {
            "benchmark": "burgers final accuracy",
            "case: physml vs baseline": "relative L2 at the end: the task's headline (mean ± "
            "standard error over members) vs DeepXDE's last (best) at its end",
            "physml": f"{final.value:.2g}{error} after {statistics.fmean(ends):.0f} s",
            "baseline": f"{last:.2g} ({_best(theirs):.2g}) after {theirs[-1][0]:.0f} s"
            if theirs
            else note,
            "ratio": f"{last / final.value:.3g}" if theirs else "-",
        }
    )
    rows.append(
        {
            "benchmark": "burgers run cost",
            "case: physml vs baseline": "whole run (physml: the task run, all members and "
            "evaluations; DeepXDE: the subprocess with its import): CPU s / wall s",
            "physml": f"{our_clock['cpu_s']:.0f} / {our_clock['wall_s']:.0f} s",
            "baseline": f"{their_clock['cpu_s']:.0f} / {their_clock['wall_s']:.0f} s"
            if their_clock
            else note,
            "ratio": f"{their_clock['cpu_s'] / our_clock['cpu_s']:.3g}" if theirs else "-",
        }
    )
    n = 2000 if quick else 10_000
    func_rate, plain_rate, gap = burgers_residual_rates(n, 15 if quick else 31)
    rows.append(
        {
            "benchmark": "residual evaluation",
            "case: physml vs baseline": f"Burgers residual + gradient, 8 x 20 net, {n} points: "
            f"torch.func vs nested autograd.grad, one Hessian column each (equal to {gap:.0e})",
            "physml": f"{func_rate:.3g} points/CPU-s",
            "baseline": f"{plain_rate:.3g} points/CPU-s",
            "ratio": f"{func_rate / plain_rate:.3g}",
        }
    )
    return rows


def main(argv: Sequence[str] | None = None) -> None:
    """``python -m physml.bench.pinn [--quick] [--set KEY=VALUE ...] [--cap S]
    [--no-deepxde]``: ``physml bench pinn`` with task overrides (``physml bench`` has no
    ``--set``); prints the rows as JSON lines, then both sides' histories."""
    import argparse

    parser = argparse.ArgumentParser(prog="python -m physml.bench.pinn")
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--set", dest="overrides", action="append", default=[])
    parser.add_argument("--cap", type=float, default=None, help="DeepXDE's cap, s")
    parser.add_argument("--no-deepxde", dest="deepxde", action="store_false")
    args = parser.parse_args(argv)
    keep: dict[str, Any] = {}
    rows = run(
        quick=args.quick, overrides=args.overrides, cap=args.cap, deepxde=args.deepxde, keep=keep
    )
    for row in rows:
        print(json.dumps(row, ensure_ascii=False), flush=True)
    print(json.dumps({"histories": keep}), flush=True)


if __name__ == "__main__":
    main()
