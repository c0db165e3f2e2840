"""``physml bench anomaly``'s bump-hunt rows: the dijet simulator's events per second, and
the time to the maximum SIC of CATHODE against CWoLa on the same data.

Simulator: :func:`physml.sim.collider.dijets.sample` (vectorised over events) against the
loop a user would write with the same pieces, one event at a time (two
:func:`~physml.sim.collider.jets.shower_partons` jets, their masses and tau21), on the same
parton-level kinematics; medians of three repeats after a warm-up (numba compilation).

Methods: one sample (``n_background`` QCD dijets with 0.4 % injected W'), both methods run
through the task's own evaluation with two seeds; the row gives each wall time (flows,
sampling and classifiers for CATHODE; classifiers for CWoLa) and both max SICs.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path

import numpy as np

__all__ = ["rows"]


def _median_rate(function, n: int, repeats: int) -> float:
    """Events per second: n over the median of ``repeats`` timed calls."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return n / statistics.median(times)


def _event_loop(n: int, rng: np.random.Generator, model) -> None:
    """The per-event loop: two QCD jets of one event at a time."""
    from physml.sim.collider import jets, observables

    shower = model.shower(model.radius)
    for _ in range(n):
        mass = rng.uniform(model.m_min, model.m_max)
        pt = np.full(1, mass / 2.0)
        for _jet in range(2):
            j = jets.shower_partons(pt, [0.0], [0.0], flavour="gluon", seed=rng, shower=shower)
            c = j.constituents
            observables.jet_mass(c[..., 0], c[..., 1], c[..., 2], j.mask)
            observables.tau21(c[..., 0], c[..., 1], c[..., 2], j.mask, radius=model.radius)


def _simulator_row(quick: bool) -> dict:
    from physml.sim.collider import dijets
    from physml.tasks.seeds import Stream, generator

    model = dijets.DijetModel()
    n, n_loop, repeats = (20_000, 200, 1) if quick else (100_000, 1000, 3)
    rng = generator(0, Stream.ANOMALY_BENCH, 1)
    dijets.sample(100, process="qcd", seed=rng)  # compile
    _event_loop(2, rng, model)
    ours = _median_rate(lambda: dijets.sample(n, process="qcd", seed=rng), n, repeats)
    loop = _median_rate(lambda: _event_loop(n_loop, rng, model), n_loop, repeats)
    return {
        "benchmark": "bump-hunt: dijet simulator vs a per-event loop",
        "case": f"QCD dijets ({n} vectorised, {n_loop} looped), two showered R = 1 jets",
        "physml": f"{ours:.3g} events/s",
        "baseline": f"{loop:.3g} events/s",
        "ratio": f"{ours / loop:.3g}",
        "check": "same showers, masses and tau21 per jet",
    }


def _methods_row(quick: bool) -> dict:
    from physml.tasks.anomaly import bump_hunt_data as data
    from physml.tasks.anomaly.bump_hunt import _model
    from physml.tasks.base import RunContext
    from physml.tasks.runner import resolve

    sizes = {
        "n_background": 40_000 if quick else 150_000,
        "fractions": [0.004],
        "n_test_signal": 2000 if quick else 10_000,
        "n_test_background": 8000 if quick else 25_000,
        "n_seeds": 2,
    }
    configs = {
        m: resolve("bump-hunt", m, "quick", overrides=sizes)[2] for m in ("cathode", "cwola")
    }
    seconds, sics = {}, {}
    with tempfile.TemporaryDirectory() as tmp:
        ctx = RunContext(Path(tmp), 0)
        sample = data.make(configs["cwola"], "cwola", _model(configs["cwola"]), ctx)
        for method, config in configs.items():
            start = time.perf_counter()
            result = data.evaluate(method, config, sample, 0.004, 0, ctx, None)
            seconds[method] = time.perf_counter() - start
            sics[method] = result.max_sic.mean()
    return {
        "benchmark": "bump-hunt: time to max SIC, CATHODE vs CWoLa",
        "case": f"{sizes['n_background']} QCD dijets + 0.4 % W', 2 seeds, same data",
        "physml": f"{seconds['cathode']:.3g} s (CATHODE)",
        "baseline": f"{seconds['cwola']:.3g} s (CWoLa)",
        "ratio": f"{seconds['cathode'] / seconds['cwola']:.3g}",
        "check": f"max SIC {sics['cathode']:.2f} (CATHODE) vs {sics['cwola']:.2f} (CWoLa)",
    }


def rows(*, quick: bool = False) -> list[dict]:
    """The two bump-hunt rows (see the module docstring)."""
    return [_simulator_row(quick), _methods_row(quick)]
