"""Local calibration of sequential SBI fits (sbi_methods.local_calibration): on the
Gaussian linear problem the exact conjugate posterior N(x/2, 0.05 I), drawn at each kept
simulation's own x, gives uniform SBC ranks and TARP coverages (KS within the null
spread), while a posterior shifted by half its width, or one too narrow, is flagged;
the kept simulations are the prior-predictive ones nearest x_o, theta paired with its own
x."""

from __future__ import annotations

import math

import numpy as np
import pytest

from physml.sim.inference.benchmark_problems import PROBLEMS
from physml.tasks.inference.sbi_methods import (
    KS_MEAN,
    KS_STD,
    local_calibration,
    nearest_simulations,
)

PROBLEM = PROBLEMS["gaussian-linear"]  # theta ~ N(0, 0.1 I), x ~ N(theta, 0.1 I)
SD = math.sqrt(0.05)  # the exact posterior's standard deviation


class ConjugatePosterior:
    """A sequential fit stand-in: the exact posterior N(x/2, 0.05 I), optionally shifted
    (in units of its sd) or rescaled; like a sequential FittedPosterior it refuses x other
    than its observation unless asked for a local draw."""

    def __init__(self, x_o: np.ndarray, shift: float = 0.0, scale: float = 1.0) -> None:
        self.x_o, self.shift, self.scale = x_o, shift, scale

    def sample_batched(self, x: np.ndarray, n: int, *, seed: int, local: bool = False):
        if not local and not np.array_equal(x, self.x_o[None]):
            raise ValueError("a sequential fit is valid only at its observation")
        noise = np.random.default_rng(seed).standard_normal((len(x), n, x.shape[1]))
        return 0.5 * x[:, None, :] + SD * (self.shift + self.scale * noise)


def _calibrate(shift: float = 0.0, scale: float = 1.0, n: int = 400):
    observations = PROBLEM.simulate(PROBLEM.sample_prior(4, seed=1), seed=2)
    fits = [ConjugatePosterior(x_o, shift, scale) for x_o in observations]
    return local_calibration(
        "gaussian-linear 1000",
        fits,
        PROBLEM,
        observations,
        n_calibration=n,
        n_samples=100,
        pool=20_000,
        rng=np.random.default_rng(3),
        seed=4,
    )


def test_the_exact_posterior_is_calibrated_near_each_observation() -> None:
    metrics, (sbc, tarp), radius = _calibrate()
    null_mean, null_sd = KS_MEAN / math.sqrt(400), KS_STD / math.sqrt(400)
    for name, coverage in (("SBC rank KS", sbc), ("TARP KS", tarp)):
        metric = metrics[f"{name} near x_o gaussian-linear 1000"]
        assert metric.value == coverage.distance
        assert metric.reference == pytest.approx(null_mean) and metric.error == pytest.approx(
            null_sd
        )
        assert "100 of 20000 prior-predictive simulations nearest" in metric.source
    # TARP's one KS distance within the null spread (mean + 3 sd of the Kolmogorov
    # distribution / sqrt(n)); SBC's is the largest of 10 (one per parameter), so it is
    # judged by its Bonferroni-corrected p-value. Selecting the kept simulations by theta
    # instead of x gives p ~ 1e-11 (SBC) and 1e-47 (TARP) here; pairing each theta with a
    # neighbour's x, p ~ 5e-5 (SBC)
    assert tarp.distance < null_mean + 3 * null_sd
    assert sbc.p_value > 0.01 and tarp.p_value > 0.01
    assert 0 < radius < 0.6  # the kept x lie well inside the typical distance to x_o


@pytest.mark.parametrize(("shift", "scale"), [(0.5, 1.0), (0.0, 0.6)])
def test_a_wrong_posterior_is_flagged(shift: float, scale: float) -> None:
    """Shifted by half its sd (SBC sees it; TARP's distance-based statistic is blind to a
    shift smaller than the spread of its reference points), or 40 % too narrow."""
    _, (sbc, tarp), _ = _calibrate(shift, scale)
    assert sbc.p_value < 1e-4
    if scale != 1.0:
        assert tarp.p_value < 1e-4


def test_the_nearest_simulations_pair_each_theta_with_its_own_x() -> None:
    x_o = np.full(10, 0.3)
    theta, x, distance = nearest_simulations(PROBLEM, x_o, 50, 20_000, np.random.default_rng(5))
    assert theta.shape == (50, 10) and x.shape == (50, 10) and len(distance) == 20_000
    assert np.all(np.diff(distance) >= 0)
    scale = np.sqrt(0.2)  # the prior predictive's sd of each entry of x
    kept = np.linalg.norm((x - x_o) / scale, axis=1)
    assert kept.max() <= distance[49] * 1.05 and kept.max() < np.median(distance)
    # given its x, theta - x/2 is N(0, 0.05) exactly; a theta paired with another pool
    # member's x would be a prior draw, N(0, 0.1), offset by -x_o/2 (-0.67 sd here)
    z = (theta - x / 2) / SD
    assert abs(z.mean()) < 0.15 and abs(z.std() - 1) < 0.15
    with pytest.raises(ValueError, match="nearest"):
        nearest_simulations(PROBLEM, x_o, 0, 100, np.random.default_rng(5))
