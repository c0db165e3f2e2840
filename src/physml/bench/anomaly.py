"""Benchmark of the intrinsic-dimension estimators of :mod:`physml.metrics.dimension`.

On 10^5 points of the 4-sphere in R^5 (2 x 10^4 with ``--quick``), each physml estimator
beside scikit-dimension's (``pip install -e '.[anomaly]'``) in the same process: two
nearest neighbours (physml's maximum likelihood vs skdim's ``TwoNN``, a linear fit of the
same Pareto law), maximum likelihood over k = 10 neighbours (Levina–Bickel with
MacKay–Ghahramani's average vs skdim's ``MLE(K=10)``, Haro's approximation) and the
correlation dimension (physml's slope of C(Q) between pair fractions 3e-4 and 1e-2 vs
skdim's ``CorrInt(k1=10, k2=20)``, nearest-neighbour radii). Reports the median time over
repeats (2; 1 with ``--quick``), the ratio skdim / physml and both estimates beside the exact 4.

Then the bump-hunt rows (:mod:`physml.bench.bump_hunt`): the dijet simulator's events per
second against a per-event loop, and the time to the maximum SIC of CATHODE against CWoLa
on the same data. Run with ``physml bench anomaly``.
"""

from __future__ import annotations

import statistics
import time

__all__ = ["run"]


def _median(function, repeats: int, warm_up: bool) -> tuple[float, float]:
    """(median seconds, the estimate) over ``repeats`` calls, after one untimed call with
    ``warm_up`` (physml's: the k-d tree's first call)."""
    value = function() if warm_up else None
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        value = function()
        times.append(time.perf_counter() - start)
    return statistics.median(times), float(value)


def run(*, quick: bool = False) -> list[dict]:
    """One row per estimator (see the module docstring)."""
    from physml.metrics.dimension import levina_bickel, two_nn
    from physml.sim.geometry import manifolds
    from physml.tasks.anomaly.data_dimension import correlation_slope
    from physml.tasks.seeds import Stream, generator

    n = 20_000 if quick else 100_000
    repeats = 1 if quick else 2
    x = manifolds.sample("sphere", 4, n, generator(0, Stream.ANOMALY_BENCH))
    case = f"{n} points of S^4 in R^5 (exact dimension 4)"
    try:
        import skdim
    except ImportError:
        skdim = None
    pairs = {
        "two-NN": (lambda: two_nn(x)[0], lambda: skdim.id.TwoNN().fit(x).dimension_),
        "MLE k=10": (
            lambda: levina_bickel(x, 10)[0],
            lambda: skdim.id.MLE(K=10).fit(x).dimension_,
        ),
        "correlation dimension": (
            lambda: correlation_slope(x, (3e-4, 1e-2), 0),
            lambda: skdim.id.CorrInt(k1=10, k2=20).fit(x).dimension_,
        ),
    }
    rows = []
    for name, (ours, theirs) in pairs.items():
        seconds, value = _median(ours, repeats, warm_up=True)
        if skdim is None:
            baseline, other, ratio = "-", "scikit-dimension not installed", "-"
        else:
            base_s, base_value = _median(theirs, repeats, warm_up=False)
            baseline, other, ratio = (
                f"{base_s:.3g} s",
                f"{base_value:.3f}",
                f"{base_s / seconds:.3g}",
            )
        rows.append(
            {
                "benchmark": f"dimension: physml {name} vs scikit-dimension",
                "case": case,
                "physml": f"{seconds:.3g} s",
                "baseline": baseline,
                "ratio": ratio,
                "check": f"d = {value:.3f} vs {other}",
            }
        )
    from physml.bench import bump_hunt

    return rows + bump_hunt.rows(quick=quick)


if __name__ == "__main__":  # pragma: no cover
    for row in run():
        print(row)
