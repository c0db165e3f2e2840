"""What every signal-vs-background task shares: splits, fits, figures of merit, figures.

The jet and event tasks (``qg-jets``, ``top-tagging``, ``higgs-events``) differ in their
data and models; they measure the same way. Labels are 1 for signal and 0 for
background; scores grow with signal-likeness; each ensemble member gives one score per
event. A task compares its scores either with the exact likelihood ratio of its
simulator (the Neyman–Pearson optimum, on the same test events) or, on real data, with
literature values (:class:`Anchor`), which are labelled as such.

Errors: every figure of merit carries its statistical error from a bootstrap over the
test events, stratified by class (the class counts of the test set are held fixed, as in
pROC), with :data:`~physml.tasks.seeds.N_RESAMPLES` resamples shared by all members and
the optimum, so a difference to the optimum on the same events gets its paired error
(``gap_error``). The trained networks are held fixed: the error is that of the test set,
the spread between members (``std``) that of training.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from physml.metrics import Metric, ensemble_std
from physml.tasks.base import RunContext
from physml.tasks.seeds import N_RESAMPLES, Stream, bootstrap_seed, generator, member_seeds

__all__ = [
    "JET_TAGGER_TRAINING",
    "Anchor",
    "classifier_metrics",
    "fit_networks",
    "fit_trees",
    "measure",
    "plot_classifier",
    "split_labels",
    "split_with_evaluation",
]

TRAIN, VALIDATION, TEST = 0, 1, 2

JET_TAGGER_TRAINING = {
    "quick": {"train": {"max_epochs": 25, "batch_size": 256, "patience": 4, "min_delta": 1e-4}},
    "full": {"train": {"max_epochs": 60, "batch_size": 256, "patience": 6, "min_delta": 1e-4}},
}
"""Training presets shared by the jet taggers of qg-jets and top-tagging (deep sets,
transformers, CNNs, LoLa)."""


@dataclass(frozen=True)
class Anchor:
    """A published figure of merit a result is shown beside (never called an optimum).

    Attributes:
        auc: the published AUC.
        rejection: the published 1/eps_B at the task's working point, or None.
        source: who measured it, on which data, with which method.
    """

    auc: float
    rejection: float | None
    source: str


def split_labels(n: int, test_fraction: float, val_fraction: float, seed: int) -> np.ndarray:
    """0 (train), 1 (validation) or 2 (test) for each of ``n`` events, shape (n,).

    ``test_fraction`` of the events are held out for testing, then ``val_fraction`` of
    the rest for validation (early stopping); the assignment is a seeded permutation.
    """
    u = generator(seed, Stream.SPLIT).permutation(n) / n
    val_cut = test_fraction + val_fraction * (1 - test_fraction)
    return np.array([TEST, VALIDATION, TRAIN])[np.digitize(u, [test_fraction, val_cut])]


def split_with_evaluation(evaluation: np.ndarray, val_fraction: float, seed: int) -> np.ndarray:
    """2 (test) for the events of a separate evaluation sample (``evaluation`` True), and
    a seeded 0 (train) / 1 (validation) split of the others, shape (n,)."""
    split = np.full(len(evaluation), TEST)
    split[~evaluation] = split_labels(int((~evaluation).sum()), 0.0, val_fraction, seed)
    return split


def classifier_metrics(
    y: np.ndarray,
    scores: Sequence[np.ndarray],
    *,
    working_point: float,
    optimum: np.ndarray | None = None,
    anchor: Anchor | None = None,
    probabilities: bool = True,
    signal: str = "signal",
    seed: Any = 0,
) -> dict[str, Metric]:
    """AUC, 1/eps_B at ``working_point`` and accuracy of each member's test ``scores``.

    Values are ensemble means with the spread across members (``std``) and the bootstrap
    error of the mean over the test events (``error``, module docstring; ``seed`` seeds
    the resamples). With ``optimum`` (the exact log-likelihood ratio of the test events)
    each metric's reference is the optimum's own value on the same events, its
    ``gap_error`` the paired error of the difference, and ``AUC_opt - AUC`` is added
    (reference 0, the optimal classifier); otherwise ``anchor`` (literature) is the
    reference. Accuracy (threshold 1/2 on probabilities, log-ratio 0 for the optimum) is
    reported when the scores are ``probabilities``.
    """
    from physml.metrics import bootstrap
    from physml.metrics.classification import SortedScores

    columns = [*scores] + ([] if optimum is None else [optimum])
    k, n = len(scores), len(columns)
    ranked = [SortedScores(y, s) for s in columns]
    thresholds = [0.5] * k + [0.0] * (n - k)  # probabilities; the optimum's log-ratio
    correct = [(s > t) == (y == 1) for s, t in zip(columns, thresholds, strict=True)]

    def statistic(w: np.ndarray) -> np.ndarray:
        pairs = [r.auc_and_rejection(w, working_point) for r in ranked]
        stats = [a for a, _ in pairs] + [rejection for _, rejection in pairs]
        if probabilities:
            stats += [w @ c / w.sum(axis=1) for c in correct]
        return np.stack(stats, axis=1)

    resamples = bootstrap(statistic, y.size, n_resamples=N_RESAMPLES, seed=seed, strata=y)

    def measured(block: int, reference, source: str) -> Metric:
        """The members' mean of statistic ``block`` (0 AUC, 1 1/eps_B, 2 accuracy)."""
        mean = np.zeros(resamples.value.size)
        mean[block * n : block * n + k] = 1.0 / k
        estimate = resamples.combine(mean)
        gap_error = None
        if optimum is not None:
            gap = -mean
            gap[block * n + k] = 1.0
            gap_error = resamples.combine(gap).error
        members = resamples.value[block * n : block * n + k]
        return Metric(
            estimate.value,
            reference,
            "",
            source,
            ensemble_std(members),
            error=estimate.error,
            gap_error=gap_error,
        )

    wp = f"1/eps_B(eps_S={working_point:g})"
    if optimum is not None:
        source = f"exact likelihood ratio of the simulator on the same {y.size} test events"
        ref_auc, ref_rej = resamples.value[k], resamples.value[n + k]
        rej_source = f"{source} ({signal} efficiency {working_point:g})"
    elif anchor is not None:
        ref_auc, ref_rej, source = anchor.auc, anchor.rejection, f"literature: {anchor.source}"
        rej_source = source
    else:
        ref_auc = ref_rej = None
        source = rej_source = ""
    metrics = {"AUC": measured(0, None if ref_auc is None else float(ref_auc), source)}
    if optimum is not None:
        auc = metrics["AUC"]
        metrics["AUC_opt - AUC"] = Metric(
            float(ref_auc) - auc.value,
            0.0,
            "",
            "Neyman–Pearson: no classifier beats the exact likelihood ratio (paired "
            "bootstrap on the same test events)",
            auc.std,
            error=auc.gap_error,
        )
    rejections = resamples.value[n : n + k]
    if not np.isfinite(rejections).all():  # 1/eps_B is measured down to one background event
        rej_source += f"; inf: no background event of the {int((y == 0).sum())} passes"
    metrics[wp] = measured(1, None if ref_rej is None else float(ref_rej), rej_source)
    if probabilities:
        ref_acc = None if optimum is None else float(resamples.value[2 * n + k])
        acc_source = f"{source} (threshold log-ratio 0)" if optimum is not None else ""
        metrics["accuracy"] = measured(2, ref_acc, acc_source)
    return metrics


def measure(
    ctx: RunContext,
    *,
    task: str,
    method: str,
    y: np.ndarray,
    scores: Sequence[np.ndarray],
    history: Sequence[Mapping[str, Any]],
    working_point: float,
    optimum: np.ndarray | None = None,
    anchor: Anchor | None = None,
    probabilities: bool = True,
    signal: str = "signal",
    background: str = "background",
) -> dict[str, Metric]:
    """:func:`classifier_metrics` of the test ``scores``, the training log and the plots of
    :func:`plot_classifier`: what every tagging task reports."""
    metrics = classifier_metrics(
        y,
        scores,
        working_point=working_point,
        optimum=optimum,
        anchor=anchor,
        probabilities=probabilities,
        signal=signal,
        seed=bootstrap_seed(ctx.seed),
    )
    ctx.log(f"{method}: AUC {metrics['AUC'].value:.4f}, reference {metrics['AUC'].reference}")
    ctx.write_log(history)
    plot_classifier(
        ctx,
        task=task,
        method=method,
        y=y,
        scores=scores,
        optimum=optimum,
        history=history,
        working_point=working_point,
        signal=signal,
        background=background,
    )
    return metrics


def fit_trees(
    x: np.ndarray,
    label: np.ndarray,
    split: np.ndarray,
    *,
    settings: Any,
    n_members: int,
    ctx: RunContext,
    sample_weight: np.ndarray | None = None,
) -> list[np.ndarray]:
    """Gradient-boosted trees (scikit-learn), one per member, fitted on train and
    validation events (the trees stop early on their own split); P(signal) of every
    event per member.

    ``settings`` has ``max_iter``, ``learning_rate`` and ``max_leaf_nodes``.
    """
    from sklearn.ensemble import HistGradientBoostingClassifier

    fit = split != TEST
    weight = None if sample_weight is None else sample_weight[fit]
    out = []
    with ctx.progress("training boosted trees", n_members) as bar:
        for s in member_seeds(ctx.seed, n_members):
            clf = HistGradientBoostingClassifier(
                max_iter=settings.max_iter,
                learning_rate=settings.learning_rate,
                max_leaf_nodes=settings.max_leaf_nodes,
                random_state=s % 2**31,
            )
            clf.fit(x[fit], label[fit], sample_weight=weight)
            out.append(clf.predict_proba(x)[:, 1])
            bar.advance()
    return out


def fit_networks(
    make_model: Callable[[], Any],
    x: np.ndarray,
    label: np.ndarray,
    split: np.ndarray,
    *,
    config: Any,
    ctx: RunContext,
    name: str,
    predict: Callable[[Any, np.ndarray], np.ndarray] | None = None,
) -> tuple[list[np.ndarray], list[dict]]:
    """Train ``config.n_members`` networks with ``config.train``; P(signal) of every event
    per member (``predict(model, x)``, default the network's own sigmoid), and the
    per-epoch training log."""
    from physml.tasks.classify import fit_binary_ensemble, predict_proba

    rows: list[dict] = []
    with ctx.progress(f"training {name}", config.train.max_epochs * config.n_members) as bar:

        def on_epoch(row: dict) -> None:
            rows.append(row)
            bar.advance()

        results = fit_binary_ensemble(
            make_model,
            x[split == TRAIN],
            label[split == TRAIN],
            x[split == VALIDATION],
            label[split == VALIDATION],
            n_members=config.n_members,
            settings=config.train,
            seed=ctx.seed,
            device=ctx.device,
            checkpoint_dir=ctx.checkpoint_dir,
            on_epoch=on_epoch,
        )
    if predict is None:

        def predict(model: Any, x: np.ndarray) -> np.ndarray:
            return predict_proba(model, x, device=ctx.device)

    return [predict(r.model, x) for r in results], rows


def plot_classifier(
    ctx: RunContext,
    *,
    task: str,
    method: str,
    y: np.ndarray,
    scores: Sequence[np.ndarray],
    optimum: np.ndarray | None,
    history: Sequence[Mapping[str, Any]],
    working_point: float,
    signal: str = "signal",
    background: str = "background",
) -> None:
    """``roc.png`` (every member, and the optimum when known), ``scores.png`` (first
    member) and ``learning_curves.png`` (when trained) in the run's plot directory."""
    from physml.metrics.classification import roc_curve
    from physml.tasks.figures import new_figure, save_figure

    fig, ax = new_figure()
    curves = [] if optimum is None else [("exact likelihood ratio (optimum)", optimum)]
    curves += [(method if k == 0 else None, s) for k, s in enumerate(scores)]
    for name, s in curves:
        eps_s, eps_b = roc_curve(y, s)
        keep = eps_b > 0
        ax.semilogy(eps_s[keep], 1 / eps_b[keep], label=name, lw=1 if name else 0.5)
    ax.axvline(working_point, color="gray", lw=0.5)
    ax.set(
        xlabel=f"{signal} efficiency eps_S",
        ylabel=f"{background} rejection 1/eps_B",
        title=f"{task}: ROC" + (f" ({len(scores)} members)" if len(scores) > 1 else ""),
    )
    ax.legend(fontsize=8)
    save_figure(fig, ctx.plot_dir / "roc.png")

    fig, ax = new_figure()
    bins = np.histogram_bin_edges(scores[0], bins=50)
    for value, name in ((1, signal), (0, background)):
        ax.hist(scores[0][y == value], bins=bins, histtype="step", density=True, label=name)
    ax.set(xlabel=f"{method} score", ylabel="density", title=f"{task}: score distributions")
    ax.legend(fontsize=8)
    save_figure(fig, ctx.plot_dir / "scores.png")

    if history:
        fig, ax = new_figure()
        for key in ("train_loss", "val_loss"):
            rows = [row for row in history if row.get(key) not in (None, "")]
            ax.plot([r["epoch"] for r in rows], [r[key] for r in rows], ".", ms=3, label=key)
        ax.set(xlabel="epoch", ylabel="binary cross-entropy", title=f"{task}: learning curves")
        ax.legend(fontsize=8)
        save_figure(fig, ctx.plot_dir / "learning_curves.png")
