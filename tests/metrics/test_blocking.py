"""Blocking error bars against exact standard errors of i.i.d. and AR(1) series."""

from __future__ import annotations

import dataclasses
import math
import subprocess
import sys

import numpy as np
import pytest
from scipy.signal import lfilter
from scipy.special import chdtri

from physml.metrics.blocking import BlockingResult, blocking


def ar1(phi: float, shape: tuple[int, ...], rng: np.random.Generator) -> np.ndarray:
    """Stationary AR(1) x_t = phi x_{t-1} + eps_t, eps ~ N(0, 1), along axis 0."""
    eps = rng.normal(size=shape)
    eps[0] /= math.sqrt(1.0 - phi**2)  # start in the stationary distribution
    return lfilter([1.0], [1.0, -phi], eps, axis=0)


def ar1_standard_error(phi: float, n: int) -> float:
    """Exact sd of the mean of n stationary AR(1) samples; -> 1 / ((1 - phi) sqrt(n))."""
    t = np.arange(1, n)
    gamma0 = 1.0 / (1.0 - phi**2)
    return math.sqrt(gamma0 / n * (1.0 + 2.0 * np.sum((1.0 - t / n) * phi**t)))


def jonsson_reference(x: np.ndarray) -> tuple[float, int]:
    """Jonsson's algorithm for a power-of-two series, written out directly (ddof = 0)."""
    d = int(np.log2(len(x)))
    mu = x.mean()
    s, gamma = np.zeros(d), np.zeros(d)
    for i in range(d):
        n = len(x)
        gamma[i] = np.sum((x[:-1] - mu) * (x[1:] - mu)) / n
        s[i] = np.var(x)
        x = 0.5 * (x[0::2] + x[1::2])
    m = np.cumsum(((gamma / s) ** 2 * 2.0 ** np.arange(d, 0, -1))[::-1])[::-1]
    k = next((k for k in range(d) if m[k] < chdtri(d - k, 0.01)), d - 1)
    return math.sqrt(s[k] / 2 ** (d - k)), k


def test_iid_error_is_sigma_over_sqrt_n() -> None:
    n, sigma = 2**14, 2.5
    for seed in range(5):
        x = np.random.default_rng(seed).normal(3.0, sigma, size=n)
        result = blocking(x)
        assert result.error == pytest.approx(sigma / math.sqrt(n), rel=0.1)
        assert result.naive_error == pytest.approx(math.sqrt(x.var(ddof=1) / n), rel=1e-12)
        assert result.mean == pytest.approx(x.mean(), rel=1e-14)
        assert result.variance == pytest.approx(x.var(ddof=1), rel=1e-12)
        assert result.n_samples == n and result.n_chains == 1
        assert result.tau == pytest.approx(1.0, abs=0.2)


@pytest.mark.parametrize("phi", [0.5, 0.9])
def test_ar1_error_matches_exact_standard_error(phi: float) -> None:
    n = 2**16
    exact = ar1_standard_error(phi, n)
    assert exact == pytest.approx(1.0 / ((1.0 - phi) * math.sqrt(n)), rel=1e-3)
    results = [blocking(ar1(phi, (n,), np.random.default_rng(seed))) for seed in range(8)]
    ratios = np.array([r.error / exact for r in results])
    # Measured (seeds 0-7): median 0.96 for phi = 0.5, 0.93 for phi = 0.9. The accepted
    # level keeps a little correlation, so automatic blocking is slightly low.
    assert np.median(ratios) == pytest.approx(1.0, abs=0.15)
    assert np.all(np.abs(ratios - 1.0) < 0.25)
    # The naive error underestimates by sqrt((1 + phi) / (1 - phi)).
    naive = np.median([r.naive_error / exact for r in results])
    assert naive == pytest.approx(math.sqrt((1.0 - phi) / (1.0 + phi)), rel=0.05)
    tau = np.median([r.tau for r in results])
    assert tau == pytest.approx((1.0 + phi) / (1.0 - phi), rel=0.3)
    assert all(r.level > 0 and r.n_blocks == n // 2**r.level for r in results)


def test_matches_jonsson_reference_on_power_of_two_series() -> None:
    for seed, phi in enumerate([0.0, 0.3, 0.8, 0.95]):
        x = ar1(phi, (2**13,), np.random.default_rng(seed)) + 1.0
        error, level = jonsson_reference(x.copy())
        result = blocking(x)
        assert result.level == level
        n_blocks = 2 ** (13 - level)  # ours divides by n_blocks - 1 (Flyvbjerg-Petersen)
        assert result.error == pytest.approx(error * math.sqrt(n_blocks / (n_blocks - 1)))
        assert result.level_errors[level] == result.error


def test_any_length_uses_all_samples() -> None:
    phi, n = 0.5, 2**14 + 777
    errors = []
    for seed in range(5):
        x = ar1(phi, (n,), np.random.default_rng(seed))
        result = blocking(x)
        assert result.mean == pytest.approx(x.mean(), rel=1e-13)
        assert result.n_samples == n
        errors.append(result.error / ar1_standard_error(phi, n))
    assert np.median(errors) == pytest.approx(1.0, abs=0.15)
    for short in (2, 3, 5):
        result = blocking(np.arange(short, dtype=float))
        assert result.error > 0 and math.isfinite(result.error)


def test_zero_variance_series() -> None:
    for x in (np.full(1000, -1.25), np.full((64, 8), 3.0)):
        result = blocking(x)
        assert result.mean == float(x.flat[0])
        assert result.error == 0.0 and result.naive_error == 0.0 and result.variance == 0.0
        assert result.level == 0 and result.tau == 1.0 and result.n_blocks == x.size


def test_alternating_series_has_zero_error_at_level_one() -> None:
    """x = +1, -1, +1, ...: pairs average to exactly 0, and so does the mean."""
    result = blocking(np.tile([1.0, -1.0], 512))
    assert result.level == 1 and result.error == 0.0 and result.mean == 0.0
    assert result.naive_error > 0


def test_chains_are_pooled_as_independent() -> None:
    phi, n_steps, n_chains = 0.9, 2**12, 16
    exact = ar1_standard_error(phi, n_steps) / math.sqrt(n_chains)
    ratios = []
    for seed in range(5):
        x = ar1(phi, (n_steps, n_chains), np.random.default_rng(seed))
        result = blocking(x)
        assert result.n_chains == n_chains and result.n_samples == x.size
        assert result.mean == pytest.approx(x.mean(), rel=1e-12)
        ratios.append(result.error / exact)
        transposed = blocking(x.T, axis=1)
        assert transposed == result
        assert blocking(x, axis=-2) == result
    assert np.median(ratios) == pytest.approx(1.0, abs=0.15)


def test_many_short_chains() -> None:
    """VMC-like layout: few steps, many walkers; i.i.d. samples give sigma / sqrt(N)."""
    x = np.random.default_rng(1).normal(0.0, 0.5, size=(4, 4096))
    result = blocking(x)
    assert result.error == pytest.approx(0.5 / math.sqrt(x.size), rel=0.1)
    single_step = blocking(x[:1])
    assert single_step.level == 0
    assert single_step.error == pytest.approx(math.sqrt(x[0].var(ddof=1) / 4096))


def test_disagreeing_chains_fall_back_to_spread_of_chain_means() -> None:
    """Chains stuck at random offsets: the error is that of independent chain means."""
    rng = np.random.default_rng(2)
    n_steps, n_chains = 2**10, 32
    x = rng.normal(size=(n_steps, n_chains)) * 0.1 + rng.normal(size=n_chains)
    result = blocking(x)
    assert result.level == 10 and result.n_blocks == n_chains  # one block per chain
    chain_means = x.mean(axis=0)
    assert result.error == pytest.approx(math.sqrt(chain_means.var(ddof=1) / n_chains))
    assert result.error > 10 * result.naive_error


def test_too_short_series_shows_in_n_blocks_and_error_of_error() -> None:
    """A series only ~0.1 tau long passes the test on a coarse level; few blocks tell."""
    short = blocking(ar1(0.999, (256,), np.random.default_rng(3)))
    assert short.n_blocks <= 32 and short.error_of_error > 0.12 * short.error
    long = blocking(ar1(0.5, (2**14,), np.random.default_rng(3)))
    assert long.n_blocks >= 512 and long.error_of_error < 0.03 * long.error
    assert long.error_of_error == pytest.approx(long.error / math.sqrt(2 * (long.n_blocks - 1)))


def test_accepts_lists_and_torch_tensors_without_importing_torch() -> None:
    x = np.random.default_rng(4).normal(size=300)
    assert blocking(x.tolist()) == blocking(x)
    torch = pytest.importorskip("torch")
    t = torch.tensor(x, dtype=torch.float32, requires_grad=True)
    assert blocking(t).mean == pytest.approx(float(x.astype(np.float32).astype(float).mean()))
    code = "import sys, physml.metrics.blocking; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


@pytest.mark.parametrize(
    ("x", "kwargs", "match"),
    [
        ([1.0, np.nan, 2.0], {}, "NaN"),
        ([1.0, np.inf, 2.0], {}, "NaN or inf"),
        ([], {}, "at least 2"),
        ([1.0], {}, "at least 2"),
        (np.ones((1, 1)), {}, "at least 2"),
        (np.ones((2, 2, 2)), {}, "shape"),
        (np.ones(4, dtype=complex), {}, "real"),
        (["a", "b"], {}, "real"),
        (np.ones((4, 2)), {"axis": 2}, "axis"),
        (np.ones(4), {"axis": 1}, "axis"),
    ],
)
def test_bad_input_raises(x: object, kwargs: dict, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        blocking(x, **kwargs)


def test_result_is_frozen() -> None:
    result = blocking(np.arange(8.0))
    assert isinstance(result, BlockingResult)
    assert result.n_effective == pytest.approx(8 / result.tau)
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.error = 0.0  # type: ignore[misc]
