r"""How close posterior samples are to a reference posterior, and whether they are calibrated.

* :func:`c2st`: the classifier two-sample test as sbibm computes it (Lueckmann et al.,
  AISTATS 2021; Lopez-Paz & Oquab, ICLR 2017): both sample sets z-scored with the
  reference's mean and standard deviation, scikit-learn's ``MLPClassifier`` (ReLU, two
  hidden layers of 10 D units, Adam, up to 10 000 epochs) told to separate them, its
  accuracy averaged over a shuffled 5-fold split. 0.5 when the two distributions are the
  same (up to ~0.5 / sqrt(n) of noise), 1 when they do not overlap. ``classifier=
  "early-stopping"`` trains the same network but keeps the weights of its best accuracy on
  10 % of each training fold, stopping 100 epochs after it: in 10-D ~10x faster and at the
  Bayes accuracy Phi(delta / 2) of two unit Gaussians delta apart, where sbibm's, run to
  its training loss's plateau, overfits and reads low; on sharp 2-D posteriors the two
  agree (tests/metrics/test_c2st_classifiers.py).
* :func:`sbc_ranks` and :func:`rank_uniformity`: simulation-based calibration (Talts et
  al., 2018): for parameters drawn from the prior and data simulated from them, the rank of
  each true parameter among L posterior samples is uniform on {0, ..., L} for the exact
  posterior.
* :func:`tarp_coverage`: expected coverage by random points (TARP; Lemos, Coogan, Hezaveh
  & Perreault-Levasseur, ICML 2023): for each simulation a reference point drawn uniformly
  in the (normalised) parameter box, f = the fraction of posterior samples closer to it
  than the true parameter; the expected coverage ECP(alpha) = P(f < alpha) is the diagonal
  alpha exactly when the posterior is exact (a necessary and sufficient test over the
  random references). Its largest deviation from the diagonal is the Kolmogorov-Smirnov
  distance of the f's to U(0, 1), with that test's p-value.

Shapes: samples (n, D), posterior samples per simulation (n_sims, L, D), parameters
(n_sims, D); dimensionless.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["C2ST_CLASSIFIERS", "Coverage", "c2st", "rank_uniformity", "sbc_ranks", "tarp_coverage"]

#: The classifiers :func:`c2st` can train, and what each is.
C2ST_CLASSIFIERS = {
    "sbibm": "sbibm's C2ST (sklearn MLP to the training loss's plateau, 5-fold)",
    "early-stopping": "C2ST, sbibm's MLP early-stopped on a 10 % validation split, 5-fold",
}


def _matrix(name: str, a, dim: int | None = None) -> np.ndarray:
    a = np.asarray(a, dtype=np.float64)
    if a.ndim != 2 or len(a) < 2 or (dim is not None and a.shape[1] != dim):
        want = f"(n >= 2, {dim})" if dim is not None else "(n >= 2, D)"
        raise ValueError(f"{name} has shape {a.shape}: expected {want}")
    if not np.isfinite(a).all():
        raise ValueError(f"{name} contains NaN or infinite values")
    return a


def _standardised_pair(reference, estimated) -> tuple[np.ndarray, np.ndarray]:
    """Both sets z-scored with the reference's mean and std, stacked (n + m, D), and the
    labels (0 reference, 1 estimate)."""
    reference = _matrix("reference", reference)
    estimated = _matrix("estimated", estimated, reference.shape[1])
    mean, std = reference.mean(axis=0), reference.std(axis=0)
    std = np.where(std > 0, std, 1.0)
    data = (np.concatenate([reference, estimated]) - mean) / std
    labels = np.concatenate([np.zeros(len(reference)), np.ones(len(estimated))])
    return data, labels


def c2st(reference, estimated, *, seed: int, n_folds: int = 5, classifier: str = "sbibm") -> float:
    """Cross-validated accuracy of a classifier told to separate two sample sets, as
    sbibm computes it (scikit-learn's ``MLPClassifier`` in ``cross_val_score``).

    Args:
        reference: samples of the reference posterior (n, D).
        estimated: samples of the estimate (m, D); sbibm uses n = m = 10 000.
        seed: seeds the classifier's weights and the split (``random_state``).
        n_folds: folds of the shuffled K-fold split (sbibm: 5).
        classifier: ``"sbibm"`` (as published) or ``"early-stopping"`` (the same network
            stopped on a validation split; :data:`C2ST_CLASSIFIERS`).

    Returns:
        Mean held-out accuracy over the folds, in [0, 1]; 0.5 for equal distributions.
    """
    from sklearn.model_selection import KFold, cross_val_score
    from sklearn.neural_network import MLPClassifier

    if classifier not in C2ST_CLASSIFIERS:
        raise ValueError(f"classifier={classifier!r}: expected one of {list(C2ST_CLASSIFIERS)}")
    data, labels = _standardised_pair(reference, estimated)
    width = 10 * data.shape[1]
    early = classifier == "early-stopping"
    network = MLPClassifier(
        activation="relu",
        hidden_layer_sizes=(width, width),
        max_iter=10_000,
        solver="adam",
        random_state=seed,
        early_stopping=early,
        n_iter_no_change=100 if early else 10,
    )
    folds = KFold(n_splits=n_folds, shuffle=True, random_state=seed)
    return float(np.mean(cross_val_score(network, data, labels, cv=folds, scoring="accuracy")))


def sbc_ranks(theta_true, posterior_samples) -> np.ndarray:
    """Rank of each true parameter among its posterior samples, per dimension.

    Args:
        theta_true: (n_sims, D) parameters the data were simulated from.
        posterior_samples: (n_sims, L, D) posterior samples given each simulation's data.

    Returns:
        int ranks in {0, ..., L}, (n_sims, D): uniform for the exact posterior.
    """
    theta_true = _matrix("theta_true", theta_true)
    samples = np.asarray(posterior_samples, dtype=np.float64)
    if (
        samples.ndim != 3
        or samples.shape[0] != len(theta_true)
        or samples.shape[2] != (theta_true.shape[1])
    ):
        raise ValueError(
            f"posterior_samples has shape {samples.shape}: expected "
            f"({len(theta_true)}, L, {theta_true.shape[1]})"
        )
    return np.sum(samples < theta_true[:, None, :], axis=1)


@dataclass(frozen=True)
class Coverage:
    """A calibration test's result.

    Attributes:
        distance: the largest |ECDF - diagonal| (Kolmogorov-Smirnov distance; the largest
            over dimensions for SBC ranks).
        p_value: probability of a distance at least this large for an exact posterior
            (Bonferroni-corrected over dimensions for SBC ranks).
        alpha: credibility levels (n_levels,), for plotting.
        ecp: the expected coverage at each level (n_levels,) (TARP), or the mean over
            dimensions of the ranks' ECDF (SBC).
    """

    distance: float
    p_value: float
    alpha: np.ndarray
    ecp: np.ndarray


def _ks_uniform(u: np.ndarray) -> tuple[float, float]:
    from scipy import stats

    result = stats.kstest(u, "uniform")
    return float(result.statistic), float(result.pvalue)


def rank_uniformity(ranks, n_samples: int, n_levels: int = 101) -> Coverage:
    """Kolmogorov-Smirnov test of SBC ranks (n_sims, D) out of ``n_samples`` against
    uniformity (each rank mapped to the midpoint of its cell, (r + 1/2) / (L + 1), so
    the discreteness shifts the distance by at most 1 / (2 (L + 1)))."""
    ranks = np.asarray(ranks, dtype=np.float64)
    if ranks.ndim != 2 or np.any(ranks < 0) or np.any(ranks > n_samples):
        raise ValueError(f"ranks must be (n_sims, D) in 0..{n_samples}")
    u = (ranks + 0.5) / (n_samples + 1)
    tests = [_ks_uniform(u[:, d]) for d in range(u.shape[1])]
    alpha = np.linspace(0.0, 1.0, n_levels)
    ecdf = np.mean(u[:, :, None] <= alpha, axis=0).mean(axis=0)
    distance = max(t[0] for t in tests)
    p_value = min(1.0, u.shape[1] * min(t[1] for t in tests))
    return Coverage(distance, p_value, alpha, ecdf)


def tarp_coverage(
    theta_true, posterior_samples, *, seed: int | np.random.Generator, n_levels: int = 101
) -> Coverage:
    """TARP expected coverage of posterior samples (Lemos et al., ICML 2023).

    Parameters are normalised to the unit box spanned by ``theta_true``; each simulation
    gets a reference point uniform in that box.

    Args:
        theta_true: (n_sims, D) true parameters.
        posterior_samples: (n_sims, L, D) posterior samples given each simulation's data.
        seed: int or numpy Generator for the reference points.
        n_levels: credibility levels alpha of the returned curve.

    Returns:
        :class:`Coverage`: KS distance and p-value of the f's against U(0, 1), and the
        curve ECP(alpha).
    """
    theta_true = _matrix("theta_true", theta_true)
    samples = np.asarray(posterior_samples, dtype=np.float64)
    sbc_ranks(theta_true, samples)  # the same shape checks
    low, high = theta_true.min(axis=0), theta_true.max(axis=0)
    span = np.where(high > low, high - low, 1.0)
    theta = (theta_true - low) / span
    samples = (samples - low) / span
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    references = rng.random(theta.shape)
    d_samples = np.linalg.norm(samples - references[:, None, :], axis=-1)
    d_true = np.linalg.norm(theta - references, axis=-1)
    f = np.mean(d_samples < d_true[:, None], axis=1)
    # the fraction is discrete (L + 1 values): jitter within its cell for a continuous test
    n_samples = samples.shape[1]
    u = (f * n_samples + rng.random(len(f))) / (n_samples + 1)
    distance, p_value = _ks_uniform(u)
    alpha = np.linspace(0.0, 1.0, n_levels)
    return Coverage(distance, p_value, alpha, np.mean(u[:, None] <= alpha, axis=0))
