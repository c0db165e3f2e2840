"""Samples against an exact probability mass function: chi-squared with combined p-values.

Each of several independent batches of samples is histogrammed over the K states of an
enumerated distribution and compared with its expected counts n p_k by Pearson's
chi-squared test. States expected fewer than ``min_expected`` times in a batch are
pooled into one bin (and that bin into the smallest other one if it is still sparse),
so the chi-squared law holds. The batches' p-values are combined by Fisher's method
(-2 sum log p ~ chi-squared with 2B degrees of freedom; NetKet's sampler tests do the
same), which catches a sampler that is off in some batches only (a seed-dependent bug, a
drifting chain). A small bias shared by every batch is caught far better by one test of
all batches' counts summed (its chi-squared grows with the number of samples), so both
are computed and the smaller p-value, doubled (Bonferroni), is the combined p-value. A
sample in a state of probability zero fails at once.

The test assumes independent samples: Markov chains must be decorrelated (one sample
per chain, or samples many autocorrelation times apart), or the counts fluctuate more
than multinomially and a correct sampler fails. With ``alpha = 1e-3`` a correct sampler
fails at most one run in a thousand.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from physml.checks import check_int, check_real
from physml.testing._arrays import as_numpy

__all__ = ["assert_samples_match"]


def _pooled(counts: np.ndarray, expected: np.ndarray, min_expected: float):
    """Observed and expected counts with sparse states pooled into one bin."""
    rich = expected >= min_expected
    obs, exp = counts[rich], expected[rich]
    if (~rich).any():
        sparse_obs, sparse_exp = counts[~rich].sum(), expected[~rich].sum()
        if sparse_exp >= min_expected or len(exp) == 0:
            obs, exp = np.append(obs, sparse_obs), np.append(exp, sparse_exp)
        else:
            smallest = int(np.argmin(exp))
            obs[smallest] += sparse_obs
            exp[smallest] += sparse_exp
    return obs, exp


def _batches(sampler, n_batches: int) -> list:
    if callable(sampler):
        return [sampler(batch) for batch in range(n_batches)]
    if isinstance(sampler, Sequence) and len(sampler) > 0:
        return list(sampler)
    raise ValueError(
        f"sampler={sampler!r} is not allowed: expected a callable batch -> samples or a "
        "non-empty sequence of sample batches"
    )


def _chi_square(counts: np.ndarray, pmf: np.ndarray, min_expected: float, where: str) -> float:
    """Pearson's chi-squared p-value of counts against pmf, sparse states pooled."""
    from scipy import stats

    obs, exp = _pooled(counts, pmf * counts.sum(), min_expected)
    if len(obs) < 2:
        raise ValueError(
            f"{where} has {counts.sum()} samples: too few for two bins of expected count "
            f">= {min_expected:g}; draw more samples"
        )
    return float(stats.chisquare(obs, exp).pvalue)


def assert_samples_match(
    sampler: Callable | Sequence,
    exact_pmf,
    *,
    to_index: Callable | None = None,
    n_batches: int = 4,
    min_expected: float = 5.0,
    alpha: float = 1e-3,
) -> float:
    """Assert that samples follow an exact distribution over enumerated states.

    Args:
        sampler: a callable ``sampler(batch) -> samples`` (called for batch = 0, 1, ...,
            n_batches - 1; seed it from ``batch`` so batches are independent), or a
            sequence of already drawn batches.
        exact_pmf: probabilities of the K states, shape (K,), summing to one.
        to_index: samples -> state indices in 0..K-1; None: the samples are the indices.
        n_batches: batches drawn from a callable ``sampler`` (>= 1).
        min_expected: expected count below which states are pooled (> 0; 5 is the
            textbook rule for the chi-squared law).
        alpha: the combined p-value below which the check fails, in (0, 1).

    Returns:
        The combined p-value: with several batches, twice the smaller of Fisher's
        combination and the chi-squared of all batches' counts summed (at most 1).

    Raises:
        AssertionError: with the combined and per-batch p-values and the state whose
            count deviates most (observed, expected, in standard deviations), or the
            number of samples in states of probability zero.
        ValueError: for a pmf that is negative or does not sum to one, indices out of
            range, or bad settings.

    Example:
        >>> import numpy as np
        >>> pmf = np.array([0.1, 0.2, 0.3, 0.4])
        >>> fair = lambda batch: np.random.default_rng(batch).choice(4, 5000, p=pmf)
        >>> assert_samples_match(fair, pmf) > 1e-3
        True
        >>> biased = lambda batch: np.random.default_rng(batch).choice(4, 5000, p=pmf[::-1])
        >>> assert_samples_match(biased, pmf)
        Traceback (most recent call last):
        ...
        AssertionError: samples do not follow the exact pmf: combined p-value ...
    """
    from scipy import stats  # 1 s to import: only when sampling is checked

    n_batches = check_int("n_batches", n_batches, minimum=1)
    min_expected = check_real("min_expected", min_expected, positive=True)
    alpha = check_real("alpha", alpha, positive=True)
    if alpha >= 1:
        raise ValueError(f"alpha={alpha!r} is not allowed: expected a p-value in (0, 1)")
    pmf = as_numpy(exact_pmf).reshape(-1)
    if not (np.isfinite(pmf).all() and (pmf >= 0).all() and abs(pmf.sum() - 1) < 1e-6):
        raise ValueError(
            f"exact_pmf sums to {pmf.sum():.12g} (min {pmf.min():.3g}): expected finite "
            "probabilities >= 0 summing to one within 1e-6"
        )
    pmf = pmf / pmf.sum()
    n_states = len(pmf)
    batch_counts = []
    for b, samples in enumerate(_batches(sampler, n_batches)):
        index = as_numpy(samples if to_index is None else to_index(samples)).reshape(-1)
        if not (np.all(index == np.round(index)) and index.min() >= 0 and index.max() < n_states):
            raise ValueError(
                f"batch {b} has state indices in {index.min():g}..{index.max():g}: expected "
                f"integers in 0..{n_states - 1}"
            )
        counts = np.bincount(index.astype(np.int64), minlength=n_states)
        impossible = counts[pmf == 0].sum()
        if impossible:
            state = int(np.flatnonzero((pmf == 0) & (counts > 0))[0])
            raise AssertionError(
                f"batch {b}: {impossible} of {len(index)} samples in states of exact "
                f"probability 0 (first: state {state})"
            )
        batch_counts.append(counts)
    p_batches = [
        _chi_square(c, pmf, min_expected, f"batch {b}") for b, c in enumerate(batch_counts)
    ]
    total = np.sum(batch_counts, axis=0)
    if len(batch_counts) == 1:
        combined = p_batches[0]
    else:  # Bonferroni over the two tests keeps the false-alarm rate at alpha
        floor = np.finfo(np.float64).tiny  # a p-value of 0 (underflow) would log to -inf
        fisher = stats.combine_pvalues(np.maximum(p_batches, floor), method="fisher").pvalue
        p_total = _chi_square(total, pmf, min_expected, "all batches")
        combined = min(1.0, 2 * min(float(fisher), p_total))
    if not combined >= alpha:
        per_batch = ", ".join(f"{p:.2g}" for p in p_batches)
        expected = pmf * total.sum()
        pulls = (total - expected) / np.sqrt(np.where(expected > 0, expected, np.inf))
        k = int(np.argmax(np.abs(pulls)))
        raise AssertionError(
            f"samples do not follow the exact pmf: combined p-value {combined:.3g} < alpha="
            f"{alpha:g} (per batch: {per_batch}); worst state {k}: observed {total[k]}, "
            f"expected {expected[k]:.1f} ({pulls[k]:+.1f} sigma) in {total.sum()} samples"
        )
    return combined
