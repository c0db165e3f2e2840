"""Quark vs gluon jets: the simulator's exact optimum, then networks measured against it.

Run: ``python examples/qg_jets.py`` (about a minute on two cores).
"""

from physml.metrics.classification import auc
from physml.sim.collider import jets
from physml.tasks import run

# 1. The toy shower and its Neyman-Pearson optimum.
shower = jets.Shower()  # LO splitting functions, C_F = 4/3 vs C_A = 3, z > 0.01, R = 0.4
quarks = jets.sample(50_000, flavour="quark", seed=0, shower=shower)
gluons = jets.sample(50_000, flavour="gluon", seed=1, shower=shower)
both = jets.concatenate([quarks, gluons])
labels = both.is_quark.astype(int)
print(
    f"mean emissions: quark {jets.mean_multiplicity('quark', shower=shower):.3f}, "
    f"gluon {jets.mean_multiplicity('gluon', shower=shower):.3f}"
)
print(f"AUC, exact log p_q/p_g: {auc(labels, jets.log_likelihood_ratio(both)):.4f}")
print(
    f"AUC, multiplicity:      {auc(labels, -both.multiplicity.astype(float)):.4f} "
    f"(exact {jets.multiplicity_auc(shower=shower):.4f})"
)

# 2. A Particle Flow Network and an IRC-safe Energy Flow Network against that optimum.
for method in ("pfn", "efn"):
    record = run("qg-jets", method, preset="quick", seed=0)
    m = record.metrics["AUC"]
    print(
        f"{method}: AUC {m.value:.4f}, optimum {m.reference:.4f}, gap {m.reference - m.value:+.4f}"
    )
