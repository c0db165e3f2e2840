r"""Projective measurements of spin-1/2 states in local Pauli bases, as an experiment records
them (shot counts), and the exact quantities tomography is judged by.

Conventions are those of :mod:`physml.sim.quantum.pauli`: a state is a complex vector of
length :math:`2^L`, bit i of its index is site i, bit 1 is spin down (outcome -1).

A *basis* is a string of L letters in {X, Y, Z}, one per site (``"ZZXX"``). Measuring site
i in X or Y means rotating it first with :math:`U_X = H` (Hadamard) or
:math:`U_Y = H S^\dagger` and then measuring Z, so outcome 0 (+1) is the +1 eigenvector of
that Pauli; the rotated amplitudes are :math:`U_b\psi` with
:math:`U_b = \bigotimes_i U_{b_i}`, applied site by site without building the
:math:`2^L \times 2^L` matrix. A *record* of a basis is the count of each of the
:math:`2^L` outcomes over its shots (int64, summing to the shots).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from physml.checks import check_int

__all__ = [
    "PAULI_LETTERS",
    "basis_unitary",
    "born_probabilities",
    "check_basis",
    "correlation",
    "entanglement_entropy",
    "ghz_state",
    "local_pauli_bases",
    "measurement_records",
    "rotate",
    "rotate_all",
    "site_rotations",
    "w_state",
]

PAULI_LETTERS = "XYZ"
_SQ2 = 1.0 / np.sqrt(2.0)
#: The single-site rotations that map each Pauli's eigenbasis to the Z basis.
_ROTATIONS = {
    "Z": np.eye(2, dtype=np.complex128),
    "X": np.array([[1, 1], [1, -1]], dtype=np.complex128) * _SQ2,
    "Y": np.array([[1, -1j], [1, 1j]], dtype=np.complex128) * _SQ2,
}
_PAULIS = {
    "X": np.array([[0, 1], [1, 0]], dtype=np.complex128),
    "Y": np.array([[0, -1j], [1j, 0]], dtype=np.complex128),
    "Z": np.diag([1.0, -1.0]).astype(np.complex128),
}


def check_basis(basis: str, n_sites: int) -> str:
    """The basis string itself, or a ValueError naming it and what is allowed."""
    if not isinstance(basis, str) or len(basis) != n_sites or set(basis) - set(PAULI_LETTERS):
        raise ValueError(
            f"basis {basis!r} is not allowed: expected {n_sites} letters from "
            f"{PAULI_LETTERS} (one per site)"
        )
    return basis


def site_rotations(bases: Sequence[str]) -> np.ndarray:
    """The single-site rotations of each basis, complex (n_sites, n_bases, 2, 2)."""
    return np.stack([[_ROTATIONS[b[i]] for b in bases] for i in range(len(bases[0]))])


def rotate_all(state: np.ndarray, rotations: np.ndarray, xp=np) -> np.ndarray:
    """Amplitudes of one state (2^L,) in every basis: (n_bases, 2^L), one einsum per site.

    ``rotations`` from :func:`site_rotations`; ``xp`` is numpy or torch (the same code
    serves the RBM fit). Site i is the middle axis of the (n_bases, 2^(L-1-i), 2, 2^i) view.
    """
    n, n_bases = rotations.shape[0], rotations.shape[1]
    t = xp.broadcast_to(state, (n_bases, state.shape[-1]))
    for i in range(n):
        t = t.reshape(n_bases, 1 << (n - 1 - i), 2, 1 << i)
        t = xp.einsum("bxy,bpyq->bpxq", rotations[i], t)
    return t.reshape(n_bases, -1)


def rotate(states: np.ndarray, basis: str) -> np.ndarray:
    """Amplitudes of one state (2^L,) in ``basis``: :math:`U_b\\psi` (2^L,)."""
    psi = np.asarray(states, dtype=np.complex128)
    return rotate_all(psi, site_rotations([basis]))[0]


def basis_unitary(basis: str) -> np.ndarray:
    """The dense :math:`U_b = \\bigotimes_i U_{b_i}` (site 0 the last Kronecker factor)."""
    u = np.ones((1, 1), dtype=np.complex128)
    for letter in reversed(basis):
        u = np.kron(u, _ROTATIONS[letter])
    return u


def born_probabilities(state: np.ndarray, basis: str) -> np.ndarray:
    """Probabilities of the :math:`2^L` outcomes of measuring ``state`` in ``basis``."""
    p = np.abs(rotate(state, basis)) ** 2
    return p / p.sum()


def measurement_records(
    state: np.ndarray, bases: Sequence[str], shots: int, *, seed: np.random.Generator
) -> np.ndarray:
    """Shot counts of each basis: ``shots`` projective measurements per basis.

    Returns:
        Int64 array (n_bases, 2^L); row b sums to ``shots``.
    """
    shots = check_int("shots", shots, minimum=1)
    n = int(np.log2(len(state)))
    for b in bases:
        check_basis(b, n)
    probs = np.abs(rotate_all(np.asarray(state, np.complex128), site_rotations(bases))) ** 2
    return seed.multinomial(shots, probs / probs.sum(axis=1, keepdims=True))


def local_pauli_bases(n_sites: int) -> list[str]:
    """Torlai et al.'s bases: all Z, and X X or X Y on each neighbouring pair (open chain).

    Returns 1 + 2 (L - 1) strings, e.g. ``ZZZ, XXZ, XYZ, ZXX, ZXY`` for L = 3.
    """
    n = check_int("n_sites", n_sites, minimum=2)
    out = ["Z" * n]
    for i in range(n - 1):
        for second in "XY":
            out.append("Z" * i + "X" + second + "Z" * (n - i - 2))
    return out


def ghz_state(n_sites: int) -> np.ndarray:
    """The GHZ state (all up + all down) / sqrt(2)."""
    psi = np.zeros(1 << check_int("n_sites", n_sites, minimum=2), dtype=np.complex128)
    psi[0] = psi[-1] = _SQ2
    return psi


def w_state(n_sites: int) -> np.ndarray:
    """The W state: one spin down, in equal superposition over the L sites."""
    n = check_int("n_sites", n_sites, minimum=2)
    psi = np.zeros(1 << n, dtype=np.complex128)
    psi[1 << np.arange(n)] = 1.0 / np.sqrt(n)
    return psi


def _reduced(rho_or_psi: np.ndarray, n_sites: int, n_a: int) -> np.ndarray:
    """Reduced density matrix of sites 0 .. n_a - 1 (the low bits), (2^n_a, 2^n_a)."""
    d_a, d_b = 1 << n_a, 1 << (n_sites - n_a)
    x = np.asarray(rho_or_psi, dtype=np.complex128)
    if x.ndim == 1:
        m = x.reshape(d_b, d_a)  # row: the other sites, column: sites 0 .. n_a - 1
        return m.T @ m.conj()
    r = x.reshape(d_b, d_a, d_b, d_a)
    return np.einsum("iaib->ab", r)


def entanglement_entropy(rho_or_psi: np.ndarray, n_sites: int, n_a: int | None = None) -> float:
    """Von Neumann entropy (nats) of sites 0 .. n_a - 1 (default: half the chain).

    Args:
        rho_or_psi: a state vector (2^L,) or a density matrix (2^L, 2^L).
    """
    n_a = n_sites // 2 if n_a is None else n_a
    w = np.linalg.eigvalsh(_reduced(rho_or_psi, n_sites, n_a))
    w = w[w > 1e-14]
    return float(-np.sum(w * np.log(w)))


def correlation(rho_or_psi: np.ndarray, letter: str, i: int, j: int) -> float:
    """Two-point correlation :math:`\\langle P_i P_j\\rangle` of a Pauli P in {X, Y, Z}."""
    x = np.asarray(rho_or_psi, dtype=np.complex128)
    n = int(np.log2(x.shape[0]))
    op = np.ones((1, 1), dtype=np.complex128)
    for site in reversed(range(n)):
        op = np.kron(op, _PAULIS[letter] if site in (i, j) else np.eye(2))
    value = np.vdot(x, op @ x) if x.ndim == 1 else np.trace(op @ x)
    return float(np.real(value))
