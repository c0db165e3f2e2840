"""The 2D Ising transition: the simulator against exact physics, then the learned T_c.

Run: ``python examples/ising_phase.py`` (about a minute on two cores).
"""

from physml.sim.statmech import ising
from physml.tasks import run

# 1. Monte Carlo against Kaufman's exact finite lattice and Onsager's infinite one.
L = 32
for T in (1.8, ising.critical_temperature(), 3.0):
    spins = ising.sample(L, T, n_samples=400, seed=0)  # (400, 32, 32) int8, independent
    energy, exact = ising.energy(spins).mean(), ising.exact_energy(L, T)
    print(
        f"T = {T:.3f}: E/N = {energy:.4f} (exact, L = {L}: {exact:.4f}); "
        f"<|m|> = {ising.abs_magnetization(spins).mean():.4f} "
        f"(Onsager, L = inf: {ising.onsager_magnetization(T):.4f})"
    )

# 2. A CNN trained on ordered (T < 1.8) and disordered (T > 2.8) spins finds T_c.
record = run("ising-phase", "cnn", preset="quick", seed=0)
for name, metric in record.metrics.items():
    gap = "" if metric.gap is None else f"  gap {metric.gap:+.2%}"
    print(f"{name:>20s} = {metric.value:.4f}{gap}")
print("plots in", record.run_dir / "plots")
