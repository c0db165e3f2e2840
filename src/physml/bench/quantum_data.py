"""Benchmark of quantum data and control: measurement records, tomography, exhaustive search.

Rows (medians over repeats, all in this process):

- measurement records: shots per second of
  :func:`~physml.sim.quantum.measurements.measurement_records` (all bases rotated site by
  site in one array, one multinomial per basis) against the loop a user would write (for
  each basis the dense Kronecker product U_b, Born probabilities, ``Generator.choice`` of
  the shots and ``bincount``);
- tomography: seconds of the RBM fit (amplitude and phase) to fidelity 0.99 against the
  RρR maximum-likelihood density matrix on the same records of the L = 4 TFIM ground
  state. QuCumber, the peer the issue names, needs torch < 2.1 and cannot be installed
  beside torch 2.13, so it is not measured;
- exhaustive search: protocols per second of
  :meth:`~physml.sim.quantum.bang_bang.BangBangProblem.optimum` (meet in the middle)
  against :func:`~physml.sim.quantum.bang_bang.optimum_by_loop` (every protocol step by
  step), the same N; and physml's rate at N = 22.

Run with ``physml bench quantum-data`` (``--quick`` for fewer repeats, smaller sizes).
"""

from __future__ import annotations

import time

import numpy as np

from physml.bench.timing import median_time
from physml.tasks.seeds import Stream, generator

__all__ = ["loop_records", "run"]


def _row(what: str, physml: float, baseline: float, unit: str, ratio: float | str) -> dict:
    return {
        "benchmark": what.split(":")[0],
        "case: physml vs baseline": what,
        "physml": f"{physml:.3g} {unit}",
        "baseline": baseline if isinstance(baseline, str) else f"{baseline:.3g} {unit}",
        "ratio": ratio if isinstance(ratio, str) else f"{ratio:.3g}",
    }


def loop_records(state: np.ndarray, bases: list[str], shots: int, rng) -> np.ndarray:
    """Baseline: per basis the dense U_b, Born probabilities, shots by ``choice``."""
    from physml.sim.quantum.measurements import _ROTATIONS

    out = []
    for basis in bases:
        u = np.ones((1, 1), dtype=np.complex128)
        for letter in reversed(basis):
            u = np.kron(u, _ROTATIONS[letter])
        p = np.abs(u @ state) ** 2
        outcomes = rng.choice(len(state), size=shots, p=p / p.sum())
        out.append(np.bincount(outcomes, minlength=len(state)))
    return np.stack(out)


def _records(quick: bool, repeats: int) -> list[dict]:
    from physml.sim.quantum import measurements as m

    rows, shots = [], 10_000
    for n in (6,) if quick else (6, 10):
        rng = generator(0, Stream.QUANTUM_DATA_BENCH, n)
        psi = rng.normal(size=1 << n) + 1j * rng.normal(size=1 << n)
        psi /= np.linalg.norm(psi)
        bases = m.local_pauli_bases(n)
        total = shots * len(bases)

        def ours(psi=psi, bases=bases, rng=rng):
            return m.measurement_records(psi, bases, shots, seed=rng)

        def loop(psi=psi, bases=bases, rng=rng):
            return loop_records(psi, bases, shots, rng)

        physml = median_time(ours, repeats)
        base = median_time(loop, repeats)
        rows.append(
            _row(
                f"measurement records: L = {n}, {len(bases)} bases vs dense U_b + choice",
                total / physml,
                total / base,
                "shots/s",
                base / physml,
            )
        )
    return rows


def _tomography(quick: bool) -> list[dict]:
    from physml.infer.tomography import fit_rbm_state, rrho_r
    from physml.sim.quantum import measurements as m
    from physml.sim.quantum import spins

    n = 4
    _, psi = spins.exact_ground_state(spins.transverse_field_ising(n, h=1.0))
    psi = psi.astype(np.complex128)
    bases = m.local_pauli_bases(n)
    records = m.measurement_records(psi, bases, 5000, seed=generator(0, Stream.QUANTUM_DATA_BENCH))
    start = time.perf_counter()
    fit = fit_rbm_state(records, bases, n_hidden=n, n_steps=150 if quick else 400, seed=0)
    rbm_time = time.perf_counter() - start
    start = time.perf_counter()
    rho = rrho_r(records, bases).rho
    mle_time = time.perf_counter() - start
    f_rbm = abs(np.vdot(psi, fit.state)) ** 2
    f_mle = float(np.real(np.vdot(psi, rho @ psi)))
    return [
        _row(
            f"tomography: RBM (F = {f_rbm:.4f}) vs RρR (F = {f_mle:.4f}), L = 4 TFIM; "
            "QuCumber not installable (torch < 2.1)",
            rbm_time,
            mle_time,
            "s",
            mle_time / rbm_time,
        )
    ]


def _search(quick: bool, repeats: int) -> list[dict]:
    from physml.sim.quantum.bang_bang import BangBangProblem, optimum_by_loop

    n = 10 if quick else 14
    problem = BangBangProblem(1, 2.0, n)
    physml = median_time(problem.optimum, repeats)
    base = median_time(lambda: optimum_by_loop(problem), 1)
    rows = [
        _row(
            f"exhaustive search: qubit N = {n}, meet in the middle vs loop over protocols",
            2**n / physml,
            2**n / base,
            "protocols/s",
            base / physml,
        )
    ]
    big = 18 if quick else 22
    large = BangBangProblem(1, 2.0, big)
    t = median_time(large.optimum, 1)
    rows.append(_row(f"exhaustive search: qubit N = {big}", 2**big / t, "-", "protocols/s", "-"))
    return rows


def run(quick: bool = False) -> list[dict]:
    repeats = 3 if quick else 7
    return _records(quick, repeats) + _tomography(quick) + _search(quick, repeats)
