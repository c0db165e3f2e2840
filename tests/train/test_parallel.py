"""Ray jobs: parallel ensemble members are the sequential members, bit for bit; a Ray
address where nothing answers is refused in one line."""

from __future__ import annotations

import socket

import pytest
import torch

from physml.config import ConfigError
from physml.train import FitSettings, fit_ensemble
from physml.train.parallel import active_workers, check_address, ray_workers

pytest.importorskip("ray")


@pytest.fixture(scope="module")
def two_workers():
    with ray_workers(2) as workers:
        yield workers


def _members(n_members: int) -> list:
    from torch.utils.data import TensorDataset

    g = torch.Generator().manual_seed(0)
    x = torch.randn(64, 3, generator=g, dtype=torch.float64)
    data = TensorDataset(x, torch.sin(x.sum(-1)))

    def make_model(seed: int) -> torch.nn.Module:  # seeded by fit_ensemble
        return torch.nn.Sequential(torch.nn.Linear(3, 8), torch.nn.Tanh(), torch.nn.Linear(8, 1))

    def mse(model, batch):
        return ((model(batch[0]).squeeze(-1) - batch[1]) ** 2).mean()

    settings = FitSettings(max_epochs=3, batch_size=16, precision="64-true", patience=None)
    seen = []
    results = fit_ensemble(
        make_model,
        mse,
        data,
        n_members=n_members,
        settings=settings,
        seed=5,
        on_epoch=lambda record: seen.append((record["member"], record["epoch"])),
    )
    return results, sorted(seen)


def test_local_workers_run_at_the_drivers_priority(two_workers) -> None:
    import os

    import ray

    @ray.remote
    def niceness() -> int:
        return os.getpriority(os.PRIO_PROCESS, 0)

    # Ray's default adds 15 to a worker's niceness: members would starve on a busy machine
    assert ray.get(niceness.remote()) == os.getpriority(os.PRIO_PROCESS, 0)


def test_parallel_members_are_the_sequential_members(two_workers) -> None:
    assert active_workers() == 2
    parallel, seen = _members(3)
    assert seen == [(k, e) for k in range(3) for e in (1, 2, 3)]  # every epoch replayed
    with torch.random.fork_rng(devices=[]):
        from physml.train import parallel as module

        saved = dict(module._ACTIVE)
        module._ACTIVE.clear()  # the same call, one member after another
        try:
            sequential, _ = _members(3)
        finally:
            module._ACTIVE.update(saved)
    weights = [[p.detach() for p in r.model.parameters()] for r in parallel]
    for k, result in enumerate(sequential):
        losses = [(r["train_loss"], r["val_loss"]) for r in result.history]
        assert losses == [(r["train_loss"], r["val_loss"]) for r in parallel[k].history]
        for a, b in zip(result.model.parameters(), weights[k], strict=True):
            assert torch.equal(a.detach(), b)
    assert not torch.equal(weights[0][0], weights[1][0])  # members differ: own seeds


def _silent_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_an_address_without_a_cluster_is_refused() -> None:
    port = _silent_port()
    with pytest.raises(ConfigError, match=f"--address '127.0.0.1:{port}': no Ray cluster answers"):
        check_address(f"127.0.0.1:{port}", timeout_s=1.0)
    with pytest.raises(ConfigError, match="expected HOST:PORT"):
        check_address("nowhere")
    with pytest.raises(ConfigError, match="--workers 0 is not allowed"):
        with ray_workers(0):
            pass
