"""Hopfield networks: the learning rules' exact properties, energy descent under
asynchronous updates (against a plain loop), synchronous recall, and the replica theory."""

from __future__ import annotations

import doctest
import math

import numpy as np
import pytest
from scipy import special

from physml.infer import hopfield


def _loop_recall(W, state, orders):
    """The plain loop: one neuron at a time, the energy after every single update."""
    state = state.copy()
    energies = [float(hopfield.energy(W, state[None])[0])]
    for order in orders:
        changed = False
        for i in order:
            h = W[i] @ state
            new = np.sign(h) if abs(h) > hopfield.TIE else state[i]
            changed |= new != state[i]
            state[i] = new
            energies.append(float(hopfield.energy(W, state[None])[0]))
        if not changed:
            break
    return state, np.array(energies)


@pytest.mark.parametrize("rule", hopfield.RULES)
def test_energy_never_rises_under_asynchronous_updates(rule: str) -> None:
    rng = np.random.default_rng(1)
    n = 60
    xi = hopfield.random_patterns(12, n, seed=rng)  # alpha = 0.2: above Hebb's capacity
    W = getattr(hopfield, rule.replace("-", "_"))(xi)
    assert np.all(np.diag(W) >= -1e-12) and np.allclose(W, W.T, atol=1e-12)
    cues = hopfield.random_patterns(5, n, seed=rng)  # random starts travel far
    final, sweeps = hopfield.asynchronous_recall(W, cues, seed=2, max_sweeps=30)
    orders = np.argsort(np.random.default_rng(2).random((5, 30, n)), axis=-1)
    for b in range(5):
        state, energies = _loop_recall(W, cues[b], orders[b])
        steps = np.diff(energies)
        assert np.all(steps <= 1e-12), rule
        assert np.all((steps < -hopfield.TIE) | (np.abs(steps) < 1e-12))  # each flip lowers E
        assert energies[0] - energies[-1] > 0
        np.testing.assert_array_equal(final[b], state)  # the kernel is the plain loop
        assert sweeps[b] > 0
        fields = W @ final[b]  # a fixed point: every neuron agrees with its field
        assert np.all((fields * final[b] > 0) | (np.abs(fields) <= hopfield.TIE))


@pytest.mark.parametrize("p", [1, 10, 40, 79])
def test_pseudo_inverse_makes_every_pattern_a_fixed_point(p: int) -> None:
    n = 80
    xi = hopfield.random_patterns(p, n, seed=p)
    W = hopfield.pseudo_inverse(xi)
    np.testing.assert_allclose(W @ xi.T, xi.T, atol=1e-9)  # W projects onto the patterns
    np.testing.assert_allclose(W @ W, W, atol=1e-9)
    final, sweeps = hopfield.asynchronous_recall(W, xi, seed=0)
    np.testing.assert_array_equal(final, xi)
    assert np.all(sweeps == 1)
    final, steps = hopfield.synchronous_recall(W, xi)
    np.testing.assert_array_equal(final, xi)
    assert np.all(steps == 1)


def test_pseudo_inverse_refuses_p_at_least_n() -> None:
    with pytest.raises(ValueError, match="p=20 patterns: the pseudo-inverse rule needs p < N = 20"):
        hopfield.pseudo_inverse(hopfield.random_patterns(20, 20, seed=0))
    xi = np.ones((2, 10))
    with pytest.raises(ValueError, match="linearly dependent"):
        hopfield.pseudo_inverse(xi)


def test_hebbian_rule_and_its_crosstalk() -> None:
    xi = hopfield.random_patterns(3, 500, seed=3)
    W = hopfield.hebbian(xi)
    expected = sum(np.outer(x, x) for x in xi) / 500
    np.fill_diagonal(expected, 0)
    np.testing.assert_allclose(W, expected, atol=1e-15)
    # one pattern: W xi = (N - 1) / N xi exactly; orthogonal patterns: fixed points
    one = hopfield.hebbian(xi[:1])
    np.testing.assert_allclose(one @ xi[0], (499 / 500) * xi[0], atol=1e-12)
    hadamard = np.array([[1, 1, 1, 1], [1, -1, 1, -1], [1, 1, -1, -1]], float).repeat(8, axis=1)
    final, _ = hopfield.synchronous_recall(hopfield.hebbian(hadamard[:2]), hadamard[:2])
    np.testing.assert_array_equal(final, hadamard[:2])


def test_storkey_first_pattern_is_hebbs_and_it_stores_more() -> None:
    xi = hopfield.random_patterns(1, 50, seed=4)
    np.testing.assert_allclose(hopfield.storkey(xi), hopfield.hebbian(xi), atol=1e-15)
    # at alpha = 0.2 (beyond Hebb's 0.138) Storkey's patterns stay fixed points
    n, p = 400, 80
    stable = {}
    for rule in ("hebbian", "storkey"):
        xi = hopfield.random_patterns(p, n, seed=5)
        W = getattr(hopfield, rule)(xi)
        stable[rule] = np.mean(np.all(np.sign(xi @ W) == xi, axis=1))
    assert stable["storkey"] > 0.9 > stable["hebbian"]


def test_synchronous_recall_stops_at_a_two_cycle() -> None:
    W = np.array([[0.0, -1.0], [-1.0, 0.0]])  # antiferromagnetic pair
    final, steps = hopfield.synchronous_recall(W, np.array([[1.0, 1.0], [1.0, -1.0]]))
    assert steps[0] == -1  # (1, 1) <-> (-1, -1): a 2-cycle, never a fixed point
    np.testing.assert_array_equal(final[1], [1.0, -1.0])
    assert steps[1] == 1


def test_ags_equations() -> None:
    alpha_c, m_c = hopfield.ags_capacity()
    assert alpha_c == pytest.approx(0.1379, abs=5e-5)
    assert m_c == pytest.approx(0.9674, abs=5e-5)
    for alpha in (0.01, 0.05, 0.1, 0.13):
        m = hopfield.ags_overlap(alpha)
        # back-substitute into m = erf(y), y = m / sqrt(2 alpha r), r = (1 - C)^-2
        y = special.erfinv(m)
        a = math.sqrt(2 / (math.pi * alpha)) * math.exp(-(y**2))
        C = a / (1 + a)  # solves C = sqrt(2 / (pi alpha r)) e^{-y^2} with sqrt(r) = 1 / (1 - C)
        r = (1 - C) ** -2
        assert C == pytest.approx(math.sqrt(2 / (math.pi * alpha * r)) * math.exp(-(y**2)))
        assert m == pytest.approx(math.erf(m / math.sqrt(2 * alpha * r)), abs=1e-9)
    assert math.isnan(hopfield.ags_overlap(0.14))
    assert hopfield.ags_overlap(0.0) == 1.0


def test_doctests() -> None:
    result = doctest.testmod(hopfield)
    assert result.attempted > 0 and result.failed == 0
