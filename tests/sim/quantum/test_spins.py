"""Tests for physml.sim.quantum.spins: matrices against explicit Pauli Kronecker products,
exact references (free fermions, Bethe ansatz, conformal finite-size scaling) against ED."""

from __future__ import annotations

import math
from functools import reduce

import numpy as np
import pytest
from scipy import special

from physml.sim.quantum import spins

PAULI = {
    "I": np.eye(2, dtype=complex),
    "X": np.array([[0, 1], [1, 0]], dtype=complex),
    "Y": np.array([[0, -1j], [1j, 0]], dtype=complex),
    "Z": np.array([[1, 0], [0, -1]], dtype=complex),
}


def _string(n: int, ops: dict[int, str]) -> np.ndarray:
    """Dense Pauli string; bit i of the state index is site i, so site 0 is the last factor."""
    return reduce(np.kron, [PAULI[ops.get(site, "I")] for site in reversed(range(n))])


def _dense(n: int, terms) -> np.ndarray:
    """sum_t c_t * (Pauli string t) from (coeff, {site: "X" | "Y" | "Z"}) pairs."""
    return sum(c * _string(n, ops) for c, ops in terms)


def _tfim_dense(n, edges, h, J):
    terms = [(-J, {int(i): "Z", int(j): "Z"}) for i, j in edges]
    return _dense(n, terms + [(-h, {i: "X"}) for i in range(n)])


def _heisenberg_dense(n, edges, J):
    return _dense(n, [(J, {int(i): a, int(j): a}) for i, j in edges for a in "XYZ"])


def _real(m: np.ndarray) -> np.ndarray:
    assert np.abs(m.imag).max() == 0.0
    return m.real


def _configs(index: np.ndarray, n: int) -> np.ndarray:
    """s_i = 1 - 2 * bit_i of each state index, shape (batch, n)."""
    return 1 - 2 * ((index[:, None] >> np.arange(n)) & 1)


def _index(s: np.ndarray) -> np.ndarray:
    return ((1 - s) // 2) @ (1 << np.arange(s.shape[-1]))


def _random_pauli_sum(n: int, n_terms: int, rng: np.random.Generator) -> spins.PauliSum:
    """Random Hermitian terms (x and z share an even number of sites), some repeated."""
    terms = []
    while len(terms) < n_terms:
        x = tuple(np.flatnonzero(rng.random(n) < 0.3))
        z = tuple(np.flatnonzero(rng.random(n) < 0.4))
        if len(set(x) & set(z)) % 2 == 0:
            terms.append((float(rng.normal()), x, z))
    return spins.PauliSum(n, terms + terms[:3])


# --------------------------------------------------------------------------- lattices


def test_chain_edges():
    assert spins.chain_edges(5, pbc=False).tolist() == [[0, 1], [1, 2], [2, 3], [3, 4]]
    assert spins.chain_edges(5).tolist()[-1] == [4, 0]
    assert spins.chain_edges(2).tolist() == [[0, 1]]  # no duplicate bond
    assert spins.chain_edges(2, pbc=False).tolist() == [[0, 1]]


@pytest.mark.parametrize(
    ("lx", "ly", "pbc", "n_edges"),
    [(3, 3, True, 18), (4, 2, True, 12), (2, 2, True, 4), (3, 2, False, 7), (4, 1, True, 4)],
)
def test_square_edges(lx, ly, pbc, n_edges):
    e = spins.square_edges(lx, ly, pbc=pbc)
    assert e.shape == (n_edges, 2)
    assert np.all(e[:, 0] != e[:, 1])
    assert len({tuple(sorted(p)) for p in e.tolist()}) == n_edges  # no duplicates
    # every bond joins lattice neighbours (distance 1 along one axis, mod periodicity)
    x, y = e % lx, e // lx
    dx, dy = np.abs(x[:, 0] - x[:, 1]), np.abs(y[:, 0] - y[:, 1])
    dx, dy = np.minimum(dx, lx - dx), np.minimum(dy, ly - dy)
    assert np.all(dx + dy == 1)


def test_bipartite_and_sublattice():
    assert spins.is_bipartite(6, spins.chain_edges(6))
    assert not spins.is_bipartite(5, spins.chain_edges(5))
    assert spins.is_bipartite(5, spins.chain_edges(5, pbc=False))
    assert not spins.is_bipartite(9, spins.square_edges(3, 3))
    np.testing.assert_array_equal(spins.sublattice(4, spins.chain_edges(4)), [0, 1, 0, 1])
    colour = spins.sublattice(8, spins.square_edges(4, 2))
    np.testing.assert_array_equal(colour, [0, 1, 0, 1, 1, 0, 1, 0])
    e = spins.square_edges(4, 2)
    assert np.all(colour[e[:, 0]] != colour[e[:, 1]])
    with pytest.raises(ValueError, match="bipartite"):
        spins.sublattice(3, spins.chain_edges(3))


# --------------------------------------------------------------------------- matrices


@pytest.mark.parametrize("pbc", [True, False])
@pytest.mark.parametrize("n", [2, 3, 5])
def test_tfim_matrix_matches_kronecker(n, pbc):
    H = spins.transverse_field_ising(n, h=0.7, J=1.3, pbc=pbc)
    ref = _tfim_dense(n, spins.chain_edges(n, pbc=pbc), 0.7, 1.3)
    np.testing.assert_allclose(H.to_sparse().toarray(), _real(ref), atol=1e-14)


@pytest.mark.parametrize(
    ("n", "edges", "marshall"),
    [
        (4, spins.chain_edges(4), False),
        (4, spins.chain_edges(4), True),
        (6, spins.square_edges(3, 2), False),  # periodic 3 x 2: not bipartite
        (6, spins.square_edges(3, 2, pbc=False), True),
        (8, spins.square_edges(4, 2), False),
        (8, spins.square_edges(4, 2), True),
    ],
)
def test_heisenberg_matrix_matches_kronecker(n, edges, marshall):
    H = spins.heisenberg(n, J=0.8, edges=edges, marshall=marshall)
    ref = _real(_heisenberg_dense(n, edges, 0.8))
    if marshall:  # U H U with U = prod of Z over sublattice 1
        u = _real(_string(n, {int(i): "Z" for i in np.flatnonzero(spins.sublattice(n, edges))}))
        ref = u @ ref @ u
    np.testing.assert_allclose(H.to_sparse().toarray(), ref, atol=1e-14)


def test_square_tfim_matches_kronecker():
    edges = spins.square_edges(2, 3)
    H = spins.transverse_field_ising(6, h=-0.4, J=0.9, edges=edges)
    np.testing.assert_allclose(
        H.to_sparse().toarray(), _real(_tfim_dense(6, edges, -0.4, 0.9)), atol=1e-14
    )


def test_random_pauli_sum_matches_kronecker(rng):
    n = 5
    H = _random_pauli_sum(n, 12, rng)
    ref = sum(
        c
        * _string(n, dict.fromkeys(x, "X"))  # X acts after Z
        @ _string(n, dict.fromkeys(z, "Z"))
        for c, x, z in H.terms
    )
    m = H.to_sparse()
    np.testing.assert_allclose(m.toarray(), _real(ref), atol=1e-13)
    assert m.has_sorted_indices and np.all(m.data != 0)
    assert abs(m - m.T).max() == 0.0


def test_pauli_sum_algebra(rng):
    a = _random_pauli_sum(4, 6, rng)
    b = spins.heisenberg(4)
    dense = (2.5 * a + b - a * 0.5).to_sparse().toarray()
    np.testing.assert_allclose(
        dense, 2.0 * a.to_sparse().toarray() + b.to_sparse().toarray(), atol=1e-13
    )
    assert (a - a).to_sparse().nnz == 0
    assert repr(b) == "PauliSum(n_sites=4, n_terms=12)"


# --------------------------------------------------------------------------- sectors


def test_sector_basis():
    for n, m in [(6, 0), (7, -3), (10, 10), (10, -10)]:
        basis = spins.sector_basis(n, m)
        assert basis.size == math.comb(n, (n - m) // 2)
        assert np.all(np.diff(basis) > 0)
        np.testing.assert_array_equal(_configs(basis, n).sum(axis=1), m)


@pytest.mark.parametrize(("n", "edges"), [(8, spins.chain_edges(8)), (6, spins.square_edges(3, 2))])
def test_heisenberg_sectors(n, edges):
    H = spins.heisenberg(n, edges=edges, J=1.0, marshall=False)
    full = H.to_sparse().toarray()
    total_sz = np.diag(_configs(np.arange(2**n), n).sum(axis=1).astype(float))
    np.testing.assert_allclose(full @ total_sz - total_sz @ full, 0.0, atol=1e-13)
    spectra = []
    for m in range(-n, n + 1, 2):
        basis = spins.sector_basis(n, m)
        block = H.to_sparse(magnetization=m).toarray()
        np.testing.assert_array_equal(block, full[np.ix_(basis, basis)])
        spectra.append(np.linalg.eigvalsh(block))
    np.testing.assert_allclose(
        np.sort(np.concatenate(spectra)), np.linalg.eigvalsh(full), atol=1e-11
    )
    # the antiferromagnetic ground state is a singlet: magnetization 0
    assert spins.ground_state_energy(H, magnetization=0) == pytest.approx(
        spins.ground_state_energy(H), abs=1e-11
    )


def test_tfim_has_no_magnetization_sector():
    with pytest.raises(ValueError, match="magnetization"):
        spins.transverse_field_ising(4, h=0.5).to_sparse(magnetization=0)
    # without a field the Ising model does conserve it
    m = spins.transverse_field_ising(4, h=0.0).to_sparse(magnetization=0)
    assert m.shape == (6, 6)


# --------------------------------------------------------------------------- exact diagonalisation


def test_exact_ground_state_and_k_lowest():
    H = spins.transverse_field_ising(12, h=0.8)  # 4096 states: the Lanczos path
    energy, psi = spins.exact_ground_state(H)
    m = H.to_sparse()
    assert np.linalg.norm(psi) == pytest.approx(1.0, abs=1e-12)
    np.testing.assert_allclose(m @ psi, energy * psi, atol=1e-9)
    lowest = spins.ground_state_energy(H, k=3)
    small = spins.transverse_field_ising(10, h=0.8)  # dense path
    np.testing.assert_allclose(
        spins.ground_state_energy(small, k=3),
        np.linalg.eigvalsh(small.to_sparse().toarray())[:3],
        atol=1e-12,
    )
    assert lowest[0] == pytest.approx(energy, abs=1e-10) and np.all(np.diff(lowest) >= 0)
    _, psi0 = spins.exact_ground_state(spins.heisenberg(10), magnetization=0)
    assert psi0.shape == (math.comb(10, 5),)


def test_diagonal_hamiltonian():
    H = spins.transverse_field_ising(12, h=0.0, J=1.5)  # classical: no off-diagonal terms
    assert spins.ground_state_energy(H) == pytest.approx(-18.0, abs=1e-12)
    np.testing.assert_allclose(spins.ground_state_energy(H, k=2), [-18.0, -18.0])


# --------------------------------------------------------------------------- free fermions


@pytest.mark.parametrize("J", [1.0, -0.7])
@pytest.mark.parametrize("h", [0.0, 0.3, 1.0, 1.7, -0.6])
def test_tfim_free_fermions_match_ed(h, J):
    # h < |J|, h = J (critical), h > |J|; J < 0 and h < 0 make odd rings frustrated, where
    # the ground state lies in the odd fermion-parity sector.
    for n in range(2, 13):
        H = spins.transverse_field_ising(n, h=h, J=J)
        assert spins.tfim_exact_energy(n, h=h, J=J) == pytest.approx(
            spins.ground_state_energy(H), abs=1e-10
        ), n
    h_crit = spins.transverse_field_ising(4, h=J, J=J)
    assert spins.tfim_exact_energy(4, h=J, J=J) == pytest.approx(
        spins.ground_state_energy(h_crit), abs=1e-10
    )


def test_tfim_free_fermions_l16():
    H = spins.transverse_field_ising(16, h=1.0)
    assert spins.ground_state_energy(H) == pytest.approx(
        spins.tfim_exact_energy(16, h=1.0), abs=1e-9
    )


@pytest.mark.slow
def test_ed_l20():
    H = spins.transverse_field_ising(20, h=1.0)
    assert spins.ground_state_energy(H) == pytest.approx(
        spins.tfim_exact_energy(20, h=1.0), abs=1e-9
    )
    e = spins.ground_state_energy(spins.heisenberg(20), magnetization=0)
    assert e / 20 == pytest.approx(-1.7808773059752876, abs=1e-10)


@pytest.mark.parametrize(("h", "J"), [(0.5, 1.0), (1.0, 1.0), (2.0, 0.7), (-0.8, 1.0), (0.3, -2.0)])
def test_tfim_infinite_chain(h, J):
    e = spins.tfim_energy_density_infinite(h, J)
    # closed form: -(2/pi) |h + J| E(m), m = 4 h J / (h + J)^2 (complete elliptic integral)
    assert e == pytest.approx(
        -2 / math.pi * abs(h + J) * special.ellipe(4 * h * J / (h + J) ** 2), rel=1e-12
    )
    assert spins.tfim_exact_energy(400, h=h, J=J) / 400 == pytest.approx(e, rel=1e-5)


def test_tfim_infinite_limits():
    assert spins.tfim_energy_density_infinite(1.0) == pytest.approx(-4 / math.pi, rel=1e-13)
    assert spins.tfim_energy_density_infinite(0.0, J=-1.5) == pytest.approx(-1.5, rel=1e-13)
    assert spins.tfim_energy_density_infinite(3.0, J=0.0) == pytest.approx(-3.0, rel=1e-13)


# --------------------------------------------------------------------------- Heisenberg


@pytest.mark.parametrize(("n", "edges"), [(8, spins.chain_edges(8)), (8, spins.square_edges(4, 2))])
def test_marshall_sign_rule(n, edges):
    plain = spins.heisenberg(n, edges=edges, marshall=False)
    rotated = spins.heisenberg(n, edges=edges, marshall=True)
    np.testing.assert_allclose(
        np.linalg.eigvalsh(rotated.to_sparse().toarray()),
        np.linalg.eigvalsh(plain.to_sparse().toarray()),
        atol=1e-11,
    )
    for magnetization in (None, 0):
        _, psi = spins.exact_ground_state(rotated, magnetization=magnetization)
        assert psi.min() > -1e-12
        _, psi_plain = spins.exact_ground_state(plain, magnetization=magnetization)
        assert psi_plain.min() < -1e-3  # the rule is not trivially satisfied


def test_heisenberg_chain_approaches_bethe_ansatz():
    e_inf = spins.HEISENBERG_CHAIN_ENERGY_PER_SITE
    assert e_inf == pytest.approx(-1.772588722239781, rel=1e-15)
    gaps = []
    for n in (8, 12, 16):
        e = spins.ground_state_energy(spins.heisenberg(n), magnetization=0) / n
        gaps.append(e - e_inf)
        # conformal finite-size scaling (c = 1, spin-wave velocity 2 pi in Pauli units):
        # e(L) = e_inf - pi^2 / (3 L^2) up to logarithmic corrections
        assert gaps[-1] * n**2 == pytest.approx(-(math.pi**2) / 3, rel=0.05)
    assert gaps[0] < gaps[1] < gaps[2] < 0  # approaches from below
    assert abs(gaps[-1] / e_inf) < 0.008  # L = 16: 0.73 %


# --------------------------------------------------------------------------- connections


@pytest.mark.parametrize(
    "make",
    [
        lambda rng: spins.transverse_field_ising(6, h=0.7, J=-1.1),
        lambda rng: spins.heisenberg(6, marshall=True),
        lambda rng: spins.heisenberg(6, edges=spins.square_edges(3, 2), marshall=False),
        lambda rng: _random_pauli_sum(6, 15, rng),
    ],
)
def test_connections_local_energy(make, rng):
    H = make(rng)
    n = H.n_sites
    conn = H.connections()
    psi = rng.uniform(0.5, 2.0, size=2**n)
    h_psi = H.to_sparse() @ psi
    index = rng.integers(0, 2**n, size=40)
    s = _configs(index, n).astype(np.float64)
    connected = conn.connected(s)  # (batch, n_groups, n)
    e_local = (
        np.sum(conn.matrix_elements(s) * psi[_index(connected.astype(np.int64))], axis=1)
        / psi[index]
    )
    np.testing.assert_allclose(e_local, h_psi[index] / psi[index], rtol=1e-12, atol=1e-12)


def test_connections_layout():
    H = spins.PauliSum(
        3,
        [
            (1.0, (0, 1), ()),
            (0.5, (), (0, 2)),
            (2.0, (1, 0), ()),  # same term as the first: merged
            (-1.0, (0, 1), (0, 1)),
            (0.25, (2,), ()),
            (0.0, (1,), ()),  # zero: dropped, no group
        ],
    )
    c = H.connections()
    np.testing.assert_array_equal(
        c.flip_masks, [[False, False, False], [True, True, False], [False, False, True]]
    )
    np.testing.assert_array_equal(c.term_group, [0, 1, 1, 2])
    np.testing.assert_array_equal(c.term_coeff, [0.5, 3.0, -1.0, 0.25])
    np.testing.assert_array_equal(c.term_z, [[0, 2], [3, 3], [0, 1], [3, 3]])
    assert not c.flip_masks.flags.writeable
    # a purely off-diagonal operator still has the (empty) diagonal group 0
    c = spins.PauliSum(2, [(1.0, (0,), ())]).connections()
    assert c.n_groups == 2 and not c.flip_masks[0].any() and c.term_z.shape == (1, 0)


# --------------------------------------------------------------------------- validation


@pytest.mark.parametrize(
    ("call", "name"),
    [
        (lambda: spins.transverse_field_ising(1, h=1.0), "n_sites"),
        (lambda: spins.transverse_field_ising(4.0, h=1.0), "n_sites"),
        (lambda: spins.transverse_field_ising(4, h=math.nan), "h="),
        (lambda: spins.transverse_field_ising(4, h=1.0, J=math.inf), "J="),
        (lambda: spins.transverse_field_ising(4, h="1"), "h="),
        (lambda: spins.transverse_field_ising(4, h=1.0, edges=[[0, 4]]), "edges"),
        (lambda: spins.transverse_field_ising(4, h=1.0, edges=[[1, 1]]), "edges"),
        (lambda: spins.heisenberg(5), "marshall"),
        (lambda: spins.heisenberg(4, J=True), "J="),
        (lambda: spins.tfim_exact_energy(1, h=1.0), "n_sites"),
        (lambda: spins.tfim_energy_density_infinite(math.nan), "h="),
        (lambda: spins.sector_basis(4, 1), "magnetization"),
        (lambda: spins.sector_basis(4, 6), "magnetization"),
        (lambda: spins.heisenberg(25, marshall=False).to_sparse(), "n_sites"),
        (lambda: spins.PauliSum(2, [(1.0, (0,), (0,))]), "Hermitian"),
        (lambda: spins.PauliSum(2, [(1.0, (0, 0), ())]), "x_sites"),
        (lambda: spins.PauliSum(2, [(1.0, (), (2,))]), "z_sites"),
        (lambda: spins.PauliSum(2, [(math.inf, (), (1,))]), "coeff"),
        (lambda: spins.ground_state_energy(spins.heisenberg(4), k=0), "k="),
        (lambda: spins.ground_state_energy(spins.heisenberg(4), k=17), "k="),
        (lambda: spins.square_edges(0, 3), "lx"),
        (lambda: spins.chain_edges(1), "n_sites"),
    ],
)
def test_bad_input_names_the_argument(call, name):
    with pytest.raises(ValueError, match=name):
        call()
