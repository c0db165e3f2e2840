r"""Calibration of probabilistic predictions: coverage, calibration curves, ECE, sharpness.

Two kinds of prediction, one convention each:

* **Regression** (a predictive distribution F_i for a real target y_i): everything follows
  from the probability integral transform ``pit_i = F_i(y_i)``. The central interval of
  level c contains y_i exactly when ``|pit_i - 1/2| <= c/2``; the calibration curve is the
  fraction of ``pit <= p`` against p (the diagonal for a calibrated predictor, whatever
  its sharpness), and the regression ECE is the mean of ``|fraction(p) - p|`` over an even
  grid of levels p (Kuleshov et al., ICML 2018). Sharpness is the mean predictive standard
  deviation (smaller is sharper; only meaningful beside calibration).
* **Binary classification** (a probability q_i of class 1): the reliability curve bins the
  events by q and compares each bin's mean q with its fraction of class 1 (or, where the
  exact posterior p*(x) is known, with its mean p*, which has no label noise); the ECE is
  the event-weighted mean of the bins' absolute differences (Guo et al., ICML 2017).

Every statistic here is a weighted mean over events, so :func:`calibration_resamples` and
:func:`binary_calibration_resamples` give them with bootstrap errors on shared, paired
resamples (differences to an exact posterior scored on the same events get paired errors).
Inputs are numpy arrays of shape (n,); levels are in (0, 1).
"""

from __future__ import annotations

import numpy as np

from physml.metrics.resampling import Resamples, bootstrap

__all__ = [
    "CALIBRATION_LEVELS",
    "binary_calibration_resamples",
    "calibration_resamples",
    "central_coverage",
    "gaussian_mixture_scores",
    "reliability_curve",
]

#: Levels p of the regression calibration curve and ECE: 0.05, 0.10, ..., 0.95.
CALIBRATION_LEVELS = np.linspace(0.05, 0.95, 19)


def central_coverage(pit: np.ndarray, level: float) -> np.ndarray:
    """1.0 where the central interval of ``level`` contains the target, else 0.0 (n,)."""
    return (np.abs(np.asarray(pit, dtype=np.float64) - 0.5) <= level / 2).astype(np.float64)


def gaussian_mixture_scores(
    means: np.ndarray, stds: np.ndarray, y: np.ndarray, weights: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """PIT, -log density, mean and standard deviation of a mixture of Gaussians at the
    targets: means and stds (S, n) (S components: ensemble members, posterior draws,
    dropout masks, averaged models), y (n,), component weights (S,) summing to 1 (None:
    equal) -> four (n,) arrays."""
    from scipy import special, stats

    means, stds = np.atleast_2d(means), np.atleast_2d(stds)
    w = np.full(means.shape[0], 1.0 / means.shape[0]) if weights is None else np.asarray(weights)
    z = (np.asarray(y)[None, :] - means) / stds
    pit = w @ stats.norm.cdf(z)
    with np.errstate(divide="ignore"):
        log_components = stats.norm.logpdf(z) - np.log(stds) + np.log(w)[:, None]
    nll = -special.logsumexp(log_components, axis=0)
    mean = w @ means
    var = w @ (stds**2 + means**2) - mean**2
    return pit, nll, mean, np.sqrt(np.maximum(var, 0.0))


def calibration_resamples(
    pit: np.ndarray,
    std: np.ndarray,
    nll: np.ndarray,
    *,
    coverage_levels=(0.68, 0.95),
    levels: np.ndarray = CALIBRATION_LEVELS,
    n_resamples: int = 200,
    seed=0,
) -> tuple[dict[str, int], Resamples]:
    """Bootstrap resamples of a regression predictor's calibration statistics.

    Args:
        pit: F_i(y_i) per test target, (n,) or (k, n) for k predictors on the same targets.
        std: predictive standard deviations, same shape.
        nll: -log p_i(y_i) per target, same shape.
        coverage_levels: levels c of the central intervals whose coverage is reported.
        levels: levels p of the calibration curve and ECE.
        n_resamples, seed: of the bootstrap over targets (shared by all k predictors).

    Returns:
        ``(index, resamples)``: ``index[name]`` is the column of predictor 0's statistic
        ``name`` ("nll", "sharpness", "ece", "coverage 68%", ..., "curve p=0.05", ...);
        predictor j's column is ``index[name] + j * len(index)``.
    """
    pit, std, nll = (np.atleast_2d(np.asarray(a, dtype=np.float64)) for a in (pit, std, nll))
    names = ["nll", "sharpness", "ece"] + [f"coverage {round(100 * c)}%" for c in coverage_levels]
    names += [f"curve p={p:.2f}" for p in levels]
    index = {name: j for j, name in enumerate(names)}
    below = (pit[:, :, None] <= np.asarray(levels)[None, None, :]).astype(np.float64)
    covered = np.stack([central_coverage(pit, c) for c in coverage_levels], axis=-1)

    def statistic(w: np.ndarray) -> np.ndarray:
        total = w.sum(axis=1, keepdims=True)
        out = []
        for j in range(pit.shape[0]):
            curve = w @ below[j] / total
            ece = np.abs(curve - np.asarray(levels)).mean(axis=1, keepdims=True)
            means = w @ np.column_stack([nll[j], std[j]]) / total
            out += [means, ece, w @ covered[j] / total, curve]
        return np.concatenate(out, axis=1)

    return index, bootstrap(statistic, pit.shape[1], n_resamples=n_resamples, seed=seed)


def reliability_curve(
    prob: np.ndarray, target: np.ndarray, n_bins: int = 10
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Mean predicted probability, mean target and event count in each of ``n_bins`` equal
    bins of ``prob`` in [0, 1]; ``target`` is the label (0/1) or the exact posterior
    p*(x). Empty bins give NaN means. Shapes: (n,) -> three (n_bins,) arrays."""
    prob, target = np.asarray(prob, dtype=np.float64), np.asarray(target, dtype=np.float64)
    bins = np.clip((prob * n_bins).astype(int), 0, n_bins - 1)
    count = np.bincount(bins, minlength=n_bins).astype(np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_prob = np.bincount(bins, prob, n_bins) / count
        mean_target = np.bincount(bins, target, n_bins) / count
    return mean_prob, mean_target, count


def binary_calibration_resamples(
    prob: np.ndarray,
    label: np.ndarray,
    exact: np.ndarray,
    *,
    n_bins: int = 10,
    n_resamples: int = 200,
    seed=0,
) -> Resamples:
    """Bootstrap resamples of a binary classifier's calibration against the exact posterior.

    Args:
        prob: predicted P(class 1 | x), (k, n) for k predictors (or (n,)).
        label: class labels 0/1, (n,).
        exact: the exact posterior p*(x) of the same events (n,).
        n_bins: bins of the reliability curve (equal width in predicted probability).
        n_resamples, seed: of the bootstrap over events (stratified by label).

    Returns:
        Resamples of, per predictor j, the columns ``4 j + (0, 1, 2, 3)``: ECE against the
        labels, ECE against p* (binned as for the labels, mean p* per bin), the mean
        ``|q - p*|`` per event, and the Brier score; then the same four for p* itself
        (columns ``4 k + ...``: its ECE against p* and ``|p* - p*|`` are exactly 0).
    """
    prob = np.atleast_2d(np.asarray(prob, dtype=np.float64))
    label = np.asarray(label, dtype=np.float64)
    exact = np.asarray(exact, dtype=np.float64)
    rows = np.vstack([prob, exact[None, :]])
    per_row = []  # bin sums of q - label and q - p*, and the per-event terms
    for q in rows:
        onehot = np.eye(n_bins)[np.clip((q * n_bins).astype(int), 0, n_bins - 1)]
        per_row.append(
            (
                onehot * (q - label)[:, None],
                onehot * (q - exact)[:, None],
                np.column_stack([np.abs(q - exact), (q - label) ** 2]),
            )
        )

    def statistic(w: np.ndarray) -> np.ndarray:
        total = w.sum(axis=1)
        out = []
        for to_label, to_exact, per_event in per_row:
            out.append(np.abs(w @ to_label).sum(axis=1) / total)
            out.append(np.abs(w @ to_exact).sum(axis=1) / total)
            out.extend((w @ per_event / total[:, None]).T)
        return np.stack(out, axis=1)

    return bootstrap(
        statistic, label.size, n_resamples=n_resamples, seed=seed, strata=label.astype(int)
    )
