"""Tomography estimators against the exact state: RρR converges to it with many shots,
the amplitude-and-phase RBM learns a signed ground state, a diverging fit stops."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from physml.infer.tomography import TomographyDiverged, fit_rbm_state, rrho_r
from physml.sim.quantum import measurements as m
from physml.sim.quantum import spins


def heisenberg_state(n: int) -> np.ndarray:
    """Ground state of the Heisenberg chain without the Marshall rotation: it has signs."""
    _, psi = spins.exact_ground_state(spins.heisenberg(n, marshall=False))
    assert psi.min() < -0.1  # a phase to learn
    return psi.astype(complex)


def test_rrho_r_converges_to_the_true_state() -> None:
    psi = m.ghz_state(3)
    bases = ["".join(b) for b in itertools.product("XYZ", repeat=3)]
    # exact frequencies (infinitely many shots): the MLE is the state itself
    exact = np.stack([m.born_probabilities(psi, b) for b in bases]) * 1e6
    result = rrho_r(exact, bases, max_iterations=5000, tol=1e-14)
    fidelity = np.real(np.vdot(psi, result.rho @ psi))
    assert fidelity > 0.999
    assert np.trace(result.rho).real == pytest.approx(1.0)
    assert np.linalg.eigvalsh(result.rho).min() > -1e-12  # a density matrix
    # finite shots: closer with more of them
    rng = np.random.default_rng(0)
    f = [
        np.real(
            np.vdot(psi, rrho_r(m.measurement_records(psi, bases, n, seed=rng), bases).rho @ psi)
        )
        for n in (20, 2000)
    ]
    assert f[0] < f[1] and f[1] > 0.99


def test_rbm_learns_amplitude_and_phase_of_a_signed_state() -> None:
    psi = heisenberg_state(4)
    bases = m.local_pauli_bases(4)
    records = m.measurement_records(psi, bases, 5000, seed=np.random.default_rng(1))
    fit = fit_rbm_state(records, bases, n_hidden=4, n_steps=200, lr=0.05, seed=0)
    assert abs(np.vdot(psi, fit.state)) ** 2 > 0.98
    assert fit.nll[-1] < fit.nll[0]
    assert np.linalg.norm(fit.state) == pytest.approx(1.0)


def test_a_diverging_fit_stops_with_its_message() -> None:
    psi = m.w_state(3)
    bases = m.local_pauli_bases(3)
    records = m.measurement_records(psi, bases, 100, seed=np.random.default_rng(0))
    with pytest.raises(TomographyDiverged, match="diverged at step"):
        fit_rbm_state(records, bases, n_hidden=3, n_steps=50, lr=1e308, seed=0)
