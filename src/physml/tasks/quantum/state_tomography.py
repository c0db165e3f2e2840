"""``state-tomography``: a known state reconstructed from shot counts in local Pauli bases.

The state is exact (:mod:`physml.sim.quantum`): the ground state of the periodic TFIM
chain or of the Heisenberg chain without the Marshall rotation (so it has signs for the
phase RBM to learn), both by exact diagonalisation, or a GHZ or W state. An experiment
measures it ``n_shots`` times, split evenly over the bases (Torlai et al.'s: all Z, and
X X or X Y on each neighbouring pair; ``local+global`` adds X...X and X...XY, which fix
the GHZ phase), and records shot counts
(:func:`~physml.sim.quantum.measurements.measurement_records`). Methods:

* ``rbm``: an RBM with amplitude and phase trained by maximum likelihood on the records
  (Torlai et al., Nat. Phys. 14, 447 (2018); :func:`physml.infer.tomography.fit_rbm_state`),
  the 2^L amplitudes enumerated exactly; ``n_restarts`` fits from independent
  initialisations, of which the one of highest likelihood is kept (the phase RBM can stall
  in a local minimum; the choice uses only the records).
* ``mle``: the maximum-likelihood density matrix by the RρR iteration
  (:func:`physml.infer.tomography.rrho_r`), the full-density-matrix baseline.

For every number of shots: the fidelity <psi|rho|psi> with the exact state (reference 1),
the energy, the correlations <Z_0 Z_1> and <X_0 X_1> and the von Neumann entropy of half the
chain, each against its exact value, as mean and standard error over ``n_seeds``
independent record sets and fits (the spread as ``std``). QuCumber, the reference
implementation of Torlai et al., requires torch < 2.1 and does not install beside torch
2.13; it is not run.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from physml.config import ConfigError
from physml.metrics import Metric, ensemble_std, mean_with_error
from physml.tasks.base import Method, Reference, RunContext, Task
from physml.tasks.seeds import Stream, generator

__all__ = ["StateTomography", "StateTomographySettings"]

#: Fewest shots per basis a record set may have.
MIN_SHOTS_PER_BASIS = 10
_MAX_MLE_SITES = 8  # the RρR density matrix is 4^L complex numbers per basis product


class StateTomographySettings(BaseModel):
    model_config = ConfigDict(extra="forbid")
    state: Literal["tfim", "heisenberg", "ghz", "w"] = Field("tfim", description="the true state")
    n_sites: int = Field(4, ge=2, le=12, description="spins L (2^L amplitudes enumerated)")
    h: float = Field(1.0, ge=-100, le=100, description="TFIM transverse field (J = 1)")
    basis_set: Literal["local", "local+global"] = Field(
        "local+global", description="Torlai's local bases, or those and two global ones"
    )
    bases: list[Annotated[str, Field(max_length=64)]] | None = Field(
        None, min_length=1, max_length=1024, description="basis strings such as 'ZZXX' instead"
    )
    n_shots: list[Annotated[int, Field(ge=1, le=10**12)]] = Field(
        [200, 2000, 20000],
        min_length=1,
        max_length=16,
        description="total measurements of each record set, split over the bases",
    )
    n_seeds: int = Field(3, ge=2, le=64, description="independent record sets and fits")

    def basis_list(self) -> list[str]:
        from physml.sim.quantum.measurements import local_pauli_bases

        if self.bases is not None:
            return list(self.bases)
        out = local_pauli_bases(self.n_sites)
        if self.basis_set == "local+global":
            out += ["X" * self.n_sites, "X" * (self.n_sites - 1) + "Y"]
        return out


class RBMSettings(BaseModel):
    """Amplitude and phase RBMs, maximum likelihood by full-batch Adam."""

    model_config = ConfigDict(extra="forbid")
    alpha: float = Field(1.0, gt=0, le=16, description="hidden units per spin, each RBM")
    n_steps: int = Field(400, ge=1, le=1_000_000, description="Adam steps")
    lr: float = Field(0.03, gt=0, le=1e6, description="Adam learning rate")
    n_restarts: int = Field(
        2, ge=1, le=64, description="fits from independent initialisations; the likeliest is kept"
    )


class MLESettings(BaseModel):
    """Maximum-likelihood density matrix, RρR iteration."""

    model_config = ConfigDict(extra="forbid")
    max_iterations: int = Field(3000, ge=1, le=1_000_000)
    tol: float = Field(1e-10, gt=0, le=1, description="stop when the NLL per shot moves less")


class StateTomography(Task):
    name = "state-tomography"
    summary = "RBM tomography (amplitude + phase) and RρR maximum likelihood vs the exact state"
    reference = Reference("F", 1.0, "", "the exact state (ED, GHZ or W)")
    settings = StateTomographySettings
    methods = {
        "rbm": Method("rbm", "RBM amplitude and phase, maximum likelihood", RBMSettings, False),
        "mle": Method("mle", "maximum-likelihood density matrix (RρR)", MLESettings, False),
    }
    default_method = "rbm"
    presets = {
        "quick": {},
        "full": {"n_sites": 6, "n_shots": [300, 1000, 3000, 10000, 30000], "n_seeds": 8},
    }

    def check(self, config: Any) -> None:
        from physml.sim.quantum.measurements import check_basis

        bases = config.basis_list()
        for b in bases:
            try:
                check_basis(b, config.n_sites)
            except ValueError as err:
                raise ConfigError(f"bases: {err}") from None
        fewest = MIN_SHOTS_PER_BASIS * len(bases)
        if min(config.n_shots) < fewest:
            raise ConfigError(
                f"n_shots={min(config.n_shots)} is too few for {len(bases)} bases: expected "
                f">= {fewest} ({MIN_SHOTS_PER_BASIS} shots per basis)"
            )
        if self.method_of(config) == "mle" and config.n_sites > _MAX_MLE_SITES:
            raise ConfigError(
                f"n_sites={config.n_sites}: the mle density matrix is allowed up to "
                f"{_MAX_MLE_SITES} sites; use the rbm method"
            )

    def run(self, config: Any, ctx: RunContext) -> dict[str, Metric]:
        psi, hamiltonian = _true_state(config)
        bases = config.basis_list()
        exact = _observables(psi, hamiltonian, config.n_sites)
        method = self.method_of(config)
        metrics: dict[str, Metric] = {}
        rows = []
        total = len(config.n_shots) * config.n_seeds
        with ctx.progress(f"{method} fits", total) as bar:
            for k, shots in enumerate(config.n_shots):
                per_basis = shots // len(bases)
                values = []
                for s in range(config.n_seeds):
                    estimate = _reconstruct(config, method, psi, bases, per_basis, ctx.seed, k, s)
                    values.append(_observables(estimate, hamiltonian, config.n_sites, psi))
                    rows.append({"n_shots": shots, "seed": s, **values[-1]})
                    bar.advance()
                metrics |= _metrics(shots, values, exact, config)
                ctx.log(f"N = {shots}: F = {metrics[f'F(N={shots})'].value:.4f}")
        ctx.write_log(rows)
        _plot(ctx, config, metrics)
        return metrics


def _true_state(config: Any) -> tuple[np.ndarray, np.ndarray | None]:
    """The exact state (2^L,) complex and its Hamiltonian (dense) or None (GHZ, W)."""
    from physml.sim.quantum import measurements, spins

    n = config.n_sites
    if config.state == "ghz":
        return measurements.ghz_state(n), None
    if config.state == "w":
        return measurements.w_state(n), None
    if config.state == "tfim":
        h = spins.transverse_field_ising(n, h=config.h)
    else:
        h = spins.heisenberg(n, marshall=False)
    _, vector = spins.exact_ground_state(h)
    return vector.astype(np.complex128), h.to_sparse().toarray()


def _reconstruct(config, method, psi, bases, per_basis, seed, k, s) -> np.ndarray:
    """One record set and its estimate: a state vector (rbm) or a density matrix (mle)."""
    from physml.infer.tomography import fit_rbm_state, rrho_r
    from physml.sim.quantum.measurements import measurement_records

    rng = generator(seed, Stream.TOMOGRAPHY_RECORDS, k, s)
    records = measurement_records(psi, bases, per_basis, seed=rng)
    m = config.model
    if method == "mle":
        return rrho_r(records, bases, max_iterations=m.max_iterations, tol=m.tol).rho
    inits = generator(seed, Stream.TOMOGRAPHY_FITS, k, s).integers(2**62, size=m.n_restarts)
    n_hidden = max(1, round(m.alpha * config.n_sites))
    fits = [
        fit_rbm_state(records, bases, n_hidden=n_hidden, n_steps=m.n_steps, lr=m.lr, seed=int(i))
        for i in inits
    ]
    # the phase can stall in a local minimum: keep the fit of highest likelihood
    return min(fits, key=lambda fit: fit.nll[-1]).state


def _observables(x: np.ndarray, hamiltonian, n_sites: int, truth=None) -> dict[str, float]:
    """Fidelity with ``truth`` (if given), energy, <Z0Z1>, <X0X1>, half-chain entropy."""
    from physml.sim.quantum.measurements import correlation, entanglement_entropy

    out = {}
    if truth is not None:
        f = abs(np.vdot(truth, x)) ** 2 if x.ndim == 1 else np.real(np.vdot(truth, x @ truth))
        out["F"] = float(f)
    if hamiltonian is not None:
        e = np.vdot(x, hamiltonian @ x) if x.ndim == 1 else np.trace(hamiltonian @ x)
        out["E"] = float(np.real(e))
    out["<Z0Z1>"] = correlation(x, "Z", 0, 1)
    out["<X0X1>"] = correlation(x, "X", 0, 1)
    out["S_half"] = entanglement_entropy(x, n_sites)
    return out


def _metrics(shots: int, values: list[dict], exact: dict, config: Any) -> dict[str, Metric]:
    sources = {
        "F": "the exact state",
        "E": "exact diagonalisation",
        "<Z0Z1>": "the exact state",
        "<X0X1>": "the exact state",
        "S_half": "von Neumann entropy of sites 0..L/2-1 of the exact state (nats)",
    }
    out = {}
    for name in values[0]:
        x = np.array([v[name] for v in values])
        est = mean_with_error(x)
        out[f"{name}(N={shots})"] = Metric(
            est.value,
            1.0 if name == "F" else exact[name],
            "J" if name == "E" else "",
            sources[name],
            error=est.error,
            std=ensemble_std(x),
        )
    return out


def _plot(ctx: RunContext, config: Any, metrics: dict[str, Metric]) -> None:
    from physml.tasks.figures import new_figure, save_figure

    shots = np.asarray(config.n_shots)
    f = [metrics[f"F(N={n})"] for n in config.n_shots]
    fig, ax = new_figure()
    ax.errorbar(shots, [1 - m.value for m in f], [m.error for m in f], fmt="o-")
    ax.set(xscale="log", yscale="log", xlabel="measurements N", ylabel="infidelity 1 - F")
    ax.set_title(f"{config.state}, L = {config.n_sites}")
    save_figure(fig, ctx.plot_dir / "infidelity_vs_shots.png")
