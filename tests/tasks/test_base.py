"""Tests for the gates physml.tasks.base puts before a run directory: the memory check,
the U-Net grid check and settings validated by the object they build."""

from __future__ import annotations

import pydantic
import pytest

from physml.config import ConfigError, build_config
from physml.tasks.base import MAX_WIDTH, BuiltSettings, Widths, check_memory, check_unet_grid


def test_check_memory_names_the_largest_array_and_the_machine() -> None:
    estimate = {"spins: n_samples x L^2": 3.2e12, "labels": 4e9}
    check_memory("ising-phase", estimate, available=4e12)  # fits: nothing to say
    with pytest.raises(ConfigError) as err:
        check_memory("ising-phase", estimate, available=16e9)
    assert str(err.value) == (
        "ising-phase: these settings need about 3.2 TB of memory (spins: n_samples x L^2: "
        "3.2 TB), more than this machine's 16 GB; make them smaller"
    )
    check_memory("small", {})  # no estimate: never refused


@pytest.mark.parametrize(
    ("size", "channels", "ok"), [(16, [8, 16, 32], True), (6, [8, 8, 8], False)]
)
def test_unet_grid_needs_size_divisible_by_two_per_level(size, channels, ok) -> None:
    if ok:
        check_unet_grid(size, channels, name="size")
    else:
        with pytest.raises(ConfigError, match=r"size=6 is not allowed .* divisible by 4"):
            check_unet_grid(size, channels, name="size")


class Window(BuiltSettings):
    low: float = 1.0
    high: float = 2.0

    def build(self) -> tuple[float, float]:
        if not self.low < self.high:
            raise ValueError(f"high={self.high} is not allowed: expected a number above low")
        return self.low, self.high


class Net(pydantic.BaseModel):
    window: Window = Window()
    hidden: Widths = [4]


def test_built_settings_are_checked_by_what_they_build() -> None:
    assert build_config(Net, [{"window": {"high": 3.0}}]).window.build() == (1.0, 3.0)
    with pytest.raises(ConfigError, match=r"'window': high=0\.5 is not allowed: expected a number"):
        build_config(Net, [{"window": {"high": 0.5}}])
    with pytest.raises(ConfigError, match=r"unknown key 'window\.size'"):  # extra keys forbidden
        build_config(Net, [{"window": {"size": 1}}])


@pytest.mark.parametrize("hidden", [[0], [-3], [MAX_WIDTH + 1], [8] * 65, "wide"])
def test_widths_refuse_empty_layers_huge_layers_and_deep_stacks(hidden) -> None:
    with pytest.raises(ConfigError, match="'hidden"):
        build_config(Net, [{"hidden": hidden}])
