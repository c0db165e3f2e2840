"""What every variational-Monte-Carlo task shares: settings, the run, metrics, plots.

A :class:`VMCTask` names its physical system (:meth:`~VMCTask.system`: local energy,
sampler, reference energy) and builds the wavefunction of the chosen method
(:meth:`~VMCTask.wavefunction`); the run optimises it with :class:`physml.infer.vmc.VMC`,
checkpointing as it goes (``--resume`` continues bitwise), then measures the energy of the
final parameters on fresh samples with a blocking error bar and reports it against the
exact (or literature) energy; the blocking error is the energy's ``error``. torch is
imported only inside :meth:`VMCTask.run`, so listing tasks stays fast.

Devices: the run honours ``--device``. The wavefunction is initialised on the CPU (the
same weights on every device, from the run's seed) and moved once to ``ctx.device``; the
sampler's chains and generator and the Hamiltonian's tables are made there, so the whole
optimisation runs on that device. A CUDA run draws other random numbers than a CPU run
with the same seed (its generator is CUDA's), so the two agree within error bars.
"""

from __future__ import annotations

import abc
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, model_validator

from physml.metrics import Metric
from physml.tasks.base import RunContext, Task

__all__ = [
    "ContinuousVMCSettings",
    "SpinVMCSettings",
    "System",
    "VMCSettings",
    "VMCTask",
    "full_preset",
]


class VMCSettings(BaseModel):
    """The optimisation: iterations, samples, optimiser, final measurement."""

    model_config = ConfigDict(extra="forbid")

    n_iterations: int = Field(300, ge=1, description="optimisation steps")
    n_samples: int = Field(1024, ge=16, description="samples of |psi|^2 per step")
    n_chains: int = Field(
        1024, ge=1, description="Markov chains run in parallel (each gives n_samples/n_chains)"
    )
    optimizer: Literal["sr", "sgd", "adam"] = Field(
        "sr", description="stochastic reconfiguration (natural gradient), SGD or Adam"
    )
    lr: float = Field(0.025, gt=0, description="learning rate (step = lr x natural gradient)")
    diag_shift: float = Field(0.01, gt=0, description="SR diagonal shift")
    n_burn_in: int = Field(100, ge=0, description="sweeps/moves discarded at the start")
    n_eval_samples: int = Field(1 << 15, ge=64, description="samples of the final estimate")
    dtype: Literal["float64", "float32"] = "float64"

    @model_validator(mode="after")
    def _chains(self) -> VMCSettings:
        if self.n_chains > self.n_samples:
            raise ValueError(
                f"n_chains={self.n_chains} exceeds n_samples={self.n_samples}: every chain "
                f"gives a sample each step, so {self.n_chains} would be drawn; lower n_chains"
            )
        return self


class SpinVMCSettings(VMCSettings):
    sweeps_per_sample: int = Field(1, ge=1, description="sweeps (n_sites proposals) per sample")
    clip: float | None = Field(None, gt=0, description="clip E_L at this many MADs (gradient)")


class ContinuousVMCSettings(VMCSettings):
    langevin: bool = Field(True, description="importance sampling (Langevin drift)")
    step: float = Field(0.3, gt=0, description="initial time step (tuned in burn-in)")
    steps_per_sample: int = Field(2, ge=1, description="moves between two samples")
    clip: float | None = Field(
        5.0, gt=0, description="clip E_L at this many MADs for the gradient (nodes, cusps)"
    )


def full_preset(**vmc: Any) -> dict[str, Any]:
    """The "full" preset of a VMC task: 4x the samples, a 4x longer final measurement,
    plus the task's own ``vmc`` overrides."""
    return {"vmc": {"n_samples": 4096, "n_chains": 1024, "n_eval_samples": 1 << 18, **vmc}}


@dataclass(frozen=True)
class System:
    """A physical system ready for VMC.

    Attributes:
        make_local_energy: ``(dtype, device) ->`` a
            :class:`~physml.infer.vmc.LatticeLocalEnergy` or
            :class:`~physml.infer.vmc.ContinuousLocalEnergy` on that device.
        make_sampler: ``(seed, dtype, device) -> sampler`` with the task's VMC settings
            applied.
        reference: exact or literature energy, or None.
        source: where the reference comes from ("" without one).
        exact: whether the reference is exact (else literature).
        describe: one line for the log ("2 electrons in 2D, omega = 1").
    """

    make_local_energy: Callable[[Any, Any], Any]
    make_sampler: Callable[[int, Any, Any], Any]
    reference: float | None
    source: str
    exact: bool
    describe: str


class VMCTask(Task):
    """A ground-state energy found by variational Monte Carlo."""

    energy_unit: str = ""

    @abc.abstractmethod
    def system(self, config: Any) -> System:
        """The Hamiltonian's local energy, the sampler and the reference energy."""

    @abc.abstractmethod
    def wavefunction(self, config: Any, method: str) -> Any:
        """The trial wavefunction (an ``nn.Module`` returning log|psi|)."""

    def extra_metrics(self, config: Any, estimate: Any, configs: Any) -> dict[str, Metric]:
        """Task-specific metrics from the final estimate and samples (none by default)."""
        return {}

    def extra_plots(self, config: Any, configs: Any, ctx: RunContext) -> None:
        """Task-specific plots from final samples (none by default)."""

    def build(self, config: Any, system: System, ctx: RunContext) -> Any:
        """The :class:`~physml.infer.vmc.VMC` of this run, every part on ``ctx.device``."""
        import torch

        from physml.infer.vmc import VMC

        vmc_cfg = config.vmc
        dtype = torch.float64 if vmc_cfg.dtype == "float64" else torch.float32
        device = torch.device(ctx.device)
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(ctx.seed)
            model = self.wavefunction(config, self.method_of(config)).to(dtype)
        return VMC(
            model.to(device),
            system.make_sampler(ctx.seed, dtype, device),
            system.make_local_energy(dtype, device),
            n_samples=vmc_cfg.n_samples,
            optimizer=vmc_cfg.optimizer,
            lr=vmc_cfg.lr,
            diag_shift=vmc_cfg.diag_shift,
            clip=vmc_cfg.clip,
        )

    def run(self, config: Any, ctx: RunContext) -> dict[str, Metric]:
        vmc_cfg = config.vmc
        system = self.system(config)
        ctx.log(f"{self.name}: {system.describe}")
        vmc = self.build(config, system, ctx)
        checkpoint = ctx.checkpoint_dir / "vmc.pt"
        if checkpoint.exists():
            vmc.load(checkpoint)
            ctx.log(f"resumed from {checkpoint} at iteration {vmc.iteration}")
        with ctx.progress("VMC", vmc_cfg.n_iterations) as bar:
            bar.advance(vmc.iteration)
            vmc.run(
                vmc_cfg.n_iterations, on_iteration=lambda _: bar.advance(), checkpoint=checkpoint
            )
        estimate = vmc.estimate(vmc_cfg.n_eval_samples)
        final = vmc.sample(min(vmc_cfg.n_eval_samples, 1 << 14)).flat()
        metrics = self._metrics(system, estimate)
        metrics.update(self.extra_metrics(config, estimate, final))
        ctx.write_log([asdict(it) for it in vmc.history])
        _plot_energy(ctx, self.name, vmc.history, estimate, system)
        self.extra_plots(config, final, ctx)
        return metrics

    def _metrics(self, system: System, estimate: Any) -> dict[str, Metric]:
        kind = "exact" if system.exact else "literature"
        source = f"{kind}: {system.source}" if system.reference is not None else ""
        n_effective = estimate.n_samples / estimate.tau
        blocking = (
            f"error: Flyvbjerg–Petersen blocking of {estimate.n_samples} samples, "
            f"tau = {estimate.tau:.2f}"
        )
        metrics = {
            "E": Metric(
                estimate.energy,
                system.reference,
                self.energy_unit,
                f"{source}; {blocking}" if source else blocking,
                error=estimate.error,
            ),
            "variance": Metric(
                estimate.variance,
                None,
                f"({self.energy_unit})^2" if self.energy_unit else "",
                "variance of the local energy: zero for an exact eigenstate; error: "
                "variance x sqrt(2 tau / n) (Gaussian local energies)",
                error=estimate.variance * float(np.sqrt(2.0 / n_effective)),
            ),
            "acceptance": Metric(
                estimate.acceptance,
                None,
                "",
                "Metropolis acceptance rate; error: binomial over the effective samples",
                error=float(np.sqrt(estimate.acceptance * (1 - estimate.acceptance) / n_effective)),
            ),
        }
        if system.reference is not None and estimate.error > 0:
            metrics["(E - E_ref) / error"] = Metric(
                (estimate.energy - system.reference) / estimate.error,
                None,
                "",
                "gap in units of the statistical error (a variational energy lies above "
                "an exact reference); error 1 by construction",
                error=1.0,
            )
        return metrics


def _plot_energy(
    ctx: RunContext, name: str, history: list[Any], estimate: Any, system: System
) -> None:
    from physml.tasks.figures import new_figure, save_figure

    steps = np.array([it.step for it in history])
    energy = np.array([it.energy for it in history])
    error = np.array([it.error for it in history])
    fig, ax = new_figure()
    ax.plot(steps, energy, "-", lw=1, label="VMC energy per iteration")
    ax.fill_between(steps, energy - error, energy + error, alpha=0.3)
    ax.axhline(
        estimate.energy,
        color="C2",
        ls=":",
        label=f"final {estimate.energy:.6g} ± {estimate.error:.1g}",
    )
    if system.reference is not None:
        label = "exact" if system.exact else "literature"
        ax.axhline(system.reference, color="k", ls="--", label=f"{label} {system.reference:.6g}")
        span = max(
            10 * abs(estimate.energy - system.reference),
            20 * estimate.error,
            1e-3 * abs(system.reference),
        )
        top = np.nanpercentile(energy, 90) if energy.size else system.reference + span
        ax.set_ylim(system.reference - span, max(top, system.reference + span))
    ax.set(xlabel="iteration", ylabel="energy", title=f"{name}: variational energy")
    ax.legend(fontsize=8)
    save_figure(fig, ctx.plot_dir / "energy.png")
    if system.reference is not None and system.reference != 0:
        fig, ax = new_figure()
        rel = np.abs(energy - system.reference) / abs(system.reference)
        ax.semilogy(steps, np.maximum(rel, 1e-12), "-", lw=1)
        ax.set(xlabel="iteration", ylabel="|E - E_ref| / |E_ref|", title=f"{name}: relative error")
        save_figure(fig, ctx.plot_dir / "relative_error.png")
