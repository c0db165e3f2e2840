"""Monte Carlo samples of the 2D Ising model shared by ``ising-phase`` and
``ising-unsupervised``, and their check against the exact finite lattice.

Square lattice, J = 1, k_B = 1, periodic boundaries; spins int8 of shape (n, L, L). The
temperature grid is the same for both tasks (an ordered window, a scan through the
transition, a disordered window), and so is each (L, T) block's seed
(:attr:`~physml.tasks.seeds.Stream.ISING_SAMPLES`), so a run of one task reads the other's
cache. Onsager's T_c = 2 / ln(1 + sqrt 2) is the reference of both.
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from physml.metrics import Metric
from physml.tasks.base import Reference, RunContext
from physml.tasks.seeds import Stream, seed_sequence

__all__ = [
    "ONSAGER_REFERENCE",
    "ONSAGER_TC",
    "TEMPERATURE_UNIT",
    "IsingSamplesSettings",
    "LatticeSamples",
    "plot_magnetization",
    "simulate",
    "simulation_check",
    "temperature_means",
]

ONSAGER_TC = 2.0 / np.log1p(np.sqrt(2.0))
TEMPERATURE_UNIT = "J/k_B"
ONSAGER_REFERENCE = Reference(
    "T_c", float(ONSAGER_TC), TEMPERATURE_UNIT, "Onsager (1944): T_c = 2/ln(1+sqrt 2)"
)
"""The headline reference of both Ising-transition tasks."""


class IsingSamplesSettings(BaseModel):
    """Which lattices, which temperatures, how many samples."""

    model_config = ConfigDict(extra="forbid")

    sizes: list[int] = Field([8, 16, 24, 32], description="linear lattice sizes L")
    t_min: float = Field(1.0, gt=0, description="lowest temperature (J/k_B)")
    t_max: float = Field(3.5, gt=0, description="highest temperature (J/k_B)")
    ordered_below: float = Field(1.8, gt=0, description="T below this is labelled ordered")
    disordered_above: float = Field(2.8, gt=0, description="T above this is labelled disordered")
    n_train_temperatures: int = Field(6, ge=1, description="temperatures per labelled phase")
    n_scan_temperatures: int = Field(17, ge=2, description="temperatures between the phases")
    n_samples: int = Field(300, ge=10, description="configurations per temperature and size")
    algorithm: Literal["auto", "metropolis", "wolff"] = "auto"

    @field_validator("sizes")
    @classmethod
    def _sizes(cls, sizes: list[int]) -> list[int]:
        if not sizes:
            raise ValueError("at least one lattice size is required")
        for size in sizes:
            if size < 4 or size > 512:
                raise ValueError(f"lattice size {size} is outside the allowed range 4..512")
        if len(set(sizes)) != len(sizes):
            raise ValueError(f"lattice sizes must be distinct, got {sizes}")
        return sorted(sizes)

    @model_validator(mode="after")
    def _temperatures(self) -> IsingSamplesSettings:
        order = [self.t_min, self.ordered_below, self.disordered_above, self.t_max]
        if not all(a < b for a, b in itertools.pairwise(order)):
            raise ValueError(
                "temperatures must satisfy t_min < ordered_below < disordered_above < t_max, "
                f"got {order}"
            )
        return self

    def temperatures(self) -> tuple[np.ndarray, np.ndarray]:
        """All simulated temperatures (sorted) and their labels: 1 ordered, 0 disordered,
        -1 unlabelled (scan only)."""
        ordered = np.linspace(self.t_min, self.ordered_below, self.n_train_temperatures)
        disordered = np.linspace(self.disordered_above, self.t_max, self.n_train_temperatures)
        gap = (self.disordered_above - self.ordered_below) / (self.n_scan_temperatures + 1)
        scan = np.linspace(
            self.ordered_below + gap, self.disordered_above - gap, self.n_scan_temperatures
        )
        temps = np.concatenate([ordered, scan, disordered])
        labels = np.concatenate(
            [np.ones(ordered.size), -np.ones(scan.size), np.zeros(disordered.size)]
        ).astype(np.int8)
        return temps, labels

    def n_temperatures(self) -> int:
        """How many temperatures are simulated at each size."""
        return self.n_scan_temperatures + 2 * self.n_train_temperatures

    def spin_bytes(self, copies: float) -> dict[str, float]:
        """Memory estimate: the int8 spins over all sizes times ``copies`` bytes per spin."""
        spins = self.n_samples * self.n_temperatures() * sum(s * s for s in self.sizes)
        return {"spins: n_samples x temperatures x L^2 over sizes": copies * spins}


@dataclass
class LatticeSamples:
    """Samples of one lattice size: spins (n, L, L) int8, their temperatures (n,), labels
    (n,: 1 ordered, 0 disordered, -1 scan) and the seed of each one's (L, T) block (n,)."""

    spins: np.ndarray
    temperature: np.ndarray
    label: np.ndarray
    block_seed: np.ndarray


def simulate(
    size: int, settings: IsingSamplesSettings, ctx: RunContext, bar: Any
) -> LatticeSamples:
    """The configurations of lattice ``size`` at every temperature of ``settings``, read
    from the cache or simulated (one :attr:`Stream.ISING_SAMPLES` seed per (L, T));
    advances ``bar`` once per temperature."""
    from physml.data import cached
    from physml.sim.statmech import ising

    temps, labels = settings.temperatures()
    spins, temperature, label, seeds = [], [], [], []
    events: list[str] = []
    for t, lab in zip(temps, labels, strict=True):
        params = {
            "L": size,
            "temperature": float(t),
            "n_samples": settings.n_samples,
            "algorithm": settings.algorithm,
        }
        stream = seed_sequence(ctx.seed, Stream.ISING_SAMPLES, size, round(t * 1e6))
        sample_seed = int(stream.generate_state(1)[0])
        draw = functools.partial(
            ising.sample,
            size,
            float(t),
            settings.n_samples,
            sample_seed,
            algorithm=settings.algorithm,
        )
        block = cached(
            "ising.sample",
            ising.VERSION,
            params,
            sample_seed,
            lambda draw=draw: {"spins": draw()},
            on_event=lambda event: events.append(event.split(":")[0]),
        )["spins"]
        n = block.shape[0]
        spins.append(block)
        temperature.append(np.full(n, t))
        label.append(np.full(n, lab, dtype=np.int8))
        seeds.append(np.full(n, sample_seed, dtype=np.uint64))
        bar.advance()
    ctx.log(
        f"L = {size}: {events.count('cache hit')} of {temps.size} temperatures "
        f"read from the cache, {events.count('cache write')} simulated"
    )
    return LatticeSamples(*(np.concatenate(a) for a in (spins, temperature, label, seeds)))


def simulation_check(datasets: Mapping[int, LatticeSamples], ctx: RunContext) -> dict[str, Metric]:
    """Monte Carlo energy per spin against Kaufman's exact finite-lattice value at every
    simulated (L, T), as chi^2 per point: 1 within sqrt(2/n) for independent samples in
    equilibrium. Standard errors come from the exact specific heat, not from the samples,
    so a frozen or stuck chain cannot hide behind a small sample variance. Warns about any
    point off by more than 5 standard errors."""
    from physml.sim.statmech import ising

    z = []
    for size, data in datasets.items():
        for t in np.unique(data.temperature):
            energy = ising.energy(data.spins[data.temperature == t])
            # the exact variance of E/N per sample is c T^2 / N (fluctuation-dissipation)
            variance = ising.exact_specific_heat(size, t) * t * t / (size * size)
            error = np.sqrt(variance / energy.size)
            z.append((energy.mean() - ising.exact_energy(size, t)) / error)
            if abs(z[-1]) > 5:
                ctx.log(
                    f"warning: Monte Carlo E/N at L = {size}, T = {t:.3f} is off the exact "
                    f"value by {z[-1]:+.1f} standard errors: samples not in equilibrium"
                )
    z = np.array(z)
    return {
        "chi2/n(E/N)": Metric(
            float(np.mean(z**2)),
            1.0,
            "",
            f"Kaufman (1949) exact finite-lattice energy at all {z.size} (L, T) points; "
            f"largest deviation {np.abs(z).max():.1f} standard errors; error: sqrt(2/n), "
            "the standard deviation of chi^2/n for samples in equilibrium",
            error=float(np.sqrt(2 / z.size)),
        )
    }


def temperature_means(values: np.ndarray, temperature: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean of ``values`` (n,) at each distinct temperature; returns (temperatures, means)."""
    temps, inverse = np.unique(temperature, return_inverse=True)
    return temps, np.bincount(inverse, weights=values) / np.bincount(inverse)


def plot_magnetization(
    ctx: RunContext, settings: IsingSamplesSettings, datasets: Mapping[int, LatticeSamples]
) -> None:
    """plots/magnetization.png: Monte Carlo <|m|> of every size against Onsager's."""
    from physml.sim.statmech import ising
    from physml.tasks.figures import new_figure, save_figure

    fig, ax = new_figure()
    t_fine = np.linspace(settings.t_min, settings.t_max, 400)
    ax.plot(t_fine, ising.onsager_magnetization(t_fine), "k-", label="Onsager (L = inf)")
    for size, data in datasets.items():
        temps, m = temperature_means(ising.abs_magnetization(data.spins), data.temperature)
        ax.plot(temps, m, "o", ms=3, label=f"Monte Carlo L = {size}")
    ax.set(xlabel="T [J/k_B]", ylabel="<|m|>", title="Monte Carlo magnetisation")
    ax.legend(fontsize=8)
    save_figure(fig, ctx.plot_dir / "magnetization.png")
