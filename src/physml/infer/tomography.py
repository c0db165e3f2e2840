r"""Quantum state tomography from shot counts in local Pauli bases.

Two estimators of the state behind :func:`physml.sim.quantum.measurements.measurement_records`:

* :func:`fit_rbm_state`: a neural-network quantum state with amplitude and phase (G. Torlai
  et al., Nat. Phys. 14, 447 (2018)), :math:`\psi(s) = \exp(A_\lambda(s) + i\Phi_\mu(s))`
  with two RBMs (:class:`~physml.models.wavefunctions.spin_nqs.SpinRBM`: the modulus
  :math:`e^{A}` and the phase :math:`\Phi`), trained by maximum likelihood on the records:
  the negative log-likelihood per shot is
  :math:`-\frac{1}{N_{shots}}\sum_{b,o} n_{b,o}\log|(U_b\psi)_o|^2/\langle\psi|\psi\rangle`,
  with the basis rotations applied to the RBM amplitudes site by site. The
  :math:`2^L` amplitudes are enumerated exactly (small L), so the gradient is exact.
* :func:`rrho_r`: the maximum-likelihood density matrix by Hradil's iteration
  :math:`\rho \to R\rho R / \mathrm{tr}(R\rho R)`,
  :math:`R = \sum_b U_b^\dagger \mathrm{diag}(f_b / p_b) U_b` (Z. Hradil, Phys. Rev. A 55,
  R1561 (1997); J. Řeháček et al., Phys. Rev. A 75, 042108 (2007)), the baseline that
  uses the full :math:`2^L \times 2^L` density matrix.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from physml.checks import check_int, check_real
from physml.sim.quantum.measurements import basis_unitary, rotate_all, site_rotations

__all__ = ["MLEResult", "RBMFit", "TomographyDiverged", "fit_rbm_state", "rrho_r"]


class TomographyDiverged(FloatingPointError):
    """The likelihood of a tomography fit stopped being finite."""


@dataclass(frozen=True)
class RBMFit:
    """A fitted RBM state: the normalised amplitudes (2^L,) and the NLL per shot by step."""

    state: np.ndarray
    nll: np.ndarray


@dataclass(frozen=True)
class MLEResult:
    """The maximum-likelihood density matrix (2^L, 2^L), its NLL per shot, iterations run."""

    rho: np.ndarray
    nll: float
    n_iterations: int


def _check_records(records: np.ndarray, bases: Sequence[str]) -> np.ndarray:
    counts = np.asarray(records)
    if counts.ndim != 2 or counts.shape[0] != len(bases) or np.any(counts < 0):
        raise ValueError(f"records must be non-negative counts of shape ({len(bases)}, 2^L)")
    return counts


def fit_rbm_state(
    records: np.ndarray,
    bases: Sequence[str],
    *,
    n_hidden: int,
    n_steps: int = 500,
    lr: float = 0.02,
    seed: int = 0,
    on_step: Callable[[int, float], None] | None = None,
) -> RBMFit:
    """Maximum-likelihood RBM state (amplitude and phase) from shot counts, full batch Adam.

    Args:
        records: counts (n_bases, 2^L) of each basis's outcomes.
        bases: the basis strings, one per row.
        n_hidden: hidden units of each of the two RBMs.
        n_steps: Adam steps on the exact likelihood.
        lr: Adam learning rate.
        seed: seeds the RBMs' initialisation (torch generator).
        on_step: called with (step, NLL per shot) after each step.

    Raises:
        TomographyDiverged: if the NLL is not finite (the message says the step).
    """
    import torch

    from physml.models.wavefunctions.spin_nqs import SpinRBM

    counts = _check_records(records, bases)
    n = len(bases[0])
    n_steps = check_int("n_steps", n_steps, minimum=1)
    lr = check_real("lr", lr, positive=True)
    gen = torch.Generator().manual_seed(int(seed))
    amplitude = SpinRBM(n, n_hidden=n_hidden).double()
    phase = SpinRBM(n, n_hidden=n_hidden).double()
    with torch.no_grad():
        for p in [*amplitude.parameters(), *phase.parameters()]:
            p.copy_(0.05 * torch.randn(p.shape, generator=gen, dtype=p.dtype))
    index = torch.arange(1 << n)
    spins = (1 - 2 * ((index[:, None] >> torch.arange(n)) & 1)).double()
    rotations = torch.as_tensor(site_rotations(bases))
    weights = torch.as_tensor(counts, dtype=torch.float64)
    total = float(weights.sum())
    params = [*amplitude.parameters(), *phase.parameters()]
    optimizer = torch.optim.Adam(params, lr=lr)
    history = []

    def state():
        log_mod = amplitude(spins)
        log_mod = log_mod - torch.logsumexp(2 * log_mod, 0) / 2
        return torch.exp(torch.complex(log_mod, phase(spins)))

    for step in range(n_steps):
        optimizer.zero_grad()
        psi = state()
        prob = torch.abs(rotate_all(psi, rotations, xp=torch)) ** 2
        nll = -(weights * torch.log(prob + 1e-300)).sum() / total
        value = float(nll.detach())
        if not np.isfinite(value):
            raise TomographyDiverged(
                f"tomography: the RBM likelihood diverged at step {step + 1} "
                f"(NLL per shot = {value}); lower model.lr (now {lr})"
            )
        nll.backward()
        optimizer.step()
        history.append(value)
        if on_step is not None:
            on_step(step, value)
    with torch.no_grad():
        psi = state().numpy()
    return RBMFit(psi / np.linalg.norm(psi), np.asarray(history))


def rrho_r(
    records: np.ndarray,
    bases: Sequence[str],
    *,
    max_iterations: int = 2000,
    tol: float = 1e-10,
) -> MLEResult:
    """Maximum-likelihood density matrix by the RρR iteration, from the maximally mixed state.

    Stops when the NLL per shot changes by less than ``tol`` between iterations.
    """
    counts = _check_records(records, bases)
    unitaries = np.stack([basis_unitary(b) for b in bases])  # (n_bases, d, d)
    freq = counts / counts.sum()
    d = counts.shape[1]
    rho = np.eye(d, dtype=np.complex128) / d
    previous = np.inf
    for iteration in range(1, check_int("max_iterations", max_iterations, minimum=1) + 1):
        # p_{b,o} = <o| U_b rho U_b^dag |o>
        rotated = unitaries @ rho @ unitaries.conj().transpose(0, 2, 1)
        p = np.clip(np.real(np.diagonal(rotated, axis1=1, axis2=2)), 1e-300, None)
        nll = float(-(freq * np.log(p)).sum())
        if not np.isfinite(nll):
            raise TomographyDiverged(f"tomography: the RρR likelihood diverged at {iteration}")
        if abs(previous - nll) < tol:
            break
        previous = nll
        ratio = freq / p  # (n_bases, d): R = sum_b U_b^dag diag(ratio_b) U_b
        r = np.sum(unitaries.conj().transpose(0, 2, 1) @ (ratio[:, :, None] * unitaries), 0)
        rho = r @ rho @ r
        rho = (rho + rho.conj().T) / 2
        rho /= np.real(np.trace(rho))
    return MLEResult(rho, nll, iteration)
