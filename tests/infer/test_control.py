"""The gymnasium environment against the simulator's own fidelities, and the agents on
problems small enough that the optimum is known by enumeration."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("gymnasium")

from physml.infer.control import BangBangEnv, reinforce_agent, tabular_agent
from physml.sim.quantum.bang_bang import BangBangProblem


def test_environment_episode_matches_the_protocol_fidelity() -> None:
    from gymnasium.utils.env_checker import check_env

    problem = BangBangProblem(2, 1.3, 6)
    env = BangBangEnv(problem)
    check_env(env, skip_render_check=True)
    protocol = [1, 0, 1, 1, 0, 0]
    obs, _ = env.reset(seed=0)
    assert not obs.any()
    for k, a in enumerate(protocol):
        obs, reward, done, truncated, info = env.step(a)
        assert done == (k == 5) and not truncated
    fidelity = problem.fidelity(protocol)[0]
    assert info["fidelity"] == pytest.approx(fidelity, rel=1e-12)
    assert reward == pytest.approx(np.sqrt(fidelity), rel=1e-12)  # F^(1/L), L = 2
    np.testing.assert_array_equal(obs, 2 * np.array(protocol) - 1)


def test_q_learning_finds_the_optimum_of_a_short_protocol() -> None:
    problem = BangBangProblem(1, 1.5, 6)  # 64 protocols
    result = tabular_agent(problem, n_episodes=600, seed=np.random.default_rng(0))
    assert result.fidelity == pytest.approx(problem.optimum().fidelity, rel=1e-9)
    assert result.curve.shape == (600,)


def test_sarsa_comes_close_to_the_optimum_of_a_short_protocol() -> None:
    problem = BangBangProblem(1, 1.5, 6)
    optimum = problem.optimum().fidelity
    found = [
        tabular_agent(
            problem, rule="sarsa", n_episodes=600, learning_rate=0.5, seed=np.random.default_rng(s)
        ).fidelity
        for s in range(3)
    ]
    assert min(found) > 0.9 * optimum and max(found) <= optimum + 1e-12


def test_reinforce_approaches_the_optimum_on_a_chain() -> None:
    problem = BangBangProblem(2, 1.5, 6)
    optimum = problem.optimum().fidelity
    result = reinforce_agent(problem, n_iterations=150, batch_size=32, lr=0.03, seed=0)
    assert result.fidelity > 0.97 * optimum
    assert result.curve[-10:].mean() > result.curve[:10].mean()
