"""What a task is: data from a simulator, methods, a reference, an evaluation.

A :class:`Task` names its physics problem, its headline :class:`Reference`, its
:class:`Method` s and the pydantic settings of each; :meth:`Task.config_model` joins the
task's settings with the chosen method's ``model`` section (and a ``train`` section for
gradient-trained methods) into one typed configuration. :meth:`Task.run` receives that
configuration and a :class:`RunContext` and returns the metrics.

Before any run directory exists a configuration passes three gates: its pydantic models
(every value one by one: :data:`Widths` for layer sizes, :class:`BuiltSettings` for the
parameters of a simulator or an algorithm, which it validates itself), :meth:`Task.check`
(settings that do not fit together) and :func:`check_memory` on :meth:`Task.memory_estimate`
(settings whose arrays cannot fit in this machine's memory).
"""

from __future__ import annotations

import abc
import contextlib
import functools
import os
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, ClassVar, Protocol

import pydantic

from physml.config import ConfigError
from physml.metrics import Metric
from physml.train.settings import FitSettings

__all__ = [
    "MAX_WIDTH",
    "BuiltSettings",
    "Method",
    "ProgressBar",
    "Reference",
    "RunContext",
    "Task",
    "Width",
    "Widths",
    "check_memory",
    "check_unet_grid",
]

MAX_WIDTH = 65_536
"""Largest layer width (units, channels) a setting may ask for."""
Width = Annotated[int, pydantic.Field(ge=1, le=MAX_WIDTH)]
"""A layer's width: units of a dense layer, channels of a convolution (1..MAX_WIDTH)."""
Widths = Annotated[list[Width], pydantic.Field(max_length=64)]
"""Widths of a stack of layers, at most 64 of them (add ``min_length`` where one is needed)."""


class BuiltSettings(pydantic.BaseModel):
    """Settings that are the parameters of one physml object (a simulator, an algorithm's
    settings), valid only where that object accepts them: :meth:`build` makes it during
    validation, so its own checks (a cut-off below the jet radius, a positive mass, a
    tournament no larger than the population) refuse bad input before any run directory
    exists rather than when the system is built."""

    model_config = pydantic.ConfigDict(extra="forbid")

    def build(self) -> Any:
        """The object these settings describe (raises ValueError where it refuses them)."""
        raise NotImplementedError

    @pydantic.model_validator(mode="after")
    def _accepted(self) -> BuiltSettings:
        self.build()
        return self


def _memory_bytes() -> float | None:
    """Physical memory of this machine in bytes (None where the OS does not say)."""
    try:
        return float(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"))
    except (AttributeError, ValueError, OSError):
        return None


def _bytes(n: float) -> str:
    for unit in ("B", "kB", "MB", "GB", "TB"):
        if n < 1000:
            return f"{n:.3g} {unit}"
        n /= 1000
    return f"{n:.3g} PB"


def check_memory(task: str, estimate: Mapping[str, float], available: float | None = None) -> None:
    """Refuse settings whose arrays would not fit in memory, naming the largest.

    Args:
        task: the task's name, for the message.
        estimate: bytes of each array (or group) a run holds at once, keyed by what it is
            in terms of the settings (``"spins: n_samples x temperatures x L^2"``).
        available: bytes of memory to compare with; None reads this machine's.

    Raises:
        ConfigError: when the sum exceeds ``available``.
    """
    available = _memory_bytes() if available is None else available
    total = float(sum(estimate.values()))
    if available is None or total <= available:
        return
    what, largest = max(estimate.items(), key=lambda item: item[1])
    raise ConfigError(
        f"{task}: these settings need about {_bytes(total)} of memory ({what}: "
        f"{_bytes(largest)}), more than this machine's {_bytes(available)}; make them smaller"
    )


@dataclass(frozen=True)
class Reference:
    """The exact or optimal value a task's headline result is measured against.

    ``value`` is None when it depends on the settings (e.g. the lattice size); each run
    then reports the reference of its own settings.
    """

    name: str
    value: float | None
    unit: str
    source: str


@dataclass(frozen=True)
class Method:
    """A way to solve a task.

    Attributes:
        name: short name used on the command line (``--method cnn``).
        summary: one line for ``physml list``.
        settings: pydantic model of the method's ``model`` section.
        trained: whether it is fitted by gradient descent (adds a ``train`` section).
        training: pydantic model of that ``train`` section: the house engine's
            :class:`FitSettings` by default, or a method's own loop settings (a GAN's, a
            VAN's).
        presets: per-preset overrides of the method's sections, e.g.
            ``{"full": {"train": {"max_epochs": 60}}}``.
    """

    name: str
    summary: str
    settings: type[pydantic.BaseModel]
    trained: bool = True
    training: type[pydantic.BaseModel] = FitSettings
    presets: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)


class ProgressBar(Protocol):
    def advance(self, amount: float = 1) -> None: ...


class _NoProgress:
    def advance(self, amount: float = 1) -> None:
        pass


@dataclass
class RunContext:
    """What a running task may use besides its configuration.

    Attributes:
        run_dir: the run directory (``plots/`` and ``checkpoints/`` go beneath it).
        seed: the run's master seed; derive every generator from it.
        device: resolved torch device, "cpu" or "cuda".
        log: prints one line for the user (cache hits, per-size results).
        progress_factory: ``(description, total) -> context manager yielding a bar``.
    """

    run_dir: Path
    seed: int
    device: str = "cpu"
    log: Callable[[str], None] = lambda message: None
    progress_factory: (
        Callable[[str, float], contextlib.AbstractContextManager[ProgressBar]] | None
    ) = None

    @contextlib.contextmanager
    def progress(self, description: str, total: float) -> Iterator[ProgressBar]:
        """A progress bar for ``total`` steps (a no-op outside the CLI)."""
        if self.progress_factory is None:
            yield _NoProgress()
        else:
            with self.progress_factory(description, total) as bar:
                yield bar

    def write_log(self, rows: list[Mapping[str, Any]]) -> None:
        """Write ``rows`` (one dict per epoch or iteration, same keys) as ``log.csv``,
        atomically; nothing without rows."""
        import csv
        import io

        from physml.atomic import atomic_write_text

        if not rows:
            return
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
        atomic_write_text(self.run_dir / "log.csv", buffer.getvalue())

    @property
    def plot_dir(self) -> Path:
        return self.run_dir / "plots"

    @property
    def checkpoint_dir(self) -> Path:
        return self.run_dir / "checkpoints"


def check_unet_grid(size: int, channels: list[int], *, name: str) -> None:
    """Refuse a lattice side ``size`` (setting ``name``) that a U-Net with one level per
    entry of ``model.channels`` cannot halve ``len(channels) - 1`` times."""
    factor = 2 ** (len(channels) - 1)
    if size % factor:
        raise ConfigError(
            f"{name}={size} is not allowed with model.channels={list(channels)}: the U-Net "
            f"needs {name} divisible by {factor}"
        )


class Task(abc.ABC):
    """A physics problem users run with ``physml run NAME``."""

    name: ClassVar[str]
    summary: ClassVar[str]
    reference: ClassVar[Reference]
    settings: ClassVar[type[pydantic.BaseModel]]
    methods: ClassVar[Mapping[str, Method]]
    default_method: ClassVar[str]
    #: Overrides of the task's own settings per preset; "quick" is the default preset.
    presets: ClassVar[Mapping[str, Mapping[str, Any]]] = {"quick": {}, "full": {}}

    @functools.cache  # noqa: B019 - tasks live as long as the registry
    def config_model(self, method: str) -> type[pydantic.BaseModel]:
        """The typed configuration of this task run with ``method`` (one class per
        method, built once)."""
        spec = self.methods[method]
        sections: dict[str, Any] = {"model": (spec.settings, spec.settings())}
        if spec.trained:
            sections["train"] = (spec.training, spec.training())
        name = f"{type(self).__name__}{spec.name.title().replace('-', '')}Config"
        return pydantic.create_model(name, __base__=self.settings, **sections)

    def method_of(self, config: Any) -> str:
        """The method a configuration was built for (its ``model`` section's class)."""
        for name, spec in self.methods.items():
            if type(config.model) is spec.settings:
                return name
        raise LookupError(f"no method of {self.name} uses {type(config.model).__name__}")

    def preset_layers(self, method: str, preset: str) -> list[Mapping[str, Any]]:
        """The overrides a preset applies, task first, then the method's sections."""
        return [self.presets.get(preset, {}), self.methods[method].presets.get(preset, {})]

    def check(self, config: Any) -> None:
        """Refuse settings that are valid one by one but not together (raise
        :class:`~physml.config.ConfigError`); called before any run directory exists.
        Most tasks have nothing to add to their settings' own validation."""
        return

    def memory_estimate(self, config: Any) -> dict[str, float]:
        """Bytes of the arrays a run of ``config`` holds at once, keyed by what each is in
        terms of the settings; :func:`check_memory` compares the sum with this machine's
        memory before any run directory exists. A lower bound (the data, not the
        network's activations); empty for tasks whose arrays do not grow with settings."""
        return {}

    @abc.abstractmethod
    def run(self, config: Any, ctx: RunContext) -> dict[str, Metric]:
        """Simulate (or read the cache), fit, evaluate; return metrics by name."""
