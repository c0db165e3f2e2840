r"""Reinforcement learning of bang-bang protocols (Bukov et al., PRX 8, 031086 (2018)).

:class:`BangBangEnv` exposes :class:`~physml.sim.quantum.bang_bang.BangBangProblem` as a
``gymnasium`` environment, so standard agents run on it: one episode is one protocol of N
steps; the observation is the protocol so far (N entries, +-1 for the fields applied, 0 for
the steps still to come); the action picks the next field (0: -h_max, 1: +h_max); the
reward is 0 until the last step and then the fidelity per site :math:`F^{1/L}` (the
qubit's F). The agents:

* :func:`tabular_agent`: Watkins Q-learning or SARSA on a table of the observations,
  epsilon-greedy with epsilon decaying linearly to ``epsilon_final``; no discount.
* :func:`reinforce_agent`: REINFORCE with a mean baseline, an MLP policy on the
  observation, and batches of episodes rolled out together on the same step unitaries.

Each returns the greedy protocol of the trained agent, its fidelity and the learning curve.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from physml.checks import check_int, check_real
from physml.sim.quantum.bang_bang import BangBangProblem

__all__ = ["AgentResult", "BangBangEnv", "reinforce_agent", "tabular_agent"]


def _gym() -> Any:
    try:
        import gymnasium
    except ImportError as err:  # pragma: no cover - the control extra is missing
        raise ImportError(
            "the quantum-control environment needs gymnasium: pip install 'physml[control]'"
        ) from err
    return gymnasium


def _env_class() -> type:
    gym = _gym()

    class _BangBangEnv(gym.Env):
        metadata: dict = {"render_modes": []}

        def __init__(self, problem: BangBangProblem) -> None:
            self.problem = problem
            n = problem.n_steps
            self.observation_space = gym.spaces.Box(-1.0, 1.0, shape=(n,), dtype=np.float32)
            self.action_space = gym.spaces.Discrete(2)
            self._k = 0
            self._obs = np.zeros(n, dtype=np.float32)
            self._psi = problem.initial.copy()

        def reset(self, *, seed: int | None = None, options: dict | None = None):
            super().reset(seed=seed)
            self._k = 0
            self._obs = np.zeros(self.problem.n_steps, dtype=np.float32)
            self._psi = self.problem.initial.copy()
            return self._obs.copy(), {}

        def step(self, action):
            a = int(action)
            if a not in (0, 1) or self._k >= self.problem.n_steps:
                raise ValueError(f"action {action!r} at step {self._k}: expected 0 or 1 in time")
            self._psi = self.problem.unitaries[a] @ self._psi
            self._obs[self._k] = 2.0 * a - 1.0
            self._k += 1
            done = self._k == self.problem.n_steps
            info, reward = {}, 0.0
            if done:
                fidelity = float(abs(np.vdot(self.problem.target, self._psi)) ** 2)
                reward = float(self.problem.fidelity_per_site(fidelity))
                info = {"fidelity": fidelity}
            return self._obs.copy(), reward, done, False, info

    return _BangBangEnv


def BangBangEnv(problem: BangBangProblem) -> Any:
    """A ``gymnasium.Env`` of ``problem`` (gymnasium is imported only here)."""
    return _env_class()(problem)


@dataclass(frozen=True)
class AgentResult:
    """A trained agent's greedy protocol (int8 (N,)), its fidelity and learning curve."""

    protocol: np.ndarray
    fidelity: float
    curve: np.ndarray


def tabular_agent(
    problem: BangBangProblem,
    *,
    rule: Literal["q-learning", "sarsa"] = "q-learning",
    n_episodes: int = 2000,
    learning_rate: float = 1.0,
    epsilon_final: float = 0.01,
    seed: np.random.Generator,
    on_episode: Callable[[int], None] | None = None,
) -> AgentResult:
    """Q-learning or SARSA through :func:`BangBangEnv`, a table over its observations.

    The observation (the protocol so far) is a Markov state of this deterministic
    environment; only the states visited enter the table. Each episode's updates are
    applied from its last step back to its first (backward replay, L.-J. Lin, Mach. Learn.
    8, 293 (1992)), so the one reward, at the end, reaches every step at once. ``curve``
    holds the fidelity of every training episode.
    """
    n_episodes = check_int("n_episodes", n_episodes, minimum=1)
    alpha = check_real("learning_rate", learning_rate, positive=True)
    env = BangBangEnv(problem)
    n = problem.n_steps
    q: dict[bytes, np.ndarray] = {}  # the observation (the protocol so far) -> Q(s, .)
    curve = np.empty(n_episodes)

    def values(obs: np.ndarray) -> np.ndarray:
        return q.setdefault(obs.tobytes(), np.zeros(2))

    def choose(obs: np.ndarray, eps: float) -> int:
        row = values(obs)
        if seed.random() < eps or row[0] == row[1]:
            return int(seed.integers(2))
        return int(np.argmax(row))

    for episode in range(n_episodes):
        eps = max(epsilon_final, 1.0 - episode / (0.8 * n_episodes))
        obs, _ = env.reset()
        a = choose(obs, eps)
        steps = []  # (Q row of the state, action, Q row of the next state, next action)
        while True:
            row = values(obs)
            obs, reward, done, _, info = env.step(a)
            a_next = choose(obs, eps) if not done else 0
            steps.append((row, a, None if done else values(obs), a_next))
            a = a_next
            if done:
                curve[episode] = info["fidelity"]
                break
        # backward replay: the final reward reaches the first step within one episode
        for row, a, following, a_next in reversed(steps):
            if following is None:
                target = reward
            else:
                target = following.max() if rule == "q-learning" else following[a_next]
            row[a] += alpha * (target - row[a])
        if on_episode is not None:
            on_episode(episode)
    obs, _ = env.reset()
    for _ in range(n):
        obs, *_ = env.step(int(np.argmax(values(obs))))
    protocol = ((obs + 1) / 2).astype(np.int8)
    return AgentResult(protocol, float(problem.fidelity(protocol)[0]), curve)


def reinforce_agent(
    problem: BangBangProblem,
    *,
    hidden: tuple[int, ...] = (32,),
    n_iterations: int = 200,
    batch_size: int = 64,
    lr: float = 0.01,
    entropy_bonus: float = 0.01,
    seed: int,
    on_iteration: Callable[[int], None] | None = None,
) -> AgentResult:
    r"""REINFORCE with a mean baseline and an MLP policy; ``curve`` is the batch-mean fidelity.

    The loss is :math:`-\langle (r - \bar r)\log\pi(\text{protocol})\rangle` minus
    ``entropy_bonus`` times the policy's mean entropy per step (against early collapse).

    The batch's episodes step together: the observation, the sampled actions and the
    states advance as arrays, on the unitaries :func:`BangBangEnv` uses.
    """
    import torch

    from physml.models.mlp import MLP

    n = problem.n_steps
    torch_gen = torch.Generator().manual_seed(int(seed))
    torch.manual_seed(int(seed))  # the MLP's initialisation
    policy = MLP(n, hidden, 2, activation="tanh")
    optimizer = torch.optim.Adam(policy.parameters(), lr=check_real("lr", lr, positive=True))
    batch = check_int("batch_size", batch_size, minimum=2)
    curve = []
    for iteration in range(check_int("n_iterations", n_iterations, minimum=1)):
        obs = torch.zeros(batch, n)
        log_prob = torch.zeros(batch)
        entropy = torch.zeros(batch)
        actions = torch.zeros(batch, n, dtype=torch.int64)
        for k in range(n):
            dist = torch.distributions.Categorical(logits=policy(obs.clone()))
            a = torch.multinomial(dist.probs, 1, generator=torch_gen)[:, 0]
            log_prob = log_prob + dist.log_prob(a)
            entropy = entropy + dist.entropy()
            actions[:, k] = a
            obs[:, k] = 2.0 * a - 1.0
        fidelity = problem.fidelity(actions.numpy())
        reward = torch.as_tensor(problem.fidelity_per_site(fidelity), dtype=torch.float32)
        advantage = reward - reward.mean()
        loss = -(advantage * log_prob).mean() - entropy_bonus * entropy.mean() / n
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        curve.append(float(fidelity.mean()))
        if on_iteration is not None:
            on_iteration(iteration)
    obs = torch.zeros(1, n)
    with torch.no_grad():
        for k in range(n):
            obs[0, k] = 2.0 * float(policy(obs).argmax()) - 1.0
    protocol = ((obs[0].numpy() + 1) / 2).astype(np.int8)
    return AgentResult(protocol, float(problem.fidelity(protocol)[0]), np.asarray(curve))
