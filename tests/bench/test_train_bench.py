"""The baseline behind ``physml bench train``: the plain loop is the loop fit runs."""

from __future__ import annotations

import copy

import numpy as np
import pytest
import torch
from torch import nn
from torch.utils.data import TensorDataset

from physml.bench import train as bench
from physml.train import FitSettings, epoch_permutation, fit


def _linear_problem(n: int = 50):
    g = torch.Generator().manual_seed(0)
    x = torch.randn(n, 3, generator=g, dtype=torch.float64)
    y = x @ torch.tensor([1.5, -2.0, 0.5], dtype=torch.float64) + 0.3
    model = nn.Linear(3, 1, dtype=torch.float64)
    with torch.no_grad():
        model.weight.zero_(), model.bias.zero_()
    return model, [x, y + 0.1 * torch.randn(n, generator=g, dtype=torch.float64)]


def test_plain_loop_and_fit_reach_the_same_weights():
    """Lightning-style parity: same order, AdamW and hyperparameters give the same bits."""
    model, tensors = _linear_problem()
    with torch.no_grad():
        initial = bench._mse(model, tensors).item()
    plain = bench.plain_loop(
        copy.deepcopy(model), bench._mse, tensors, epochs=4, batch_size=16, lr=0.05, seed=3
    )
    settings = FitSettings(
        max_epochs=4, batch_size=16, learning_rate=0.05, patience=None, precision="64-true"
    )
    result = fit(model, bench._mse, TensorDataset(*tensors), settings=settings, seed=3)
    for name, value in plain.state_dict().items():
        assert torch.equal(value, result.model.state_dict()[name]), name
    with torch.no_grad():
        final = bench._mse(plain, tensors).item()
    assert final < 0.5 * initial


def test_plain_loop_visits_every_sample_once_per_epoch_in_fits_order():
    _, tensors = _linear_problem(n=23)
    seen = []

    def record(model, batch):
        seen.append(batch[0])
        return bench._mse(model, batch)

    bench.plain_loop(
        nn.Linear(3, 1).double(), record, tensors, epochs=2, batch_size=5, lr=1e-3, seed=1
    )
    order = torch.Generator().manual_seed(1)
    assert [len(b) for b in seen] == [5, 5, 5, 5, 3] * 2
    for epoch in range(2):
        expected = tensors[0][epoch_permutation(23, order)]
        assert torch.equal(torch.cat(seen[5 * epoch : 5 * epoch + 5]), expected)


def test_plain_loop_solves_least_squares():
    """Enough full-batch steps reach numpy's least-squares solution."""
    model, tensors = _linear_problem()
    bench.plain_loop(model, bench._mse, tensors, epochs=1500, batch_size=50, lr=0.02, seed=0)
    x, y = (t.numpy() for t in tensors)
    exact, *_ = np.linalg.lstsq(np.hstack([x, np.ones((len(x), 1))]), y, rcond=None)
    fitted = np.append(model.weight.detach().numpy().ravel(), model.bias.item())
    np.testing.assert_allclose(fitted, exact, atol=1e-6)


@pytest.mark.parametrize(
    "name", ["MLP 32-64-64-1", "LatticeCNN, 16x16 spins", "PFN, 30-particle sets"]
)
def test_cases_give_a_finite_loss_with_gradients(name):
    make_model, loss_fn, tensors, epochs = bench._cases(quick=True)[name]
    assert epochs >= 1 and len({len(t) for t in tensors}) == 1
    model = make_model()
    loss = loss_fn(model, [t[:8] for t in tensors])
    loss.backward()
    assert torch.isfinite(loss) and all(p.grad is not None for p in model.parameters())


def test_rows_are_well_formed(monkeypatch):
    """Every case at both batch sizes, ratio = fit / plain; "no GPU" without one."""
    tiny = {
        name: (make, loss, [t[:64] for t in tensors], 1)
        for name, (make, loss, tensors, _) in bench._cases(quick=True).items()
    }
    monkeypatch.setattr(bench, "_cases", lambda quick: tiny)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    rows = bench.run(quick=True)
    assert len(rows) == 3 * len(bench._BATCHES) + 1
    assert all(row.keys() == rows[0].keys() for row in rows)
    for row in rows[:-1]:
        fit_s, plain_s = (float(row[k].removesuffix(" s")) for k in ("physml", "baseline"))
        assert fit_s > 0 and plain_s > 0
        assert float(row["ratio"]) == pytest.approx(fit_s / plain_s, rel=0.02)
    assert rows[-1]["case: fit vs plain loop"] == "no GPU"


def test_gpu_rows_are_well_formed_with_faked_timings(monkeypatch):
    """The GPU branch (not runnable here) builds its rows: ratios, then LoLa's speed-up."""
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    calls = []

    def fake_race(case, batch_size, device, repeats):
        calls.append((case[2][0].shape, batch_size, device))
        return (0.5, 0.4) if device == "cuda" else (6.0, 5.0)

    monkeypatch.setattr(bench, "_race", fake_race)
    rows = bench._gpu_rows(quick=True, repeats=3)
    assert len(rows) == 3 * len(bench._BATCHES) + 1
    assert all(row["ratio"] == "1.25" for row in rows[:-1])
    assert rows[-1]["benchmark"] == "GPU speed-up" and rows[-1]["ratio"] == "12"
    assert calls[-2:] == [((4096, 20, 4), 1024, "cuda"), ((4096, 20, 4), 1024, "cpu")]
