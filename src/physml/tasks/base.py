"""What a task is: data from a simulator, methods, a reference, an evaluation.

A :class:`Task` names its physics problem, its headline :class:`Reference`, its
:class:`Method` s and the pydantic settings of each; :meth:`Task.config_model` joins the
task's settings with the chosen method's ``model`` section (and a ``train`` section for
gradient-trained methods) into one typed configuration. :meth:`Task.run` receives that
configuration and a :class:`RunContext` and returns the metrics.
"""

from __future__ import annotations

import abc
import contextlib
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Protocol

import pydantic

from physml.metrics import Metric
from physml.train.settings import FitSettings

__all__ = ["Method", "ProgressBar", "Reference", "RunContext", "Task"]


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

    def config_model(self, method: str) -> type[pydantic.BaseModel]:
        """The typed configuration of this task run with ``method``."""
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

    @abc.abstractmethod
    def run(self, config: Any, ctx: RunContext) -> dict[str, Metric]:
        """Simulate (or read the cache), fit, evaluate; return metrics by name."""
