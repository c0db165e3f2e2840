"""``quantum-control``: bang-bang state preparation learned by reinforcement learning,
against the exact optimum of all 2^N protocols.

Bukov et al., Phys. Rev. X 8, 031086 (2018): H = -S^z - h_x S^x for a qubit (``n_sites =
1``), H = -sum_j (S^z_{j+1} S^z_j + S^z_j + h_x S^x_j) for a periodic chain, h_x in
{-4, +4} switched at N equal steps over a total time T, from the ground state at h_x = -2
to that at h_x = +2 (:mod:`physml.sim.quantum.bang_bang`). Agents run on the ``gymnasium``
environment :func:`physml.infer.control.BangBangEnv`: tabular Q-learning or SARSA, or
REINFORCE with an MLP policy (reward: the fidelity per site F^(1/L)). At every T the
reference is the exact optimum, the best fidelity of all 2^N protocols (meeting in the
middle, vectorised); the report gives each agent's fidelity (mean over ``n_runs``
independent runs, standard error, spread), its gap to that optimum and the fraction of
runs that found it (binomial error). The qubit's optimum reaches F = 1 near T = 2.5 (the
quantum speed limit; literature T_QSL ~ 2.4, Bukov et al.).
"""

from __future__ import annotations

import math
from typing import Annotated, Any

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from physml.config import ConfigError
from physml.metrics import Metric, ensemble_std, mean_with_error
from physml.tasks.base import Method, Reference, RunContext, Task, Widths, _memory_bytes
from physml.tasks.seeds import Stream, generator

__all__ = ["QuantumControl", "QuantumControlSettings"]

#: A run counts as finding the optimum when its fidelity is within this of it.
FOUND_TOLERANCE = 1e-6
_BUKOV = "Bukov et al., PRX 8, 031086 (2018)"


class QuantumControlSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")
    n_sites: int = Field(1, ge=1, le=8, description="1: the qubit; >= 2: a periodic chain")
    times: list[Annotated[float, Field(gt=0, le=1e4)]] = Field(
        [1.0, 2.0, 2.4, 3.0], min_length=1, max_length=32, description="total times T"
    )
    n_steps: int = Field(20, ge=1, le=256, description="bang-bang steps N (when dt is unset)")
    dt: float | None = Field(None, gt=0, description="step length: N = round(T / dt) per T")
    n_runs: int = Field(4, ge=2, le=256, description="independent agent runs per T")
    reference: bool = Field(True, description="enumerate all 2^N protocols for the optimum")
    h_max: float = Field(4.0, gt=0, le=100, description="the fields are -h_max, +h_max")
    h_initial: float = Field(-2.0, ge=-100, le=100, description="field of the initial ground state")
    h_target: float = Field(2.0, ge=-100, le=100, description="field of the target ground state")

    def steps(self, T: float) -> int:
        return self.n_steps if self.dt is None else max(1, round(T / self.dt))


class TabularSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")
    n_episodes: int = Field(2000, ge=1, le=10_000_000, description="training episodes")
    learning_rate: float = Field(
        1.0, gt=0, le=1, description="step size (1: the environment is deterministic)"
    )
    epsilon_final: float = Field(0.01, ge=0, le=1, description="exploration at the end")


class QLearningSettings(TabularSettings):
    """Watkins Q-learning, backward replay of each episode."""


class SarsaSettings(TabularSettings):
    """SARSA (on-policy), backward replay of each episode."""

    learning_rate: float = Field(
        0.5, gt=0, le=1, description="step size (on-policy: 1 would track the last episode)"
    )


class ReinforceSettings(BaseModel):
    """REINFORCE with a mean baseline and an MLP policy on the protocol so far."""

    model_config = ConfigDict(extra="forbid")
    hidden: Widths = Field([32], min_length=1, description="policy hidden widths")
    n_iterations: int = Field(200, ge=1, le=1_000_000, description="policy-gradient steps")
    batch_size: int = Field(64, ge=2, le=65_536, description="episodes per step")
    lr: float = Field(0.01, gt=0, le=10, description="Adam learning rate")


class QuantumControl(Task):
    name = "quantum-control"
    summary = (
        "bang-bang state preparation by RL (Q-learning, SARSA, REINFORCE) vs all 2^N protocols"
    )
    reference = Reference("F_opt", None, "", "exhaustive search over all 2^N protocols")
    settings = QuantumControlSettings
    methods = {
        "q-learning": Method("q-learning", "tabular Watkins Q-learning", QLearningSettings, False),
        "sarsa": Method("sarsa", "tabular SARSA", SarsaSettings, False),
        "reinforce": Method(
            "reinforce",
            "REINFORCE policy gradient, MLP policy",
            ReinforceSettings,
            False,
            presets={"full": {"model": {"n_iterations": 1000}}},
        ),
    }
    default_method = "q-learning"
    presets = {
        "quick": {},
        "full": {"times": [0.5, 1.0, 1.5, 2.0, 2.2, 2.4, 2.6, 3.0, 3.5], "n_runs": 16},
    }

    def check(self, config: Any) -> None:
        if not config.reference:
            return
        from physml.sim.quantum.bang_bang import MAX_ENUMERATION_STEPS, enumeration_bytes

        available = _memory_bytes()
        for T in config.times:
            n = config.steps(T)
            where = f"n_steps={n}" if config.dt is None else f"T={T} with dt={config.dt} (N={n})"
            need = enumeration_bytes(config.n_sites, n)
            if n > MAX_ENUMERATION_STEPS or (available is not None and need > available):
                raise ConfigError(
                    f"{where}: the exact optimum would enumerate 2^{n} protocols (about "
                    f"{need / 1e9:.3g} GB, at most {MAX_ENUMERATION_STEPS} steps), which does "
                    "not fit; set reference=false to run the agent alone"
                )

    def run(self, config: Any, ctx: RunContext) -> dict[str, Metric]:
        from physml.sim.quantum.bang_bang import BangBangProblem

        method = self.method_of(config)
        metrics: dict[str, Metric] = {}
        rows, curves = [], []
        fields = {k: getattr(config, k) for k in ("h_max", "h_initial", "h_target")}
        with ctx.progress(f"{method} over T", len(config.times) * config.n_runs) as bar:
            for t_index, T in enumerate(config.times):
                problem = BangBangProblem(config.n_sites, T, config.steps(T), **fields)
                optimum = problem.optimum().fidelity if config.reference else None
                found = []
                for run in range(config.n_runs):
                    rng = generator(ctx.seed, Stream.CONTROL_AGENTS, t_index, run)
                    result = _train(config, method, problem, rng)
                    found.append(result.fidelity)
                    curves.append((T, result.curve))
                    rows.append({"T": T, "run": run, "fidelity": result.fidelity})
                    bar.advance()
                metrics |= _metrics(config, T, np.asarray(found), optimum)
                ctx.log(
                    f"T = {T}: F = {np.mean(found):.4f} over {config.n_runs} runs"
                    + ("" if optimum is None else f", optimum {optimum:.4f}")
                )
        ctx.write_log(rows)
        _plot(ctx, config, metrics)
        return metrics


def _train(config: Any, method: str, problem: Any, rng: np.random.Generator) -> Any:
    """One agent run on ``problem``, its random numbers from ``rng``."""
    from physml.infer.control import reinforce_agent, tabular_agent

    m = config.model
    if method == "reinforce":
        return reinforce_agent(
            problem,
            hidden=tuple(m.hidden),
            n_iterations=m.n_iterations,
            batch_size=m.batch_size,
            lr=m.lr,
            seed=int(rng.integers(2**62)),
        )
    return tabular_agent(
        problem,
        rule=method,
        n_episodes=m.n_episodes,
        learning_rate=m.learning_rate,
        epsilon_final=m.epsilon_final,
        seed=rng,
    )


def _metrics(config: Any, T: float, fidelity: np.ndarray, optimum: float | None):
    """F (mean over runs), its per-site form for chains, and the fraction finding F_opt."""
    est = mean_with_error(fidelity)
    source = f"exhaustive search over 2^{config.steps(T)} protocols" if optimum is not None else ""
    out = {
        f"F(T={T:g})": Metric(
            est.value, optimum, "", source, error=est.error, std=ensemble_std(fidelity)
        )
    }
    if config.n_sites > 1:
        per_site = fidelity ** (1.0 / config.n_sites)
        e = mean_with_error(per_site)
        ref = None if optimum is None else optimum ** (1.0 / config.n_sites)
        out[f"F^(1/L)(T={T:g})"] = Metric(
            e.value, ref, "", source, error=e.error, std=ensemble_std(per_site)
        )
    if optimum is not None:
        n, hits = len(fidelity), int(np.sum(fidelity >= optimum - FOUND_TOLERANCE))
        smooth = (hits + 2) / (n + 4)  # Agresti-Coull: an error also at 0 or n hits
        out[f"found optimum(T={T:g})"] = Metric(
            hits / n,
            None,
            "",
            f"fraction of {n} runs within {FOUND_TOLERANCE:g} of F_opt ({_BUKOV}); "
            "Agresti-Coull binomial error",
            error=math.sqrt(smooth * (1 - smooth) / (n + 4)),
        )
    return out


def _plot(ctx: RunContext, config: Any, metrics: dict[str, Metric]) -> None:
    from physml.tasks.figures import new_figure, save_figure

    times = np.asarray(config.times)
    f = [metrics[f"F(T={T:g})"] for T in config.times]
    fig, ax = new_figure()
    ax.errorbar(times, [m.value for m in f], [m.error for m in f], fmt="o", label="agent")
    if config.reference:
        ax.plot(times, [m.reference for m in f], "k-", label="exact optimum (all 2^N)")
    ax.set(xlabel="total time T", ylabel="fidelity F", title="bang-bang state preparation")
    ax.legend()
    save_figure(fig, ctx.plot_dir / "fidelity_vs_time.png")
