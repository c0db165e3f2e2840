"""``data-dimension``: intrinsic dimension of data, from manifolds to jets, and the scaling
law of the quark/gluon test loss with the Bayes floor fixed.

Three parts (seed 004, "data dimension and power laws in jet classification"):

* estimators (:mod:`physml.metrics.dimension`: two nearest neighbours, Levina–Bickel
  maximum likelihood over k neighbours, the correlation dimension's slope) on manifolds of
  exactly known dimension (:mod:`physml.sim.geometry.manifolds`: spheres, flat tori,
  massless N-body phase space of dimension 3N - 4 by RAMBO); errors: the spread of
  ``n_groups`` disjoint subsets / sqrt(n_groups);
* quark and gluon jets of the toy shower in its soft limit (P_i = 2 C_i / z), the
  correlation dimension dim(Q) = d ln C / d ln Q of their energy mover's distances
  (:mod:`physml.sim.collider.emd`) against the leading-log prediction: each emission is a
  Poisson point of density 2 alpha_s C_i / pi in (ln z, ln theta) and moving it onto the
  axis costs z theta, so ``ln C(Q) = -2 (2 alpha_s C_i / pi) A(Q)`` (A the area of
  z theta > Q inside the cut-offs) and ``dim_i(Q) = (4 alpha_s C_i / pi) L(Q)``, L the
  length in ln z of the line z theta = Q inside them: gluon jets are C_A / C_F = 9/4 times
  higher-dimensional at every scale, and the dimension depends on the scale Q. Errors: a
  bootstrap over jets of the pair counts;
* the covariance spectrum of 17 x 17 pT jet images of each flavour: its power-law exponent
  1 + a of lambda_i ~ i^-(1 + a) (measured only: no exact value is known);
* the test cross entropy of the qg-jets classifiers (default shower) against the number
  of training jets D, fitted by ``L(D) = L_inf + (D_c / D)^alpha`` with L_inf fixed at the
  exact Bayes loss, the cross entropy of the simulator's exact posterior
  sigmoid(log p_q/p_g) on the same test jets (Batson & Kahn, arXiv:2312.02264, fit the
  floor; here it is known); alpha per classifier with errors from a bootstrap of the test
  jets, every fit redone per resample.
"""

from __future__ import annotations

import math
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from physml.config import ConfigError
from physml.metrics import Metric
from physml.tasks.base import Method, Reference, RunContext, Task
from physml.tasks.seeds import N_RESAMPLES, Stream, bootstrap_seed, generator, member_seeds

__all__ = ["DataDimension", "leading_log_dimension"]

#: (kind, k) of the manifolds measured: S^2, S^4, T^2 and T^3 (Clifford), 3- and 4-body
#: massless phase space (dimensions 5 and 8).
MANIFOLDS = (
    ("sphere", 2),
    ("sphere", 4),
    ("torus", 2),
    ("torus", 3),
    ("phase_space", 3),
    ("phase_space", 4),
)
_CASIMIR = {"quark": 4 / 3, "gluon": 3.0}
_PIXELS = 17  #: pixels per side of the jet images whose covariance spectrum is measured
_TRAINING = {"max_epochs": 15, "batch_size": 128, "patience": 3, "learning_rate": 1e-3}


class DataDimensionSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")
    n_points: int = Field(5000, ge=20, le=10**7, description="points per manifold")
    n_groups: int = Field(5, ge=2, le=100, description="disjoint subsets (errors)")
    n_emd_jets: int = Field(500, ge=20, le=5000, description="jets per flavour for dim(Q)")
    q_values: list[float] = Field(
        [0.002, 0.006, 0.02], min_length=1, max_length=10, description="scales Q (radians)"
    )
    n_test_jets: int = Field(10_000, ge=100, le=10**6, description="test jets, both flavours")
    training_sizes: list[int] = Field(
        [500, 1000, 2000, 4000, 8000], min_length=3, max_length=12, description="D, jets"
    )


class EstimatorSettings(BaseModel):
    """The estimators' and classifiers' settings."""

    model_config = ConfigDict(extra="forbid")
    n_neighbors: int = Field(10, ge=3, le=10**5, description="k of the Levina-Bickel estimator")
    correlation_range: tuple[float, float] = Field(
        (3e-4, 1e-2), description="pair fractions C between which the slope is fitted"
    )
    classifiers: list[Literal["bdt", "pfn"]] = Field(["bdt", "pfn"], min_length=1)


class DataDimension(Task):
    name = "data-dimension"
    summary = "intrinsic dimension of manifolds and jets; loss scaling with the Bayes floor"
    reference = Reference("d", None, "", "exact manifold dimensions; leading log; Bayes loss")
    settings = DataDimensionSettings
    methods = {
        "estimators": Method(
            "estimators",
            "two-NN, Levina-Bickel, correlation dimension; BDT and PFN scaling",
            EstimatorSettings,
            trained=False,
        )
    }
    default_method = "estimators"
    presets = {
        "quick": {},
        "full": {
            "n_points": 50_000,
            "n_emd_jets": 1500,
            "n_test_jets": 50_000,
            "training_sizes": [500, 1000, 2000, 4000, 8000, 16000, 32000],
        },
    }

    def check(self, config: Any) -> None:
        per_group = config.n_points // config.n_groups
        if config.model.n_neighbors >= per_group:
            raise ConfigError(
                f"model.n_neighbors={config.model.n_neighbors} is not allowed: each of the "
                f"n_groups={config.n_groups} subsets has {per_group} points, so at most "
                f"{per_group - 1} neighbours"
            )
        low, high = config.model.correlation_range
        if not 0 < low < high < 1:
            raise ConfigError(
                f"model.correlation_range={config.model.correlation_range} is not allowed: "
                "expected 0 < low < high < 1"
            )

    def memory_estimate(self, config: Any) -> dict[str, float]:
        return {"EMD matrices: 2 x n_emd_jets^2": 2 * config.n_emd_jets**2 * 8.0 * 3}

    def run(self, config: Any, ctx: RunContext) -> dict[str, Metric]:
        metrics = _manifold_metrics(config, ctx)
        jets_metrics, curves = _jet_dimension(config, ctx)
        metrics |= jets_metrics
        scaling, losses = _scaling_law(config, ctx)
        metrics |= scaling
        _plot(ctx, config, curves, losses)
        return metrics


def correlation_slope(x: np.ndarray, fractions: tuple[float, float], seed: int) -> float:
    """Least-squares slope of ln C(Q) against ln Q between the pair fractions ``fractions``
    (radii from the quantiles of 20 000 random pair distances)."""
    from physml.metrics.dimension import correlation_integral

    rng = np.random.default_rng(seed)
    i, j = rng.integers(len(x), size=(2, 20_000))
    pairs = np.linalg.norm(x[i] - x[j], axis=1)[i != j]
    radii = np.quantile(pairs, np.geomspace(*fractions, 8))
    c = correlation_integral(x, radii)
    return float(np.polyfit(np.log(radii), np.log(c), 1)[0])


def _manifold_metrics(config: Any, ctx: RunContext) -> dict[str, Metric]:
    from physml.metrics.dimension import levina_bickel, two_nn
    from physml.sim.geometry import manifolds

    metrics = {}
    per_group = config.n_points // config.n_groups
    with ctx.progress("manifolds", len(MANIFOLDS)) as bar:
        for key, (kind, k) in enumerate(MANIFOLDS):
            x = manifolds.sample(
                kind,
                k,
                per_group * config.n_groups,
                generator(ctx.seed, Stream.DIMENSION_DATA, 0, key),
            )
            d = manifolds.manifold_dimension(kind, k)
            estimates = {"two-NN": [], f"MLE k={config.model.n_neighbors}": [], "correlation": []}
            for g in range(config.n_groups):
                part = x[g * per_group : (g + 1) * per_group]
                estimates["two-NN"].append(two_nn(part)[0])
                estimates[f"MLE k={config.model.n_neighbors}"].append(
                    levina_bickel(part, config.model.n_neighbors)[0]
                )
                estimates["correlation"].append(
                    correlation_slope(part, config.model.correlation_range, g)
                )
            label = {
                "sphere": f"S^{k}",
                "torus": f"T^{k} in R^{2 * k}",
                "phase_space": f"{k}-body phase space",
            }[kind]
            for name, values in estimates.items():
                metrics[f"dim {label} ({name})"] = Metric(
                    float(np.mean(values)),
                    float(d),
                    "",
                    f"exact: {d}"
                    + (" = 3N - 4" if kind == "phase_space" else "")
                    + f"; error: spread of {config.n_groups} subsets of {per_group} points",
                    error=float(np.std(values, ddof=1) / math.sqrt(config.n_groups)),
                )
            bar.advance()
    return metrics


def leading_log_dimension(q, flavour: str, shower) -> np.ndarray:
    """Leading-log EMD correlation dimension ``(4 alpha_s C_i / pi) L(Q)`` of soft-limit
    jets (see the module docstring); ``q`` in radians, any shape."""
    q = np.asarray(q, dtype=np.float64)
    upper = np.minimum(np.log(0.5), np.log(q / shower.theta_min))
    lower = np.maximum(np.log(shower.z_cut), np.log(q / shower.radius))
    return 4 * shower.alpha_s * _CASIMIR[flavour] / np.pi * np.maximum(upper - lower, 0.0)


def _jet_dimension(config: Any, ctx: RunContext) -> tuple[dict[str, Metric], dict]:
    """dim(Q) of quark and gluon EMD pair counts at each Q (local slope between Q/sqrt(2)
    and Q sqrt(2)) with bootstrap errors over jets, and the gluon/quark ratio."""
    from physml.metrics import bootstrap
    from physml.sim.collider import jets
    from physml.sim.collider.emd import emd_matrix, energy_flows

    shower = jets.Shower(shape="soft")
    q = np.asarray(config.q_values)
    edges = np.stack([q / math.sqrt(2), q * math.sqrt(2)], axis=1).ravel()
    n = config.n_emd_jets
    replicas, curves = {}, {"q": np.geomspace(1e-3, 0.1, 15)}
    with ctx.progress("jet EMDs", 2) as bar:
        for key, flavour in enumerate(("quark", "gluon")):
            sample = jets.sample(
                n,
                flavour=flavour,
                seed=generator(ctx.seed, Stream.DIMENSION_DATA, 1, key),
                shower=shower,
            )
            d = emd_matrix(energy_flows(sample.constituents, sample.mask))
            below = [(d < r).astype(np.float64) for r in edges]
            np.fill_diagonal(d, np.inf)

            def dims(w: np.ndarray, below=below) -> np.ndarray:
                # pairs i != j weighted w_i w_j: (w A w - sum w^2 A_ii) / ((sum w)^2 - sum w^2)
                norm = w.sum(axis=1) ** 2 - (w**2).sum(axis=1)
                c = np.stack(
                    [
                        (np.einsum("bi,ij,bj->b", w, a, w) - (w**2).sum(axis=1)) / norm
                        for a in below
                    ],
                    axis=1,
                )
                return np.diff(np.log(c), axis=1)[:, ::2] / math.log(2)

            r = bootstrap(dims, n, seed=bootstrap_seed(ctx.seed, 10 + key), n_resamples=N_RESAMPLES)
            replicas[flavour] = np.concatenate([r.value[None], r.replicates])
            grid = curves["q"]
            c = np.array([((d < g).sum()) / (n * (n - 1)) for g in grid])
            curves[flavour] = c
            bar.advance()
    metrics = {}
    for flavour, values in replicas.items():
        theory = leading_log_dimension(q, flavour, shower)
        for i, qi in enumerate(q):
            metrics[f"dim_{flavour}(Q={qi:g})"] = Metric(
                float(values[0, i]),
                float(theory[i]),
                "",
                "leading log, (4 alpha_s C_i / pi) L(Q), soft-limit shower; error: "
                "bootstrap of the jets",
                error=float(np.std(values[1:, i], ddof=1)),
            )
    ratio = (replicas["gluon"] / replicas["quark"]).mean(axis=1)
    metrics["dim_gluon / dim_quark (mean over Q)"] = Metric(
        float(ratio[0]),
        9 / 4,
        "",
        "Casimir scaling C_A / C_F at leading log",
        error=float(np.std(ratio[1:], ddof=1)),
    )
    return metrics, curves


def _bce(p: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Per-jet binary cross entropy (nats) of probabilities p (clipped to [1e-7, 1 - 1e-7])."""
    p = np.clip(p, 1e-7, 1 - 1e-7)
    return -(y * np.log(p) + (1 - y) * np.log1p(-p))


def _scaling_law(config: Any, ctx: RunContext) -> tuple[dict[str, Metric], dict]:
    import dataclasses
    from types import SimpleNamespace

    from physml.metrics import bootstrap
    from physml.sim.collider import jets
    from physml.tasks.collider import jet_inputs
    from physml.tasks.tagging import TEST, TRAIN, VALIDATION, fit_networks, fit_trees
    from physml.train.settings import FitSettings

    sizes = sorted(config.training_sizes)
    n_pool = sizes[-1] + sizes[-1] // 4  # training and validation jets of the largest D
    half = (n_pool + config.n_test_jets + 1) // 2
    seeds = [int(s) for s in member_seeds(ctx.seed, 2)]
    both = jets.concatenate(
        [
            jets.sample(half, flavour=f, seed=s)
            for f, s in zip(("quark", "gluon"), seeds, strict=True)
        ]
    )
    order = generator(ctx.seed, Stream.DIMENSION_DATA, 2).permutation(len(both))
    label = both.is_quark.astype(np.int8)[order]
    llr = jets.log_likelihood_ratio(both)[order]
    constituents, mask = both.constituents[order], both.mask[order]
    test = np.arange(len(order) - config.n_test_jets, len(order))
    y_test = label[test].astype(np.float64)
    per_jet = {"Bayes": _bce(1 / (1 + np.exp(-llr[test])), y_test)}
    inputs = {
        "bdt": jet_inputs.observables(constituents, mask, substructure=False, radius=0.4),
        "pfn": jet_inputs.relative_coordinates(constituents, mask),
    }
    image = jet_inputs.images(constituents, mask, n_pixels=_PIXELS, extent=0.4)
    metrics = _spectrum_metrics(image.reshape(len(image), -1), label, config.n_groups)
    # shallow, slow trees: the defaults (200 x 31 leaves) overfit a few hundred jets
    bdt = SimpleNamespace(max_iter=100, learning_rate=0.05, max_leaf_nodes=8)
    net = SimpleNamespace(n_members=1, train=FitSettings(**_TRAINING))
    with ctx.progress(
        "classifiers x training sizes", len(sizes) * len(config.model.classifiers)
    ) as bar:
        for name in config.model.classifiers:
            for size in sizes:
                n_val = max(size // 4, 50)
                rows = np.concatenate([np.arange(size), np.arange(n_pool - n_val, n_pool), test])
                split = np.concatenate(
                    [np.full(size, TRAIN), np.full(n_val, VALIDATION), np.full(len(test), TEST)]
                )
                x = inputs[name][rows]
                if name == "bdt":
                    p = fit_trees(x, label[rows], split, settings=bdt, n_members=1, ctx=ctx)[0]
                else:
                    from physml.models import PFN

                    # a run directory of its own per size: fit resumes from checkpoints
                    sub = dataclasses.replace(ctx, run_dir=ctx.run_dir / f"pfn-D{size}")
                    p = fit_networks(
                        lambda: PFN(phi_hidden=(64, 64), latent=64, f_hidden=(64, 64)),
                        x,
                        label[rows],
                        split,
                        config=net,
                        ctx=sub,
                        name=f"pfn-{size}",
                    )[0][0]
                per_jet[f"{name} D={size}"] = _bce(p[split == TEST], y_test)
                bar.advance()
    names = list(per_jet)
    table = np.stack([per_jet[k] for k in names], axis=1)  # (n_test, k)
    r = bootstrap(
        lambda w: w @ table / w.sum(axis=1, keepdims=True),
        len(test),
        seed=bootstrap_seed(ctx.seed, 20),
        n_resamples=N_RESAMPLES,
    )
    losses = np.concatenate([r.value[None], r.replicates])  # (1 + B, k)
    bayes = losses[:, 0]
    metrics |= {
        "Bayes test loss": Metric(
            float(bayes[0]),
            None,
            "nats",
            "cross entropy of the exact posterior sigmoid(log p_q/p_g) on the test jets",
            error=float(np.std(bayes[1:], ddof=1)),
        )
    }
    out = {"sizes": sizes, "bayes": bayes[0]}
    ctx.write_log(
        [
            {"classifier": key, "test_loss": losses[0, i], "error": np.std(losses[1:, i], ddof=1)}
            for i, key in enumerate(names)
        ]
    )
    for name in config.model.classifiers:
        columns = [names.index(f"{name} D={s}") for s in sizes]
        excess = losses[:, columns] - bayes[:, None]  # paired: same test jets
        out[name] = losses[0, columns]
        alpha = np.array([_fit_alpha(np.asarray(sizes, float), row) for row in excess])
        good = np.isfinite(alpha[1:])
        metrics[f"alpha ({name})"] = Metric(
            float(alpha[0]),
            None,
            "",
            "L(D) = L_Bayes + (D_c/D)^alpha with the floor fixed at the exact Bayes loss; "
            "error: bootstrap of the test jets (training noise not included)",
            error=float(np.std(alpha[1:][good], ddof=1)) if good.sum() > 2 else None,
        )
        for i in (0, len(sizes) - 1):
            metrics[f"L - L_Bayes ({name}, D={sizes[i]})"] = Metric(
                float(excess[0, i]),
                0.0,
                "nats",
                "excess over the exact Bayes loss (paired bootstrap)",
                error=float(np.std(excess[1:, i], ddof=1)),
            )
    return metrics, out


def _spectrum_metrics(x: np.ndarray, label: np.ndarray, n_groups: int) -> dict[str, Metric]:
    """Power-law exponent ``1 + a`` of the pT-image covariance eigenvalues, lambda_i ~
    i^-(1 + a) for i = 2..30, per flavour; error: spread of ``n_groups`` disjoint subsets."""
    from physml.metrics.dimension import covariance_spectrum, spectrum_exponent

    metrics = {}
    for flavour, value in (("quark", 1), ("gluon", 0)):
        jets_of = x[label == value]
        size = len(jets_of) // n_groups
        parts = [
            spectrum_exponent(covariance_spectrum(jets_of[g * size : (g + 1) * size]), 2, 30)
            for g in range(n_groups)
        ]
        metrics[f"spectrum exponent 1+a ({flavour} jet images)"] = Metric(
            float(spectrum_exponent(covariance_spectrum(jets_of), 2, 30)),
            None,
            "",
            f"lambda_i ~ i^-(1+a), i = 2..30, {_PIXELS}x{_PIXELS} pT images; error: spread "
            f"of {n_groups} subsets of {size} jets",
            error=float(np.std(parts, ddof=1) / math.sqrt(n_groups)),
        )
    return metrics


def _fit_alpha(sizes: np.ndarray, excess: np.ndarray) -> float:
    """alpha of ``excess = (D_c / D)^alpha``: minus the slope of ln excess against ln D
    over the sizes where the excess is positive (NaN with fewer than two)."""
    keep = excess > 0
    if keep.sum() < 2:
        return math.nan
    return float(-np.polyfit(np.log(sizes[keep]), np.log(excess[keep]), 1)[0])


def _plot(ctx: RunContext, config: Any, curves: dict, losses: dict) -> None:
    """``jet_dimension.png`` (C(Q) of quark and gluon jets) and ``scaling.png`` (test loss
    against D beside the Bayes floor)."""
    from physml.tasks.figures import new_figure, save_figure

    fig, ax = new_figure()
    for flavour in ("quark", "gluon"):
        ax.plot(curves["q"], curves[flavour], "o-", ms=3, label=f"{flavour} jets")
    ax.set(xscale="log", yscale="log", xlabel="Q (EMD, radians)", ylabel="C(Q), fraction of pairs")
    ax.set_title("data-dimension: correlation integral of jets")
    ax.legend(fontsize=8)
    save_figure(fig, ctx.plot_dir / "jet_dimension.png")

    fig, ax = new_figure()
    for name in config.model.classifiers:
        ax.plot(losses["sizes"], losses[name], "o-", label=name)
    ax.axhline(losses["bayes"], color="k", ls="--", lw=0.8, label="exact Bayes loss")
    ax.set(xscale="log", xlabel="training jets D", ylabel="test cross entropy (nats)")
    ax.set_title("data-dimension: scaling of the quark/gluon loss")
    ax.legend(fontsize=8)
    save_figure(fig, ctx.plot_dir / "scaling.png")
