"""Binary-classification figures of merit in the language of particle physics.

Conventions: ``labels`` are 1 for signal and 0 for background; a larger ``score`` means
"more signal-like". The signal efficiency eps_S is the true-positive rate and the background
efficiency (mistag rate) eps_B the false-positive rate at the same threshold; the background
rejection is 1 / eps_B. ROC curves and AUCs come from scikit-learn (ties count one half).
"""

from __future__ import annotations

import numpy as np

__all__ = ["auc", "background_rejection", "roc_curve"]


def _inputs(labels: np.ndarray, scores: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    labels, scores = np.asarray(labels).ravel(), np.asarray(scores, dtype=np.float64).ravel()
    if labels.shape != scores.shape:
        raise ValueError(f"labels has {labels.size} entries but scores has {scores.size}")
    if not np.isin(labels, (0, 1)).all() or np.unique(labels).size != 2:
        raise ValueError("labels must be 0 (background) and 1 (signal), with both present")
    if not np.isfinite(scores).all():
        raise ValueError("scores contain NaN or infinite values")
    return labels.astype(np.int8), scores


def roc_curve(labels: np.ndarray, scores: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(eps_S, eps_B) at every distinct threshold, both increasing from 0 to 1.

    Shapes:
        labels (n,), scores (n,) -> two arrays (n_thresholds,)
    """
    from sklearn.metrics import roc_curve as sk_roc

    labels, scores = _inputs(labels, scores)
    eps_b, eps_s, _ = sk_roc(labels, scores)
    return eps_s, eps_b


def auc(labels: np.ndarray, scores: np.ndarray) -> float:
    """Area under the ROC curve: P(score of a signal > score of a background)."""
    from sklearn.metrics import roc_auc_score

    labels, scores = _inputs(labels, scores)
    return float(roc_auc_score(labels, scores))


def background_rejection(labels: np.ndarray, scores: np.ndarray, signal_efficiency: float) -> float:
    """1 / eps_B at the working point eps_S = ``signal_efficiency`` (linear interpolation
    of the ROC curve between thresholds; inf when no background passes)."""
    if not 0 < signal_efficiency <= 1:
        raise ValueError(f"signal_efficiency={signal_efficiency!r}: expected a number in (0, 1]")
    eps_s, eps_b = roc_curve(labels, scores)
    mistag = float(np.interp(signal_efficiency, eps_s, eps_b))
    return float("inf") if mistag == 0 else 1.0 / mistag
