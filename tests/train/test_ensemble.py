"""Tests of deep ensembles: independent, reproducible members and their spread."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from torch import nn
from torch.utils.data import TensorDataset

from physml.train import FitSettings, fit_ensemble, member_seeds, spread


def regression_data(n: int, seed: int) -> TensorDataset:
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, 2, generator=g)
    y = torch.sin(x[:, 0]) + 0.5 * x[:, 1] + 0.05 * torch.randn(n, generator=g)
    return TensorDataset(x, y)


def mse(model: nn.Module, batch) -> torch.Tensor:
    x, y = batch
    return ((model(x).squeeze(-1) - y) ** 2).mean()


def make_mlp(member_seed: int) -> nn.Module:
    # Default PyTorch init: fit_ensemble seeds torch's (forked) global RNG with member_seed.
    return nn.Sequential(nn.Linear(2, 8), nn.Tanh(), nn.Linear(8, 1))


SETTINGS = FitSettings(max_epochs=3, batch_size=16, learning_rate=0.01, patience=None)


def flat(model: nn.Module) -> torch.Tensor:
    return torch.cat([p.detach().ravel() for p in model.parameters()])


def test_members_differ_and_are_reproducible(tmp_path):
    train, val = regression_data(64, seed=0), regression_data(32, seed=1)
    records = []
    first = fit_ensemble(
        make_mlp,
        mse,
        train,
        val,
        n_members=3,
        settings=SETTINGS,
        seed=11,
        checkpoint_dir=tmp_path / "ckpt",
        log_dir=tmp_path / "logs",
        on_epoch=records.append,
    )
    again = fit_ensemble(make_mlp, mse, train, val, n_members=3, settings=SETTINGS, seed=11)
    other = fit_ensemble(make_mlp, mse, train, val, n_members=3, settings=SETTINGS, seed=12)

    weights = [flat(r.model) for r in first]
    for i in range(3):
        for j in range(i):
            assert not torch.allclose(weights[i], weights[j])
        assert torch.equal(weights[i], flat(again[i].model))
        assert not torch.equal(weights[i], flat(other[i].model))
    assert sorted({(r["member"], r["epoch"]) for r in records}) == [
        (k, e) for k in range(3) for e in (1, 2, 3)
    ]
    assert all(r["n_members"] == 3 for r in records)
    for k in range(3):
        assert (tmp_path / "ckpt" / f"member-{k}" / "last.pt").exists()
        assert (tmp_path / "ckpt" / f"member-{k}" / "best.pt").exists()
        assert (tmp_path / "logs" / f"member-{k}.csv").read_text().startswith("epoch,")


def test_make_model_gets_member_seed_and_global_rng_is_untouched():
    seen = []

    def make(member_seed: int) -> nn.Module:
        seen.append(member_seed)
        return nn.Linear(2, 1)

    state = torch.get_rng_state()
    fit_ensemble(
        make,
        mse,
        regression_data(16, seed=2),
        n_members=2,
        settings=FitSettings(max_epochs=1),
        seed=5,
    )
    assert seen == member_seeds(5, 2)
    assert torch.equal(torch.get_rng_state(), state)


def test_rerun_resumes_finished_members(tmp_path):
    train = regression_data(32, seed=3)
    first = fit_ensemble(
        make_mlp, mse, train, n_members=2, settings=SETTINGS, seed=0, checkpoint_dir=tmp_path
    )
    again = fit_ensemble(
        make_mlp, mse, train, n_members=2, settings=SETTINGS, seed=0, checkpoint_dir=tmp_path
    )
    assert [r.resumed_from for r in again] == [3, 3]
    for a, b in zip(first, again, strict=True):
        assert torch.equal(flat(a.model), flat(b.model))


def test_member_seeds_are_spawned_independent_seeds():
    seeds = member_seeds(42, 4)
    expected = [
        int(c.generate_state(1, dtype=np.uint64)[0]) >> 1
        for c in np.random.SeedSequence(42).spawn(4)
    ]
    assert seeds == expected
    assert len(set(seeds)) == 4 and all(0 <= s < 2**63 for s in seeds)
    assert member_seeds(42, 2) == seeds[:2]
    assert member_seeds(43, 4) != seeds
    with pytest.raises(ValueError, match="n=0"):
        member_seeds(0, 0)


def test_spread_is_mean_and_sample_std():
    values = [1.0, 2.0, 4.0, 7.0]
    mean, std = spread(values)
    assert mean == pytest.approx(3.5)
    assert std == pytest.approx(math.sqrt(sum((v - 3.5) ** 2 for v in values) / 3))
    assert spread([0.25]) == (0.25, 0.0)  # one member: std reported as 0.0, not NaN
    assert spread(np.array([2.0, 2.0])) == (2.0, 0.0)
    with pytest.raises(ValueError, match="non-empty"):
        spread([])
