"""Binary-classification figures of merit in the language of particle physics.

Conventions: ``labels`` are 1 for signal and 0 for background; a larger ``score`` means
"more signal-like". The signal efficiency eps_S is the true-positive rate and the background
efficiency (mistag rate) eps_B the false-positive rate at the same threshold; the background
rejection is 1 / eps_B. ROC curves and AUCs come from scikit-learn (ties count one half).
:class:`SortedScores` computes the same AUC and 1/eps_B for many reweightings of the same
events (bootstrap resamples, :mod:`physml.metrics.resampling`) after sorting them once.
"""

from __future__ import annotations

import numpy as np

__all__ = ["SortedScores", "auc", "background_rejection", "roc_curve"]


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


class SortedScores:
    """Events sorted once by score, so that the weighted AUC and 1/eps_B of each of many
    weightings (bootstrap resamples) cost O(n) each, without sorting again.

    With unit weights both agree with :func:`auc` and :func:`background_rejection` (ties
    count one half; 1/eps_B by linear interpolation of the ROC curve).

    Args:
        labels: 1 for signal, 0 for background, shape (n,).
        scores: larger is more signal-like, finite, shape (n,).

    Example:
        >>> y, s = np.array([0, 0, 1, 1]), np.array([0.1, 0.6, 0.4, 0.9])
        >>> SortedScores(y, s).auc(np.ones((1, 4)))
        array([0.75])
    """

    def __init__(self, labels: np.ndarray, scores: np.ndarray) -> None:
        labels, scores = _inputs(labels, scores)
        self.n = labels.size
        self._order = np.argsort(-scores, kind="stable")
        ranked = scores[self._order]
        self._signal = labels[self._order] == 1
        # the last event of each run of equal scores closes a threshold
        self._last = np.flatnonzero(np.append(ranked[1:] != ranked[:-1], True))
        # for the AUC: each signal event's place among the background scores (ascending)
        signal, background = labels == 1, labels == 0
        self._sig, self._bkg = np.flatnonzero(signal), np.flatnonzero(background)
        self._bkg = self._bkg[np.argsort(scores[background], kind="stable")]
        ascending = scores[self._bkg]
        self._below = np.searchsorted(ascending, scores[signal], side="left")
        self._not_above = np.searchsorted(ascending, scores[signal], side="right")

    def _passing(self, weights: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Signal and background weight with score >= each threshold, shape (b, G + 1)
        (a leading 0 for the empty selection), for weights (b, n)."""
        w = np.atleast_2d(np.asarray(weights, dtype=np.float64))[:, self._order]
        zero = np.zeros((w.shape[0], 1))
        s = np.cumsum(np.where(self._signal, w, 0.0), axis=1)[:, self._last]
        b = np.cumsum(np.where(self._signal, 0.0, w), axis=1)[:, self._last]
        return np.concatenate([zero, s], axis=1), np.concatenate([zero, b], axis=1)

    def auc(self, weights: np.ndarray) -> np.ndarray:
        """Weighted AUC for each row of ``weights`` (b, n) -> (b,): P(a signal scores
        above a background), ties one half."""
        w = np.atleast_2d(np.asarray(weights, dtype=np.float64))
        w_sig = w[:, self._sig]
        cum = np.zeros((len(w), self._bkg.size + 1))
        np.cumsum(w[:, self._bkg], axis=1, out=cum[:, 1:])
        below = 0.5 * (cum[:, self._below] + cum[:, self._not_above])
        return np.sum(w_sig * below, axis=1) / (w_sig.sum(axis=1) * cum[:, -1])

    def background_rejection(self, weights: np.ndarray, signal_efficiency: float) -> np.ndarray:
        """1 / eps_B at eps_S = ``signal_efficiency`` for each row of ``weights`` (b, n)
        -> (b,); inf where no background passes."""
        if not 0 < signal_efficiency <= 1:
            raise ValueError(
                f"signal_efficiency={signal_efficiency!r}: expected a number in (0, 1]"
            )
        s, b = self._passing(weights)
        eps_s, eps_b = s / s[:, -1:], b / b[:, -1:]
        rows = np.arange(len(s))
        # the last threshold with eps_S <= the working point, and the next one
        j = np.sum(eps_s <= signal_efficiency, axis=1) - 1
        k = np.minimum(j + 1, eps_s.shape[1] - 1)
        x0, x1, y0, y1 = eps_s[rows, j], eps_s[rows, k], eps_b[rows, j], eps_b[rows, k]
        with np.errstate(invalid="ignore", divide="ignore"):
            slope = np.where(x1 > x0, (y1 - y0) / (x1 - x0), 0.0)
            mistag = y0 + slope * (signal_efficiency - x0)
            return np.where(mistag > 0, 1.0 / mistag, np.inf)
