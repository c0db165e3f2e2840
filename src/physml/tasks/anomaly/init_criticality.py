"""``init-criticality``: ensembles of MLPs at initialisation against the theory of
Roberts, Yaida & Hanin (*The Principles of Deep Learning Theory*, 2022).

Thousands of bias-free MLPs (:mod:`physml.models.wide`) with Gaussian or Haar-orthogonal
weights, ReLU or tanh, are drawn at once for one input, and their preactivations at every
depth l and hidden width n give:

* the kernel K^(l) = <z^2> against its recursion: ``K^(l) = K^(1) (C_W / 2)^(l-1)`` for
  ReLU exactly (its log-slope ln(C_W / 2) vanishes only at criticality, C_W = 2) and the
  Gauss–Hermite recursion for tanh (critical at C_W = 1, K ~ 1 / (2 l));
* the normalised connected four-point function r = <z^4>_c / K^2 against its l / n growth:
  exact for ReLU at any width (Gaussian: 3[(1 + 5/n)^(l-1) - 1], leading order 15 l/n;
  orthogonal: 3[n/(n+2) (1 + 3/(n+2))^(l-1) - 1], leading order 9 l/n), the leading-order
  recursion for Gaussian tanh, none known for orthogonal tanh. Reported as the fitted
  ``n dr/dl`` (r = a + c x + d x^2, x = (l - 1)/n, over every depth and width, weighted
  by the bootstrap errors) beside the same fit to the theory's curve;
* the ensemble variance of trained outputs against depth: critical ReLU ensembles trained
  by full-batch gradient descent on a few points of the circle, against the
  infinite-width NTK prediction (:func:`physml.models.wide.trained_variance`, exact for the
  linearised dynamics); the finite-width excess grows with l / n.

Errors are bootstraps over the independent networks (members), with every fit redone on
each resample.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from physml.metrics import Metric
from physml.tasks.base import Method, Reference, RunContext, Task, Width
from physml.tasks.seeds import N_RESAMPLES, Stream, bootstrap_seed, seed_sequence

__all__ = ["InitCriticality"]

_COMBOS = (
    ("relu", "gaussian"),
    ("relu", "orthogonal"),
    ("tanh", "gaussian"),
    ("tanh", "orthogonal"),
)
_CRITICAL = {"relu": 2.0, "tanh": 1.0}


class InitCriticalitySettings(BaseModel):
    model_config = ConfigDict(extra="forbid")
    widths: list[Width] = Field([32, 64, 128], min_length=1, max_length=8, description="hidden n")
    depth: int = Field(10, ge=3, le=200, description="layers measured, l = 1..depth")
    n_networks: int = Field(1000, ge=20, le=10**6, description="networks per (width, init)")
    input_dim: int = Field(16, ge=1, le=4096, description="n_0")
    relu_c_w: list[float] = Field(
        [1.6, 2.0, 2.4], min_length=1, max_length=8, description="ReLU C_W of the kernel scan"
    )


class EnsembleSettings(BaseModel):
    """Critical ReLU ensembles trained by full-batch gradient descent."""

    model_config = ConfigDict(extra="forbid")
    members: int = Field(64, ge=4, le=4096, description="networks per (width, depth)")
    widths: list[Width] = Field([32, 64], min_length=1, max_length=4)
    depths: list[int] = Field([2, 4, 8, 16], min_length=2, max_length=8)
    n_train: int = Field(8, ge=2, le=256, description="training points on the unit circle")
    n_test: int = Field(32, ge=1, le=1024, description="test points on the unit circle")
    steps: int = Field(300, ge=1, le=100_000, description="gradient-descent steps")
    lr: float = Field(0.5, gt=0, le=1.9, description="rate x depth (stable below 2)")


class InitCriticality(Task):
    name = "init-criticality"
    summary = "MLP ensembles at initialisation: kernels, four-point functions, criticality"
    reference = Reference(
        "n dr/dl", None, "", "Roberts, Yaida & Hanin's recursions; exact closed forms for ReLU"
    )
    settings = InitCriticalitySettings
    methods = {
        "ensemble": Method(
            "ensemble",
            "batched ensembles of MLPs at initialisation and trained by gradient descent",
            EnsembleSettings,
            trained=False,
            presets={"full": {"model": {"members": 256, "widths": [32, 64, 128]}}},
        )
    }
    default_method = "ensemble"
    presets = {"quick": {}, "full": {"n_networks": 5000, "depth": 16, "widths": [32, 64, 128, 256]}}

    def memory_estimate(self, config: Any) -> dict[str, float]:
        n = max(config.widths)
        return {"weights: 250 networks x n^2 per layer": 250.0 * n * n * 4 * 3}

    def run(self, config: Any, ctx: RunContext) -> dict[str, Metric]:
        import torch

        from physml.models.wide.ensemble import preactivation_moments

        x = torch.ones(config.input_dim)  # |x|^2 / n_0 = 1
        moments: dict[tuple, tuple[np.ndarray, np.ndarray]] = {}
        jobs = [(a, i, 0, n, _CRITICAL[a]) for a, i in _COMBOS for n in config.widths]
        jobs += [("relu", "gaussian", 1, config.widths[0], c) for c in config.relu_c_w]
        with ctx.progress("networks at initialisation", len(jobs)) as bar:
            for key, (activation, init, scan, n, c_w) in enumerate(jobs):
                seed = seed_sequence(ctx.seed, Stream.INIT_NETWORKS, key).generate_state(1)[0]
                m2, m4 = preactivation_moments(
                    config.n_networks,
                    [config.input_dim] + [n] * config.depth,
                    x,
                    activation=activation,
                    c_w=c_w,
                    init=init,
                    generator=torch.Generator().manual_seed(int(seed)),
                )
                moments[activation, init, scan, n, c_w] = (m2.numpy(), m4.numpy())
                bar.advance()
        metrics = _four_point_metrics(config, moments, ctx.seed)
        metrics |= _kernel_metrics(config, moments, ctx.seed)
        trained, curves = _trained_metrics(config, ctx)
        metrics |= trained
        _plot(ctx, config, moments, curves)
        return metrics


def _resampled(m: np.ndarray, seed, k: int) -> np.ndarray:
    """Member means of ``m`` (M, L): the sample's (row 0), then N_RESAMPLES bootstrap
    resamples of the members, shape (1 + N_RESAMPLES, L)."""
    from physml.metrics import bootstrap

    r = bootstrap(
        lambda w: w @ m / w.sum(axis=1, keepdims=True), len(m), seed=bootstrap_seed(seed, k)
    )
    return np.concatenate([r.value[None], r.replicates])


def _r_curves(m2: np.ndarray, m4: np.ndarray, seed: int, k: int) -> np.ndarray:
    """r = <z^4> / <z^2>^2 - 3 per layer on the sample and its resamples (1 + B, L)."""
    k2 = _resampled(m2, seed, k)
    k4 = _resampled(m4, seed, k)  # same seed: the same resamples of the members
    return k4 / k2**2 - 3


def _slope_fit(x: np.ndarray, y: np.ndarray, error: np.ndarray) -> np.ndarray:
    """c of ``y = a + c x + d x^2``, weighted by 1 / error^2, for each row of y
    (rows, p) -> (rows,)."""
    design = np.stack([np.ones_like(x), x, x**2], axis=1) / error[:, None]
    coef, *_ = np.linalg.lstsq(design, (y / error).T, rcond=None)
    return coef[1]


def _four_point_metrics(config: Any, moments: dict, seed: int) -> dict[str, Metric]:
    from physml.models.wide.theory import four_point_recursion, relu_four_point

    layers = np.arange(config.depth)
    metrics = {}
    for j, (activation, init) in enumerate(_COMBOS):
        xs, curves, theory = [], [], []
        for i, n in enumerate(config.widths):
            m2, m4 = moments[activation, init, 0, n, _CRITICAL[activation]]
            curves.append(_r_curves(m2, m4, seed, 100 * j + i))
            xs.append(layers / n)
            if activation == "relu":
                theory.append(relu_four_point(n, config.depth, init))
            elif init == "gaussian":
                k1 = float(m2[:, 0].mean())
                theory.append(four_point_recursion("tanh", 1.0, k1, config.depth, n))
        x, y = np.concatenate(xs), np.concatenate(curves, axis=1)
        error = np.std(y[1:], axis=0, ddof=1)
        slopes = _slope_fit(x, y, error)
        fitted = _slope_fit(x, np.concatenate(theory)[None], error) if theory else None
        reference = None if fitted is None else float(fitted[0])
        if activation == "relu":
            lead = 15 if init == "gaussian" else 9
            source = (
                f"exact finite-width r(l, n) of {init} ReLU, fitted alike (leading order {lead})"
            )
        elif theory:
            source = "leading-order 1/n recursion (Gauss-Hermite), fitted alike"
        else:
            source = "no closed form or recursion known: measured only"
        metrics[f"n dr/dl ({activation}, {init})"] = Metric(
            float(slopes[0]), reference, "", source, error=float(np.std(slopes[1:], ddof=1))
        )
    return metrics


def _kernel_metrics(config: Any, moments: dict, seed: int) -> dict[str, Metric]:
    from physml.models.wide.theory import kernel_recursion

    layers = np.arange(config.depth)
    design = np.stack([np.ones_like(layers), layers], axis=1).astype(float)
    metrics = {}
    n = config.widths[0]
    for i, c_w in enumerate(config.relu_c_w):
        k = _resampled(moments["relu", "gaussian", 1, n, c_w][0], seed, 1000 + i)
        coef, *_ = np.linalg.lstsq(design, np.log(k).T, rcond=None)
        metrics[f"d ln K/dl (relu, C_W={c_w:g})"] = Metric(
            float(coef[1, 0]),
            math.log(c_w / 2),
            "",
            "exact: K^(l) = K^(1) (C_W/2)^(l-1); zero only at criticality C_W = 2",
            error=float(np.std(coef[1, 1:], ddof=1)),
        )
    for init in ("gaussian", "orthogonal"):
        m2 = moments["tanh", init, 0, config.widths[-1], 1.0][0]
        k = _resampled(m2, seed, 2000 + (init == "orthogonal"))
        ratio = k[:, -1] / k[:, 0]
        reference = kernel_recursion("tanh", 1.0, float(k[0, 0]), config.depth)
        metrics[f"K^(L)/K^(1) (tanh {init}, C_W=1, n={config.widths[-1]})"] = Metric(
            float(ratio[0]),
            float(reference[-1] / reference[0]),
            "",
            "infinite-width kernel recursion (Gauss-Hermite); critical tanh decays as 1/(2l)",
            error=float(np.std(ratio[1:], ddof=1)),
        )
    return metrics


def _trained_metrics(config: Any, ctx: RunContext) -> tuple[dict[str, Metric], dict]:
    """Ensemble variance of critical ReLU networks after gradient descent, per width and
    depth, against the infinite-width NTK prediction; fitted d ln Var / d ln L."""
    import torch

    from physml.metrics import bootstrap
    from physml.models.wide import EnsembleMLP
    from physml.models.wide.theory import trained_variance

    spec = config.model
    angle_train = 2 * np.pi * np.arange(spec.n_train) / spec.n_train
    angle_test = 2 * np.pi * (np.arange(spec.n_test) + 0.5) / spec.n_test
    x_train = np.stack([np.cos(angle_train), np.sin(angle_train)], axis=1)
    x_test = np.stack([np.cos(angle_test), np.sin(angle_test)], axis=1)
    y_train = np.sin(3 * angle_train)
    xt = torch.tensor(np.concatenate([x_train, x_test]), dtype=torch.float32)
    yt = torch.tensor(y_train, dtype=torch.float32)
    metrics, curves = {}, {"theory": {}, "measured": {}}
    logs = np.log(np.asarray(spec.depths, dtype=float))
    design = np.stack([np.ones_like(logs), logs], axis=1)
    theory = np.array(
        [trained_variance(x_train, x_test, d, spec.lr / d, spec.steps).mean() for d in spec.depths]
    )
    curves["theory"] = theory
    theory_slope = float(np.linalg.lstsq(design, np.log(theory), rcond=None)[0][1])
    with ctx.progress("training ensembles", len(spec.widths) * len(spec.depths)) as bar:
        for i, n in enumerate(spec.widths):
            replicas = []
            for j, depth in enumerate(spec.depths):
                seed = seed_sequence(ctx.seed, Stream.INIT_TRAINED, i, j).generate_state(1)[0]
                net = EnsembleMLP(
                    spec.members,
                    [2] + [n] * (depth - 1) + [1],
                    c_w=2.0,
                    generator=torch.Generator().manual_seed(int(seed)),
                )
                out = _gradient_descent(net, xt, yt, spec.n_train, spec.lr / depth, spec.steps)
                test = out[:, spec.n_train :].astype(np.float64)  # (M, q)

                def variance(w, test=test):
                    mean = w @ test / w.sum(axis=1, keepdims=True)
                    second = w @ test**2 / w.sum(axis=1, keepdims=True)
                    m = w.sum(axis=1, keepdims=True)
                    return ((second - mean**2) * m / (m - 1)).mean(axis=1)

                r = bootstrap(
                    variance,
                    spec.members,
                    seed=bootstrap_seed(ctx.seed, 3000 + i, j),
                    n_resamples=N_RESAMPLES,
                )
                replicas.append(np.concatenate([r.value[None], r.replicates]))
                bar.advance()
            var = np.stack(replicas, axis=1)  # (1 + B, depths)
            curves["measured"][n] = var
            slope = np.linalg.lstsq(design, np.log(var).T, rcond=None)[0][1]
            metrics[f"d ln Var/d ln L (trained relu, n={n})"] = Metric(
                float(slope[0]),
                theory_slope,
                "",
                f"infinite-width NTK ensemble after {spec.steps} gradient-descent steps "
                "(linearised dynamics, exact as n -> inf)",
                error=float(np.std(slope[1:], ddof=1)),
            )
            excess = var[:, -1] / theory[-1]
            metrics[f"Var/Var_inf at L={spec.depths[-1]} (n={n})"] = Metric(
                float(excess[0]),
                1.0,
                "",
                "infinite-width value; the finite-width excess is O(L/n)",
                error=float(np.std(excess[1:], ddof=1)),
            )
    return metrics, curves


def _gradient_descent(net, x, y, n_train: int, lr: float, steps: int) -> np.ndarray:
    """Full-batch gradient descent on mean (f - y)^2 / 2 over the first ``n_train``
    inputs, every member at once (the loss is a sum over members, whose parameters are
    separate). Plain GD rather than :func:`physml.train.fit`'s AdamW: the NTK prediction
    is that of gradient descent. Returns the outputs on every input (M, p)."""
    import torch

    optimizer = torch.optim.SGD(net.parameters(), lr=lr)
    for _ in range(steps):
        optimizer.zero_grad()
        f = net(x[:n_train])[..., 0]
        loss = 0.5 * ((f - y) ** 2).mean(dim=1).sum()
        loss.backward()
        optimizer.step()
    with torch.no_grad():
        return net(x)[..., 0].numpy()


def _plot(ctx: RunContext, config: Any, moments: dict, curves: dict) -> None:
    """``four_point.png`` (r against (l - 1)/n with the theory) and ``trained.png``
    (ensemble variance against depth beside the infinite-width prediction)."""
    from physml.models.wide.theory import four_point_recursion, relu_four_point
    from physml.tasks.figures import new_figure, save_figure

    fig, ax = new_figure()
    layers = np.arange(config.depth)
    for (activation, init), colour in zip(_COMBOS, ("C0", "C1", "C2", "C3"), strict=True):
        for n in config.widths:
            m2, m4 = moments[activation, init, 0, n, _CRITICAL[activation]]
            r = m4.mean(0) / m2.mean(0) ** 2 - 3
            ax.plot(layers / n, r, "o", ms=3, color=colour)
            if activation == "relu":
                ax.plot(
                    layers / n, relu_four_point(n, config.depth, init), "-", color=colour, lw=0.8
                )
            elif init == "gaussian":
                theory = four_point_recursion("tanh", 1.0, float(m2[:, 0].mean()), config.depth, n)
                ax.plot(layers / n, theory, "-", color=colour, lw=0.8)
        ax.plot([], [], "o-", color=colour, label=f"{activation}, {init}")
    ax.set(
        xlabel="(l - 1) / n", ylabel="<z^4>_c / K^2", title="init-criticality: four-point function"
    )
    ax.legend(fontsize=8)
    save_figure(fig, ctx.plot_dir / "four_point.png")

    fig, ax = new_figure()
    depths = config.model.depths
    ax.plot(depths, curves["theory"], "k-", label="infinite width (NTK)")
    for n, var in curves["measured"].items():
        ax.errorbar(depths, var[0], yerr=np.std(var[1:], axis=0, ddof=1), fmt="o", label=f"n = {n}")
    ax.set(xscale="log", yscale="log", xlabel="depth L", ylabel="ensemble variance of f(x)")
    ax.set_title("init-criticality: trained ensembles")
    ax.legend(fontsize=8)
    save_figure(fig, ctx.plot_dir / "trained.png")
