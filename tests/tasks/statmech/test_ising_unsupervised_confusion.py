"""Learning by confusion: one batched model equals K sequential fits; the W's middle peak."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from physml.tasks.statmech.ising_unsupervised_confusion import (
    BatchedMLP,
    confusion_labels,
    middle_peak,
    predict,
    train_batched,
    train_sequential,
)


def test_labels_split_at_each_trial_temperature() -> None:
    y = confusion_labels(np.array([1.0, 2.0, 3.0]), np.array([0.5, 1.5, 2.5, 3.5]))
    assert y.tolist() == [[0, 0, 0], [1, 0, 0], [1, 1, 0], [1, 1, 1]]


def test_batched_model_evaluates_each_member_alone() -> None:
    model = BatchedMLP(4, 6, 3, torch.Generator().manual_seed(0))
    x = torch.randn(5, 6, generator=torch.Generator().manual_seed(1))
    out = model(x)
    assert out.shape == (4, 5)
    for k in range(4):
        torch.testing.assert_close(model.member(k)(x)[0], out[k])


def test_batched_fit_equals_sequential_fits() -> None:
    """Separable summed loss + elementwise Adam: the same parameters up to float32."""
    rng = np.random.default_rng(0)
    x = rng.choice([-1.0, 1.0], size=(120, 9)).astype(np.float32)
    temperature = rng.uniform(1, 3, 120)
    y = confusion_labels(temperature, np.array([1.5, 2.0, 2.5]))
    options = {"hidden": 4, "epochs": 3, "batch_size": 32, "learning_rate": 1e-2, "seed": 7}
    batched = train_batched(x, y, **options)
    sequential = train_sequential(x, y, **options)
    start = BatchedMLP(3, 9, 4, torch.Generator().manual_seed(7))
    moved = False
    for k, member in enumerate(sequential):
        for name, value in member.named_parameters():
            torch.testing.assert_close(value[0], getattr(batched, name)[k], atol=1e-5, rtol=0)
            moved |= not torch.allclose(value[0], getattr(start, name)[k])
    assert moved  # the fits did change the weights
    assert predict(batched, x).shape == (3, 120)


def test_middle_peak_of_a_w() -> None:
    trials = np.linspace(1.0, 3.5, 26)
    centre = 2.27
    accuracy = 1 - 0.4 * np.exp(-(((np.abs(trials - centre) - 0.6) / 0.25) ** 2))
    peak = middle_peak(trials, accuracy)
    assert peak == pytest.approx(centre, abs=0.02)
    # a symmetric peak around a grid point is refined to that point
    assert middle_peak(np.arange(7.0), np.array([1, 0.2, 0.6, 0.9, 0.6, 0.2, 1])) == pytest.approx(
        3.0
    )
