"""Bang-bang control: step unitaries against matrix exponentials, the exhaustive optimum
against brute force and against the closed form of one step, the quantum speed limit."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
import scipy.linalg

from physml.sim.quantum.bang_bang import BangBangProblem, enumeration_bytes, optimum_by_loop

SX = np.array([[0, 1], [1, 0]]) / 2
SZ = np.diag([0.5, -0.5])


def qubit_ground_state(h: float) -> np.ndarray:
    return np.linalg.eigh(-SZ - h * SX)[1][:, 0]


def test_qubit_protocol_against_direct_exponentials() -> None:
    problem = BangBangProblem(1, 1.7, 5)
    protocol = np.array([1, 0, 0, 1, 1])
    psi = qubit_ground_state(-2.0).astype(complex)
    for h in problem.fields(protocol):
        psi = scipy.linalg.expm(-1j * 1.7 / 5 * (-SZ - h * SX)) @ psi
    expected = abs(np.vdot(qubit_ground_state(2.0), psi)) ** 2
    assert problem.fidelity(protocol)[0] == pytest.approx(expected, rel=1e-12)


def test_one_step_optimum_against_the_rabi_closed_form() -> None:
    # one step of H = -(S^z + h S^x): a rotation by omega T about n = (h, 0, 1) / omega
    T = 0.9
    problem = BangBangProblem(1, T, 1)
    a, b = qubit_ground_state(-2.0), qubit_ground_state(2.0)
    best = 0.0
    for h in (-4.0, 4.0):
        omega = math.hypot(1.0, h)
        n_sigma = (h * 2 * SX + 2 * SZ) / omega
        u = math.cos(omega * T / 2) * np.eye(2) + 1j * math.sin(omega * T / 2) * n_sigma
        best = max(best, abs(b @ u @ a) ** 2)
    assert problem.optimum().fidelity == pytest.approx(best, rel=1e-12)


@pytest.mark.parametrize(("n_sites", "n_steps", "T"), [(1, 9, 2.0), (1, 10, 0.7), (3, 7, 1.5)])
def test_enumeration_against_brute_force(n_sites: int, n_steps: int, T: float) -> None:
    problem = BangBangProblem(n_sites, T, n_steps)
    optimum = problem.optimum()
    every = np.array(list(itertools.product((0, 1), repeat=n_steps)))
    fidelity = problem.fidelity(every)
    assert optimum.fidelity == pytest.approx(fidelity.max(), rel=1e-12)
    assert problem.fidelity(optimum.protocol)[0] == pytest.approx(fidelity.max(), rel=1e-12)
    loop = optimum_by_loop(problem)
    assert loop.fidelity == pytest.approx(fidelity.max(), rel=1e-12)
    assert optimum.n_protocols == 2**n_steps


def test_chain_hamiltonian_against_kronecker_products() -> None:
    problem = BangBangProblem(3, 1.0, 2)
    eye = np.eye(2)

    def site(op, i):  # site 0 is the last Kronecker factor
        mats = [op if j == i else eye for j in (2, 1, 0)]
        return np.kron(np.kron(mats[0], mats[1]), mats[2])

    h = sum(
        -site(SZ, j) @ site(SZ, (j + 1) % 3) - site(SZ, j) - 1.5 * site(SX, j) for j in range(3)
    )
    np.testing.assert_allclose(problem.hamiltonian(1.5), h, atol=1e-13)


def test_qubit_speed_limit() -> None:
    below = BangBangProblem(1, 2.0, 16).optimum().fidelity
    above = BangBangProblem(1, 2.5, 16).optimum().fidelity
    assert below < 0.96 and above > 0.9999  # F_opt reaches 1 near T = 2.5 (Bukov et al.)


def test_memory_of_the_search_grows_as_two_to_the_half() -> None:
    assert enumeration_bytes(1, 22) < 1e8 < enumeration_bytes(8, 60)
