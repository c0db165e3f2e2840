"""``particle-tracking``'s evaluation: edges, tracks and fakes against the truth, with
bootstrap errors over test events.

Every figure is a ratio of sums over events (kept true edges over true edges, found
tracks over findable tracks, ...); the events are resampled with replacement and each
ratio recomputed, so the errors of a method and of its perfect-edge reference are paired.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from physml.metrics import Metric

__all__ = ["evaluate"]


def _event_counts(config: Any, graph: dict, score: np.ndarray) -> dict[str, float]:
    """Edge and track counts of one event, the per-p_T-bin ones keyed ``name@bin``."""
    from physml.sim.detector.tracking import build_tracks, match_tracks

    event, edges, label = graph["event"], graph["edges"].numpy(), graph["label"].numpy()
    kept = score > config.threshold
    row = {
        "true": graph["n_true_edges"],
        "graph_true": label.sum(),
        "graph": label.size,
        "kept_true": (kept & label).sum(),
        "kept": kept.sum(),
    }
    pt_bin = np.digitize(event.particles["pt"], config.pt_bins) - 1
    n_bins = len(config.pt_bins) - 1
    for name, chosen in (("", kept), ("ref_", label)):
        candidate = build_tracks(event.n_hits, edges[:, chosen], config.min_hits)
        findable, found, fake = match_tracks(
            candidate, event.particle, event.n_particles, config.min_hits
        )
        row[f"{name}findable"], row[f"{name}found"] = findable.sum(), found.sum()
        row[f"{name}candidates"], row[f"{name}fakes"] = fake.size, fake.sum()
        for k in range(n_bins):
            row[f"{name}findable@{k}"] = (findable & (pt_bin == k)).sum()
            row[f"{name}found@{k}"] = (found & (pt_bin == k)).sum()
    return row


def evaluate(config: Any, graphs: list[dict], scores: list[np.ndarray], seed):
    """Metrics of ``scores`` (one array per test graph, larger: more track-like) and the
    data of the figure.

    Returns:
        ``(metrics, figure)``: the :class:`Metric` s by name and a dict with the ROC
        (``fpr``, ``tpr``) and the efficiency against p_T (``pt``: centres, values,
        errors, perfect-edge values).
    """
    from physml.metrics import bootstrap
    from physml.tasks.seeds import N_RESAMPLES

    rows = [_event_counts(config, g, s) for g, s in zip(graphs, scores, strict=True)]
    columns = list(rows[0])
    counts = np.array([[row[c] for c in columns] for row in rows], dtype=np.float64)
    multiplicity = np.array([g["n_tracks"] for g in graphs])
    groups = sorted(set(multiplicity.tolist()))
    col = {c: j for j, c in enumerate(columns)}
    ratios: dict[str, tuple[str, str, np.ndarray | None]] = {
        "graph edge efficiency": ("graph_true", "true", None),
        "graph edge purity": ("graph_true", "graph", None),
        "edge efficiency": ("kept_true", "graph_true", None),
        "edge purity": ("kept_true", "kept", None),
        "track efficiency": ("found", "findable", None),
        "track efficiency (perfect edges)": ("ref_found", "ref_findable", None),
        "fake rate": ("fakes", "candidates", None),
        "fake rate (perfect edges)": ("ref_fakes", "ref_candidates", None),
    }
    pt = config.pt_bins
    for k in range(len(pt) - 1):
        ratios[f"track efficiency (pT {pt[k]:g}-{pt[k + 1]:g} GeV)"] = (
            f"found@{k}",
            f"findable@{k}",
            None,
        )
        ratios[f"_ref@{k}"] = (f"ref_found@{k}", f"ref_findable@{k}", None)
    if len(groups) > 1:
        for n in groups:
            mask = (multiplicity == n).astype(np.float64)
            ratios[f"track efficiency ({n} tracks)"] = ("found", "findable", mask)
            ratios[f"_ref({n})"] = ("ref_found", "ref_findable", mask)
            ratios[f"fake rate ({n} tracks)"] = ("fakes", "candidates", mask)
            ratios[f"_fref({n})"] = ("ref_fakes", "ref_candidates", mask)
    names = list(ratios)

    def statistic(w: np.ndarray) -> np.ndarray:
        out = np.empty((w.shape[0], len(names)))
        for j, name in enumerate(names):
            num, den, mask = ratios[name]
            wm = w if mask is None else w * mask
            with np.errstate(invalid="ignore", divide="ignore"):
                out[:, j] = (wm @ counts[:, col[num]]) / (wm @ counts[:, col[den]])
        return out

    r = bootstrap(statistic, len(rows), n_resamples=N_RESAMPLES, seed=seed)
    value, replicates = r.value, r.replicates
    index = {name: j for j, name in enumerate(names)}
    err = np.nanstd(replicates, axis=0, ddof=1)

    def paired(name: str, ref: str, source: str) -> Metric:
        i, j = index[name], index[ref]
        gap = np.nanstd(replicates[:, i] - replicates[:, j], ddof=1)
        return Metric(
            float(value[i]), float(value[j]), "", source, error=float(err[i]), gap_error=float(gap)
        )

    events = f"bootstrap over {len(rows)} test events"
    metrics = {
        "graph edge efficiency": Metric(
            float(value[0]),
            1.0,
            "",
            f"true adjacent-layer hit pairs kept by the cuts; {events}",
            error=float(err[0]),
        ),
        "graph edge purity": Metric(
            float(value[1]),
            None,
            "",
            f"true edges among the graph's; {events}",
            error=float(err[1]),
        ),
        "edge efficiency": Metric(
            float(value[2]),
            1.0,
            "",
            f"true graph edges scored > {config.threshold}; {events}",
            error=float(err[2]),
        ),
        "edge purity": Metric(
            float(value[3]), 1.0, "", f"true among kept edges; {events}", error=float(err[3])
        ),
    }
    metrics["edge AUC"] = _auc_metric(graphs, scores, seed, events)
    perfect = "perfect edge classification of the same graphs (paired)"
    metrics["track efficiency"] = paired(
        "track efficiency", "track efficiency (perfect edges)", f"{perfect}; {events}"
    )
    metrics["fake rate"] = paired("fake rate", "fake rate (perfect edges)", f"{perfect}; {events}")
    for k in range(len(pt) - 1):
        name = f"track efficiency (pT {pt[k]:g}-{pt[k + 1]:g} GeV)"
        metrics[name] = paired(name, f"_ref@{k}", perfect)
    if len(groups) > 1:
        for n in groups:
            name = f"track efficiency ({n} tracks)"
            metrics[name] = paired(name, f"_ref({n})", perfect)
            name = f"fake rate ({n} tracks)"
            metrics[name] = paired(name, f"_fref({n})", perfect)
    metrics = {k: m for k, m in metrics.items() if np.isfinite(m.value)}
    from physml.metrics.classification import roc_curve

    labels = np.concatenate([g["label"].numpy() for g in graphs]).astype(int)
    tpr, fpr = roc_curve(labels, np.concatenate(scores))
    centres = np.sqrt(np.asarray(pt[:-1]) * np.maximum(np.asarray(pt[1:]), 1e-9))
    bins = [index[f"track efficiency (pT {pt[k]:g}-{pt[k + 1]:g} GeV)"] for k in range(len(pt) - 1)]
    refs = [index[f"_ref@{k}"] for k in range(len(pt) - 1)]
    figure = {"fpr": fpr, "tpr": tpr, "pt": (centres, value[bins], err[bins], value[refs])}
    return metrics, figure


def _auc_metric(graphs: list[dict], scores: list[np.ndarray], seed, events: str) -> Metric:
    """The edge ROC AUC of all test edges, errors from resampling whole events."""
    from physml.metrics.classification import SortedScores
    from physml.metrics.resampling import resample_counts
    from physml.tasks.seeds import N_RESAMPLES

    labels = np.concatenate([g["label"].numpy() for g in graphs]).astype(int)
    owner = np.repeat(np.arange(len(graphs)), [g["n_edges"] for g in graphs])
    sorted_scores = SortedScores(labels, np.concatenate(scores))
    value = float(sorted_scores.auc(np.ones((1, labels.size)))[0])
    replicates = np.concatenate(
        [
            sorted_scores.auc(c[:, owner].astype(np.float64))
            for c in resample_counts(len(graphs), N_RESAMPLES, seed, batch=16)
        ]
    )
    return Metric(
        value,
        1.0,
        "",
        f"ROC of the graph's edges; {events}",
        error=float(np.std(replicates, ddof=1)),
    )
