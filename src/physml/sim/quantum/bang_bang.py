r"""Bang-bang state preparation of a qubit and a short Ising chain, and its exact optimum.

The control problem of M. Bukov et al., Phys. Rev. X 8, 031086 (2018): a field
:math:`h_x(t) \in \{-h_{max}, +h_{max}\}` (``h_max = 4``), switched at N equal time steps
:math:`\delta t = T / N`, must carry the ground state at :math:`h_x = -2` to the ground
state at :math:`h_x = +2` in a total time T.

* Qubit: :math:`H = -S^z - h_x S^x`.
* Chain of L spins, periodic: :math:`H = -\sum_j (J S^z_{j+1}S^z_j + h_z S^z_j + h_x S^x_j)`
  with J = h_z = 1 (Bukov et al.'s many-body case).

Spin operators :math:`S = \sigma/2` (so the qubit's fidelity reaches 1 near T = 2.5, the
quantum speed limit); the basis is that of :mod:`physml.sim.quantum.pauli` (bit i of a
state index for site i, bit 1 = spin down). A protocol is an int array of N actions in
{0, 1}: action 0 is :math:`h_x = -h_{max}`, action 1 is :math:`h_x = +h_{max}`.

The exact optimum is found by enumerating all :math:`2^N` protocols, meeting in the
middle: the :math:`2^{N_1}` states the first :math:`N_1` steps reach from the initial state
(a binary tree, one matrix product per level) and the :math:`2^{N_2}` states the last
:math:`N_2 = N - N_1` steps carry back from the target (:math:`U^\dagger`), whose overlaps
:math:`\langle \chi_b | \psi_a\rangle` are every protocol's amplitude, computed by one
complex matrix product per block. Memory grows as :math:`2^{N/2}`, time as :math:`2^N`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.linalg

from physml.checks import check_int, check_real
from physml.sim.quantum.pauli import PauliSum, chain_edges

__all__ = [
    "MAX_ENUMERATION_STEPS",
    "BangBangProblem",
    "Optimum",
    "enumeration_bytes",
    "optimum_by_loop",
]

#: Most steps the exhaustive search takes on (2^32 protocols: minutes on a CPU).
MAX_ENUMERATION_STEPS = 32
_BLOCK = 1 << 12  # prefix states per block of the overlap product


def _ising_parts(n_sites: int, J: float, hz: float) -> tuple[np.ndarray, np.ndarray]:
    """Dense (field-free part, S^x sum) of the qubit (L = 1) or the periodic chain."""
    if n_sites == 1:
        return np.diag([-0.5, 0.5]) * hz, np.array([[0.0, 0.5], [0.5, 0.0]])
    zz = PauliSum(n_sites, [(-J / 4, (), tuple(e)) for e in chain_edges(n_sites).tolist()])
    z = PauliSum(n_sites, [(-hz / 2, (), (i,)) for i in range(n_sites)])
    x = PauliSum(n_sites, [(0.5, (i,), ()) for i in range(n_sites)])
    return (zz + z).to_sparse().toarray(), x.to_sparse().toarray()


@dataclass(frozen=True)
class Optimum:
    """The best protocol(s) of an exhaustive search.

    Attributes:
        fidelity: the largest fidelity :math:`|\\langle\\psi_*|\\psi(T)\\rangle|^2`.
        protocol: one protocol reaching it, int8 (N,) of actions in {0, 1}.
        n_protocols: protocols searched (:math:`2^N`).
    """

    fidelity: float
    protocol: np.ndarray
    n_protocols: int


class BangBangProblem:
    """Bang-bang preparation of the ground state at ``h_target`` from that at ``h_initial``.

    Args:
        n_sites: 1 for the qubit, >= 2 for the periodic chain (at most 12).
        total_time: T > 0 (units of 1 / the coupling).
        n_steps: N >= 1 equal steps.
        h_max: the two fields are -h_max and +h_max.
        h_initial, h_target: the fields whose ground states start and end.
        J, hz: the chain's Ising coupling and longitudinal field (qubit: hz multiplies S^z).
    """

    def __init__(
        self,
        n_sites: int,
        total_time: float,
        n_steps: int,
        *,
        h_max: float = 4.0,
        h_initial: float = -2.0,
        h_target: float = 2.0,
        J: float = 1.0,
        hz: float = 1.0,
    ) -> None:
        self.n_sites = check_int("n_sites", n_sites, minimum=1, maximum=12)
        self.total_time = check_real("total_time", total_time, positive=True)
        self.n_steps = check_int("n_steps", n_steps, minimum=1)
        self.h_max = check_real("h_max", h_max, positive=True)
        h0, hx = _ising_parts(self.n_sites, check_real("J", J), check_real("hz", hz))
        self.hamiltonian = lambda h: h0 - check_real("h", h) * hx
        self.initial = self._ground_state(check_real("h_initial", h_initial))
        self.target = self._ground_state(check_real("h_target", h_target))
        dt = self.total_time / self.n_steps
        #: The two step unitaries exp(-i H(-h_max) dt), exp(-i H(+h_max) dt), (2, d, d).
        self.unitaries = np.stack(
            [scipy.linalg.expm(-1j * dt * self.hamiltonian(s * self.h_max)) for s in (-1, 1)]
        )

    @property
    def dim(self) -> int:
        return 1 << self.n_sites

    def _ground_state(self, h: float) -> np.ndarray:
        w, v = np.linalg.eigh(self.hamiltonian(h))
        if self.dim > 1 and w[1] - w[0] < 1e-9:
            raise ValueError(f"the ground state at h_x = {h} is degenerate: pick another field")
        return v[:, 0].astype(np.complex128)

    def fields(self, protocol) -> np.ndarray:
        """The fields h_x of a protocol of actions in {0, 1}, float64 (N,)."""
        return (2.0 * np.asarray(protocol) - 1.0) * self.h_max

    def final_states(self, protocols) -> np.ndarray:
        """States after protocols (batch, N) of actions in {0, 1}: complex (batch, d)."""
        p = np.atleast_2d(np.asarray(protocols, dtype=np.int64))
        if p.shape[1] != self.n_steps or np.any((p != 0) & (p != 1)):
            raise ValueError(f"protocols must have shape (batch, {self.n_steps}) with 0/1 entries")
        psi = np.broadcast_to(self.initial, (p.shape[0], self.dim)).copy()
        for k in range(self.n_steps):
            psi = np.einsum("bij,bj->bi", self.unitaries[p[:, k]], psi)
        return psi

    def fidelity(self, protocols) -> np.ndarray:
        """Fidelity with the target of each protocol, float64 (batch,)."""
        return np.abs(self.final_states(protocols) @ self.target.conj()) ** 2

    def fidelity_per_site(self, fidelity) -> np.ndarray:
        """:math:`F^{1/L}` (the qubit's F itself)."""
        return np.asarray(fidelity) ** (1.0 / self.n_sites)

    def _tree(self, start: np.ndarray, n: int, unitaries: np.ndarray) -> np.ndarray:
        """States after all 2^n action strings from ``start``, (2^n, d); row r has the
        first action as its most significant bit."""
        states = start[None, :]
        for _ in range(n):  # each level applies both unitaries to every state
            states = np.einsum("aij,bj->bai", unitaries, states).reshape(-1, self.dim)
        return states

    def optimum(self) -> Optimum:
        """The best of all 2^N protocols (meeting in the middle; see the module)."""
        n = self.n_steps
        if n > MAX_ENUMERATION_STEPS:
            raise ValueError(
                f"n_steps={n}: enumerating 2^{n} protocols is out of reach "
                f"(at most {MAX_ENUMERATION_STEPS} steps)"
            )
        n1 = (n + 1) // 2
        forward = self._tree(self.initial, n1, self.unitaries)  # (2^n1, d)
        # backward from the target: <target| U_N ... U_{n1+1} = (U^dag ... U^dag |target>)^dag,
        # built from the last step inwards, so row r encodes steps N, N-1, ... (reversed)
        backward = self._tree(self.target, n - n1, self.unitaries.conj().transpose(0, 2, 1))
        best, where = -1.0, (0, 0)
        for start in range(0, forward.shape[0], _BLOCK):
            f = np.abs(backward.conj() @ forward[start : start + _BLOCK].T) ** 2  # (2^n2, blk)
            k = int(np.argmax(f))
            if f.flat[k] > best:
                best, where = float(f.flat[k]), (k // f.shape[1], start + k % f.shape[1])
        prefix = _bits(where[1], n1)
        suffix = _bits(where[0], n - n1)[::-1]  # the backward tree lists the last step first
        return Optimum(best, np.concatenate([prefix, suffix]).astype(np.int8), 1 << n)


def _bits(index: int, n: int) -> np.ndarray:
    """The n binary digits of ``index``, most significant first."""
    return (index >> np.arange(n - 1, -1, -1)) & 1


def enumeration_bytes(n_sites: int, n_steps: int) -> float:
    """Memory of :meth:`BangBangProblem.optimum`: both half trees and one overlap block."""
    d = 1 << n_sites
    n1 = (n_steps + 1) // 2
    return 16.0 * d * ((1 << n1) + (1 << (n_steps - n1))) + 8.0 * _BLOCK * (1 << (n_steps - n1))


def optimum_by_loop(problem: BangBangProblem) -> Optimum:
    """The plain loop a user would write: every protocol, step by step (the baseline)."""
    best, arg = -1.0, np.zeros(problem.n_steps, dtype=np.int8)
    for index in range(1 << problem.n_steps):
        protocol = _bits(index, problem.n_steps)
        psi = problem.initial
        for a in protocol:
            psi = problem.unitaries[a] @ psi
        f = abs(np.vdot(problem.target, psi)) ** 2
        if f > best:
            best, arg = f, protocol.astype(np.int8)
    return Optimum(float(best), arg, 1 << problem.n_steps)
