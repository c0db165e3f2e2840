"""The bookkeeping behind ``physml bench generative``'s time-to-fidelity rows."""

from __future__ import annotations

import numpy as np

from physml.bench.generative import _first_time, _time_to_error


def test_time_to_error_is_when_the_running_mean_stays_within() -> None:
    # 4 chains; the chain mean is 1 for 10 sweeps, then 0 (the exact value) for 90.
    energies = np.zeros((100, 4))
    energies[:10] = 1.0
    times = np.arange(1, 101) * 0.5
    # The running mean after n sweeps averages sweeps n // 10 .. n - 1.
    n = np.arange(1, 101)
    running = np.array([energies[k // 10 : k].mean() for k in n])
    first_inside = n[np.flatnonzero(running > 0.2)[-1] + 1]
    assert _time_to_error(energies, times, 0.0, 0.2) == times[first_inside - 1]
    assert _time_to_error(energies, times, 0.0, 1.5) == times[0]


def test_time_to_error_is_none_when_the_run_ends_outside() -> None:
    energies = np.full((50, 2), 0.5)
    assert _time_to_error(energies, np.arange(50.0), 0.0, 0.1) is None


def test_first_time_reads_a_training_curve() -> None:
    curve = [(1.0, 3.0), (2.0, 0.5), (3.0, 0.7), (4.0, 0.2)]
    assert _first_time(curve, 0.6) == 2.0
    assert _first_time(curve, 0.2) == 4.0
