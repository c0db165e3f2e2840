"""Shared test harness: seeded RNGs, a private cache directory, small threads."""

from __future__ import annotations

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
