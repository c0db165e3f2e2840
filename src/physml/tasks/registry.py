"""The registry of built-in tasks: a plain dict from name to task."""

from __future__ import annotations

from physml.tasks.anomaly.bump_hunt import BumpHunt
from physml.tasks.anomaly.data_dimension import DataDimension
from physml.tasks.anomaly.init_criticality import InitCriticality
from physml.tasks.anomaly.manifold_autoencoder import ManifoldAutoencoder
from physml.tasks.astro.plummer_flow import PlummerFlow
from physml.tasks.base import Task
from physml.tasks.collider.cut_optimisation import CutOptimisation
from physml.tasks.collider.higgs_events import HiggsEvents
from physml.tasks.collider.qg_jets import QGJets
from physml.tasks.collider.top_tagging import TopTagging
from physml.tasks.cosmology.field_emulator import FieldEmulator
from physml.tasks.inference.field_inference import FieldInference
from physml.tasks.inference.gp_emulator import GPEmulator
from physml.tasks.inference.nuclear_masses import NuclearMasses
from physml.tasks.inference.sbi_benchmark import SbiBenchmark
from physml.tasks.inference.uq_regression import UQRegression
from physml.tasks.pde.burgers_inverse import BurgersInverse
from physml.tasks.pde.burgers_operator import BurgersOperator
from physml.tasks.pde.burgers_pinn import BurgersPinn
from physml.tasks.pde.navier_stokes_inverse import NavierStokesInverse
from physml.tasks.pde.navier_stokes_operator import NavierStokesOperator
from physml.tasks.pde.param_fit_autodiff import ParamFitAutodiff
from physml.tasks.pde.poisson_pinn import PoissonPinn
from physml.tasks.quantum.quantum_control import QuantumControl
from physml.tasks.quantum.spin_chains import HeisenbergChain, TfimChain
from physml.tasks.quantum.state_tomography import StateTomography
from physml.tasks.quantum.trapped_particles import HoBosons, QuantumDot
from physml.tasks.statmech.hopfield_memory import HopfieldMemory
from physml.tasks.statmech.ising_couplings import IsingCouplings
from physml.tasks.statmech.ising_generative import IsingGenerative
from physml.tasks.statmech.ising_phase import IsingPhase
from physml.tasks.statmech.ising_unsupervised import IsingUnsupervised
from physml.tasks.symmetry.double_pendulum import DoublePendulum
from physml.tasks.symmetry.lensing_substructure import LensingSubstructure
from physml.tasks.symmetry.particle_tracking import ParticleTracking
from physml.tasks.symmetry.symbolic_laws import SymbolicLaws
from physml.tasks.timeseries.gw_chirp import GwChirp
from physml.tasks.timeseries.transit_search import TransitSearch

__all__ = ["TASKS"]

TASKS: dict[str, Task] = {
    task.name: task
    for task in (
        IsingPhase(),
        IsingUnsupervised(),
        IsingCouplings(),
        HopfieldMemory(),
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
        StateTomography(),
        QuantumControl(),
        TransitSearch(),
        GwChirp(),
        InitCriticality(),
        DataDimension(),
        ManifoldAutoencoder(),
        BumpHunt(),
        ParticleTracking(),
        SymbolicLaws(),
        DoublePendulum(),
        LensingSubstructure(),
        BurgersPinn(),
        BurgersInverse(),
        NavierStokesInverse(),
        PoissonPinn(),
        BurgersOperator(),
        NavierStokesOperator(),
        ParamFitAutodiff(),
        SbiBenchmark(),
        FieldInference(),
        UQRegression(),
        NuclearMasses(),
        GPEmulator(),
    )
}
