r"""``hopfield-memory``: how many random patterns a Hopfield network can recall.

Seed 003's energy model: N neurons, p = alpha N random patterns stored by Hebb's rule (or
the pseudo-inverse or Storkey rule, :mod:`physml.infer.hopfield`), recalled by
asynchronous (or synchronous) dynamics from each stored pattern (or a copy with a
fraction ``cue_noise`` of its bits flipped). The final overlap ``m = s . xi / N`` is 1 for
perfect recall; beyond the capacity the network falls into spurious states with m of
order 0.3.

Capacity: at each N a recall counts as retrieved when ``m >= 0.9`` (between the
retrieval state, m = 0.967 at capacity, and the spin-glass states); alpha_c(N) is where
the fraction retrieved falls through 1/2 (linear interpolation on the load grid), with a
bootstrap error over the networks at each load. For Hebb's rule the sizes are
extrapolated as ``alpha_c(N) = alpha_c + a N^(-1/2)`` (weighted least squares; the
N^(-1/2) correction is a modelling choice, stated here and in the report) and compared
with the replica-symmetric result alpha_c = 0.1379 of Amit, Gutfreund & Sompolinsky,
PRL 55, 1530 (1985), solved numerically (:func:`physml.infer.hopfield.ags_capacity`); the
other rules report alpha_c(N) alone. The overlap at the largest load <= 0.1 is compared
with the same theory's m(alpha) (Hebb) or with perfect recall (the other rules).
"""

from __future__ import annotations

import itertools
from typing import Annotated, Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, field_validator

from physml.config import ConfigError
from physml.metrics import Metric
from physml.tasks.base import Method, Reference, RunContext, Task
from physml.tasks.seeds import Stream, bootstrap_seed, generator

__all__ = ["HopfieldMemory", "HopfieldMemorySettings"]

#: A recall counts as retrieved at or above this overlap.
RETRIEVED = 0.9
AGS = "Amit, Gutfreund & Sompolinsky, PRL 55, 1530 (1985), replica-symmetric, T = 0"

Load = Annotated[float, Field(gt=0, lt=1)]
Size = Annotated[int, Field(ge=10, le=5000)]


class HopfieldMemorySettings(BaseModel):
    model_config = ConfigDict(extra="forbid")
    sizes: list[Size] = Field([100, 200, 400, 800], min_length=2, max_length=12)
    alphas: list[Load] = Field(
        [round(0.06 + 0.02 * k, 2) for k in range(11)],
        min_length=2,
        max_length=100,
        description="loads p / N, increasing",
    )
    n_networks: int = Field(24, ge=2, le=10_000, description="networks per (N, alpha)")
    n_cues: int = Field(4, ge=1, le=64, description="patterns recalled per network")
    cue_noise: float = Field(0.0, ge=0, le=0.5, description="fraction of a cue's bits flipped")
    dynamics: Literal["asynchronous", "synchronous"] = "asynchronous"
    max_sweeps: int = Field(50, ge=1, le=10_000, description="sweeps before recall stops")

    @field_validator("sizes", "alphas")
    @classmethod
    def _increasing(cls, value: list) -> list:
        if any(b <= a for a, b in itertools.pairwise(value)):
            raise ValueError(f"{value} must be strictly increasing")
        return value


class HebbianSettings(BaseModel):
    """Hebb's rule has no parameters."""

    model_config = ConfigDict(extra="forbid")


class PseudoInverseSettings(HebbianSettings):
    """The projection rule has no parameters."""


class StorkeySettings(HebbianSettings):
    """Storkey's rule has no parameters."""


_SETTINGS = {
    "hebbian": HebbianSettings,
    "pseudo-inverse": PseudoInverseSettings,
    "storkey": StorkeySettings,
}


def _rule(name: str, summary: str, presets: dict | None = None) -> Method:
    return Method(name, summary, _SETTINGS[name], trained=False, presets=presets or {})


_WIDE = [round(0.1 * k, 1) for k in range(1, 10)]


class HopfieldMemory(Task):
    name = "hopfield-memory"
    summary = "Hopfield network capacity (Hebb, pseudo-inverse, Storkey) vs alpha_c = 0.138"
    reference = Reference("alpha_c", 0.1379, "", AGS)
    settings = HopfieldMemorySettings
    methods = {
        "hebbian": _rule("hebbian", "Hebb's rule xi^T xi / N"),
        # the pseudo-inverse (O(N p^2)) and Storkey (O(p N^2)) rules cost more per network
        "pseudo-inverse": _rule(
            "pseudo-inverse",
            "projection rule xi^T C^-1 xi / N",
            {
                "quick": {"alphas": _WIDE, "cue_noise": 0.1, "sizes": [100, 200, 400, 800]},
                "full": {"alphas": _WIDE, "cue_noise": 0.1, "sizes": [100, 200, 400, 800, 1600]},
            },
        ),
        "storkey": _rule(
            "storkey",
            "Storkey's incremental rule (1997)",
            {
                "quick": {"alphas": _WIDE[:6], "sizes": [100, 200, 400]},
                "full": {"alphas": _WIDE[:6], "sizes": [100, 200, 400, 800]},
            },
        ),
    }
    default_method = "hebbian"
    presets = {
        "quick": {"sizes": [100, 200, 400, 800, 1600]},
        "full": {"sizes": [200, 400, 800, 1600, 3200], "n_networks": 48},
    }

    def check(self, config: Any) -> None:
        for n in config.sizes:
            for alpha in config.alphas:
                p = round(alpha * n)
                if not config.n_cues <= p <= n - 1:
                    raise ConfigError(
                        f"alphas={config.alphas} with sizes={config.sizes} is not allowed: "
                        f"alpha = {alpha} stores p = round(alpha N) = {p} patterns in N = {n} "
                        f"neurons; a network holds n_cues = {config.n_cues} <= p <= N - 1 = "
                        f"{n - 1} (alpha < 1)"
                    )

    def memory_estimate(self, config: Any) -> dict[str, float]:
        n = max(config.sizes)
        return {"couplings and recall orders: N^2 + n_cues x max_sweeps x N": 8.0 * n * n * 3}

    def run(self, config: Any, ctx: RunContext) -> dict[str, Metric]:
        method = self.method_of(config)
        overlaps = {}  # N -> (n_alphas, n_networks, n_cues)
        with ctx.progress(f"recalling ({method})", len(config.sizes) * len(config.alphas)) as bar:
            for n in config.sizes:
                overlaps[n] = _recall_all(config, method, n, ctx.seed, bar)
        return _measure(config, method, overlaps, ctx)


def _recall_all(config, method: str, n: int, seed: int, bar) -> np.ndarray:
    """Final overlaps (n_alphas, n_networks, n_cues) of recall at size N."""
    from physml.infer import hopfield

    learn = {"hebbian": hopfield.hebbian, "pseudo-inverse": hopfield.pseudo_inverse}
    learn["storkey"] = hopfield.storkey
    out = np.empty((len(config.alphas), config.n_networks, config.n_cues))
    for a, alpha in enumerate(config.alphas):
        p = round(alpha * n)
        for k in range(config.n_networks):
            xi = hopfield.random_patterns(
                p, n, seed=generator(seed, Stream.HOPFIELD_PATTERNS, n, a, k)
            )
            W = learn[method](xi)
            rng = generator(seed, Stream.HOPFIELD_RECALL, n, a, k)
            targets = xi[: config.n_cues]
            cues = targets * np.where(rng.random(targets.shape) < config.cue_noise, -1.0, 1.0)
            if config.dynamics == "asynchronous":
                final, _ = hopfield.asynchronous_recall(
                    W, cues, seed=rng, max_sweeps=config.max_sweeps
                )
            else:
                final, _ = hopfield.synchronous_recall(W, cues, max_sweeps=config.max_sweeps)
            out[a, k] = hopfield.overlaps(final, targets)
        bar.advance()
    return out


def _capacity(alphas: np.ndarray, m: np.ndarray, seed) -> tuple[float, float]:
    """alpha_c(N) where the fraction retrieved falls through 1/2, with its bootstrap error
    over networks (resampled within each load); m (n_alphas, n_networks, n_cues)."""
    from physml.metrics import bootstrap, crossing_point
    from physml.tasks.seeds import N_RESAMPLES

    retrieved = (m >= RETRIEVED).mean(axis=2).ravel()  # per network
    strata = np.repeat(np.arange(len(alphas)), m.shape[1])
    n_per = m.shape[1]

    def statistic(w: np.ndarray) -> np.ndarray:
        fractions = (w * retrieved).reshape(len(w), len(alphas), n_per).sum(axis=2)
        fractions /= w.reshape(len(w), len(alphas), n_per).sum(axis=2)
        return np.array([crossing_point(alphas, row, 0.5) for row in fractions])

    r = bootstrap(statistic, retrieved.size, n_resamples=N_RESAMPLES, seed=seed, strata=strata)
    return float(r.value), float(r.estimate().error)


def _measure(config, method: str, overlaps: dict, ctx: RunContext) -> dict[str, Metric]:
    from physml.infer.hopfield import ags_capacity, ags_overlap
    from physml.metrics import finite_size_extrapolation

    alphas = np.asarray(config.alphas)
    sizes = np.asarray(config.sizes)
    hebbian = method == "hebbian"
    alpha_ref = ags_capacity()[0] if hebbian else None
    source = AGS if hebbian else f"no replica result for the {method} rule is compared"
    metrics, values, errors, rows = {}, [], [], []
    for n in config.sizes:
        value, error = _capacity(alphas, overlaps[n], bootstrap_seed(ctx.seed, n))
        values.append(value)
        errors.append(error)
        metrics[f"alpha_c(N={n})"] = Metric(
            value,
            alpha_ref,
            "",
            f"{source}; finite-N offset expected; error: bootstrap of {config.n_networks} "
            "networks per load",
            error=error,
        )
        m = overlaps[n]
        for a, alpha in enumerate(alphas):
            rows.append(
                {
                    "N": n,
                    "alpha": float(alpha),
                    "mean_overlap": float(m[a].mean()),
                    "overlap_error": float(m[a].mean(axis=1).std(ddof=1) / np.sqrt(m.shape[1])),
                    "fraction_retrieved": float((m[a] >= RETRIEVED).mean()),
                }
            )
        ctx.log(f"N = {n}: alpha_c(N) = {value:.4f} ± {error:.4f}")
    values, errors = np.array(values), np.array(errors)
    finite = np.isfinite(values) & np.isfinite(errors)
    if not hebbian:  # the N^-1/2 form is the finite-size model of Hebb's rule only
        ctx.log(f"alpha_c: no extrapolation in N for the {method} rule (no model of its N)")
    elif finite.sum() >= 2:
        fit = finite_size_extrapolation(
            sizes[finite], values[finite], nu=2.0, errors=errors[finite]
        )
        metrics["alpha_c"] = Metric(
            fit.value,
            alpha_ref,
            "",
            f"{source}; extrapolated as alpha_c + a N^-1/2 over N = {_join(sizes[finite])} "
            f"(chi^2 = {fit.chi2:.2f} for {fit.dof} dof)",
            error=fit.error,
        )
    else:
        ctx.log("alpha_c: fewer than two sizes cross 1/2 on this load grid; no extrapolation")
    # the overlap at the largest load <= 0.1 (the smallest load if none), largest N
    a = max(int(np.searchsorted(alphas, 0.1 + 1e-12)) - 1, 0)
    largest = overlaps[config.sizes[-1]][a]
    metrics[f"m(alpha={alphas[a]:g}, N={config.sizes[-1]})"] = Metric(
        float(largest.mean()),
        ags_overlap(float(alphas[a])) if hebbian else 1.0,
        "",
        (f"{AGS}: m(alpha)" if hebbian else "perfect recall") + "; error: over networks",
        error=float(largest.mean(axis=1).std(ddof=1) / np.sqrt(largest.shape[0])),
    )
    ctx.write_log(rows)
    _plot(ctx, config, method, rows, alpha_ref)
    return metrics


def _join(values) -> str:
    return ", ".join(str(v) for v in values)


def _plot(ctx: RunContext, config, method: str, rows: list, alpha_ref) -> None:
    """``overlap.png``: mean final overlap and fraction retrieved against alpha per N."""
    from physml.tasks.figures import new_figure, save_figure

    fig, axes = new_figure(ncols=2, figsize=(10, 4))
    for n in config.sizes:
        mine = [row for row in rows if row["N"] == n]
        alpha = [row["alpha"] for row in mine]
        axes[0].errorbar(
            alpha,
            [row["mean_overlap"] for row in mine],
            [row["overlap_error"] for row in mine],
            marker="o",
            ms=3,
            label=f"N = {n}",
        )
        axes[1].plot(alpha, [row["fraction_retrieved"] for row in mine], marker="o", ms=3)
    for ax in axes:
        if alpha_ref is not None:
            ax.axvline(alpha_ref, color="k", ls="--", lw=0.8, label="alpha_c (AGS)")
        ax.set(xlabel="alpha = p / N")
    axes[0].set(ylabel="final overlap m", title=f"hopfield-memory: {method}")
    axes[1].set(ylabel=f"fraction with m >= {RETRIEVED}")
    axes[0].legend(fontsize=8)
    save_figure(fig, ctx.plot_dir / "overlap.png")
