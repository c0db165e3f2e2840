"""The registry of built-in tasks: a plain dict from name to task."""

from __future__ import annotations

from physml.tasks.base import Task
from physml.tasks.ising_phase import IsingPhase
from physml.tasks.qg_jets import QGJets
from physml.tasks.spin_chains import HeisenbergChain, TfimChain
from physml.tasks.trapped_particles import HoBosons, QuantumDot

__all__ = ["TASKS"]

TASKS: dict[str, Task] = {
    task.name: task
    for task in (
        IsingPhase(),
        QGJets(),
        HoBosons(),
        QuantumDot(),
        TfimChain(),
        HeisenbergChain(),
    )
}
