"""The registry of built-in tasks: a plain dict from name to task."""

from __future__ import annotations

from physml.tasks.base import Task
from physml.tasks.ising_phase import IsingPhase

__all__ = ["TASKS"]

TASKS: dict[str, Task] = {task.name: task for task in (IsingPhase(),)}
