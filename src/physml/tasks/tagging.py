"""What every signal-vs-background task shares: splits, fits, figures of merit, figures.

The jet and event tasks (``qg-jets``, ``top-tagging``, ``higgs-events``) differ in their
data and models; they measure the same way. Labels are 1 for signal and 0 for
background; scores grow with signal-likeness; each ensemble member gives one score per
event. A task compares its scores either with the exact likelihood ratio of its
simulator (the Neyman–Pearson optimum, on the same test events) or, on real data, with
literature values (:class:`Anchor`), which are labelled as such.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from physml.metrics import Metric, ensemble_std
from physml.tasks.base import RunContext

__all__ = [
    "Anchor",
    "classifier_metrics",
    "fit_networks",
    "fit_trees",
    "measure",
    "member_seeds",
    "plot_classifier",
    "split_labels",
    "split_with_evaluation",
]

TRAIN, VALIDATION, TEST = 0, 1, 2


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
    u = np.random.default_rng([seed, 12]).permutation(n) / n
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
) -> dict[str, Metric]:
    """AUC, 1/eps_B at ``working_point`` and accuracy of each member's test ``scores``.

    Values are ensemble means with the spread across members. With ``optimum`` (the
    exact log-likelihood ratio of the test events) each metric's reference is the
    optimum's own value and ``AUC_opt - AUC`` is added; otherwise ``anchor`` (literature)
    is the reference. Accuracy (threshold 1/2 on probabilities, log-ratio 0 for the
    optimum) is reported when the scores are ``probabilities``.
    """
    from physml.metrics.classification import auc, background_rejection

    aucs = np.array([auc(y, s) for s in scores])
    rejs = np.array([background_rejection(y, s, working_point) for s in scores])
    wp = f"1/eps_B(eps_S={working_point:g})"
    if optimum is not None:
        source = f"exact likelihood ratio of the simulator on the same {y.size} test events"
        ref_auc, ref_rej = auc(y, optimum), background_rejection(y, optimum, working_point)
        rej_source = f"{source} ({signal} efficiency {working_point:g})"
    elif anchor is not None:
        ref_auc, ref_rej, source = anchor.auc, anchor.rejection, f"literature: {anchor.source}"
        rej_source = source
    else:
        ref_auc = ref_rej = None
        source = rej_source = ""
    metrics = {"AUC": Metric(float(aucs.mean()), ref_auc, "", source, ensemble_std(aucs))}
    if optimum is not None:
        metrics["AUC_opt - AUC"] = Metric(
            float(ref_auc - aucs.mean()), None, "", "distance to the Neyman–Pearson optimum"
        )
    if not np.isfinite(rejs).all():  # 1/eps_B is measured down to one background event
        rej_source += f"; inf: no background event of the {int((y == 0).sum())} passes"
    metrics[wp] = Metric(float(rejs.mean()), ref_rej, "", rej_source, ensemble_std(rejs))
    if probabilities:
        acc = np.array([np.mean((s > 0.5) == (y == 1)) for s in scores])
        ref_acc = None if optimum is None else float(np.mean((optimum > 0) == (y == 1)))
        acc_source = f"{source} (threshold log-ratio 0)" if optimum is not None else ""
        metrics["accuracy"] = Metric(float(acc.mean()), ref_acc, "", acc_source, ensemble_std(acc))
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


def member_seeds(ctx: RunContext, n_members: int) -> list[int]:
    """One independent seed per ensemble member, derived from the run's seed."""
    return [int(s) for s in np.random.SeedSequence([ctx.seed, 13]).generate_state(n_members)]


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
        for s in member_seeds(ctx, n_members):
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
) -> tuple[list[np.ndarray], list[dict]]:
    """Train ``config.n_members`` networks with ``config.train``; P(signal) of every event
    per member, and the per-epoch training log."""
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
    return [predict_proba(r.model, x, device=ctx.device) for r in results], rows


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
