"""The registry of built-in tasks: a plain dict from name to task."""

from __future__ import annotations

from physml.tasks.base import Task
from physml.tasks.cut_optimisation import CutOptimisation
from physml.tasks.field_emulator import FieldEmulator
from physml.tasks.higgs_events import HiggsEvents
from physml.tasks.ising_generative import IsingGenerative
from physml.tasks.ising_phase import IsingPhase
from physml.tasks.plummer_flow import PlummerFlow
from physml.tasks.qg_jets import QGJets
from physml.tasks.spin_chains import HeisenbergChain, TfimChain
from physml.tasks.top_tagging import TopTagging
from physml.tasks.trapped_particles import HoBosons, QuantumDot

__all__ = ["TASKS"]

TASKS: dict[str, Task] = {
    task.name: task
    for task in (
        IsingPhase(),
        QGJets(),
        TopTagging(),
        HiggsEvents(),
        CutOptimisation(),
        PlummerFlow(),
        IsingGenerative(),
        FieldEmulator(),
        HoBosons(),
        QuantumDot(),
        TfimChain(),
        HeisenbergChain(),
    )
}
