"""``higgs-events``: a Higgs-like signal in weighted collider events, scored by the AMS.

Events come from :mod:`physml.sim.collider.higgs`: H -> tau tau against Z -> tau tau, t tbar and
W + jets with seven physics features whose densities are all known, so the exact
log-likelihood ratio is the Neyman–Pearson optimal score. Each method (an MLP or boosted
trees) is trained on balanced samples and judged as the Higgs ML challenge judged its
entries: the approximate median significance (AMS, b_reg = 10) of the selection
``score >= t`` at the luminosity of the weights. The AMS lives on the far tail of the
background (a few dozen expected events out of 10^5), where a training-sized sample holds
a handful of simulated events, so it is measured on a separate, large evaluation sample
(``n_eval`` per class): t is chosen on one half and the AMS measured on the other. The
same procedure applied to the exact ratio gives the reference, so the gap is what the
method loses to the optimum; ``AMS_opt - AMS`` states it with the paired error of the
same events. Errors of the AMS are a bootstrap of the measuring half with the cuts held
fixed. AUC, 1/eps_B(eps_S = 0.5) and accuracy, on all evaluation events, are reported
against the optimum with their bootstrap errors, as in the jet tasks. The probabilities
themselves are scored against the exact posterior P(signal | x) = 1 / (1 + e^-llr) of the
balanced classes (the prior of training): ECE and reliability curve, mean |P - P_exact|,
Brier score (:func:`_calibration`).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from physml.metrics import Metric, ensemble_std
from physml.tasks.base import BuiltSettings, Method, Reference, RunContext, Task, Widths
from physml.tasks.collider.qg_jets import BDTSettings
from physml.tasks.seeds import Stream, generator
from physml.tasks.tagging import TEST, TRAIN

__all__ = ["HiggsEvents", "HiggsEventsSettings"]

_WORKING_POINT = 0.5


class HiggsModelSettings(BuiltSettings):
    """Parameters of :class:`physml.sim.collider.higgs.HiggsModel`."""

    higgs_mass: float = Field(125.0, gt=0, description="GeV, the signal's di-tau mass peak")
    mass_resolution: float = Field(0.17, gt=0, description="relative di-tau mass resolution")
    signal_xsec: float = Field(20.0, gt=0, description="fb, after preselection")

    def build(self) -> Any:
        from physml.sim.collider import higgs

        return higgs.HiggsModel(**self.model_dump())


class HiggsEventsSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")
    n_events: int = Field(40_000, ge=500, description="training events per class")
    n_eval: int = Field(250_000, ge=1000, description="evaluation events per class")
    luminosity: float = Field(20.3, gt=0, description="fb^-1 the weights refer to")
    val_fraction: float = Field(0.25, gt=0, lt=0.5, description="validation share of training")
    n_members: int = Field(1, ge=1, description="independently seeded ensemble members")
    b_reg: float = Field(10.0, ge=0, description="AMS regularisation term (expected events)")
    physics: HiggsModelSettings = HiggsModelSettings()


class MLPSettings(BaseModel):
    """A multilayer perceptron on the standardised features."""

    model_config = ConfigDict(extra="forbid")
    hidden: Widths = Field([64, 64], description="hidden widths")


class DropoutSettings(MLPSettings):
    """MC dropout: dropout after each hidden layer, kept on at prediction time."""

    dropout: float = Field(0.1, gt=0, lt=1, description="dropout probability")
    n_samples: int = Field(30, ge=1, le=1000, description="dropout masks averaged per event")


class LaplaceSettings(MLPSettings):
    """Last-layer Laplace: the trained MLP's last layer gets a Gaussian posterior."""


_TRAIN = {
    "quick": {"train": {"max_epochs": 30, "batch_size": 512, "patience": 5, "min_delta": 1e-4}},
    "full": {"train": {"max_epochs": 80, "batch_size": 512, "patience": 8, "min_delta": 1e-5}},
}


class HiggsEvents(Task):
    name = "higgs-events"
    summary = "H -> tau tau vs backgrounds with known densities: AMS against the optimum"
    reference = Reference(
        "AMS_opt", None, "", "the exact likelihood ratio's selection (Neyman–Pearson)"
    )
    settings = HiggsEventsSettings
    methods = {
        "mlp": Method("mlp", "multilayer perceptron", MLPSettings, presets=_TRAIN),
        "dropout": Method("dropout", "MLP with MC dropout", DropoutSettings, presets=_TRAIN),
        "laplace": Method(
            "laplace", "MLP, last-layer Laplace (probit)", LaplaceSettings, presets=_TRAIN
        ),
        "bdt": Method("bdt", "gradient-boosted trees", BDTSettings, trained=False),
    }
    default_method = "mlp"
    presets = {"quick": {}, "full": {"n_events": 200_000, "n_eval": 1_000_000, "n_members": 3}}

    def memory_estimate(self, config: Any) -> dict[str, float]:
        # 7 features (and a standardised copy), label, weight and log-likelihood ratio
        events = 2 * (config.n_events + config.n_eval)
        return {"events: 2 x (n_events + n_eval) x 7 features": events * 136.0}

    def _data(self, config: Any, ctx: RunContext) -> dict[str, np.ndarray]:
        from physml.data import cached
        from physml.sim.collider import higgs

        params = {"n_events": config.n_events, "n_eval": config.n_eval}
        params |= {"luminosity": config.luminosity, **config.physics.model_dump()}

        def simulate() -> dict[str, np.ndarray]:
            model = higgs.HiggsModel(**config.physics.model_dump())
            rngs = [generator(ctx.seed, Stream.HIGGS_EVENTS, k) for k in (0, 1)]
            parts = [
                higgs.sample(n, n, seed=rng, model=model, luminosity=config.luminosity)
                for n, rng in zip((config.n_events, config.n_eval), rngs, strict=True)
            ]
            x = np.concatenate([p.features for p in parts])
            return {
                "x": x,
                "label": np.concatenate([p.label for p in parts]),
                "weight": np.concatenate([p.weight for p in parts]),
                "evaluation": np.repeat([False, True], [len(p) for p in parts]),
                "llr": higgs.log_likelihood_ratio(x, model),
            }

        events: list[str] = []
        data = cached("higgs", higgs.VERSION, params, ctx.seed, simulate, on_event=events.append)
        made = events[-1].split(":")[0] if events else "made"
        ctx.log(f"{2 * (config.n_events + config.n_eval)} events: {made}")
        return data

    def run(self, config: Any, ctx: RunContext) -> dict[str, Metric]:
        from physml.tasks.tagging import measure, split_with_evaluation

        data = self._data(config, ctx)
        label = data["label"]
        split = split_with_evaluation(data["evaluation"], config.val_fraction, ctx.seed)
        method = self.method_of(config)
        scores, history = self._scores(method, config, data, split, ctx)
        test = split == TEST
        y, optimum = label[test], data["llr"][test]
        metrics = measure(
            ctx,
            task=self.name,
            method=method,
            y=y,
            scores=[s[test] for s in scores],
            history=history,
            working_point=_WORKING_POINT,
            optimum=optimum,
        )
        half = _halves(data)
        ams, ams_opt = _ams_metrics([*scores, data["llr"]], data, half, config.b_reg, ctx)
        metrics = {"AMS": ams, "AMS_opt - AMS": ams_opt, **metrics}
        ctx.log(f"{method}: AMS {ams.value:.3f}, optimum {ams.reference:.3f}")
        _plot_ams(ctx, method, data, half, scores[0], config.b_reg)
        metrics |= _calibration(ctx, method, y, [s[test] for s in scores], optimum)
        return metrics

    def _scores(
        self, method: str, config: Any, data: dict, split: np.ndarray, ctx: RunContext
    ) -> tuple[list[np.ndarray], list[dict]]:
        from physml.tasks.tagging import fit_networks, fit_trees

        x, label = data["x"], data["label"]
        if method == "bdt":
            return fit_trees(
                x, label, split, settings=config.model, n_members=config.n_members, ctx=ctx
            ), []
        train = x[split == TRAIN]
        z = ((x - train.mean(axis=0)) / train.std(axis=0)).astype(np.float32)

        def make_model() -> Any:
            from physml.models import MLP

            dropout = getattr(config.model, "dropout", 0.0)
            return MLP(z.shape[1], tuple(config.model.hidden), 1, dropout=dropout)

        return fit_networks(
            make_model,
            z,
            label,
            split,
            config=config,
            ctx=ctx,
            name=method,
            predict=_bayesian_predict(method, config, z[split == TRAIN], ctx),
        )


def _bayesian_predict(method: str, config: Any, z_train: np.ndarray, ctx: RunContext):
    """P(signal | x) of a trained member for ``dropout`` and ``laplace`` (None: the MLP's
    own sigmoid); members are numbered in the order they come."""
    from physml.tasks.collider import higgs_uncertainty
    from physml.tasks.seeds import seed_sequence

    members = iter(range(config.n_members))
    if method == "dropout":

        def predict(model: Any, x: np.ndarray) -> np.ndarray:
            seed = seed_sequence(ctx.seed, Stream.HIGGS_EVENTS, 2, next(members))
            return higgs_uncertainty.dropout_probabilities(
                model,
                x,
                n_samples=config.model.n_samples,
                seed=int(seed.generate_state(1, np.uint64)[0]),
                device=ctx.device,
            )

        return predict
    if method == "laplace":

        def predict(model: Any, x: np.ndarray) -> np.ndarray:
            probs, alpha = higgs_uncertainty.laplace_probabilities(
                model, z_train, x, device=ctx.device
            )
            ctx.log(f"laplace member {next(members)}: prior precision alpha = {alpha:.3g}")
            return probs

        return predict
    return None


def _calibration(
    ctx: RunContext, method: str, y: np.ndarray, probs: list[np.ndarray], llr: np.ndarray
) -> dict[str, Metric]:
    """Calibration of the members' P(signal | x) against the exact posterior
    p*(x) = 1 / (1 + exp(-llr)) of the balanced test classes (prior 1/2, as in training):
    ECE against the labels (reference: p*'s own ECE on the same events, paired), ECE and
    mean |P - p*| against p* itself (reference 0), the Brier score (reference p*'s);
    ``reliability.png``. Bootstrap stratified by class, member mean with spread."""
    from scipy import special

    from physml.metrics.calibration import binary_calibration_resamples, reliability_curve
    from physml.tasks.figures import new_figure, save_figure
    from physml.tasks.seeds import N_RESAMPLES, bootstrap_seed

    exact = special.expit(llr)
    res = binary_calibration_resamples(
        np.stack(probs), y, exact, n_resamples=N_RESAMPLES, seed=bootstrap_seed(ctx.seed, 2)
    )
    k, width = len(probs), 4
    source = f"the exact posterior 1/(1 + e^-llr) on the same {y.size} test events"
    metrics = {}
    for column, name, against_exact in (
        (0, "ECE", False),
        (1, "ECE vs exact posterior", True),
        (2, "mean |P - P_exact|", True),
        (3, "Brier score", False),
    ):
        mean = np.zeros(res.value.size)
        mean[[column + width * j for j in range(k)]] = 1.0 / k
        estimate = res.combine(mean)
        reference, gap_error = 0.0, None
        if not against_exact:
            reference = float(res.value[column + width * k])
            gap = -mean
            gap[column + width * k] = 1.0
            gap_error = res.combine(gap).error
        members = [res.value[column + width * j] for j in range(k)]
        metrics[name] = Metric(
            estimate.value,
            reference,
            "",
            f"{source} (10 bins; paired bootstrap)",
            ensemble_std(members),
            error=estimate.error,
            gap_error=gap_error,
        )
    ctx.log(
        f"{method}: ECE {metrics['ECE'].value:.4f}, |P - P_exact| "
        f"{metrics['mean |P - P_exact|'].value:.4f}"
    )
    fig, ax = new_figure()
    ax.plot([0, 1], [0, 1], color="gray", lw=0.8)
    for name, target in (("observed fraction of signal", y), ("mean exact posterior", exact)):
        mean_prob, mean_target, _ = reliability_curve(probs[0], target)
        ax.plot(mean_prob, mean_target, "o-", ms=3, label=f"{method}: {name}")
    mean_prob, mean_target, _ = reliability_curve(exact, y)
    ax.plot(mean_prob, mean_target, "s--", ms=3, label="exact posterior: observed fraction")
    ax.set(
        xlabel="predicted P(signal | x)",
        ylabel="fraction / mean p*",
        title="higgs-events: reliability (balanced classes)",
    )
    ax.legend(fontsize=7)
    save_figure(fig, ctx.plot_dir / "reliability.png")
    return metrics


def _halves(data: dict) -> np.ndarray:
    """0 for training events; 1 and 2 alternate over the (shuffled) evaluation events:
    half 1 chooses the cut, half 2 measures the AMS."""
    half = np.zeros(len(data["label"]), dtype=np.int8)
    half[data["evaluation"]] = 1 + np.arange(data["evaluation"].sum()) % 2
    return half


def _weights(data: dict, half: np.ndarray, part: int) -> np.ndarray:
    """Weights of the events in ``part`` rescaled so that each class sums to its expected
    count (the part then stands for the whole luminosity)."""
    w, label, evaluation = data["weight"], data["label"], data["evaluation"]
    out = np.zeros_like(w)
    for cls in (0, 1):
        everyone, chosen = (label == cls) & evaluation, (label == cls) & (half == part)
        out[chosen] = w[chosen] * w[everyone].sum() / w[chosen].sum()
    return out[half == part]


def _ams_metrics(
    scores: list[np.ndarray], data: dict, half: np.ndarray, b_reg: float, ctx: RunContext
) -> tuple[Metric, Metric]:
    """AMS of the members (all ``scores`` but the last, the exact likelihood ratio's) and
    AMS_opt - AMS. Each score's cut is chosen on evaluation half 1 and the AMS measured
    on half 2; the errors are a bootstrap of half 2 with the cuts held fixed, paired for
    the difference."""
    from physml.metrics import Resamples
    from physml.metrics.significance import best_threshold, selection_resamples
    from physml.tasks.seeds import N_RESAMPLES, bootstrap_seed

    label, one, two = data["label"], half == 1, half == 2
    w_one = _weights(data, half, 1)
    cuts = [
        best_threshold(s[one], label[one], w_one, metric="ams", b_reg=b_reg).threshold
        for s in scores
    ]
    selections = np.stack([s[two] >= cut for s, cut in zip(scores, cuts, strict=True)])
    resamples = selection_resamples(
        selections,
        label[two],
        _weights(data, half, 2),
        b_reg=b_reg,
        n_resamples=N_RESAMPLES,
        seed=bootstrap_seed(ctx.seed),
    )
    k = len(scores) - 1
    z = Resamples(resamples.value[: k + 1], resamples.replicates[:, : k + 1])
    mean = np.append(np.full(k, 1.0 / k), 0.0)
    members, optimum = z.combine(mean), z.estimate(k)
    gap = z.combine(np.append(-mean[:k], 1.0))
    s_opt, b_opt = resamples.value[2 * k + 1], resamples.value[3 * k + 2]
    source = (
        f"the exact likelihood ratio, cut chosen on {one.sum()} and measured on {two.sum()} "
        f"other evaluation events (s = {s_opt:.1f}, b = {b_opt:.0f} expected); errors: "
        "bootstrap of the measuring events, cuts held fixed"
    )
    spread = ensemble_std(z.value[:k])
    ams = Metric(
        members.value,
        optimum.value,
        "sigma",
        source,
        spread,
        error=members.error,
        gap_error=gap.error,
    )
    difference = Metric(
        gap.value,
        0.0,
        "sigma",
        "Neyman–Pearson: no selection beats the exact likelihood ratio's (paired bootstrap)",
        spread,
        error=gap.error,
    )
    return ams, difference


def _plot_ams(
    ctx: RunContext, method: str, data: dict, half: np.ndarray, score: np.ndarray, b_reg: float
) -> None:
    """``ams.png``: AMS of ``score >= t`` on evaluation half 2 against the expected signal
    kept, for the method and the exact likelihood ratio."""
    from physml.metrics.significance import ams
    from physml.tasks.figures import new_figure, save_figure

    test = half == 2
    w, label = _weights(data, half, 2), data["label"][test]
    fig, ax = new_figure()
    for name, s in (("exact likelihood ratio", data["llr"][test]), (method, score[test])):
        order = np.argsort(-s)
        sig = np.cumsum(np.where(label[order] == 1, w[order], 0.0))
        bkg = np.cumsum(np.where(label[order] == 0, w[order], 0.0))
        ax.plot(sig / sig[-1], ams(sig, bkg, b_reg=b_reg), label=name)
    ax.set(
        xlabel="signal efficiency",
        ylabel=f"AMS (b_reg = {b_reg:g})",
        title="higgs-events: significance of score >= t",
    )
    ax.legend(fontsize=8)
    save_figure(fig, ctx.plot_dir / "ams.png")
