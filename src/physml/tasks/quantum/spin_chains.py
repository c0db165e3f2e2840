"""``tfim-chain`` and ``heisenberg-chain``: ground states of spin-1/2 chains (and small
square lattices, ``ly > 1``) by VMC.

Neural-network quantum states (Carleo & Troyer, Science 355, 602 (2017)) optimised by
variational Monte Carlo with stochastic reconfiguration, in the sigma^z basis with Pauli
matrices:

* ``tfim-chain``: H = -J sum_<ij> Z_i Z_j - h sum_i X_i, periodic; reference: the exact
  Jordan–Wigner free-fermion energy (any L; exact diagonalisation for open chains and
  square lattices up to 22 spins).
* ``heisenberg-chain``: H = J sum_i (X_i X_{i+1} + Y_i Y_{i+1} + Z_i Z_{i+1}), periodic,
  even L, with the Marshall sign rule applied so the ground state is positive; sampled
  with exchange moves in the S^z = 0 sector; reference: exact diagonalisation in that
  sector (up to 22 spins), and the Bethe-ansatz energy per site of the infinite chain.
"""

from __future__ import annotations

import itertools
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from physml.metrics import Metric
from physml.tasks.base import MAX_WIDTH, Method, Reference, Widths
from physml.tasks.quantum.vmc_task import SpinVMCSettings, System, VMCTask, full_preset

__all__ = ["HeisenbergChain", "TfimChain"]

_MAX_ED_SITES = 22


class RBMSettings(BaseModel):
    """Carleo–Troyer RBM: alpha * L hidden units, all weights free."""

    model_config = ConfigDict(extra="forbid")
    alpha: float = Field(1.0, gt=0, le=64, description="hidden-unit density M / L")


class SymmetricRBMSettings(BaseModel):
    """Translation-invariant RBM: alpha filters shared over the L translations."""

    model_config = ConfigDict(extra="forbid")
    alpha: int = Field(2, ge=1, le=MAX_WIDTH, description="number of translation-invariant filters")


class FeedForwardSettings(BaseModel):
    """Plain feed-forward NQS: log psi = MLP(s)."""

    model_config = ConfigDict(extra="forbid")
    hidden: Widths = Field([32], min_length=1, description="hidden layer widths")
    activation: Literal["tanh", "silu", "gelu"] = "tanh"


_SPIN_METHODS = {
    "rbm": Method(
        "rbm",
        "restricted Boltzmann machine (Carleo & Troyer 2017)",
        RBMSettings,
        trained=False,
        presets={"full": {"model": {"alpha": 2.0}}},
    ),
    "rbm-symmetric": Method(
        "rbm-symmetric",
        "translation-invariant RBM",
        SymmetricRBMSettings,
        trained=False,
        # its L-fold shared filters make natural-gradient steps larger: halve lr
        presets={"quick": {"vmc": {"lr": 0.01}}, "full": {"vmc": {"lr": 0.01}}},
    ),
    "ffnn": Method("ffnn", "feed-forward network NQS", FeedForwardSettings, trained=False),
}


class _ChainSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")
    n_sites: int = Field(16, ge=3, le=256, description="spins along the chain (x)")
    ly: int = Field(
        1, ge=1, le=16, description="rows: 1 for a chain, > 1 for an n_sites x ly square lattice"
    )
    J: float = Field(1.0, description="nearest-neighbour coupling")
    pbc: bool = Field(True, description="periodic boundaries (False: open)")
    vmc: SpinVMCSettings = SpinVMCSettings()

    @model_validator(mode="after")
    def _symmetric_needs_chain(self) -> _ChainSettings:
        if self.ly > 1 and isinstance(getattr(self, "model", None), SymmetricRBMSettings):
            raise ValueError(
                f"ly={self.ly}: rbm-symmetric is translation-invariant along a periodic chain "
                "only; use rbm or ffnn on a square lattice"
            )
        if self.ly > 1 and self.n_sites < 2:
            raise ValueError(f"n_sites={self.n_sites}: a square lattice needs n_sites >= 2")
        return self

    @property
    def n_spins(self) -> int:
        return self.n_sites * self.ly

    def edges(self) -> Any:
        from physml.sim.quantum.spins import chain_edges, square_edges

        if self.ly == 1:
            return chain_edges(self.n_sites, pbc=self.pbc)
        return square_edges(self.n_sites, self.ly, pbc=self.pbc)

    def describe(self) -> str:
        bc = "periodic" if self.pbc else "open"
        shape = f"L = {self.n_sites} chain" if self.ly == 1 else f"{self.n_sites} x {self.ly}"
        return f"{shape}, {bc}, J = {self.J}"


class TfimSettings(_ChainSettings):
    h: float = Field(1.0, description="transverse field (critical at h = J on a chain)")


class HeisenbergSettings(_ChainSettings):
    @model_validator(mode="after")
    def _bipartite(self) -> HeisenbergSettings:
        odd_rows = self.pbc and self.ly > 1 and self.ly % 2
        if self.n_sites % 2 or odd_rows:
            raise ValueError(
                f"n_sites={self.n_sites} must be even (and ly={self.ly} too on a periodic "
                "square lattice): the ground state is sought in the S^z = 0 sector and the "
                "Marshall sign rule needs a bipartite lattice"
            )
        return self


class _SpinChain(VMCTask):
    energy_unit = "J"

    def memory_estimate(self, config: Any) -> dict[str, float]:
        # per step: the samples, the log-derivatives O (and its centred copy) and, for
        # SR, the smaller of O O^T and O^T O, all float64
        n, m, v = config.n_spins, config.model, config.vmc
        method = self.method_of(config)
        if method == "rbm":
            hidden = max(1, round(m.alpha * n))
            n_params = n * hidden + n + hidden
        elif method == "rbm-symmetric":
            n_params = m.alpha * n + m.alpha + 1
        else:
            widths = [n, *m.hidden, 1]
            n_params = sum(a * b + b for a, b in itertools.pairwise(widths))
        estimate = {
            "samples: vmc.n_samples x spins": 8.0 * v.n_samples * n,
            "log-derivatives: vmc.n_samples x parameters": 16.0 * v.n_samples * n_params,
        }
        if v.optimizer == "sr":
            estimate["SR matrix: min(vmc.n_samples, parameters)^2"] = (
                8.0 * min(v.n_samples, n_params) ** 2
            )
        return estimate

    def wavefunction(self, config: Any, method: str) -> Any:
        from physml.models.wavefunctions.spin_nqs import SpinFeedForward, SpinRBM, SymmetricSpinRBM

        m, n = config.model, config.n_spins
        if method == "rbm":
            return SpinRBM(n, alpha=m.alpha)
        if method == "rbm-symmetric":
            return SymmetricSpinRBM(n, alpha=m.alpha)
        return SpinFeedForward(n, hidden=tuple(m.hidden), activation=m.activation)

    def _system(
        self, config: Any, hamiltonian: Any, move: str, reference: tuple, describe: str
    ) -> System:
        from physml.infer.vmc import LatticeLocalEnergy, SpinMetropolis

        v = config.vmc

        def make_sampler(seed: int, dtype: Any, device: Any) -> SpinMetropolis:
            return SpinMetropolis(
                config.n_spins,
                n_chains=v.n_chains,
                move=move,
                edges=config.edges(),
                sweeps_per_sample=v.sweeps_per_sample,
                n_burn_in=v.n_burn_in,
                seed=seed,
                dtype=dtype,
                device=device,
            )

        def make_local_energy(dtype: Any, device: Any) -> LatticeLocalEnergy:
            return LatticeLocalEnergy(hamiltonian, dtype=dtype, device=device)

        value, source, exact = reference
        return System(
            make_local_energy,
            make_sampler,
            value,
            source,
            exact,
            describe,
        )


class TfimChain(_SpinChain):
    name = "tfim-chain"
    summary = "transverse-field Ising chain ground state with an NQS (VMC + SR)"
    reference = Reference("E_0", None, "J", "Jordan–Wigner free fermions (Pfeuty 1970)")
    settings = TfimSettings
    methods = _SPIN_METHODS
    default_method = "rbm"
    presets = {"quick": {}, "full": full_preset(n_iterations=600)}

    def system(self, config: Any) -> System:
        from physml.sim.quantum import spins

        n = config.n_spins
        h = spins.transverse_field_ising(n, h=config.h, J=config.J, edges=config.edges())
        if config.pbc and config.ly == 1:
            ref = (
                spins.tfim_exact_energy(n, h=config.h, J=config.J),
                "Jordan–Wigner free fermions (Pfeuty 1970)",
                True,
            )
        elif n <= _MAX_ED_SITES:
            ref = (spins.ground_state_energy(h), "exact diagonalisation", True)
        else:
            ref = (None, "", False)
        return self._system(config, h, "flip", ref, f"{config.describe()}, h = {config.h}")

    def extra_metrics(self, config: Any, estimate: Any, configs: Any) -> dict[str, Metric]:
        from physml.sim.quantum.spins import tfim_energy_density_infinite

        return _per_site(
            config,
            estimate,
            tfim_energy_density_infinite(config.h, J=config.J),
            "free fermions, infinite chain (finite-size offset expected)",
        )


class HeisenbergChain(_SpinChain):
    name = "heisenberg-chain"
    summary = "antiferromagnetic Heisenberg chain ground state with an NQS (VMC + SR)"
    reference = Reference("E_0", None, "J", "exact diagonalisation, S^z = 0 sector")
    settings = HeisenbergSettings
    methods = _SPIN_METHODS
    default_method = "rbm"
    presets = {"quick": {"vmc": {"lr": 0.01}}, "full": full_preset(n_iterations=600, lr=0.01)}

    def system(self, config: Any) -> System:
        from physml.sim.quantum import spins

        n = config.n_spins
        h = spins.heisenberg(n, J=config.J, edges=config.edges(), marshall=True)
        if n <= _MAX_ED_SITES:
            ref = (
                spins.ground_state_energy(h, magnetization=0),
                "exact diagonalisation, S^z = 0 sector",
                True,
            )
        else:
            ref = (None, "", False)
        return self._system(
            config,
            h,
            "exchange",
            ref,
            f"{config.describe()}, Marshall sign rule",
        )

    def extra_metrics(self, config: Any, estimate: Any, configs: Any) -> dict[str, Metric]:
        from physml.sim.quantum.spins import HEISENBERG_CHAIN_ENERGY_PER_SITE

        return _per_site(
            config,
            estimate,
            HEISENBERG_CHAIN_ENERGY_PER_SITE * config.J,
            "Bethe ansatz, infinite chain (Hulthén 1938; literature: a finite ring lies "
            "below it by O(1/L^2))",
        )


def _per_site(config: Any, estimate: Any, reference: float, source: str) -> dict[str, Metric]:
    """E/N against an infinite-chain energy per site (chains only)."""
    if config.ly > 1:
        return {}
    n = config.n_sites
    return {"E/N": Metric(estimate.energy / n, reference, "J", source, error=estimate.error / n)}
