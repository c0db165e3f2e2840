"""Shared test harness: seeded RNGs, a private cache directory, small threads."""

from __future__ import annotations

import os

# torch's and numba's OpenMP threads spin while they wait; on an oversubscribed machine
# (CI runners, a laptop running other jobs) that made steps 50-100x slower. Set before
# either library loads.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import numpy as np
import pytest


@pytest.fixture(autouse=True)
def _isolated(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every test gets its own data cache; nothing touches ~/.cache/physml."""
    monkeypatch.setenv("PHYSML_CACHE", str(tmp_path_factory.mktemp("cache")))


@pytest.fixture
def rng() -> np.random.Generator:
    """A seeded numpy generator (tests never rely on global random state)."""
    return np.random.default_rng(12345)


@pytest.fixture
def one_torch_thread():
    """One intra-op torch thread: fastest for tiny models, and no fight with other
    processes on a 2-core machine (``pytestmark = pytest.mark.usefixtures(...)``)."""
    import torch

    n_threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n_threads)


@pytest.fixture
def seeded_torch():
    """Torch's global generator forked and seeded with 0 for the test, restored after."""
    import torch

    with torch.random.fork_rng():
        torch.manual_seed(0)
        yield
