"""The registry of physics problems and the runner that executes them.

Example:
    >>> from physml.tasks import TASKS, run
    >>> sorted(TASKS)
    ['ising-phase']
    >>> record = run("ising-phase", "logistic", overrides={"sizes": [8, 16]})  # doctest: +SKIP
    >>> record.metrics["T_c"].gap  # doctest: +SKIP
"""

from physml.tasks.base import Method, Reference, RunContext, Task
from physml.tasks.registry import TASKS
from physml.tasks.runner import RunRecord, get_task, read_record, resolve, resume, run

__all__ = [
    "TASKS",
    "Method",
    "Reference",
    "RunContext",
    "RunRecord",
    "Task",
    "get_task",
    "read_record",
    "resolve",
    "resume",
    "run",
]
