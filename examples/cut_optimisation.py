"""A cut-based Higgs search: a genetic algorithm, the grid optimum and the likelihood ratio.

Run: ``python examples/cut_optimisation.py`` (about 10 s on two cores).
"""

import numpy as np

from physml.infer import genetic
from physml.metrics.significance import ams, best_threshold
from physml.sim.collider import higgs

# 1. Weighted events at 20.3 fb^-1: one sample to choose cuts, one to measure them.
features = ("mass_tautau", "mt_lep_met")
columns = [higgs.FEATURES.index(f) for f in features]
choose, measure = (higgs.sample(50_000, 200_000, seed=k) for k in (0, 1))
s_all, b_all = higgs.expected_yields()
print(f"expected events: s = {s_all:.0f}, b = {b_all:.0f}, s/sqrt(b) = {s_all / b_all**0.5:.2f}")


def measured_ams(selected: np.ndarray) -> float:
    w, y = measure.weight, measure.label
    return ams(w[selected & (y == 1)].sum(), w[selected & (y == 0)].sum())


x_choose, x_measure = choose.features[:, columns], measure.features[:, columns]
data = (x_choose, choose.weight, choose.label)

# 2. Rectangular cuts found by a genetic algorithm and by brute force on a grid.
fitness = genetic.rectangular_cut_fitness(*data, metric="ams", min_background=10.0)
lower, upper = genetic.cut_bounds(x_choose)
evolved = genetic.maximize(fitness, lower, upper, genetic.GeneticSettings(), seed=0)
grid = [np.quantile(col, np.linspace(0, 1, 30)) for col in x_choose.T]
brute = genetic.grid_search_cuts(*data, grid, metric="ams", min_background=10.0)
z_ga = measured_ams(genetic.apply_cuts(x_measure, evolved.best_genes))
z_grid = measured_ams(genetic.apply_cuts(x_measure, brute.cut))
print(f"GA   ({evolved.n_evaluations} cuts tried): AMS {z_ga:.3f}")
print(f"grid ({brute.n_cuts} cuts tried): AMS {z_grid:.3f}")

# 3. The bound: the exact likelihood ratio of the same two features.
llr = [
    higgs.marginal_log_likelihood_ratio(e.features[:, columns], features) for e in (choose, measure)
]
cut = best_threshold(llr[0], choose.label, choose.weight, metric="ams", min_background=10.0)
print(f"likelihood ratio of {features}: AMS {measured_ams(llr[1] >= cut.threshold):.3f}")
