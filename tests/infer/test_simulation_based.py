"""physml.infer.simulation_based: batched NLE / NRE sampling draws every observation's own
posterior (a conjugate Gaussian, known exactly), reproducibly, and leaves numpy's global
generator as it found it."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("sbi")

pytestmark = pytest.mark.usefixtures("one_torch_thread")

NOISE = 0.3  # x = theta + N(0, NOISE^2), theta ~ U(-3, 3): posterior ~ N(x_o, NOISE^2)


@pytest.mark.parametrize("method", ["nle", "nre"])
def test_batched_mcmc_draws_each_observations_posterior(method: str) -> None:
    from physml.infer.simulation_based import fit_posterior, torch_prior

    rng = np.random.default_rng(0)
    theta = rng.uniform(-3.0, 3.0, (3000, 1))
    x = theta + NOISE * rng.standard_normal(theta.shape)
    fitted = fit_posterior(
        method,
        torch_prior("uniform", -3.0, 3.0, 1),
        theta,
        x,
        seed=0,
        estimator="maf" if method == "nle" else "mlp",
        hidden_features=16,
        num_transforms=2,
        max_epochs=40,
        mcmc_chains=10,
    )
    x_o = np.array([[-1.5], [0.0], [1.2]])
    before = np.random.get_state()[1].copy()  # noqa: NPY002
    draws = fitted.sample_batched(x_o, 300, seed=4)
    assert np.array_equal(np.random.get_state()[1], before)  # noqa: NPY002
    assert draws.shape == (3, 300, 1)
    assert np.array_equal(draws, fitted.sample_batched(x_o, 300, seed=4))
    # each observation's draws follow the fitted estimator's own posterior, exactly known
    # here on a 1-D grid from its MCMC target (log_density); quartiles, because a ratio
    # estimator's tails are heavy and 300 correlated draws pin its std poorly
    grid = np.linspace(-3.0, 3.0, 2001)
    for i, x in enumerate(x_o):
        log_p = fitted.log_density(grid[:, None], x)
        cdf = np.cumsum(np.exp(log_p - log_p.max()))
        quartiles = np.interp([0.25, 0.5, 0.75], cdf / cdf[-1], grid)
        iqr = quartiles[2] - quartiles[0]
        assert abs(quartiles[1] - x[0]) < NOISE and 0.5 < iqr / (1.349 * NOISE) < 2  # trained
        drawn = np.quantile(draws[i, :, 0], [0.25, 0.5, 0.75])
        np.testing.assert_allclose(drawn, quartiles, atol=0.2 * iqr)


@pytest.mark.parametrize("method", ["npe", "nle"])
def test_sequential_rounds_concentrate_on_the_observation(method: str) -> None:
    """Two rounds of 400 simulations for one x_o (the second from the first round's
    posterior) reach the exact conjugate posterior N(x_o, NOISE^2); the result refuses
    any other observation."""
    from physml.infer.simulation_based import fit_sequential, torch_prior

    def simulate(theta: np.ndarray, seed: int) -> np.ndarray:
        return theta + NOISE * np.random.default_rng(seed).standard_normal(theta.shape)

    x_o = np.array([0.7])
    calls = []

    def counted(theta: np.ndarray, seed: int) -> np.ndarray:
        calls.append(len(theta))
        return simulate(theta, seed)

    fitted = fit_sequential(
        method,
        torch_prior("uniform", -3.0, 3.0, 1),
        counted,
        x_o,
        simulations=801,
        rounds=2,
        seed=0,
        hidden_features=16,
        num_transforms=2,
        max_epochs=60,
        mcmc_chains=10,
    )
    assert calls == [401, 400]
    draws = fitted.sample(x_o, 1000, seed=1)[:, 0]
    assert abs(draws.mean() - x_o[0]) < 0.25 * NOISE
    assert draws.std() == pytest.approx(NOISE, rel=0.25)
    with pytest.raises(ValueError, match="valid only there"):
        fitted.sample(np.array([0.0]), 10, seed=1)
