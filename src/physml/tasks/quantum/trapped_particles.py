"""``ho-bosons`` and ``quantum-dot``: particles in a harmonic trap by VMC.

Units hbar = m = 1, energies in units of hbar*omega's scale (atomic units for the dot).

* ``ho-bosons``: N bosons in d dimensions, optionally with a Gaussian pair interaction.
  Without interaction the Gaussian-binary RBM contains the exact ground state, so VMC
  must reach E = N d omega / 2 with zero variance; two interacting bosons are compared
  with the numerically exact two-body energy.
* ``quantum-dot``: N electrons in 2D with Coulomb repulsion. Two electrons at omega = 1
  have E = 3 exactly (Taut 1993); closed shells N = 6, 12 are compared with diffusion
  Monte Carlo (literature). An RBM alone cannot describe the electron–electron cusp; the
  Padé–Jastrow factor imposes it exactly.
"""

from __future__ import annotations

import abc
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, model_validator

from physml.config import ConfigError
from physml.tasks.base import MAX_WIDTH, Method, Reference, RunContext, Widths
from physml.tasks.quantum.vmc_task import ContinuousVMCSettings, System, VMCTask, full_preset

__all__ = ["HoBosons", "QuantumDot"]


class RBMSettings(BaseModel):
    """Gaussian–binary RBM (hidden units summed out), Carleo–Troyer in continuous space."""

    model_config = ConfigDict(extra="forbid")
    n_hidden: int = Field(2, ge=1, le=MAX_WIDTH, description="binary hidden units")


class RBMPadeSettings(RBMSettings):
    """Gaussian–binary RBM times a Padé–Jastrow factor with the exact Coulomb cusp."""


class SlaterPadeSettings(BaseModel):
    """Slater determinant of oscillator orbitals (variational width) times Padé–Jastrow."""

    model_config = ConfigDict(extra="forbid")


class DeepSetSettings(BaseModel):
    """Permutation-symmetric feed-forward NQS (deep set) with a Gaussian envelope."""

    model_config = ConfigDict(extra="forbid")
    hidden: Widths = Field([16, 16], min_length=1, description="widths of each MLP")


class TrapSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")
    n_particles: int = Field(2, ge=1, le=64, description="number of particles N")
    dim: int = Field(2, ge=1, le=3, description="spatial dimension d")
    omega: float = Field(1.0, gt=0, description="trap frequency")


class HoBosonsSettings(TrapSettings):
    interaction: Literal["none", "gaussian"] = "none"
    strength: float = Field(1.0, description="Gaussian pair interaction height V0")
    width: float = Field(1.0, gt=0, description="Gaussian pair interaction range")
    vmc: ContinuousVMCSettings = ContinuousVMCSettings()


class QuantumDotSettings(TrapSettings):
    vmc: ContinuousVMCSettings = ContinuousVMCSettings()

    @model_validator(mode="after")
    def _coulomb(self) -> QuantumDotSettings:
        if self.dim < 2:
            raise ValueError(f"dim={self.dim}: the Coulomb dot needs dim >= 2")
        return self


class _Trapped(VMCTask):
    energy_unit = "hbar omega_0"  # omega is given in units of omega_0

    def check(self, config: Any) -> None:
        try:  # the trap checks its own physics (interaction, dimension, statistics)
            self._trap(config)
        except ValueError as err:
            raise ConfigError(str(err)) from None

    def memory_estimate(self, config: Any) -> dict[str, float]:
        # walkers of one step and of one batch of the final estimate, float64
        coordinates = config.n_particles * config.dim
        walkers = config.vmc.n_samples * coordinates
        return {"walkers: vmc.n_samples x n_particles x dim": 8.0 * walkers}

    @abc.abstractmethod
    def _trap(self, config: Any) -> Any:
        """The :class:`~physml.sim.quantum.trap.HarmonicTrap` of these settings."""

    def system(self, config: Any) -> System:
        from physml.infer.vmc import ContinuousLocalEnergy, ContinuousMetropolis

        trap = self._trap(config)
        v = config.vmc

        def make_sampler(seed: int, dtype: Any, device: Any) -> ContinuousMetropolis:
            return ContinuousMetropolis(
                config.n_particles,
                config.dim,
                n_chains=v.n_chains,
                langevin=v.langevin,
                step=v.step,
                steps_per_sample=v.steps_per_sample,
                n_burn_in=v.n_burn_in,
                init_scale=1.0 / np.sqrt(config.omega),
                seed=seed,
                dtype=dtype,
                device=device,
            )

        def make_local_energy(dtype: Any, device: Any) -> ContinuousLocalEnergy:
            return ContinuousLocalEnergy(trap.potential)  # evaluated on x's dtype and device

        ref = trap.reference()
        describe = (
            f"{config.n_particles} {trap.statistics} in {config.dim}D, omega = {config.omega}, "
            f"interaction {trap.interaction}"
        )
        return System(
            make_local_energy,
            make_sampler,
            None if ref is None else ref.value,
            "" if ref is None else ref.source,
            bool(ref is not None and ref.exact),
            describe,
        )

    def extra_plots(self, config: Any, configs: Any, ctx: RunContext) -> None:
        from physml.tasks.figures import new_figure, save_figure

        r = np.linalg.norm(configs.detach().cpu().numpy(), axis=-1).ravel()
        fig, ax = new_figure()
        edges = np.linspace(0, np.quantile(r, 0.999), 60)
        hist, _ = np.histogram(r, bins=edges)
        centres = 0.5 * (edges[1:] + edges[:-1])
        shell = _shell_volume(edges, config.dim)
        density = config.n_particles * hist / (r.size * shell)
        ax.plot(centres, density, "o", ms=3, label="VMC samples")
        free = self._free_density(config)
        if free is not None:
            fine = np.linspace(0, edges[-1], 200)
            ax.plot(fine, free[0](fine), "k--", label=free[1])
        ax.set(xlabel="r", ylabel="one-body density n(r)", title=f"{self.name}: one-body density")
        ax.legend(fontsize=8)
        save_figure(fig, ctx.plot_dir / "density.png")

    def _free_density(self, config: Any) -> tuple[Any, str] | None:
        """(n(r), label) of a density to draw beside the samples, or None."""
        return None


def _ground_orbital_density(config: Any) -> Any:
    """N particles in the oscillator ground orbital: n(r) = N (omega/pi)^(d/2) e^(-omega r^2)."""
    w, d, n = config.omega, config.dim, config.n_particles
    return lambda r: n * (w / np.pi) ** (d / 2) * np.exp(-w * r**2)


def _shell_volume(edges: np.ndarray, dim: int) -> np.ndarray:
    unit = {1: 2.0, 2: np.pi, 3: 4.0 * np.pi / 3.0}[dim]
    return unit * (edges[1:] ** dim - edges[:-1] ** dim)


class HoBosons(_Trapped):
    name = "ho-bosons"
    summary = "bosons in a harmonic trap with an RBM wavefunction (zero-variance VMC)"
    reference = Reference(
        "E_0", None, "hbar omega", "N d omega / 2; two-body exact with interaction"
    )
    settings = HoBosonsSettings
    methods = {
        "rbm": Method("rbm", "Gaussian–binary RBM", RBMSettings, trained=False),
        "deepset": Method(
            "deepset",
            "deep-set feed-forward NQS (autograd Laplacian)",
            DeepSetSettings,
            trained=False,
        ),
    }
    default_method = "rbm"
    presets = {
        "quick": {"vmc": {"n_iterations": 200, "lr": 0.1, "diag_shift": 1e-3}},
        "full": full_preset(n_iterations=600, lr=0.1, diag_shift=1e-3),
    }

    def _trap(self, config: Any) -> Any:
        from physml.sim.quantum.trap import HarmonicTrap

        return HarmonicTrap(
            config.n_particles,
            config.dim,
            config.omega,
            interaction=config.interaction,
            strength=config.strength,
            width=config.width,
            statistics="bosons",
        )

    def wavefunction(self, config: Any, method: str) -> Any:
        from physml.models.wavefunctions.deepset_wavefunction import DeepSetWavefunction
        from physml.models.wavefunctions.gaussian_rbm import GaussianBinaryRBM

        if method == "deepset":
            return DeepSetWavefunction(
                config.n_particles,
                config.dim,
                hidden=tuple(config.model.hidden),
                omega=config.omega,
            )
        return GaussianBinaryRBM(config.n_particles, config.dim, config.model.n_hidden)

    def _free_density(self, config: Any) -> tuple[Any, str] | None:
        if config.interaction != "none":
            return None
        return _ground_orbital_density(config), "exact (non-interacting ground state)"


class QuantumDot(_Trapped):
    energy_unit = "Hartree"  # atomic units: omega in Hartree/hbar
    name = "quantum-dot"
    summary = "electrons in a 2D harmonic quantum dot (Coulomb) with RBM x Padé–Jastrow"
    reference = Reference(
        "E_0", None, "a.u.", "Taut 1993 (N = 2, exact); DMC literature for N = 6, 12"
    )
    settings = QuantumDotSettings
    methods = {
        "rbm-pade": Method(
            "rbm-pade", "Gaussian–binary RBM x Padé–Jastrow (cusp)", RBMPadeSettings, trained=False
        ),
        "rbm": Method("rbm", "Gaussian–binary RBM alone (no cusp)", RBMSettings, trained=False),
        "slater-pade": Method(
            "slater-pade", "Slater determinant x Padé–Jastrow", SlaterPadeSettings, trained=False
        ),
    }
    default_method = "rbm-pade"
    presets = {"quick": {"vmc": {"n_iterations": 200}}, "full": full_preset(n_iterations=1500)}

    def _trap(self, config: Any) -> Any:
        from physml.sim.quantum.trap import HarmonicTrap

        return HarmonicTrap(
            config.n_particles,
            config.dim,
            config.omega,
            interaction="coulomb",
            statistics="fermions",
        )

    def wavefunction(self, config: Any, method: str) -> Any:
        from physml.models.wavefunctions.gaussian_rbm import GaussianBinaryRBM
        from physml.models.wavefunctions.jastrow import PadeJastrow
        from physml.models.wavefunctions.product_wavefunction import ProductWavefunction
        from physml.models.wavefunctions.slater import SlaterDeterminant

        n, d, w = config.n_particles, config.dim, config.omega
        if method == "slater-pade":
            return ProductWavefunction(SlaterDeterminant(n, d, omega=w), PadeJastrow(n, d))
        factors = [GaussianBinaryRBM(n, d, config.model.n_hidden, sigma=1.0 / np.sqrt(w))]
        if n > 2:
            factors.append(SlaterDeterminant(n, d, omega=w, gaussian=False))
        if method == "rbm-pade":
            factors.append(PadeJastrow(n, d))
        return ProductWavefunction(*factors)

    def _free_density(self, config: Any) -> tuple[Any, str] | None:
        if config.n_particles != 2:
            return None
        return _ground_orbital_density(config), "without Coulomb repulsion (comparison)"
