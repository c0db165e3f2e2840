"""bench signals: its baselines simulate the same noise as physml, and (slow) its quick
table is well formed."""

from __future__ import annotations

import numpy as np
import pytest
from test_bench_rows import _check_rows

from physml.bench import signals
from physml.sim.timeseries import light_curves as lc
from physml.sim.timeseries import strain
from physml.testing import assert_mean_matches


def test_loop_strain_baseline_whitens_to_unit_variance(rng) -> None:
    segment = strain.Segment(512, 256.0, 30.0)
    loop = signals.loop_coloured_strain(segment, 300, rng)[:, segment.band]
    physml = strain.whiten(strain.coloured_noise(segment, 300, rng), segment)[:, segment.band]
    # E|W_k|^2 = N for both
    assert_mean_matches(np.abs(loop.ravel()) ** 2 / 512, 1.0)
    assert_mean_matches(np.abs(physml.ravel()) ** 2 / 512, 1.0)


def test_loop_light_curve_baseline_has_the_covariance(rng) -> None:
    times = lc.kepler_times(2.0, rng=rng)
    noise = lc.StellarNoise(2e-3, 0.3, 1e-3)
    curves = signals.loop_light_curves(times, noise, np.zeros((400, times.size)), rng)
    white = lc.whiten(curves, noise.cholesky(times))
    assert_mean_matches((white**2).mean(axis=1), 1.0)


@pytest.mark.slow  # about 6 s idle, 11 s at load 11: left to -m slow like the other benches
def test_quick_rows_are_well_formed() -> None:
    rows = signals.run(quick=True)
    _check_rows(rows)
    assert any(row["benchmark"] == "detect chirps" for row in rows)
