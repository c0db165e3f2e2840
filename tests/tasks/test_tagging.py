"""The shared measurement of signal-vs-background tasks, against closed forms."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from physml.tasks.tagging import TEST, TRAIN, VALIDATION, Anchor, classifier_metrics, split_labels


def test_split_fractions_and_seed() -> None:
    split = split_labels(10_000, 0.25, 0.2, seed=3)
    assert np.mean(split == TEST) == pytest.approx(0.25, abs=1e-4)
    assert np.mean(split == VALIDATION) == pytest.approx(0.75 * 0.2, abs=1e-4)
    assert np.mean(split == TRAIN) == pytest.approx(0.6, abs=1e-4)
    assert np.array_equal(split, split_labels(10_000, 0.25, 0.2, seed=3))
    assert not np.array_equal(split, split_labels(10_000, 0.25, 0.2, seed=4))


def test_gaussian_scores_against_the_optimum() -> None:
    # signal N(1, 1) vs background N(0, 1): the log-likelihood ratio is x - 1/2,
    # AUC = Phi(1/sqrt 2); a monotone transform of x is exactly as good
    rng = np.random.default_rng(0)
    y = np.repeat([1, 0], 50_000)
    x = rng.normal(y.astype(float), 1.0)
    llr = x - 0.5
    members = [1 / (1 + np.exp(-llr)), 1 / (1 + np.exp(-(llr + rng.normal(0, 0.5, y.size))))]
    metrics = classifier_metrics(y, members, working_point=0.5, optimum=llr)
    exact = stats.norm.cdf(1 / np.sqrt(2))
    assert metrics["AUC"].reference == pytest.approx(exact, abs=0.005)
    assert metrics["AUC_opt - AUC"].value > 0  # the noisy member is worse
    assert metrics["AUC"].std > 0
    # eps_B at eps_S = 1/2 is Phi(-1): rejection 1/Phi(-1)
    assert metrics["1/eps_B(eps_S=0.5)"].reference == pytest.approx(
        1 / stats.norm.cdf(-1), rel=0.03
    )
    assert metrics["accuracy"].reference == pytest.approx(stats.norm.cdf(0.5), abs=0.005)
    # bootstrap errors: the AUC's against Hanley & McNeil's, accuracy's against binomial
    a, m = exact, 50_000
    q1, q2 = a / (2 - a), 2 * a * a / (1 + a)
    hanley_mcneil = np.sqrt((a * (1 - a) + (m - 1) * (q1 + q2 - 2 * a * a)) / m**2)
    assert 0.5 < metrics["AUC"].error / hanley_mcneil < 2
    p = metrics["accuracy"].value
    assert 0.5 < metrics["accuracy"].error / np.sqrt(p * (1 - p) / y.size) < 2
    # the paired error of the gap to the optimum is far below either error
    assert 0 < metrics["AUC_opt - AUC"].error < metrics["AUC"].error / 2
    assert metrics["AUC_opt - AUC"].reference == 0 and metrics["AUC_opt - AUC"].gap_kind


def test_a_monotone_transform_of_the_optimum_is_exactly_optimal() -> None:
    rng = np.random.default_rng(1)
    y = np.repeat([1, 0], 2000)
    llr = rng.normal(y.astype(float), 1.0) - 0.5
    metrics = classifier_metrics(y, [1 / (1 + np.exp(-llr))], working_point=0.5, optimum=llr)
    gap = metrics["AUC_opt - AUC"]
    assert gap.value == pytest.approx(0, abs=1e-15) and gap.error == pytest.approx(0, abs=1e-15)
    assert metrics["AUC"].error > 0 and metrics["AUC"].gap_error == pytest.approx(0, abs=1e-15)
    assert metrics["1/eps_B(eps_S=0.5)"].gap_error == pytest.approx(0, abs=1e-12)


def test_literature_anchor_is_labelled() -> None:
    y = np.array([0, 1, 0, 1])
    metrics = classifier_metrics(
        y, [np.array([0.1, 0.9, 0.2, 0.8])], working_point=0.5, anchor=Anchor(0.9, 20.0, "X")
    )
    assert metrics["AUC"].value == 1.0 and metrics["AUC"].reference == 0.9
    assert metrics["AUC"].source.startswith("literature")
    assert "AUC_opt - AUC" not in metrics
    assert metrics["AUC"].gap_error is None  # a literature value: the error is the value's
