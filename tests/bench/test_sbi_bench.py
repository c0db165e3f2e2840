"""bench sbi: the plain sbi baseline draws posterior samples inside the prior from the
same simulations, and leaves nothing in the working directory."""

from __future__ import annotations

import numpy as np
import pytest

from physml.bench.sbi import plain_sbi_npe
from physml.sim.inference.benchmark_problems import PROBLEMS

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def test_plain_sbi_baseline_samples_the_posterior(tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    problem = PROBLEMS["two-moons"]
    theta = problem.sample_prior(300, seed=0)
    x = problem.simulate(theta, seed=1)
    observations = problem.simulate(np.array([[0.3, 0.3]]), seed=2)
    draws = plain_sbi_npe(theta, x, observations, 50)
    assert draws.shape == (1, 50, 2)
    assert problem.in_support(draws[0]).all()
    assert list(tmp_path.iterdir()) == []  # sbi-logs went to a temporary directory
