"""C2ST, SBC ranks and TARP coverage on a conjugate Gaussian model, whose exact posterior
N(x / 2, 1 / 2) (prior N(0, 1), x | theta ~ N(theta, 1)) gives C2ST ~ 0.5 and a diagonal
coverage curve; shifted or overconfident posteriors do not."""

from __future__ import annotations

import math

import numpy as np
import pytest

from physml.metrics.posterior import c2st, rank_uniformity, sbc_ranks, tarp_coverage


def _conjugate(n_sims: int, n_samples: int, rng, shift: float = 0.0, scale: float = 1.0):
    theta = rng.standard_normal((n_sims, 2))
    x = theta + rng.standard_normal((n_sims, 2))
    noise = rng.standard_normal((n_sims, n_samples, 2))
    samples = x[:, None, :] / 2 + shift + scale * math.sqrt(0.5) * noise
    return theta, samples


def test_c2st_is_one_half_for_equal_distributions_and_grows_with_a_shift(rng) -> None:
    a, b = rng.standard_normal((500, 2)), rng.standard_normal((500, 2))
    assert c2st(a, b, seed=0) == pytest.approx(0.5, abs=0.06)
    shifted = b + np.array([1.0, 0.0])
    # two unit Gaussians 1 apart: the Bayes classifier's accuracy is Phi(1/2) = 0.69
    assert c2st(a, shifted, seed=0) == pytest.approx(0.69, abs=0.06)


def test_c2st_refuses_mismatched_samples() -> None:
    with pytest.raises(ValueError, match="expected"):
        c2st(np.zeros((10, 2)), np.zeros((10, 3)), seed=0)
    with pytest.raises(ValueError, match="NaN"):
        c2st(np.zeros((10, 2)), np.full((10, 2), np.nan), seed=0)


def test_exact_posterior_is_calibrated(rng) -> None:
    theta, samples = _conjugate(1000, 100, rng)
    ranks = sbc_ranks(theta, samples)
    assert ranks.shape == (1000, 2) and ranks.min() >= 0 and ranks.max() <= 100
    sbc = rank_uniformity(ranks, 100)
    tarp = tarp_coverage(theta, samples, seed=1)
    assert sbc.p_value > 1e-3 and tarp.p_value > 1e-3
    assert sbc.distance < 3 * 0.87 / math.sqrt(1000) + 1 / 202
    assert np.abs(tarp.ecp - tarp.alpha).max() == pytest.approx(tarp.distance, abs=0.02)
    assert tarp.distance < 3 * 0.87 / math.sqrt(1000)


@pytest.mark.parametrize(("shift", "scale"), [(0.5, 1.0), (0.0, 0.5), (0.0, 2.0)])
def test_shifted_or_mis_scaled_posteriors_are_not(rng, shift: float, scale: float) -> None:
    theta, samples = _conjugate(3000, 100, rng, shift=shift, scale=scale)
    assert rank_uniformity(sbc_ranks(theta, samples), 100).p_value < 1e-6
    assert tarp_coverage(theta, samples, seed=1).p_value < 1e-4
