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
        signal, background = np.flatnonzero(labels == 1), np.flatnonzero(labels == 0)
        self._signal = signal[np.argsort(-scores[signal], kind="stable")]  # descending
        self._background = background[np.argsort(scores[background], kind="stable")]
        s_desc, b_asc = scores[self._signal], scores[self._background]
        # each signal's place among the backgrounds: how many score below, and not above
        self._below = np.searchsorted(b_asc, s_desc, side="left")
        self._not_above = np.searchsorted(b_asc, s_desc, side="right")
        self._tied = not np.array_equal(self._below, self._not_above)
        # thresholds t (the distinct scores, descending, after the empty selection):
        # how many signal and background events have score >= t
        t = np.unique(scores)[::-1]
        self._n_signal = np.concatenate([[0], np.searchsorted(-s_desc, -t, side="right")])
        self._n_background = np.concatenate(
            [[0], background.size - np.searchsorted(b_asc, t, side="left")]
        )

    def _cumulative(self, weights: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Cumulative signal weight by descending score and background weight by
        ascending score, each with a leading 0: shapes (b, n_s + 1), (b, n_b + 1)."""
        w = np.atleast_2d(np.asarray(weights, dtype=np.float64))
        s = np.zeros((len(w), self._signal.size + 1))
        b = np.zeros((len(w), self._background.size + 1))
        np.cumsum(w[:, self._signal], axis=1, out=s[:, 1:])
        np.cumsum(w[:, self._background], axis=1, out=b[:, 1:])
        return s, b

    def auc(self, weights: np.ndarray) -> np.ndarray:
        """Weighted AUC for each row of ``weights`` (b, n) -> (b,): P(a signal scores
        above a background), ties one half."""
        return self._auc(*self._cumulative(weights))

    def auc_and_rejection(
        self, weights: np.ndarray, signal_efficiency: float
    ) -> tuple[np.ndarray, np.ndarray]:
        """:meth:`auc` and :meth:`background_rejection` from one pass over the weights."""
        self._check(signal_efficiency)
        s, b = self._cumulative(weights)
        return self._auc(s, b), self._rejection(s, b, signal_efficiency)

    def _auc(self, s: np.ndarray, b: np.ndarray) -> np.ndarray:
        below = b[:, self._below]
        if self._tied:
            below = 0.5 * (below + b[:, self._not_above])
        return np.sum(np.diff(s, axis=1) * below, axis=1) / (s[:, -1] * b[:, -1])

    @staticmethod
    def _check(signal_efficiency: float) -> None:
        if not 0 < signal_efficiency <= 1:
            raise ValueError(
                f"signal_efficiency={signal_efficiency!r}: expected a number in (0, 1]"
            )

    def background_rejection(self, weights: np.ndarray, signal_efficiency: float) -> np.ndarray:
        """1 / eps_B at eps_S = ``signal_efficiency`` for each row of ``weights`` (b, n)
        -> (b,); inf where no background passes."""
        self._check(signal_efficiency)
        return self._rejection(*self._cumulative(weights), signal_efficiency)

    def _rejection(self, s: np.ndarray, b: np.ndarray, signal_efficiency: float) -> np.ndarray:
        rows = np.arange(len(s))
        # the last threshold with eps_S <= the working point (np.interp's choice on a
        # plateau of eps_S), and the next one
        last = np.sum(s / s[:, -1:] <= signal_efficiency, axis=1) - 1
        j = np.searchsorted(self._n_signal, last, side="right") - 1
        k = np.minimum(j + 1, self._n_signal.size - 1)

        def point(i: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
            eps_s = s[rows, self._n_signal[i]] / s[:, -1]
            passing = b[:, -1] - b[rows, self._background.size - self._n_background[i]]
            return eps_s, passing / b[:, -1]

        (x0, y0), (x1, y1) = point(j), point(k)
        with np.errstate(invalid="ignore", divide="ignore"):
            slope = np.where(x1 > x0, (y1 - y0) / (x1 - x0), 0.0)
            mistag = y0 + slope * (signal_efficiency - x0)
            return np.where(mistag > 0, 1.0 / mistag, np.inf)
