"""Tests for physml.sim.statmech.ising: exact references against each other, samplers
against them."""

from __future__ import annotations

import itertools
import math

import numba
import numpy as np
import pytest
from scipy import stats

from physml.metrics.resampling import mean_with_error
from physml.sim.statmech import ising
from physml.testing import assert_matches_exact, assert_mean_matches, assert_samples_match

TC = ising.critical_temperature()
# several T including both sides of T_c, where gamma_0 (and Kaufman's Z_4) changes sign
TEMPERATURES = [1.0, 2.0, TC * (1 - 1e-3), TC, TC * (1 + 1e-3), 2.5, 4.0]
N_SIGMA = 5.0  # statistical tolerance in standard errors


def assert_means_agree(a: np.ndarray, b: np.ndarray) -> None:
    """Two independent samples have the same mean within N_SIGMA standard errors."""
    ea, eb = mean_with_error(a), mean_with_error(b)
    assert_matches_exact(ea.value - eb.value, math.hypot(ea.error, eb.error), 0.0, N_SIGMA)


def _state_index(spins: np.ndarray) -> np.ndarray:
    """Index of each configuration in the ordering of ``ising._all_configurations``."""
    bits = (spins.reshape(len(spins), -1) > 0).astype(np.int64)
    return bits @ (1 << np.arange(bits.shape[1], dtype=np.int64))


# --------------------------------------------------------------------------- exact references


def test_critical_temperature():
    assert ising.critical_temperature() == pytest.approx(2.269185314213022, rel=1e-15)
    # self-duality: sinh(2 K_c) = 1
    assert math.sinh(2 / TC) == pytest.approx(1.0, rel=1e-14)


@pytest.mark.parametrize("L", [2, 3, 4])
@pytest.mark.parametrize("T", TEMPERATURES)
def test_kaufman_matches_enumeration(L, T):
    """Kaufman's formula holds for odd L too; energy and c from its analytic derivative."""
    ex = ising.enumerate_exact(L, T)
    assert ising.exact_log_partition_function(L, T) == pytest.approx(
        ex["log_partition_function"], rel=1e-12, abs=1e-10
    )
    assert ising.exact_energy(L, T) == pytest.approx(ex["energy"], abs=1e-10)
    assert ising.exact_specific_heat(L, T) == pytest.approx(ex["specific_heat"], abs=1e-9)


def test_enumeration_consistency():
    """Enumeration against its own limits: ground state at low T, free spins at high T."""
    cold = ising.enumerate_exact(4, 0.05)
    assert cold["energy"] == pytest.approx(-2.0, abs=1e-12)
    assert cold["abs_magnetization"] == pytest.approx(1.0, abs=1e-12)
    hot = ising.enumerate_exact(4, 1e6)
    assert hot["m2"] == pytest.approx(1 / 16, rel=1e-4)  # independent spins: <m^2> = 1/N
    assert hot["m4"] == pytest.approx((3 * 16**2 - 2 * 16) / 16**4, rel=1e-4)
    with pytest.raises(ValueError, match="L=5"):
        ising.enumerate_exact(5, 2.0)


@pytest.mark.parametrize("L", [16, 64])
def test_kaufman_sign_change_at_tc(L):
    """ln Z and <e> are smooth through T_c, where gamma_0 changes sign; e = -d lnZ/d beta."""
    for T in [TC * (1 - 1e-9), TC, TC * (1 + 1e-9), TC * (1 + 1e-4), 2.0, 2.6]:
        beta, h = 1 / T, 1e-4
        lz = [ising.exact_log_partition_function(L, 1 / (beta + k * h)) for k in (-2, -1, 1, 2)]
        fd = (lz[0] - 8 * lz[1] + 8 * lz[2] - lz[3]) / (12 * h) / L**2
        assert np.isfinite(lz).all()
        assert -fd == pytest.approx(ising.exact_energy(L, T), abs=1e-7)
    e = ising.exact_energy(L, [TC * (1 - 1e-9), TC, TC * (1 + 1e-9)])
    assert np.ptp(e) < 1e-6
    # array in, array out
    assert ising.exact_log_partition_function(L, [2.0, 3.0]).shape == (2,)


def test_exact_references_finite_everywhere():
    """Regression: at high T the four Kaufman terms agree to the last bits, where a signed
    log-sum-exp that is not careful returns NaN (it did at L = 48, T = 3.5)."""
    for L in (*range(2, 70), 96, 128):
        for T in np.linspace(0.5, 6.0, 23):
            assert np.isfinite(ising.exact_log_partition_function(L, T)), (L, T)
            assert np.isfinite(ising.exact_energy(L, T)), (L, T)
    assert ising.exact_energy(48, 3.5) == pytest.approx(ising.onsager_energy(3.5), abs=1e-9)


def test_exact_energy_approaches_onsager():
    temps = np.array([1.5, 2.0, 2.6, 3.0])
    np.testing.assert_allclose(
        ising.exact_energy(256, temps), ising.onsager_energy(temps), atol=1e-10
    )
    # at T_c the finite-size gap shrinks with L (as 1/L)
    gaps = [abs(ising.exact_energy(L, TC) - ising.onsager_energy(TC)) for L in (8, 16, 32, 64)]
    assert all(a > b for a, b in itertools.pairwise(gaps))
    assert gaps[-1] < 0.02
    assert ising.onsager_energy(TC) == pytest.approx(-math.sqrt(2), rel=1e-14)
    assert ising.onsager_energy(0.1) == pytest.approx(-2.0, abs=1e-12)
    # specific heat: peak near T_c grows like ln L
    c = [ising.exact_specific_heat(L, TC) for L in (16, 32, 64)]
    assert c[1] - c[0] == pytest.approx(c[2] - c[1], rel=0.05)


def test_onsager_magnetization():
    t = np.array([0.5, 2.0, TC - 1e-9, TC, 3.0])
    m = ising.onsager_magnetization(t)
    assert m.shape == t.shape
    assert m[0] == pytest.approx(1.0, abs=1e-6)
    assert m[1] == pytest.approx(0.911319377877496, rel=1e-12)
    assert 0 < m[2] < 0.2  # m ~ (T_c - T)^(1/8) vanishes slowly
    assert m[3] == 0 and m[4] == 0


# --------------------------------------------------------------------------- observables


def test_observables_on_known_states():
    L = 256
    up = np.ones((2, L, L), dtype=np.int8)  # 65536 spins: int8 sums would overflow
    np.testing.assert_array_equal(ising.energy(up), [-2.0, -2.0])
    np.testing.assert_array_equal(ising.magnetization(up), [1.0, 1.0])
    neel = np.where(np.add.outer(np.arange(L), np.arange(L)) % 2 == 0, 1, -1).astype(np.int8)
    neel = np.stack([neel, -neel])
    np.testing.assert_array_equal(ising.energy(neel), [2.0, 2.0])
    np.testing.assert_array_equal(ising.abs_magnetization(neel), [0.0, 0.0])
    assert ising.binder_cumulant(np.stack([up[0], -up[0]])) == pytest.approx(2 / 3)


def test_fluctuation_observables_against_enumeration():
    """Exact Boltzmann-weighted ensemble: resample all L = 3 states with their weights."""
    L, T = 3, 4.0
    configs = ising._all_configurations(L)
    ex = ising.enumerate_exact(L, T)
    w = np.exp(-L * L * ising.energy(configs) / T)
    counts = np.round(500 * w / w.min()).astype(int)  # integer weights, exact to 1e-3
    ens = np.repeat(configs, counts, axis=0)
    assert ising.specific_heat(ens, T) == pytest.approx(ex["specific_heat"], rel=1e-3)
    chi = L * L * (ex["m2"] - ex["abs_magnetization"] ** 2) / T
    assert ising.susceptibility(ens, T) == pytest.approx(chi, rel=1e-3)
    u = 1 - ex["m4"] / (3 * ex["m2"] ** 2)
    assert ising.binder_cumulant(ens) == pytest.approx(u, rel=1e-3)


# --------------------------------------------------------------------------- Monte Carlo


@pytest.mark.parametrize("algorithm", ["metropolis", "wolff"])
@pytest.mark.parametrize("T", [1.8, TC, 3.0])
def test_sample_matches_enumeration_L4(algorithm, T):
    ex = ising.enumerate_exact(4, T)
    x = ising.sample(4, T, 20000, seed=11, algorithm=algorithm)
    assert_mean_matches(ising.energy(x), ex["energy"], N_SIGMA)
    assert_mean_matches(ising.abs_magnetization(x), ex["abs_magnetization"], N_SIGMA)
    assert_mean_matches(ising.magnetization(x) ** 2, ex["m2"], N_SIGMA)


def test_metropolis_per_lattice_temperatures():
    temps = np.repeat([1.5, 2.3, 3.5], 4000)
    spins = np.ones((len(temps), 4, 4), dtype=np.int8)
    ising.metropolis(spins, temps, 200, seed=5)
    for T in (1.5, 2.3, 3.5):
        sel = spins[temps == T]
        ex = ising.enumerate_exact(4, T)
        assert_mean_matches(ising.energy(sel), ex["energy"], N_SIGMA)
        assert_mean_matches(ising.abs_magnetization(sel), ex["abs_magnetization"], N_SIGMA)


def assert_boltzmann(batches: list[np.ndarray], L: int, T: float) -> None:
    """Independent batches of states are Boltzmann-distributed: chi-squared against the
    enumerated distribution, sparse states pooled, p-values combined."""
    configs = ising._all_configurations(L)
    logw = -L * L * ising.energy(configs) / T
    p = np.exp(logw - logw.max())
    assert_samples_match(batches, p / p.sum(), to_index=_state_index)


@pytest.mark.parametrize("L", [2, 3])
@pytest.mark.parametrize("algorithm", ["metropolis", "wolff"])
def test_boltzmann_histogram(L, algorithm):
    """Independent chains' final states are Boltzmann-distributed (detailed balance)."""
    T = 2.5
    rng = np.random.default_rng(3)
    spins = (2 * rng.integers(0, 2, size=(40000, L, L)) - 1).astype(np.int8)
    if algorithm == "metropolis":
        ising.metropolis(spins, T, 40, rng)  # L = 3 runs the odd-L (sequential rows) path
    else:
        ising.wolff(spins, T, 40, rng)
    assert_boltzmann(np.array_split(spins, 4), L, T)  # 4 x 10 000 independent chains


@pytest.mark.parametrize("algorithm", ["metropolis", "wolff"])
@pytest.mark.parametrize("T", [1.5, 3.0])
def test_sample_energy_matches_kaufman_L16(algorithm, T):
    x = ising.sample(16, T, 2000, seed=21, algorithm=algorithm)
    assert_mean_matches(ising.energy(x), ising.exact_energy(16, T), N_SIGMA)


@pytest.mark.parametrize(("L", "T"), [(32, 2.30), (48, 2.30), (48, 2.27), (32, 2.45)])
def test_sample_equilibrated_just_above_tc(L, T):
    """Regression: near-critical chains above T_c (correlation length ~ L) must equilibrate.
    Starting Wolff chains hot left L = 64 at T = 2.3 with E/N = -1.01 against the exact
    -1.36; the energy of every sample size now matches Kaufman's finite-lattice value."""
    x = ising.sample(L, T, 400, seed=5)
    assert_mean_matches(ising.energy(x), ising.exact_energy(L, T), N_SIGMA)


def test_abs_magnetization_approaches_onsager():
    """Below T_c at L = 32 finite-size corrections are exponentially small."""
    T = 2.0
    x = ising.sample(32, T, 2000, seed=4)
    m = mean_with_error(ising.abs_magnetization(x))
    onsager = ising.onsager_magnetization(T)
    assert_matches_exact(m.value, m.error, onsager, N_SIGMA, atol=2e-3)


def test_metropolis_and_wolff_agree_near_tc():
    L, T = 8, 2.3
    a = ising.sample(L, T, 4000, seed=1, algorithm="metropolis")
    b = ising.sample(L, T, 4000, seed=2, algorithm="wolff")
    for f in (ising.energy, ising.abs_magnetization):
        assert_means_agree(f(a), f(b))
    e_exact = ising.exact_energy(L, T)
    assert_mean_matches(ising.energy(a), e_exact, N_SIGMA)
    assert_mean_matches(ising.energy(b), e_exact, N_SIGMA)


def test_sample_with_n_between():
    ex = ising.enumerate_exact(4, 2.0)
    x = ising.sample(4, 2.0, 1000, seed=0, algorithm="metropolis", n_between=20)
    assert x.shape == (1000, 4, 4)
    assert_mean_matches(ising.energy(x), ex["energy"], N_SIGMA)
    assert abs(ising.magnetization(x).mean()) < 0.1  # random global signs


# --------------------------------------------------------------------------- API contract


def _run(name, spins, seed):
    if name == "metropolis":
        return ising.metropolis(spins, 2.3, 5, seed)
    return ising.wolff(spins, 2.3, 5, seed)


@pytest.mark.parametrize("name", ["metropolis", "wolff"])
def test_in_place_dtype_and_determinism(name):
    start = np.ones((6, 32, 32), dtype=np.int8)
    a = start.copy()
    out = _run(name, a, 7)
    assert out is a and out.dtype == np.int8 and out.shape == (6, 32, 32)
    assert set(np.unique(out)) <= {-1, 1}
    b = _run(name, start.copy(), 7)
    np.testing.assert_array_equal(a, b)
    c = _run(name, start.copy(), 8)
    assert not np.array_equal(a, c)
    # a Generator gives fresh numbers on each call
    g = np.random.default_rng(0)
    d1, d2 = _run(name, start.copy(), g), _run(name, start.copy(), g)
    assert not np.array_equal(d1, d2)


def test_independent_of_thread_count():
    start = np.ones((4, 64, 64), dtype=np.int8)
    n_default = numba.get_num_threads()
    results = []
    try:
        for n in (1, min(2, numba.config.NUMBA_NUM_THREADS)):
            numba.set_num_threads(n)
            results.append(
                (
                    ising.metropolis(start.copy(), 2.3, 10, 3),
                    ising.metropolis(np.ones((3, 5, 5), dtype=np.int8), 2.3, 10, 3),
                    ising.wolff(start.copy(), 2.3, 10, 3),
                    ising.sample(16, 2.2, 8, 3),
                )
            )
    finally:
        numba.set_num_threads(n_default)
    for x, y in zip(*results, strict=True):
        np.testing.assert_array_equal(x, y)


def test_sample_determinism():
    a = ising.sample(8, 2.5, 10, seed=1)
    np.testing.assert_array_equal(a, ising.sample(8, 2.5, 10, seed=1))
    assert not np.array_equal(a, ising.sample(8, 2.5, 10, seed=2))
    assert a.dtype == np.int8 and a.shape == (10, 8, 8)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"L": 1}, "L=1"),
        ({"L": 4.0}, "L=4.0"),
        ({"temperature": 0.0}, "temperature=0.0"),
        ({"temperature": -1.0}, "temperature=-1.0"),
        ({"temperature": float("nan")}, "temperature=nan"),
        ({"temperature": float("inf")}, "temperature=inf"),
        ({"n_samples": 0}, "n_samples=0"),
        ({"algorithm": "heatbath"}, "algorithm='heatbath'.*'metropolis'"),
        ({"n_equilibrate": -1}, "n_equilibrate=-1"),
        ({"n_between": 0}, "n_between=0"),
    ],
)
def test_sample_validation(kwargs, match):
    args = {"L": 4, "temperature": 2.0, "n_samples": 2, "seed": 0} | kwargs
    with pytest.raises(ValueError, match=match):
        ising.sample(**args)


def test_kernel_input_validation():
    with pytest.raises(TypeError, match="int8"):
        ising.metropolis(np.ones((2, 4, 4)), 2.0, 1, 0)
    with pytest.raises(ValueError, match="C-contiguous"):
        ising.metropolis(np.ones((2, 8, 8), dtype=np.int8)[:, ::2, ::2], 2.0, 1, 0)
    with pytest.raises(ValueError, match="shape"):
        ising.wolff(np.ones((4, 4), dtype=np.int8), 2.0, 1, 0)
    with pytest.raises(ValueError, match="temperature"):
        ising.metropolis(np.ones((2, 4, 4), dtype=np.int8), [2.0, 2.0, 2.0], 1, 0)
    with pytest.raises(ValueError, match="n_steps"):
        ising.wolff(np.ones((2, 4, 4), dtype=np.int8), 2.0, -1, 0)
    with pytest.raises(TypeError, match="seed"):
        ising.metropolis(np.ones((2, 4, 4), dtype=np.int8), 2.0, 1, 1.5)


def test_import_does_not_compile():
    """Importing the module leaves the numba kernels unimported (compiled lazily)."""
    import subprocess
    import sys

    code = (
        "import sys; import physml.sim.statmech.ising; "
        "assert 'physml.sim.statmech._ising_kernels' not in sys.modules; "
        "assert 'torch' not in sys.modules"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


# --------------------------------------------------------------------------- multispin kernel


def _random_spins(rng, batch: int, L: int) -> np.ndarray:
    return (2 * rng.integers(0, 2, size=(batch, L, L)) - 1).astype(np.int8)


def test_multispin_pack_unpack_round_trip():
    from physml.sim.statmech import _ising_multispin as ms

    rng = np.random.default_rng(0)
    spins = _random_spins(rng, 128, 6)
    packed = np.empty((2, 6, 6), dtype=np.uint64)
    ms.pack(spins, packed)
    # bit r of group g is lattice 64 g + r, set for spin -1
    bits = (packed[:, None] >> np.arange(64, dtype=np.uint64)[None, :, None, None]) & np.uint64(1)
    np.testing.assert_array_equal(bits.reshape(128, 6, 6), (spins < 0).astype(np.uint64))
    back = np.zeros_like(spins)
    ms.unpack(packed, back)
    np.testing.assert_array_equal(back, spins)


@pytest.mark.parametrize("T", [1.8, TC, 3.0])
def test_multispin_matches_enumeration_L4(T):
    rng = np.random.default_rng(12)
    spins = _random_spins(rng, 64 * 128, 4)
    ising.metropolis(spins, T, 200, rng, multispin=True)
    ex = ising.enumerate_exact(4, T)
    assert_mean_matches(ising.energy(spins), ex["energy"], N_SIGMA)
    assert_mean_matches(ising.abs_magnetization(spins), ex["abs_magnetization"], N_SIGMA)
    assert_mean_matches(ising.magnetization(spins) ** 2, ex["m2"], N_SIGMA)


@pytest.mark.parametrize("T", [1.5, 2.5])
def test_multispin_boltzmann_histogram_per_replica_L2(T):
    """Final states are Boltzmann-distributed for every bit position (replica) separately."""
    L, n_groups = 2, 1000
    rng = np.random.default_rng(8)
    spins = _random_spins(rng, 64 * n_groups, L)
    ising.metropolis(spins, T, 40, rng, multispin=True)
    per_replica = spins.reshape(n_groups, 64, L, L)
    assert_boltzmann([per_replica[:, r] for r in range(64)], L, T)  # and all replicas summed


def test_multispin_energy_histogram_L4():
    """The distribution of energy levels on the 4 x 4 torus matches enumeration."""
    L, T = 4, 2.3
    rng = np.random.default_rng(9)
    spins = _random_spins(rng, 64 * 400, L)
    ising.metropolis(spins, T, 100, rng, multispin=True)
    configs = ising._all_configurations(L)
    e_all = np.round(ising.energy(configs) * L * L).astype(int)
    logw = -e_all / T
    levels, inverse = np.unique(e_all, return_inverse=True)
    p = np.bincount(inverse, weights=np.exp(logw - logw.max()))
    p /= p.sum()
    e = np.round(ising.energy(spins) * L * L).astype(int)
    counts = np.array([(e == lv).sum() for lv in levels])
    expected = p * len(spins)
    rich = expected >= 5
    obs = np.append(counts[rich], counts[~rich].sum())
    exp = np.append(expected[rich], expected[~rich].sum())
    assert counts.sum() == len(spins)
    assert stats.chisquare(obs, exp).pvalue > 1e-3


def test_multispin_replicas_are_independent():
    """From one shared start, the 64 replicas of a word decorrelate and never coalesce."""
    L, T, n_groups = 8, 2.6, 256
    rng = np.random.default_rng(4)
    start = _random_spins(rng, 1, L)
    spins = np.repeat(start, 64 * n_groups, axis=0)
    ising.metropolis(spins, T, 100, rng, multispin=True)
    m = ising.magnetization(spins).reshape(n_groups, 64)
    # Var(mean of 64) = Var(m) (1 + 63 rho) / 64: the ratio is 1 for independent replicas
    ratio = 64 * m.mean(axis=1).var(ddof=1) / m.var(ddof=1)
    assert abs(ratio - 1) < N_SIGMA * math.sqrt(2 / (n_groups - 1))
    # neighbouring bits (replicas r and r + 1): no correlation, no identical states
    corr = np.corrcoef(m[:, :-1].ravel(), m[:, 1:].ravel())[0, 1]
    assert abs(corr) < N_SIGMA / math.sqrt(m[:, 1:].size)
    # identical final states of bits r, r + 1 no more often than of independent lattices
    # (same bit, neighbouring groups), which happens by chance for near-ordered states
    words = spins.reshape(n_groups, 64, L * L)
    same_bits = (words[:, :-1] == words[:, 1:]).all(axis=2).sum()
    same_groups = (words[:-1] == words[1:]).all(axis=2).sum()
    assert same_bits <= same_groups + N_SIGMA * math.sqrt(same_groups + 1)


def test_multispin_agrees_with_scalar_kernel_L16():
    L, T, batch = 16, 2.3, 64 * 8
    a = np.ones((batch, L, L), dtype=np.int8)
    b = np.ones((batch, L, L), dtype=np.int8)
    ising.metropolis(a, T, 600, 1, multispin=True)
    ising.metropolis(b, T, 600, 2, multispin=False)
    for f in (ising.energy, ising.abs_magnetization):
        assert_means_agree(f(a), f(b))
    e_exact = ising.exact_energy(L, T)
    assert_mean_matches(ising.energy(a), e_exact, N_SIGMA)
    assert_mean_matches(ising.energy(b), e_exact, N_SIGMA)


def test_multispin_determinism_and_threads():
    start = _random_spins(np.random.default_rng(1), 64 * 2 + 3, 16)  # 2 groups + remainder
    n_default = numba.get_num_threads()
    results = []
    try:
        for n in (1, min(2, numba.config.NUMBA_NUM_THREADS)):
            numba.set_num_threads(n)
            results.append(ising.metropolis(start.copy(), 2.3, 10, 3))
    finally:
        numba.set_num_threads(n_default)
    np.testing.assert_array_equal(results[0], results[1])
    # the group-parallel and row-parallel multispin kernels use the same streams
    from physml.sim.statmech import _ising_multispin as ms

    packed = np.empty((2, 16, 16), dtype=np.uint64)
    ms.pack(start[:128], packed)
    bits = ms.threshold_bits(np.array([123456789, 987654321], dtype=np.uint64))
    a, b = packed.copy(), packed.copy()
    ms.metropolis_groups(a, bits, bits[::-1].copy(), np.uint64(5), 7)
    ms.metropolis_packed(b, bits, bits[::-1].copy(), np.uint64(5), 7)
    np.testing.assert_array_equal(a, b)
    # auto = multispin for the full groups, the scalar kernel for the remainder
    forced = ising.metropolis(start.copy(), 2.3, 10, 3, multispin=True)
    np.testing.assert_array_equal(results[0], forced)
    scalar = ising.metropolis(start.copy(), 2.3, 10, 3, multispin=False)
    assert not np.array_equal(results[0][:128], scalar[:128])
    np.testing.assert_array_equal(
        results[0][128:], ising.metropolis(start[128:].copy(), 2.3, 10, 3)
    )
    assert not np.array_equal(results[0], ising.metropolis(start.copy(), 2.3, 10, 4))


def test_multispin_routing_of_mixed_temperatures():
    """Groups with mixed temperatures go to the scalar kernel, the others stay multispin."""
    rng = np.random.default_rng(2)
    start = _random_spins(rng, 64 * 3, 8)
    temps = np.full(64 * 3, 2.0)
    temps[:64] = np.linspace(1.5, 3.0, 64)  # group 0 mixed; groups 1 and 2 uniform
    out = ising.metropolis(start.copy(), temps, 5, 7)
    np.testing.assert_array_equal(
        out[:64], ising.metropolis(start[:64].copy(), temps[:64], 5, 7, multispin=False)
    )
    np.testing.assert_array_equal(
        out[64:], ising.metropolis(start[64:].copy(), 2.0, 5, 7, multispin=True)
    )
    with pytest.raises(ValueError, match="share one temperature"):
        ising.metropolis(start.copy(), temps, 1, 0, multispin=True)
    with pytest.raises(ValueError, match="even L"):
        ising.metropolis(np.ones((64, 5, 5), dtype=np.int8), 2.0, 1, 0, multispin=True)
    with pytest.raises(ValueError, match="batch >= 64"):
        ising.metropolis(np.ones((8, 4, 4), dtype=np.int8), 2.0, 1, 0, multispin=True)


def test_scalar_row_and_lattice_parallel_paths_agree():
    """metropolis picks the row- or lattice-parallel scalar kernel by batch size: same streams."""
    from physml.sim.statmech import _ising_kernels as k

    start = _random_spins(np.random.default_rng(3), 40, 8)
    thr = np.full((40, 5), 2**32, dtype=np.uint64)
    thr[:, 2] = 2**31
    thr[:, 3] = ising._threshold(np.exp(-4.0 / 2.3))
    thr[:, 4] = ising._threshold(np.exp(-8.0 / 2.3))
    a, b = start.copy(), start.copy()
    k.metropolis_rows(a, thr, np.uint64(9), 6)
    k.metropolis_lattices(b, thr, np.uint64(9), 6)
    np.testing.assert_array_equal(a, b)
