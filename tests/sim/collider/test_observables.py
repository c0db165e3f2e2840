"""Physics tests for the jet observables: exact limits, identities and IRC safety.

Analytic limits (one- and two-particle jets, three-prong jets), the exact massless
mass identity and its small-angle relation to e_2^(2), infrared and collinear safety,
permutation invariance, and the fast kernels against brute-force loops (all triples for
the ECFs, a naive O(n^3) exclusive-kT clustering for N-subjettiness).
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

from physml.sim.collider import observables as obs
from physml.sim.collider import phasespace
from physml.testing import assert_invariant


def random_jets(n_jets: int, width: int, *, seed: int, spread: float = 0.3, phi0: float = 3.0):
    """Jets of 1..width constituents (pT ~ Exp(20 GeV)) around (eta, phi) = (0.4, phi0)
    with a Gaussian spread, padded with NaN behind the mask (never read). phi0 near pi
    makes the constituents straddle the +-pi boundary; phi is left unwrapped there."""
    rng = np.random.default_rng(seed)
    count = rng.integers(1, width + 1, n_jets)
    mask = np.arange(width) < count[:, None]
    pt = rng.exponential(20.0, (n_jets, width))
    eta = 0.4 + spread * rng.standard_normal((n_jets, width))
    phi = phi0 + spread * rng.standard_normal((n_jets, width))
    pt, eta, phi = (np.where(mask, x, np.nan) for x in (pt, eta, phi))
    return pt, eta, phi, mask


def jet(pt, eta, phi):
    """One jet as a batch of one: (pt, eta, phi, mask) of shape (1, n)."""
    arrays = [np.atleast_2d(np.asarray(x, dtype=np.float64)) for x in (pt, eta, phi)]
    return (*arrays, np.ones(arrays[0].shape, dtype=bool))


def delta_r(eta_a, phi_a, eta_b, phi_b) -> float:
    dphi = (phi_a - phi_b + math.pi) % (2 * math.pi) - math.pi
    return math.hypot(eta_a - eta_b, dphi)


def all_observables(pt, eta, phi, mask) -> dict[str, np.ndarray]:
    out = {"mass": obs.jet_mass(pt, eta, phi, mask)}
    for beta in (0.5, 1.0, 2.0):
        for n in (1, 2, 3):
            out[f"e{n}_{beta}"] = obs.ecf(pt, eta, phi, mask, n, beta)
        out[f"c2_{beta}"] = obs.c2(pt, eta, phi, mask, beta=beta)
        out[f"d2_{beta}"] = obs.d2(pt, eta, phi, mask, beta=beta)
    for axes in obs.AXES:
        for beta in (1.0, 2.0):
            for n in (1, 2, 3):
                out[f"tau{n}_{axes}_{beta}"] = obs.n_subjettiness(
                    pt, eta, phi, mask, n, beta=beta, radius=0.8, axes=axes
                )
        out[f"tau21_{axes}"] = obs.tau21(pt, eta, phi, mask, radius=0.8, axes=axes)
        out[f"tau32_{axes}"] = obs.tau32(pt, eta, phi, mask, radius=0.8, axes=axes)
    return out


# --------------------------------------------------------------------------- brute force


def ecf_brute(pt, eta, phi, n: int, beta: float) -> float:
    z = np.asarray(pt) / np.sum(pt)
    total = 0.0
    for combo in itertools.combinations(range(len(z)), n):
        term = math.prod(z[i] for i in combo)
        for i, j in itertools.combinations(combo, 2):
            term *= delta_r(eta[i], phi[i], eta[j], phi[j]) ** beta
        total += term
    return total


def tau_brute(pt, eta, phi, n: int, beta: float, radius: float, axes: str) -> float:
    """Naive exclusive kT: merge the pair with the smallest min(pT^2) dR^2 until n remain."""
    objects = [[p, e, f] for p, e, f in zip(pt, eta, phi, strict=True)]
    if len(objects) <= n:
        return 0.0
    while len(objects) > n:
        pairs = itertools.combinations(range(len(objects)), 2)

        def d_ij(pair, objects=objects):
            a, b = objects[pair[0]], objects[pair[1]]
            return min(a[0], b[0]) ** 2 * delta_r(a[1], a[2], b[1], b[2]) ** 2

        i, j = min(pairs, key=d_ij)
        hard, soft = sorted([objects[i], objects[j]], key=lambda o: -o[0])
        total = hard[0] + soft[0]
        w = 0.0 if axes == "wta" else soft[0] / total
        dphi = (soft[2] - hard[2] + math.pi) % (2 * math.pi) - math.pi
        merged = [total, hard[1] + w * (soft[1] - hard[1]), hard[2] + w * dphi]
        objects = [o for k, o in enumerate(objects) if k not in (i, j)] + [merged]
    numerator = sum(
        p * min(delta_r(e, f, o[1], o[2]) for o in objects) ** beta
        for p, e, f in zip(pt, eta, phi, strict=True)
    )
    return numerator / (sum(pt) * radius**beta)


# --------------------------------------------------------------------------- exact limits


def test_single_particle_jet() -> None:
    values = all_observables(*jet([250.0], [1.3], [-2.0]))
    for name, value in values.items():
        expected = 1.0 if name.startswith("e1_") else 0.0
        assert value.shape == (1,) and value[0] == expected, name


def test_empty_and_zero_pt_jets_give_zero() -> None:
    pt, eta, phi, mask = jet([[0.0, 0.0], [0.0, 0.0]], [[0.0, 1.0]] * 2, [[0.0, 1.0]] * 2)
    mask[1] = False
    for name, value in all_observables(pt, eta, phi, mask).items():
        assert (value == 0).all(), name
    empty = np.zeros((3, 0))
    for name, value in all_observables(empty, empty, empty, empty.astype(bool)).items():
        assert value.shape == (3,) and (value == 0).all(), name


@pytest.mark.parametrize("beta", [1.0, 2.0, 0.7])
def test_two_particle_jet(beta: float) -> None:
    """tau_2 = 0; tau_1 = z_2 dR^b / R^b with the WTA axis (on the harder particle) and
    (z_1 z_2^b + z_2 z_1^b) dR^b / R^b with the pT-weighted centroid; e_2 = z_1 z_2 dR^b."""
    pt1, pt2, radius = 340.0, 60.0, 0.8
    args = jet([pt2, pt1], [0.9, 0.6], [3.05, -3.1])  # softer first; across phi = +-pi
    dr = delta_r(0.9, 3.05, 0.6, -3.1)
    assert 0.3 < dr < 0.5
    z1, z2 = pt1 / (pt1 + pt2), pt2 / (pt1 + pt2)
    tau = {
        axes: obs.n_subjettiness(*args, 1, beta=beta, radius=radius, axes=axes)[0]
        for axes in obs.AXES
    }
    assert tau["wta"] == pytest.approx(z2 * (dr / radius) ** beta, rel=1e-12)
    assert tau["pt"] == pytest.approx(
        (z1 * z2**beta + z2 * z1**beta) * (dr / radius) ** beta, rel=1e-12
    )
    for axes in obs.AXES:
        assert obs.n_subjettiness(*args, 2, beta=beta, radius=radius, axes=axes)[0] == 0.0
        assert obs.tau21(*args, beta=beta, radius=radius, axes=axes)[0] == 0.0
    assert obs.ecf(*args, 2, beta)[0] == pytest.approx(z1 * z2 * dr**beta, rel=1e-12)
    assert obs.ecf(*args, 3, beta)[0] == 0.0
    m2 = 2 * pt1 * pt2 * (math.cosh(0.3) - math.cos(3.05 + 3.1))
    assert obs.jet_mass(*args)[0] == pytest.approx(math.sqrt(m2), rel=1e-12)


def prong_jets(n_prongs: int, n_jets: int, seed: int):
    """n_prongs equal-pT prongs 0.5 apart (on a circle of radius 0.3 about the axis),
    each 5 particles within ~0.002 of its centre; ideal prongs have D2^(1) = 1 and 0."""
    rng = np.random.default_rng(seed)
    angles = 2 * math.pi * np.arange(n_prongs) / n_prongs
    centres = 0.3 * np.stack([np.cos(angles), np.sin(angles)], axis=-1)
    eta = centres[:, 0].repeat(5)[None] + 0.002 * rng.standard_normal((n_jets, 5 * n_prongs))
    phi = centres[:, 1].repeat(5)[None] + 0.002 * rng.standard_normal((n_jets, 5 * n_prongs))
    pt = rng.uniform(15.0, 25.0, (n_jets, 5 * n_prongs))
    pt *= 100.0 / pt.reshape(n_jets, n_prongs, 5).sum(-1).repeat(5, axis=1)  # equal prongs
    return pt, eta, phi, np.ones(pt.shape, dtype=bool)


@pytest.mark.parametrize("axes", obs.AXES)
def test_prong_counting(axes: str) -> None:
    """Three well-separated equal prongs: tau_32 ~ 0 and tau_21 large; two prongs:
    tau_21 ~ 0; D2 near 0 for two prongs and near 1 for three."""
    three = prong_jets(3, 20, seed=0)
    two = prong_jets(2, 20, seed=1)
    assert obs.tau32(*three, radius=1.0, axes=axes).max() < 0.05
    assert obs.tau21(*three, radius=1.0, axes=axes).min() > 0.4
    assert obs.tau21(*two, radius=1.0, axes=axes).max() < 0.05
    assert obs.d2(*two).max() < 0.1
    np.testing.assert_allclose(obs.d2(*three), 1.0, atol=0.1)


# --------------------------------------------------------------------------- mass


def test_mass_identity_and_four_vectors() -> None:
    """m^2 = sum_{i<j} 2 pT_i pT_j (cosh d_eta - cos d_phi) exactly; the same as the mass
    of the summed massless four-momenta."""
    pt, eta, phi, mask = random_jets(40, 12, seed=2)
    mass = obs.jet_mass(pt, eta, phi, mask)
    for k in range(40):
        p, e, f = pt[k, mask[k]], eta[k, mask[k]], phi[k, mask[k]]
        m2 = sum(
            2 * p[i] * p[j] * (math.cosh(e[i] - e[j]) - math.cos(f[i] - f[j]))
            for i, j in itertools.combinations(range(len(p)), 2)
        )
        assert mass[k] ** 2 == pytest.approx(m2, rel=1e-11, abs=1e-9)
    p4 = phasespace.from_ptetaphim(
        np.where(mask, pt, 0.0), np.where(mask, eta, 0.0), np.where(mask, phi, 0.0), 0.0
    )
    np.testing.assert_allclose(mass, phasespace.invariant_mass(p4, axis=-2), rtol=1e-9, atol=1e-6)


def test_small_angle_mass_is_e2_beta2() -> None:
    """For narrow jets m^2 / pT_J^2 = e_2^(2) (1 + O(dR^2)), pT_J the scalar sum."""
    pt, eta, phi, mask = random_jets(50, 20, seed=3, spread=0.05)
    keep = mask.sum(1) > 1
    pt, eta, phi, mask = pt[keep], eta[keep], phi[keep], mask[keep]
    pt_j = np.where(mask, pt, 0.0).sum(1)
    ratio = (obs.jet_mass(pt, eta, phi, mask) / pt_j) ** 2 / obs.ecf(pt, eta, phi, mask, 2, 2.0)
    np.testing.assert_allclose(ratio, 1.0, rtol=0.02)
    # and it is an approximation: wide jets differ by more
    pt, eta, phi, mask = random_jets(50, 20, seed=3, spread=0.6)
    keep = mask.sum(1) > 1
    pt, eta, phi, mask = pt[keep], eta[keep], phi[keep], mask[keep]
    pt_j = np.where(mask, pt, 0.0).sum(1)
    wide = (obs.jet_mass(pt, eta, phi, mask) / pt_j) ** 2 / obs.ecf(pt, eta, phi, mask, 2, 2.0)
    assert np.abs(wide - 1.0).max() > 0.02


# --------------------------------------------------------------------------- brute force


@pytest.mark.parametrize("beta", [0.5, 1.0, 2.0])
def test_ecf_against_brute_force(beta: float) -> None:
    pt, eta, phi, mask = random_jets(25, 9, seed=4)
    e2 = obs.ecf(pt, eta, phi, mask, 2, beta)
    e3 = obs.ecf(pt, eta, phi, mask, 3, beta)
    for k in range(25):
        p, e, f = pt[k, mask[k]], eta[k, mask[k]], phi[k, mask[k]]
        assert e2[k] == pytest.approx(ecf_brute(p, e, f, 2, beta), rel=1e-12, abs=1e-15)
        assert e3[k] == pytest.approx(ecf_brute(p, e, f, 3, beta), rel=1e-12, abs=1e-15)
    pair = e2 > 0
    c2 = obs.c2(pt, eta, phi, mask, beta=beta)
    d2 = obs.d2(pt, eta, phi, mask, beta=beta)
    np.testing.assert_allclose(c2[pair], e3[pair] / e2[pair] ** 2, rtol=1e-14)
    np.testing.assert_allclose(d2[pair], e3[pair] / e2[pair] ** 3, rtol=1e-14)
    assert (c2[~pair] == 0).all() and (d2[~pair] == 0).all()


@pytest.mark.parametrize("axes", obs.AXES)
def test_n_subjettiness_against_naive_clustering(axes: str) -> None:
    """The nearest-neighbour kT clustering agrees with the O(n^3) textbook version."""
    pt, eta, phi, mask = random_jets(30, 14, seed=5)
    for n, beta in [(1, 1.0), (2, 1.0), (3, 2.0), (4, 0.5)]:
        tau = obs.n_subjettiness(pt, eta, phi, mask, n, beta=beta, radius=0.8, axes=axes)
        for k in range(30):
            p, e, f = pt[k, mask[k]], eta[k, mask[k]], phi[k, mask[k]]
            expected = tau_brute(p, e, f, n, beta, 0.8, axes)
            assert tau[k] == pytest.approx(expected, rel=1e-12, abs=1e-15), (n, k)
    taus = [obs.n_subjettiness(pt, eta, phi, mask, n, radius=0.8, axes=axes) for n in (1, 2, 3)]
    expected21 = np.divide(taus[1], taus[0], out=np.zeros(30), where=taus[0] > 0)
    expected32 = np.divide(taus[2], taus[1], out=np.zeros(30), where=taus[1] > 0)
    np.testing.assert_allclose(obs.tau21(pt, eta, phi, mask, radius=0.8, axes=axes), expected21)
    np.testing.assert_allclose(obs.tau32(pt, eta, phi, mask, radius=0.8, axes=axes), expected32)


def test_tau_is_zero_with_at_most_n_constituents() -> None:
    pt, eta, phi, mask = random_jets(30, 4, seed=6)
    count = mask.sum(1)
    for n in (1, 2, 3, 4):
        tau = obs.n_subjettiness(pt, eta, phi, mask, n, radius=0.8)
        assert (tau[count <= n] == 0).all() and (tau[count > n] > 0).all()


# --------------------------------------------------------------------------- symmetries


def observables(jets: tuple) -> dict[str, np.ndarray]:
    """all_observables of a jet batch given as one tuple (pt, eta, phi, mask)."""
    return all_observables(*jets)


def with_one_more(jets: tuple, extra: tuple) -> tuple:
    """The batch with one more constituent per jet, (pt, eta, phi) columns ``extra``,
    moved in front of the padding, inside the jet."""
    pt, eta, phi, mask = jets
    grown = [np.concatenate([x, e], axis=1) for x, e in zip((pt, eta, phi), extra, strict=True)]
    n = len(mask)
    order = np.argsort(~np.concatenate([mask, np.ones((n, 1), bool)], 1), axis=1, kind="stable")
    grown = [np.take_along_axis(x, order, 1) for x in grown]
    return (*grown, np.arange(mask.shape[1] + 1) < (mask.sum(1) + 1)[:, None])


def test_infrared_safety_zero_pt_particle_changes_nothing() -> None:
    jets = random_jets(30, 10, seed=7)
    rng = np.random.default_rng(8)
    soft = (np.zeros((30, 1)), rng.normal(0.4, 0.3, (30, 1)), rng.normal(3.0, 0.3, (30, 1)))
    add_soft = lambda j: with_one_more(j, soft)  # noqa: E731
    assert_invariant(observables, add_soft, jets, rtol=0.0, atol=0.0)  # bit for bit


def test_collinear_safety_split_particle() -> None:
    """Split the hardest particle of every jet into two collinear ones (a, 1 - a)."""
    jets = random_jets(30, 10, seed=9)
    a = np.random.default_rng(10).uniform(0.1, 0.9, 30)

    def split(jets: tuple) -> tuple:
        pt, eta, phi, mask = jets
        rows, hardest = np.arange(30), np.nanargmax(np.where(mask, pt, -1.0), axis=1)
        copy = [x[rows, hardest][:, None] for x in (pt, eta, phi)]
        copy[0] = copy[0] * (1.0 - a[:, None])
        pt = pt.copy()
        pt[rows, hardest] *= a
        return with_one_more((pt, eta, phi, mask), copy)

    assert_invariant(observables, split, jets, rtol=1e-12, atol=1e-15)


def test_permutation_invariance_and_masked_entries_are_ignored() -> None:
    jets = random_jets(30, 10, seed=11)
    rng = np.random.default_rng(12)
    perm = np.argsort(rng.random((30, 10)), axis=1)
    shuffle = lambda j: tuple(np.take_along_axis(x, perm, 1) for x in j)  # noqa: E731
    assert_invariant(observables, shuffle, jets, rtol=1e-12, atol=1e-15)
    # phi shifted by 2 pi k changes nothing
    turns = 2 * np.pi * rng.integers(-2, 3, jets[2].shape)
    wind = lambda j: (j[0], j[1], j[2] + turns, j[3])  # noqa: E731
    assert_invariant(observables, wind, jets, rtol=1e-9, atol=1e-12)


# --------------------------------------------------------------------------- validation


def test_bad_input() -> None:
    pt, eta, phi, mask = random_jets(3, 4, seed=13)
    with pytest.raises(ValueError, match=r"mask has shape \(3, 4\), dtype int64: expected bool"):
        obs.jet_mass(pt, eta, phi, mask.astype(np.int64))
    with pytest.raises(ValueError, match=r"mask has shape \(3, 3\)"):
        obs.jet_mass(pt, eta, phi, mask[:, :3])
    with pytest.raises(ValueError, match=r"pt has shape \(4,\): expected \(n_jets, width\)"):
        obs.jet_mass(pt[0], eta, phi, mask)
    with pytest.raises(ValueError, match="pt, eta, phi have shapes"):
        obs.ecf(pt, eta[:, :3], phi, mask, 2)
    with pytest.raises(ValueError, match="eta has dtype"):
        obs.ecf(pt, eta.astype(str), phi, mask, 2)
    bad = np.where(mask, pt, 0.0)
    bad[0, 0] = -1.0
    with pytest.raises(ValueError, match="pt must be >= 0"):
        obs.c2(bad, eta, phi, mask)
    bad[0, 0] = np.nan
    with pytest.raises(ValueError, match="must be finite where mask is True"):
        obs.d2(bad, eta, phi, mask)
    with pytest.raises(ValueError, match=r"beta=0\.0 is not allowed"):
        obs.ecf(pt, eta, phi, mask, 2, 0.0)
    with pytest.raises(ValueError, match=r"n=4 is not allowed: expected an int in 1\.\.3"):
        obs.ecf(pt, eta, phi, mask, 4)
    with pytest.raises(ValueError, match="n=0 is not allowed"):
        obs.n_subjettiness(pt, eta, phi, mask, 0, radius=0.8)
    with pytest.raises(ValueError, match=r"radius=-1\.0 is not allowed"):
        obs.tau21(pt, eta, phi, mask, radius=-1.0)
    with pytest.raises(ValueError, match="axes='kt' is not allowed"):
        obs.tau32(pt, eta, phi, mask, radius=0.8, axes="kt")
    with pytest.raises(TypeError):
        obs.n_subjettiness(pt, eta, phi, mask, 1)  # radius is required
