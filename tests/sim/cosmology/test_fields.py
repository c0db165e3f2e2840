"""Tests for physml.sim.cosmology.fields: exact moments, and the sampler and estimator
against them."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from physml.sim.cosmology import fields
from physml.testing import assert_mean_matches

P_MIN = 1e-3  # smallest acceptable p-value of a goodness-of-fit test (fixed seeds)
N_SIGMA = 5.0


# --------------------------------------------------------------------------- exact moments


@pytest.mark.parametrize("size", [2, 7, 8])
@pytest.mark.parametrize(("amplitude", "index", "box_size"), [(1.0, 2.0, 1.0), (0.3, -1.5, 2.5)])
def test_variance_is_sum_over_modes(size, amplitude, index, box_size):
    """field_variance = xi(0) = L^-2 sum_{m != 0} A (2 pi |m| / L)^(-n), by explicit loops."""
    total = 0.0
    for mx in range(-(size // 2), size - size // 2):
        for my in range(-(size // 2), size - size // 2):
            if mx or my:
                k = 2 * math.pi / box_size * math.hypot(mx, my)
                total += amplitude * k ** (-index)
    total /= box_size**2
    var = fields.field_variance(size, amplitude=amplitude, index=index, box_size=box_size)
    xi = fields.correlation_function(size, amplitude=amplitude, index=index, box_size=box_size)
    assert var == pytest.approx(total, rel=1e-12)
    assert xi[0, 0] == pytest.approx(total, rel=1e-12)
    assert xi.shape == (size, size)
    np.testing.assert_allclose(xi, xi.T, atol=1e-14 * total)  # isotropic grid spectrum
    np.testing.assert_allclose(xi[1:], xi[1:][::-1], atol=1e-14 * total)  # xi(-x) = xi(x)
    assert abs(xi.sum()) < 1e-12 * total  # the k = 0 mode is removed


@pytest.mark.parametrize("size", [8, 9])
def test_mode_counts(size):
    """All N^2 - 1 non-zero modes in one wide bin; the default shells; empty bins."""
    x = np.zeros((size, size))
    _, _, n = fields.power_spectrum(x, bins=[1e-9, 1e9])
    assert n.tolist() == [size**2 - 1]
    k, _, n = fields.power_spectrum(x)
    assert len(n) == size // 2
    assert n[0] == 8  # |m| = 1 and |m| = sqrt(2)
    np.testing.assert_allclose(k / (2 * math.pi), [np.mean(_shell(size, b)) for b in range(len(n))])
    k, p, n = fields.power_spectrum(x, bins=[0.1, 0.2, 2 * math.pi * 1.5])
    assert n[0] == 0 and np.isnan(k[0]) and np.isnan(p[0])
    assert math.isnan(fields.expected_power(size, amplitude=1, index=1, bins=[0.1, 0.2])[0])


def _shell(size, b):
    """|m| of the grid modes in default shell b (b + 1/2 <= |m| < b + 3/2), by loops."""
    out = []
    for mx in range(-(size // 2), size - size // 2):
        for my in range(-(size // 2), size - size // 2):
            m = math.hypot(mx, my)
            if b + 0.5 <= m < b + 1.5:
                out.append(m)
    return out


def test_expected_power_is_mode_average():
    size, a, n = 12, 2.0, 1.7
    p = fields.expected_power(size, amplitude=a, index=n, box_size=3.0)
    direct = [
        np.mean([a * (2 * math.pi * m / 3.0) ** -n for m in _shell(size, b)]) for b in range(6)
    ]
    np.testing.assert_allclose(p, direct, rtol=1e-13)
    np.testing.assert_allclose(fields.expected_power(size, amplitude=a, index=0.0), a)
    np.testing.assert_array_equal(fields.cosmic_variance([2.0, 3.0], [4, 9]), [2.0, 2.0])


# --------------------------------------------------------------------------- the sampler


def test_sample_shape_real_and_seed():
    x = fields.sample(3, 16, amplitude=1.0, index=2.0, seed=0)
    assert x.shape == (3, 16, 16) and x.dtype == np.float64 and np.isrealobj(x)
    np.testing.assert_allclose(x.mean(axis=(1, 2)), 0, atol=1e-15)  # k = 0 removed
    y = fields.sample(3, 16, amplitude=1.0, index=2.0, seed=0)
    np.testing.assert_array_equal(x, y)
    assert not np.array_equal(x, fields.sample(3, 16, amplitude=1.0, index=2.0, seed=1))
    rng = np.random.default_rng(2)
    a = fields.sample(2, 9, amplitude=1.0, index=1.0, seed=rng)
    assert a.shape == (2, 9, 9)
    assert not np.array_equal(a, fields.sample(2, 9, amplitude=1.0, index=1.0, seed=rng))
    # the Fourier modes are Hermitian: fft2 of the field equals its own conjugate reflection
    f = np.fft.fft2(x[0])
    reflected = np.conj(np.roll(f[::-1, ::-1], 1, axis=(0, 1)))
    np.testing.assert_allclose(f, reflected, atol=1e-12)


CASES = [  # size, amplitude, index, box_size, bins
    (32, 1.0, 2.0, 1.0, None),
    (17, 0.5, 3.5, 3.0, None),
    (24, 2.0, -1.0, 2.0, 6),
    (16, 1.0, 0.0, 1.0, 2 * math.pi * np.geomspace(0.9, 8, 7)),
]


@pytest.mark.parametrize(("size", "amplitude", "index", "box_size", "bins"), CASES)
def test_estimator_mean_and_scatter(size, amplitude, index, box_size, bins):
    """Mean of P_hat over fields = expected_power (chi^2 over bins); per-field scatter =
    the exact cosmic variance 2 <P^2> / n_b (chi^2 over bins, errors from the 4th moment)."""
    n_fields = 3000
    x = fields.sample(
        n_fields, size, amplitude=amplitude, index=index, box_size=box_size, seed=size
    )
    k, p_hat, n_modes = fields.power_spectrum(x, bins=bins, box_size=box_size)
    assert p_hat.shape == (n_fields, len(k))
    expected = fields.expected_power(
        size, amplitude=amplitude, index=index, bins=bins, box_size=box_size
    )
    var = fields.power_spectrum_variance(
        size, amplitude=amplitude, index=index, bins=bins, box_size=box_size
    )
    # 2 <P^2> / n_b, with <P^2> = <A^2 k^(-2n)> the expected power of (A^2, 2n)
    p2 = fields.expected_power(
        size, amplitude=amplitude**2, index=2 * index, bins=bins, box_size=box_size
    )
    np.testing.assert_allclose(var, 2 * p2 / n_modes, rtol=1e-12)
    z = (p_hat.mean(axis=0) - expected) / np.sqrt(var / n_fields)
    assert stats.chi2(len(z)).sf(np.sum(z**2)) > P_MIN
    # the sample variance, with its standard error sqrt((mu_4 - s^4) / n) estimated too
    dev = p_hat - p_hat.mean(axis=0)
    s2 = np.mean(dev**2, axis=0) * n_fields / (n_fields - 1)
    se = np.sqrt((np.mean(dev**4, axis=0) - s2**2) / n_fields)
    z = (s2 - var) / se
    assert stats.chi2(len(z)).sf(np.sum(z**2)) > P_MIN
    # cosmic_variance(P, n) is that variance to within the spread of P across each bin
    approx = fields.cosmic_variance(expected, n_modes)
    assert np.all(approx <= var * (1 + 1e-12))
    if index == 0:
        np.testing.assert_allclose(approx, var, rtol=1e-12)


@pytest.mark.parametrize(("size", "m", "n_modes"), [(16, 1, 4), (8, 4, 2)])
def test_estimator_distribution_in_one_shell(size, m, n_modes):
    """A shell of n complex-paired modes: P_hat / P ~ chi^2_n / n. The |m| = N/2 shell of
    an even grid holds the two self-conjugate (real) modes (-N/2, 0) and (0, -N/2): also
    chi^2_2 / 2, and variance 2 P^2 / n_b as for the paired modes."""
    edges = 2 * math.pi * np.array([m - 0.1, m + 0.1])
    x = fields.sample(4000, size, amplitude=1.0, index=2.5, seed=m)
    _, p_hat, n = fields.power_spectrum(x, bins=edges)
    assert n.tolist() == [n_modes]
    power = (2 * math.pi * m) ** -2.5
    law = stats.gamma(a=n_modes / 2, scale=2 / n_modes)
    assert stats.kstest(p_hat[:, 0] / power, law.cdf).pvalue > P_MIN
    assert float(fields.cosmic_variance(power, n_modes)) == pytest.approx(law.var() * power**2)


@pytest.mark.parametrize(("index", "box_size"), [(2.0, 1.0), (0.5, 4.0)])
def test_one_point_distribution(index, box_size):
    """Each grid value is N(0, sum_k P / L^2); one value per field, so they are independent."""
    size = 16
    x = fields.sample(4000, size, amplitude=1.5, index=index, box_size=box_size, seed=7)
    sigma = math.sqrt(fields.field_variance(size, amplitude=1.5, index=index, box_size=box_size))
    for i, j in [(0, 0), (5, 11)]:
        assert stats.kstest(x[:, i, j], stats.norm(scale=sigma).cdf).pvalue > P_MIN
    assert_mean_matches(np.mean(x**2, axis=(1, 2)), sigma**2, N_SIGMA)  # one mean per field


def test_periodic_two_point_function():
    """Neighbours across the boundary are correlated exactly like neighbours inside."""
    size, index = 12, 2.0
    x = fields.sample(4000, size, amplitude=1.0, index=index, seed=11)
    xi = fields.correlation_function(size, amplitude=1.0, index=index)
    pairs = {
        "across rows": (x[:, 0, :] * x[:, -1, :], xi[1, 0]),
        "inside rows": (x[:, 4, :] * x[:, 5, :], xi[1, 0]),
        "across columns": (x[:, :, 0] * x[:, :, -1], xi[0, 1]),
        "across the corner": (x[:, 0, 0] * x[:, -1, -1], xi[1, 1]),
        "half-way": (x[:, 0, :] * x[:, size // 2, :], xi[size // 2, 0]),
    }
    for products, reference in pairs.values():
        assert_mean_matches(products.reshape(len(x), -1).mean(axis=1), reference, N_SIGMA)
    assert xi[1, 0] > 0.5 * xi[0, 0]  # a strongly correlated field: the test has teeth


def test_white_noise():
    """index = 0: grid values are independent N(0, A N^2 / L^2) up to the removed mean."""
    size, amplitude, box_size = 16, 2.0, 0.5
    x = fields.sample(2000, size, amplitude=amplitude, index=0.0, box_size=box_size, seed=3)
    sigma2 = amplitude * size**2 / box_size**2
    xi = fields.correlation_function(size, amplitude=amplitude, index=0.0, box_size=box_size)
    np.testing.assert_allclose(xi[0, 0], sigma2 * (1 - 1 / size**2), rtol=1e-13)
    off_diagonal = xi.ravel()[1:]
    np.testing.assert_allclose(off_diagonal, -amplitude / box_size**2, rtol=1e-10)
    # the correlation coefficient at any lag is -1 / (N^2 - 1), about zero
    flat = x.reshape(len(x), -1)
    for lag in [1, size, 37]:
        per_field = np.mean(flat * np.roll(flat, lag, axis=1), axis=1) / sigma2
        assert_mean_matches(per_field, -1 / (size**2 - 1), N_SIGMA)
    assert_mean_matches(np.mean(flat**2, axis=1) / sigma2, 1 - 1 / size**2, N_SIGMA)
    # and the pooled one-point law is Gaussian
    assert stats.kstest(x[:, 3, 3] / math.sqrt(xi[0, 0]), "norm").pvalue > P_MIN


def test_amplitude_and_box_scaling():
    """Same seed: fields scale as sqrt(A) / L; the estimator in the right box recovers P."""
    a = fields.sample(2, 10, amplitude=1.0, index=1.5, seed=4)
    b = fields.sample(2, 10, amplitude=9.0, index=1.5, seed=4)
    np.testing.assert_allclose(b, 3 * a, rtol=1e-12, atol=1e-13)
    c = fields.sample(2, 10, amplitude=1.0, index=1.5, box_size=2.0, seed=4)
    # P(k) at k = 2 pi m / L: (L)^n / L^2 relative factor in variance
    np.testing.assert_allclose(c, a * math.sqrt(2.0**1.5 / 2.0**2), rtol=1e-12, atol=1e-13)
    k1, p1, _ = fields.power_spectrum(a)
    k2, p2, _ = fields.power_spectrum(c, box_size=2.0)
    np.testing.assert_allclose(k2, k1 / 2)
    np.testing.assert_allclose(p2, p1 * 2.0**1.5, rtol=1e-12)  # P(k / 2) = 2^n P(k)
    single = fields.power_spectrum(a[0])
    np.testing.assert_allclose(single[1], p1[0])


# --------------------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"n_fields": 0}, "n_fields=0"),
        ({"n_fields": 2.0}, "n_fields=2.0"),
        ({"size": 1}, "size=1"),
        ({"size": True}, "size=True"),
        ({"amplitude": 0.0}, "amplitude=0.0"),
        ({"amplitude": -1.0}, "amplitude=-1.0"),
        ({"index": math.nan}, "index=nan"),
        ({"index": "2"}, "index='2'"),
        ({"box_size": 0}, "box_size=0"),
        ({"box_size": math.inf}, "box_size=inf"),
    ],
)
def test_bad_sample_arguments(kwargs, match):
    args = {"n_fields": 2, "size": 8, "amplitude": 1.0, "index": 2.0, "box_size": 1.0, "seed": 0}
    args.update(kwargs)
    n_fields, size = args.pop("n_fields"), args.pop("size")
    with pytest.raises(ValueError, match=match):
        fields.sample(n_fields, size, **args)


def test_bad_seed():
    with pytest.raises(TypeError, match="seed"):
        fields.sample(2, 8, amplitude=1.0, index=2.0, seed=1.5)


@pytest.mark.parametrize(
    "bins", [0, -2, [1.0], [2.0, 1.0], [1.0, 1.0], [-1.0, 2.0], [0.5, np.nan], [[1, 2]], "a"]
)
def test_bad_bins(bins):
    with pytest.raises(ValueError, match="bins="):
        fields.power_spectrum(np.zeros((8, 8)), bins=bins)
    with pytest.raises(ValueError, match="bins="):
        fields.expected_power(8, amplitude=1.0, index=1.0, bins=bins)
    with pytest.raises(ValueError, match="bins="):
        fields.power_spectrum_variance(8, amplitude=1.0, index=1.0, bins=bins)


@pytest.mark.parametrize("x", [np.zeros(8), np.zeros((8, 7)), np.zeros((2, 1, 1)), 3.0])
def test_bad_fields(x):
    with pytest.raises(ValueError, match="fields has shape"):
        fields.power_spectrum(x)


def test_bad_other_input():
    with pytest.raises(ValueError, match="dtype"):
        fields.power_spectrum(np.zeros((4, 4), dtype=complex))
    with pytest.raises(ValueError, match=r"box_size=-1\.0"):
        fields.power_spectrum(np.zeros((4, 4)), box_size=-1.0)
    with pytest.raises(ValueError, match="k contains"):
        fields.power_law([-1.0, 1.0], amplitude=1.0, index=1.0)
    with pytest.raises(ValueError, match="n_modes"):
        fields.cosmic_variance(1.0, -1)
    with pytest.raises(ValueError, match="size=0"):
        fields.correlation_function(0, amplitude=1.0, index=1.0)
