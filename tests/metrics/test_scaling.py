from __future__ import annotations

import math

import numpy as np
import pytest

from physml.metrics import crossing_point, finite_size_extrapolation


def test_crossing_of_logistic_curve(rng: np.random.Generator) -> None:
    t = np.linspace(1.5, 3.0, 31)
    p = 1 / (1 + np.exp((t - 2.269) / 0.05))
    assert crossing_point(t, p) == pytest.approx(2.269, abs=2e-3)


def test_crossing_averages_outermost_sign_changes() -> None:
    t = np.array([1.0, 2.0, 3.0, 4.0, 5.0])
    p = np.array([1.0, 0.4, 0.6, 0.4, 0.0])  # noise makes three crossings
    assert crossing_point(t, p) == pytest.approx(0.5 * (1 + 5 / 6 + 3.5))


def test_no_crossing_is_nan() -> None:
    assert math.isnan(crossing_point(np.arange(3.0), np.ones(3)))


def test_extrapolation_recovers_exact_limit() -> None:
    sizes = np.array([8, 16, 32, 64])
    fit = finite_size_extrapolation(sizes, 2.269 + 0.4 / sizes)
    assert fit.value == pytest.approx(2.269, abs=1e-12)
    assert fit.slope == pytest.approx(0.4)


def test_extrapolation_error_matches_scatter(rng: np.random.Generator) -> None:
    sizes = np.array([8, 12, 16, 24, 32, 48, 64])
    estimates = [
        finite_size_extrapolation(sizes, 2.269 + 0.4 / sizes + rng.normal(0, 0.01, sizes.size))
        for _ in range(400)
    ]
    values = np.array([e.value for e in estimates])
    mean_error = np.mean([e.error for e in estimates])
    assert abs(values.mean() - 2.269) < 4 * values.std() / 20
    assert mean_error == pytest.approx(values.std(), rel=0.25)


def test_nu_exponent() -> None:
    sizes = np.array([8.0, 16.0, 32.0])
    fit = finite_size_extrapolation(sizes, 1.0 + sizes ** (-1 / 0.63), nu=0.63)
    assert fit.value == pytest.approx(1.0, abs=1e-10)
