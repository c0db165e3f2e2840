"""The named random streams of a run, all derived from its one master seed.

Every random draw a task makes comes from ``numpy.random.SeedSequence([seed, stream,
*keys])``: ``seed`` is the run's master seed (``--seed``), ``stream`` one of the
:class:`Stream` values below, ``keys`` what tells the draws of one stream apart (a lattice
size, a temperature index). Distinct streams never share numbers, so adding bootstrap
errors or another ensemble member leaves the training data and the other members as they
were. A new task adds its streams here, never an integer of its own.

Example:
    >>> from physml.tasks.seeds import Stream, generator, member_seeds
    >>> int(generator(0, Stream.SPLIT).integers(10)) == int(generator(0, Stream.SPLIT).integers(10))
    True
    >>> len(member_seeds(0, 3))
    3
"""

from __future__ import annotations

import enum

import numpy as np

__all__ = ["N_RESAMPLES", "Stream", "bootstrap_seed", "generator", "member_seeds", "seed_sequence"]

#: Bootstrap resamples of every statistical error a task reports (the error itself is then
#: known to ~5 %).
N_RESAMPLES = 200


class Stream(enum.IntEnum):
    """What a stream of random numbers is for (the values are part of reproducibility:
    changing one changes every run's numbers)."""

    ISING_SAMPLES = 3  #: ising-phase Monte Carlo, one stream per (L, T)
    ISING_GENERATIVE_MC = 7  #: ising-generative Monte Carlo references, per temperature
    ISING_GENERATIVE_TRAIN = 8  #: ising-generative training samples, per temperature
    JETS = 11  #: qg-jets and top-tagging simulated jets (quark/gluon, top/QCD)
    SPLIT = 12  #: train / validation / test assignment of events
    MEMBERS = 13  #: one seed per ensemble member
    TOP_EVALUATION = 14  #: top-tagging's separate evaluation sample
    BOOTSTRAP = 17  #: bootstrap resamples of the test events (statistical errors)
    HIGGS_EVENTS = 21  #: higgs-events training and evaluation events
    CUT_EVENTS = 31  #: cut-optimisation's optimisation and measurement samples
    PLUMMER_STARS = 41  #: plummer-flow's stars
    FIELDS = 47  #: field-emulator's training fields and judging draws
    ISING_COUPLINGS = 51  #: ising-couplings random states (training and test)
    ISING_COUPLINGS_FOLDS = 52  #: ising-couplings assignment of training states to k folds
    HOPFIELD_PATTERNS = 53  #: hopfield-memory stored patterns, per (N, load, trial)
    HOPFIELD_RECALL = 54  #: hopfield-memory corrupted cues and update orders, per (N, load, trial)
    ISING_UNSUPERVISED = 55  #: ising-unsupervised PCA, clusters, t-SNE subsample and bootstrap
    ISING_CONFUSION = 56  #: ising-unsupervised learning by confusion: split, weights, batches
    TRANSIT_CURVES = 61  #: transit-search light curves: time stamps, transits, noise
    CHIRP_STRAIN = 62  #: gw-chirp strain segments: masses, arrival times, phases, noise
    SIGNALS_BENCH = 63  #: bench signals: the data its timings run on
    TOMOGRAPHY_RECORDS = 71  #: state-tomography shot counts, per (shots index, seed index)
    TOMOGRAPHY_FITS = 72  #: state-tomography RBM initialisation, per (shots index, seed index)
    CONTROL_AGENTS = 73  #: quantum-control agents' exploration and weights, per (T index, run)
    QUANTUM_DATA_BENCH = 74  #: bench quantum-data: the states and records its timings run on
    PINN_POINTS = 81  #: PINN tasks' collocation points, per member
    PINN_RESAMPLING = 82  #: PINN residual-based resampling candidates, per member
    PINN_DATA = 83  #: burgers-inverse and navier-stokes-inverse observation points and noise
    PINN_BENCH = 84  #: bench pinn: collocation points and weights of its timings
    BURGERS_OPERATOR = 85  #: burgers-operator initial conditions (Gaussian random fields)
    NS_OPERATOR = 86  #: navier-stokes-operator initial vorticities
    PARAM_FIT = 87  #: param-fit-autodiff true parameters and observation noise, per seed
    OPERATORS_BENCH = 88  #: bench operators: the data its fits run on
    INIT_NETWORKS = 91  #: init-criticality networks at initialisation, per (activation, init, n)
    INIT_TRAINED = 92  #: init-criticality trained ensembles, per (width, depth)
    DIMENSION_DATA = 93  #: data-dimension manifold points, jets and classifier seeds
    MANIFOLD_DATA = 94  #: manifold-autoencoder points and autoencoder seeds
    DIJETS = 95  #: bump-hunt QCD dijets and W' signal events
    BUMP_TRAINING = 97  #: bump-hunt classifier, fold and flow seeds, per (fraction, seed)
    ANOMALY_BENCH = 96  #: bench anomaly: the data its timings run on
    TRACKING = 105  #: particle-tracking events, per (part: 0 train / 1 test, event index)
    TRACKING_BENCH = 106  #: bench symmetry (graphs): the events its timings run on
    SYMBOLIC_LAWS = 107  #: symbolic-laws samples, per (law index, noise index, seed index)
    SYMBOLIC_BENCH = 108  #: bench symmetry (graphs): the law samples its searches run on
    PENDULUM_DATA = 101  #: double-pendulum initial conditions (0: training, 1: test)
    PENDULUM_ROTATIONS = 102  #: double-pendulum random O(d) matrices of the equivariance test
    SYMMETRY_BENCH = 103  #: bench symmetry: the lens systems its timings render
    SBI_OBSERVATIONS = 121  #: sbi-benchmark observed data and reference posteriors, per problem
    SBI_SIMULATIONS = 122  #: sbi-benchmark training simulations, per (problem, budget)
    SBI_TRAINING = 123  #: sbi-benchmark network weights, batches and posterior sampling
    SBI_CALIBRATION = 124  #: SBC and TARP simulations and reference points, per fit
    FIELD_INFERENCE = 125  #: field-inference fields: training, observed, calibration
    SBI_BENCH = 126  #: bench sbi: the simulations and observations both fits share
    SWEEP_POINTS = 141  #: physml sweep: one seed per grid point, keyed by the point's index
    LENSING_IMAGES = 111  #: lensing-substructure images, per part (0 train, 1 val, 2 test)
    LENSING_MEMBERS = 112  #: lensing-substructure network initialisation, per member
    LENSING_ROTATIONS = 113  #: lensing-substructure angles and images of the rotation tests
    LENSING_BENCH = 114  #: bench symmetry: the images its training throughput runs on
    SYMBOLIC_NBODY = 115  #: symbolic-laws N-body systems and noise, per (law, noise, seed index)
    SYMBOLIC_NETWORKS = 116  #: symbolic-laws GNN / HNN initialisation and batches, same keys
    SYMBOLIC_PENDULUM = 117  #: symbolic-laws pendulum states and noise, per (noise index, seed)
    UQ_TRAJECTORIES = 131  #: uq-regression damped-oscillator trajectories (0 train, 1 val, 2 test)
    UQ_NETWORKS = 132  #: uq-regression network initialisations and HMC chains, per member/chain
    GP_DESIGN = 133  #: gp-emulator design points (random design, held-out runs, candidates)
    GP_RESTARTS = 134  #: gp-emulator and nuclear-masses marginal-likelihood optimiser restarts
    GP_BENCH = 135  #: bench gp: the data its timings run on


def seed_sequence(seed: int, stream: Stream, *keys: int) -> np.random.SeedSequence:
    """The SeedSequence of ``stream`` (and ``keys``) of a run with master ``seed``."""
    return np.random.SeedSequence([int(seed), int(stream), *(int(k) for k in keys)])


def generator(seed: int, stream: Stream, *keys: int) -> np.random.Generator:
    """A numpy Generator on ``stream`` (and ``keys``) of a run with master ``seed``."""
    return np.random.default_rng(seed_sequence(seed, stream, *keys))


def bootstrap_seed(seed: int, *keys: int) -> np.random.SeedSequence:
    """The seed of a run's bootstrap resamples (:attr:`Stream.BOOTSTRAP`): its own stream,
    so that statistical errors never disturb the training streams."""
    return seed_sequence(seed, Stream.BOOTSTRAP, *keys)


def member_seeds(seed: int, n_members: int) -> list[int]:
    """One independent integer seed per ensemble member (:attr:`Stream.MEMBERS`)."""
    return [int(s) for s in seed_sequence(seed, Stream.MEMBERS).generate_state(n_members)]
