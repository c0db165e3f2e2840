"""Split R-hat and effective sample size against chains with known answers."""

import numpy as np
import pytest

from physml.metrics.convergence import effective_sample_size, split_rhat


def _ar1(rho: float, shape, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    noise = rng.normal(size=shape) * np.sqrt(1 - rho**2)
    x = np.empty(shape)
    x[:, 0] = rng.normal(size=shape[0])
    for t in range(1, shape[1]):
        x[:, t] = rho * x[:, t - 1] + noise[:, t]
    return x


def test_ess_of_an_ar1_chain():
    rho = 0.8
    draws = _ar1(rho, (4, 20_000), 0)
    expected = draws.size * (1 - rho) / (1 + rho)  # integrated autocorrelation time
    assert effective_sample_size(draws) == pytest.approx(expected, rel=0.1)
    iid = np.random.default_rng(1).normal(size=(4, 5000))
    assert effective_sample_size(iid) == pytest.approx(iid.size, rel=0.1)


def test_rhat_flags_chains_that_have_not_mixed():
    draws = np.random.default_rng(2).normal(size=(4, 2000))
    assert split_rhat(draws) == pytest.approx(1.0, abs=0.01)
    shifted = draws + np.arange(4)[:, None]
    assert split_rhat(shifted) > 1.5
    trend = draws + np.linspace(0, 3, 2000)[None, :]  # split halves catch a drift
    assert split_rhat(trend) > 1.1


def test_refusal():
    with pytest.raises(ValueError, match="chains"):
        split_rhat(np.zeros(10))
