"""bench sbi: the plain sbi baseline draws posterior samples inside the prior from the
same simulations, and leaves nothing in the working directory; from the same seed it
trains exactly as physml's NPE does (the bench's matched settings)."""

from __future__ import annotations

import numpy as np
import pytest

from physml.bench.sbi import _physml_npe, plain_sbi_npe
from physml.sim.inference.benchmark_problems import PROBLEMS

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def _simulations(n: int):
    problem = PROBLEMS["two-moons"]
    theta = problem.sample_prior(n, seed=0)
    x = problem.simulate(theta, seed=1)
    observations = problem.simulate(np.array([[0.3, 0.3]]), seed=2)
    return problem, theta, x, observations


def test_plain_sbi_baseline_samples_the_posterior(tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    problem, theta, x, observations = _simulations(300)
    draws, epochs = plain_sbi_npe(theta, x, observations, 50)
    assert draws.shape == (1, 50, 2)
    assert epochs > 20  # early stopping waits 20 epochs after the best one
    assert problem.in_support(draws[0]).all()
    assert list(tmp_path.iterdir()) == []  # sbi-logs went to a temporary directory


def test_physml_and_plain_sbi_train_identically_from_one_seed(tmp_path, monkeypatch) -> None:
    """Same seed, same simulations: the same epochs, and posteriors that agree in mean
    (they are the same network; only the sampling seeds differ)."""
    monkeypatch.chdir(tmp_path)
    _, theta, x, observations = _simulations(200)
    plain, plain_epochs = plain_sbi_npe(theta, x, observations, 2000, seed=3)
    ours, our_epochs = _physml_npe(theta, x, observations, 2000, seed=3)
    assert our_epochs == plain_epochs
    _, other_epochs = _physml_npe(theta, x, observations, 10, seed=4)
    assert other_epochs != our_epochs  # the epoch count does depend on the seed
    sem = np.sqrt(plain[0].var(axis=0) / 2000 + ours[0].var(axis=0) / 2000)
    assert np.all(np.abs(plain[0].mean(axis=0) - ours[0].mean(axis=0)) < 4 * sem)
