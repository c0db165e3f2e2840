"""Tests for physml.tasks.training: fit_arrays fits task arrays through the house engine."""

from __future__ import annotations

import numpy as np
import pytest

from physml.tasks.base import RunContext
from physml.train import FitSettings

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def test_fit_arrays_recovers_a_linear_law_and_holds_out_the_first_rows(tmp_path):
    import torch

    from physml.tasks.training import fit_arrays

    rng = np.random.default_rng(0)
    x = rng.normal(size=(512, 1))
    y = 2.0 * x - 0.5  # noiseless: the least-squares fit is exact
    torch.manual_seed(0)
    model = torch.nn.Linear(1, 1)

    def loss(m, batch):
        return torch.mean((m(batch[0]) - batch[1]) ** 2)

    ctx = RunContext(run_dir=tmp_path, seed=0)
    settings = FitSettings(
        max_epochs=60, batch_size=64, learning_rate=0.05, weight_decay=0.0, patience=60
    )
    result = fit_arrays(
        model, loss, [x, y], settings=settings, seed=0, ctx=ctx, name="line", n_validation=64
    )
    assert result.model.weight.item() == pytest.approx(2.0, abs=1e-2)
    assert result.model.bias.item() == pytest.approx(-0.5, abs=1e-2)
    assert all(row["val_loss"] is not None for row in result.history)
    assert (tmp_path / "checkpoints" / "line").is_dir()
