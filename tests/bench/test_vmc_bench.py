"""The bookkeeping of ``physml bench vmc`` on synthetic trajectories with known answers."""

from __future__ import annotations

import math

import numpy as np
import pytest

from physml.bench.vmc import SAMPLERS, Trajectory, _physml_vmc
from physml.infer.vmc import ContinuousMetropolis, SpinMetropolis

EXACT = -2.0


def _trajectory(energies) -> Trajectory:
    energies = np.asarray(energies, dtype=np.float64)
    return Trajectory(energies, 0.5 * np.arange(1, len(energies) + 1), EXACT)


def test_time_to_is_the_end_of_the_first_window_within_the_target() -> None:
    # 20 steps 1 above the exact energy, then 80 exact: the 10-step running mean is within
    # 6 % (0.12 absolute) once at most one of its 10 energies is off, i.e. the window of
    # steps 19..28 (0-based), which ends at step 28, time 0.5 * 29
    trajectory = _trajectory([EXACT + 1.0] * 20 + [EXACT] * 80)
    assert trajectory.time_to(0.06) == 0.5 * 29
    # 11 %: at most two of ten off -> window 18..27
    assert trajectory.time_to(0.11) == 0.5 * 28
    assert trajectory.final_error() == 0.0


def test_time_to_is_nan_when_never_reached_and_final_error_is_relative() -> None:
    trajectory = _trajectory(np.full(50, EXACT * 1.01))
    assert math.isnan(trajectory.time_to(1e-3))
    assert trajectory.time_to(0.02) == 0.5 * 10  # the first full window
    assert trajectory.final_error() == pytest.approx(0.01, rel=1e-12)


def test_final_error_averages_the_last_window_only() -> None:
    energies = np.concatenate([np.full(30, 100.0), EXACT + np.tile([0.2, -0.1], 10)])
    # the last 20 steps average to EXACT + 0.05: relative error 0.025
    assert _trajectory(energies).final_error() == pytest.approx(0.025, rel=1e-12)


def test_step_time_is_the_median_step() -> None:
    times = np.cumsum([5.0, 1.0, 1.0, 3.0, 1.0])  # the first step (compilation) is slow
    assert Trajectory(np.zeros(5), times, 1.0).step_time() == 1.0


def test_netket_rows_use_netkets_sampler_settings() -> None:
    assert set(SAMPLERS) == {"physml", "netket"}
    vmc, _ = _physml_vmc("tfim", 0, "netket")
    assert isinstance(vmc.sampler, SpinMetropolis)
    assert (vmc.sampler.n_chains, vmc.sampler.sweeps_per_sample) == (16, 1)
    vmc, exact = _physml_vmc("quantum-dot", 0, "netket")
    s = vmc.sampler
    assert isinstance(s, ContinuousMetropolis) and exact == 3.0
    assert (s.n_chains, s.langevin, s.proposal, s.tune_step) == (16, False, "gaussian", False)
    assert (s.step, s.steps_per_sample) == (0.5, 4)
