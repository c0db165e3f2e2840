"""The genetic algorithm on functions with known maxima; rectangular cuts against brute force."""

from __future__ import annotations

import doctest
import functools
import itertools
import math

import numpy as np
import pytest

from physml.infer import genetic
from physml.infer.genetic import (
    GeneticSettings,
    apply_cuts,
    cut_bounds,
    grid_search_cuts,
    maximize,
    rectangular_cut_fitness,
)
from physml.metrics.significance import significance

OPTIMUM = np.array([1.0, -2.0, 0.5, 3.0])
CURVATURE = np.array([1.0, 2.0, 3.0, 4.0])
LOWER, UPPER = np.full(4, -5.0), np.full(4, 5.0)


def _quadratic(genes: np.ndarray) -> np.ndarray:
    return 7.0 - np.sum(CURVATURE * (genes - OPTIMUM) ** 2, axis=1)


# --------------------------------------------------------------------------- the algorithm


@pytest.mark.parametrize("crossover", genetic.CROSSOVERS)
def test_finds_the_maximum_of_a_quadratic(crossover):
    settings = GeneticSettings(population_size=64, generations=80, crossover=crossover)
    result = maximize(_quadratic, LOWER, UPPER, settings, seed=1)
    np.testing.assert_allclose(result.best_genes, OPTIMUM, atol=0.05)
    assert result.best_fitness == pytest.approx(7.0, abs=5e-3)
    assert result.best_fitness == _quadratic(result.best_genes[None])[0]
    assert result.n_generations == 80
    assert result.mean_history[-1] > result.mean_history[0]


def test_optimum_on_the_boundary():
    # the maximum of a linear function sits in a corner: clipping must reach it
    settings = GeneticSettings(population_size=32, generations=40)
    result = maximize(lambda g: g @ np.array([1.0, -1.0]), [0, 0], [2, 3], settings, seed=0)
    np.testing.assert_allclose(result.best_genes, [2.0, 0.0], atol=1e-2)
    assert np.all(result.population >= [0, 0]) and np.all(result.population <= [2, 3])


def test_reproducible_with_a_seed():
    settings = GeneticSettings(population_size=20, generations=15)
    a = maximize(_quadratic, LOWER, UPPER, settings, seed=5)
    b = maximize(_quadratic, LOWER, UPPER, settings, seed=5)
    c = maximize(_quadratic, LOWER, UPPER, settings, seed=6)
    np.testing.assert_array_equal(a.best_genes, b.best_genes)
    np.testing.assert_array_equal(a.best_history, b.best_history)
    np.testing.assert_array_equal(a.population, b.population)
    assert not np.array_equal(a.population, c.population)
    d = maximize(_quadratic, LOWER, UPPER, settings, seed=np.random.default_rng(5))
    np.testing.assert_array_equal(a.population, d.population)


def test_elitism_keeps_the_best_and_saves_evaluations():
    calls = []

    def fitness(genes):
        calls.append(genes.shape[0])
        assert np.all(genes >= LOWER) and np.all(genes <= UPPER)
        return _quadratic(genes)

    settings = GeneticSettings(population_size=30, generations=25, elitism=3, mutation_scale=0.3)
    result = maximize(fitness, LOWER, UPPER, settings, seed=2)
    assert np.all(np.diff(result.best_history) >= 0)
    assert result.best_fitness == result.best_history[-1] == result.best_history.max()
    assert calls == [30] + [27] * 24 and result.n_evaluations == 30 + 24 * 27
    # without elitism the best of a generation can be lost, the best ever is still kept
    free = GeneticSettings(population_size=10, generations=40, elitism=0, mutation_scale=0.5)
    result = maximize(_quadratic, LOWER, UPPER, free, seed=0)
    assert result.best_fitness == result.best_history.max()
    assert np.any(np.diff(result.best_history) < 0)


def test_on_generation_reports_and_stops():
    seen = []

    def report(generation, population, fitness):
        seen.append((generation, population.shape, fitness.max()))
        return generation == 4

    settings = GeneticSettings(population_size=12, generations=50)
    result = maximize(_quadratic, LOWER, UPPER, settings, seed=0, on_generation=report)
    assert [s[0] for s in seen] == [0, 1, 2, 3, 4] and result.n_generations == 5
    assert seen[0][1] == (12, 4)
    np.testing.assert_array_equal([s[2] for s in seen], result.best_history)


def test_infeasible_individuals():
    # -inf outside the disc of radius 1 about 3: the GA must find the feasible maximum
    def fitness(genes):
        r2 = np.sum((genes - 3.0) ** 2, axis=1)
        return np.where(r2 <= 1.0, -genes[:, 0], -np.inf)

    settings = GeneticSettings(population_size=40, generations=60)
    result = maximize(fitness, [0, 0], [4, 4], settings, seed=3)
    np.testing.assert_allclose(result.best_genes, [2.0, 3.0], atol=0.05)
    assert np.all(np.isfinite(result.mean_history))


# --------------------------------------------------------------------------- cuts


def _toy(n_signal=4000, n_background=16000, d=2, seed=0):
    """Signal N(1.5, 0.6^2) per feature vs background N(0, 1); weights: s = 50, b = 5000."""
    rng = np.random.default_rng(seed)
    x = np.concatenate(
        [rng.normal(1.5, 0.6, (n_signal, d)), rng.normal(0.0, 1.0, (n_background, d))]
    )
    labels = np.concatenate([np.ones(n_signal, np.int8), np.zeros(n_background, np.int8)])
    weights = np.where(labels == 1, 50.0 / n_signal, 5000.0 / n_background)
    return x, weights, labels


def _direct(x, weights, labels, cut, metric, b_reg=10.0):
    keep = apply_cuts(x, cut)
    s = weights[keep & (labels == 1)].sum()
    b = weights[keep & (labels == 0)].sum()
    return significance(s, b, metric, b_reg=b_reg), s, b


def test_cut_fitness_matches_direct_selection():
    x, w, y = _toy(300, 900, d=3)
    rng = np.random.default_rng(4)
    lower, upper = cut_bounds(x)
    genes = lower + (upper - lower) * rng.random((25, 6))  # pairs in either order
    for metric in ("ams", "asimov", "s_sqrt_b"):
        values = rectangular_cut_fitness(x, w, y, metric=metric)(genes)
        expected = [_direct(x, w, y, g, metric)[0] for g in genes]
        np.testing.assert_allclose(values, expected, rtol=1e-12)
    # pair order is irrelevant; the loosest cut keeps everything
    swapped = genes.reshape(25, 3, 2)[:, :, ::-1].reshape(25, 6)
    fit = rectangular_cut_fitness(x, w, y)
    np.testing.assert_array_equal(fit(genes), fit(swapped))
    loosest = np.where(np.arange(6) % 2 == 0, lower, upper)
    assert apply_cuts(x, loosest).all()


def test_cut_fitness_with_nothing_passing_is_zero():
    x, w, y = _toy(100, 100)
    empty = np.array([[10.0, 11.0, 0.0, 1.0], [0.0, 0.0, -1.0, 1.0]])  # outside; zero width
    for metric in ("ams", "asimov", "s_sqrt_b"):
        values = rectangular_cut_fitness(x, w, y, metric=metric)(empty)
        np.testing.assert_array_equal(values, [0.0, 0.0])
    guarded = rectangular_cut_fitness(x, w, y, metric="s_sqrt_b", min_background=1.0)
    assert np.all(guarded(empty) == -np.inf)


def _brute_force_grid(x, w, y, grid, metric, min_background=0.0):
    best = (-math.inf, None)
    pairs = [list(itertools.combinations(g, 2)) for g in grid]
    for combo in itertools.product(*pairs):
        cut = np.array([v for pair in combo for v in pair])
        value, _s, b = _direct(x, w, y, cut, metric)
        if b >= min_background and value > best[0]:
            best = (value, cut)
    return best


@pytest.mark.parametrize(("d", "metric"), [(1, "ams"), (2, "ams"), (2, "s_sqrt_b"), (3, "asimov")])
def test_grid_search_matches_brute_force(d, metric):
    x, w, y = _toy(200, 600, d=d, seed=d)
    grid = [np.array([-np.inf, -1.0, 0.0, 0.7, 1.2, 1.8, np.inf])[: 7 - j] for j in range(d)]
    min_b = 2.0 if metric == "s_sqrt_b" else 0.0
    value, _cut = _brute_force_grid(x, w, y, grid, metric, min_b)
    result = grid_search_cuts(x, w, y, grid, metric=metric, min_background=min_b)
    assert result.value == pytest.approx(value, rel=1e-10)
    direct, s, b = _direct(x, w, y, result.cut, metric)
    assert direct == pytest.approx(result.value, rel=1e-10)
    assert result.s == pytest.approx(s, rel=1e-10) and result.b == pytest.approx(b, rel=1e-10)
    assert result.n_cuts == math.prod(len(g) * (len(g) - 1) // 2 for g in grid)


def test_grid_search_of_a_30_by_30_grid():
    x, w, y = _toy()
    result = grid_search_cuts(x, w, y, 30)
    assert result.n_cuts == 435**2
    assert result.value == pytest.approx(_direct(x, w, y, result.cut, "ams")[0], rel=1e-10)


@functools.cache
def _toy_reference():
    x, w, y = _toy()
    quantiles = np.linspace(0.0, 1.0, 41)
    grid = [
        np.concatenate([[-np.inf], np.quantile(x[:, j], quantiles[1:-1]), [np.inf]])
        for j in range(2)
    ]
    return grid_search_cuts(x, w, y, grid)


def test_genetic_cuts_reach_the_grid_optimum():
    x, w, y = _toy()
    reference = _toy_reference()
    lower, upper = cut_bounds(x)
    settings = GeneticSettings(population_size=48, generations=40)
    result = maximize(rectangular_cut_fitness(x, w, y), lower, upper, settings, seed=0)
    assert result.best_fitness >= 0.97 * reference.value
    assert result.best_fitness == pytest.approx(
        _direct(x, w, y, result.best_genes, "ams")[0], rel=1e-12
    )
    # the best cut keeps the signal region, a box around (1.5, 1.5)
    low, high = np.sort(result.best_genes.reshape(2, 2), axis=1).T
    assert np.all(low < 1.5) and np.all(high > 1.5)


# --------------------------------------------------------------------------- validation


def _x():
    return np.zeros((4, 2)), np.ones(4), np.array([0, 1, 0, 1])


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: GeneticSettings(population_size=1), "population_size=1 is not allowed"),
        (lambda: GeneticSettings(generations=0), "generations=0 is not allowed"),
        (lambda: GeneticSettings(tournament_size=65), "tournament_size=65 is not allowed"),
        (lambda: GeneticSettings(crossover="one-point"), "crossover='one-point'"),
        (lambda: GeneticSettings(crossover_probability=1.5), "crossover_probability=1.5"),
        (lambda: GeneticSettings(mutation_probability=-0.1), "mutation_probability=-0.1"),
        (lambda: GeneticSettings(mutation_scale=math.inf), "mutation_scale=inf"),
        (lambda: GeneticSettings(blend_alpha=-1.0), "blend_alpha=-1.0"),
        (lambda: GeneticSettings(elitism=-1), "elitism=-1 is not allowed"),
        (lambda: maximize(_quadratic, [0, 0], [1], seed=0), "lower and upper have shapes"),
        (lambda: maximize(_quadratic, [0, 1], [1, 1], seed=0), "lower < upper"),
        (lambda: maximize(_quadratic, [0], [math.inf], seed=0), "must be finite"),
        (lambda: maximize(lambda g: g, [0, 0], [1, 1], seed=0), "fitness returned shape"),
        (lambda: maximize(lambda g: g[:, 0] * np.nan, [0], [1], seed=0), "fitness returned NaN"),
        (lambda: rectangular_cut_fitness(np.zeros(4), np.ones(4), [0, 1, 0, 1]), "x has shape"),
        (lambda: rectangular_cut_fitness(*_x()[:2], [0, 1, 0, 2]), "labels must be 0"),
        (lambda: rectangular_cut_fitness(_x()[0], -np.ones(4), _x()[2]), "weights must be"),
        (lambda: rectangular_cut_fitness(*_x(), metric="auc"), "metric='auc'"),
        (lambda: rectangular_cut_fitness(*_x())(np.zeros((3, 3))), "genes has shape"),
        (lambda: grid_search_cuts(*_x(), 1), "grid=1 is not allowed"),
        (lambda: grid_search_cuts(*_x(), [[0, 1]]), "grid has 1 entries"),
        (lambda: grid_search_cuts(*_x(), [[0, 1], [1, 0]]), r"grid\[1\] is not allowed"),
        (lambda: grid_search_cuts(*_x(), "ab"), "grid='ab' is not allowed"),
        (lambda: grid_search_cuts(*_x(), 3, min_background=10.0), "min_background=10.0"),
        (lambda: apply_cuts(np.zeros((3, 2)), [0, 1, 2]), "expected \\(n, d\\) and \\(2 d,\\)"),
    ],
)
def test_bad_input(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_bad_types():
    with pytest.raises(TypeError, match="seed must be"):
        maximize(_quadratic, LOWER, UPPER, seed=0.5)
    with pytest.raises(TypeError, match="settings must be"):
        maximize(_quadratic, LOWER, UPPER, {"generations": 3}, seed=0)


def test_docstring_examples():
    result = doctest.testmod(genetic)
    assert result.failed == 0 and result.attempted > 0
