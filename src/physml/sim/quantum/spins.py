r"""Spin-1/2 lattice Hamiltonians as sums of Pauli strings, with exact references.

Conventions (used throughout this module):

* Pauli matrices, not spin operators: :math:`X, Y, Z` with eigenvalues +-1 (multiply an
  energy by 1/4 per two-spin coupling to get the :math:`S = \sigma/2` convention). Energies
  are in units of the coupling ``J``.
* Configurations are ``s`` in {+1, -1}^L in the :math:`\sigma^z` basis, ``s_i`` the
  eigenvalue of :math:`Z_i`.
* A :class:`PauliSum` is :math:`H = \sum_t c_t\, X_{A_t} Z_{B_t}` with real :math:`c_t`,
  :math:`X_A = \prod_{i \in A} X_i`, :math:`Z_B = \prod_{i \in B} Z_i`; Z acts first, so
  term t maps :math:`|s\rangle \to c_t \prod_{i\in B_t} s_i\, |s \text{ with } A_t
  \text{ flipped}\rangle`. Y is written through :math:`Y = iXZ`, e.g.
  :math:`Y_iY_j = -X_iX_jZ_iZ_j`, so every real symmetric Hamiltonian has real
  coefficients. A term is Hermitian iff :math:`|A_t \cap B_t|` is even; only such terms
  are accepted, so a :class:`PauliSum` is always a real symmetric matrix.
* Computational basis for matrices: the state index has bit ``i`` for site ``i``; bit 1
  means ``s_i = -1`` (spin down), so ``s_i = 1 - 2 * ((index >> i) & 1)`` and the all-up
  state is index 0. In Kronecker-product form site 0 is the *last* (fastest) factor.
* Magnetization means :math:`M = \sum_i s_i` (an integer with the parity of L).
* Lattices are edge lists, int arrays of shape (n_edges, 2). Periodic lattices never
  contain a self-loop or the same bond twice: a periodic chain of 2 sites has the single
  bond (0, 1), not two bonds joining the same pair (unlike :mod:`physml.sim.statmech.ising`, which
  counts L = 2 bonds twice). Square lattices number site (x, y) as ``x + lx * y``.

Example:
    >>> from physml.sim.quantum import spins
    >>> H = spins.transverse_field_ising(8, h=1.0)
    >>> e = spins.ground_state_energy(H)
    >>> abs(e - spins.tfim_exact_energy(8, h=1.0)) < 1e-10
    True
    >>> H = spins.heisenberg(8)  # Marshall-rotated: ground state is non-negative
    >>> round(spins.ground_state_energy(H, magnetization=0) / 8, 4)
    -1.8255
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import scipy.integrate
import scipy.linalg
import scipy.sparse
import scipy.sparse.linalg

from physml.checks import check_int, check_real, is_int

__all__ = [
    "HEISENBERG_CHAIN_ENERGY_PER_SITE",
    "Connections",
    "PauliSum",
    "chain_edges",
    "exact_ground_state",
    "ground_state_energy",
    "heisenberg",
    "is_bipartite",
    "sector_basis",
    "square_edges",
    "sublattice",
    "tfim_energy_density_infinite",
    "tfim_exact_energy",
    "transverse_field_ising",
]

#: Ground-state energy per site of the infinite antiferromagnetic Heisenberg chain,
#: :math:`H = \sum_i (X_iX_{i+1} + Y_iY_{i+1} + Z_iZ_{i+1})` (J = 1, Pauli matrices):
#: :math:`1 - 4\ln 2 \approx -1.7726`, i.e. :math:`1/4 - \ln 2` per site for
#: :math:`\mathbf S_i\cdot\mathbf S_{i+1}`. Bethe ansatz: L. Hulthén, Ark. Mat. Astron. Fys.
#: 26A, No. 11 (1938); H. Bethe, Z. Phys. 71, 205 (1931).
HEISENBERG_CHAIN_ENERGY_PER_SITE = 1.0 - 4.0 * math.log(2.0)

_MAX_FULL_SITES = 24  # 2^24 states: the largest full space to_sparse builds
_MAX_SITES_BITS = 62  # states are int64 bit patterns
# Dense eigh up to this dimension, Lanczos above: on 2 CPU cores eigh takes 0.03 s at 512,
# 0.2 s at 1024 and 1.3-2 s at 2048 states, where eigsh takes < 0.01 s.
_DENSE_MAX_DIM = 512
_DENSE_FALLBACK_DIM = 4096  # dense again if Lanczos does not converge, up to this size
_ROWS_PER_CHUNK = 1 << 18  # rows built at once in to_sparse (bounds temporary memory)


# --------------------------------------------------------------------------- validation


def _check_edges(n_sites: int, edges) -> np.ndarray:
    """Int64 (n_edges, 2) edges with both ends in [0, n_sites) and no self-loops."""
    arr = np.asarray(edges)
    if arr.size == 0:
        arr = arr.reshape(0, 2)
    if arr.ndim != 2 or arr.shape[1] != 2 or not np.issubdtype(arr.dtype, np.integer):
        raise ValueError(
            f"edges has shape {arr.shape} and dtype {arr.dtype}: expected integer pairs of "
            "shape (n_edges, 2)"
        )
    arr = arr.astype(np.int64)
    if arr.size and (arr.min() < 0 or arr.max() >= n_sites):
        raise ValueError(f"edges has a site outside [0, {n_sites}): expected 0 <= i < n_sites")
    if np.any(arr[:, 0] == arr[:, 1]):
        raise ValueError("edges contains a self-loop (i, i): expected i != j")
    return arr


# --------------------------------------------------------------------------- lattices


def chain_edges(n_sites: int, *, pbc: bool = True) -> np.ndarray:
    """Nearest-neighbour bonds (i, i + 1) of a chain.

    Args:
        n_sites: number of sites L >= 2.
        pbc: add the bond (L - 1, 0). For L = 2 it would repeat (0, 1) and is left out,
            so a periodic 2-site chain has one bond.

    Returns:
        Int64 array of shape (n_edges, 2): L - 1 bonds when open, L when periodic (L > 2).
    """
    n = check_int("n_sites", n_sites, minimum=2)
    i = np.arange(n - 1 if (not pbc or n == 2) else n, dtype=np.int64)
    return np.stack([i, (i + 1) % n], axis=1)


def square_edges(lx: int, ly: int, *, pbc: bool = True) -> np.ndarray:
    """Nearest-neighbour bonds of an lx x ly square lattice, site (x, y) -> x + lx * y.

    Args:
        lx: sites along x, >= 1.
        ly: sites along y, >= 1 (lx * ly >= 2).
        pbc: periodic in both directions. A wrap-around bond is left out along a direction
            of length 2 (it would repeat the bond inside) or 1 (it would be a self-loop).

    Returns:
        Int64 array of shape (n_edges, 2): horizontal bonds first, then vertical ones.
    """
    lx = check_int("lx", lx, minimum=1)
    ly = check_int("ly", ly, minimum=1)
    if lx * ly < 2:
        raise ValueError(f"lx * ly = {lx * ly} is not allowed: expected at least 2 sites")
    x, y = np.meshgrid(np.arange(lx), np.arange(ly), indexing="xy")
    x, y = x.ravel(), y.ravel()
    bonds = []
    for length, step in ((lx, (1, 0)), (ly, (0, 1))):
        coord = x if step[0] else y
        keep = coord < length - 1 if (not pbc or length <= 2) else np.ones_like(coord, bool)
        xn, yn = (x + step[0]) % lx, (y + step[1]) % ly
        bonds.append(np.stack([x + lx * y, xn + lx * yn], axis=1)[keep])
    return np.concatenate(bonds).astype(np.int64)


def _colouring(n_sites: int, edges) -> np.ndarray | None:
    """0/1 colours with every edge joining different colours, or None if impossible."""
    edges = _check_edges(n_sites, edges)
    neighbours: list[list[int]] = [[] for _ in range(n_sites)]
    for i, j in edges.tolist():
        neighbours[i].append(j)
        neighbours[j].append(i)
    colour = np.full(n_sites, -1, dtype=np.int8)
    for root in range(n_sites):  # loop over sites (not states): breadth-first search
        if colour[root] >= 0:
            continue
        colour[root] = 0
        queue = [root]
        while queue:
            i = queue.pop()
            for j in neighbours[i]:
                if colour[j] < 0:
                    colour[j] = 1 - colour[i]
                    queue.append(j)
                elif colour[j] == colour[i]:
                    return None
    return colour


def is_bipartite(n_sites: int, edges) -> bool:
    """Whether the graph (n_sites, edges) can be 2-coloured (e.g. a chain of even L)."""
    return _colouring(check_int("n_sites", n_sites, minimum=1), edges) is not None


def sublattice(n_sites: int, edges) -> np.ndarray:
    """Sublattice index 0/1 of each site of a bipartite graph.

    Each connected component starts with colour 0 at its lowest-numbered site.

    Returns:
        Int8 array of shape (n_sites,).

    Raises:
        ValueError: if the graph is not bipartite (it has an odd cycle).
    """
    colour = _colouring(check_int("n_sites", n_sites, minimum=1), edges)
    if colour is None:
        raise ValueError("edges is not bipartite (it has an odd cycle): no sublattice split")
    return colour


# --------------------------------------------------------------------------- Pauli sums


def _canonical_sites(name: str, sites, n_sites: int) -> tuple[int, ...]:
    """Sorted tuple of distinct site indices in [0, n_sites)."""
    items = (sites,) if is_int(sites) else sites
    if not isinstance(items, Iterable) or not all(is_int(i) for i in items):
        raise ValueError(f"{name}={sites!r} is not allowed: expected a tuple of site indices")
    out = tuple(sorted(int(i) for i in items))
    if len(set(out)) != len(out):
        raise ValueError(f"{name}={sites!r} is not allowed: a site appears twice")
    if out and (out[0] < 0 or out[-1] >= n_sites):
        raise ValueError(f"{name}={sites!r} is not allowed: expected sites in [0, {n_sites})")
    return out


def sector_basis(n_sites: int, magnetization: int) -> np.ndarray:
    """Sorted basis states (int64 bit patterns) with sum_i s_i == magnetization.

    A state has ``(n_sites - magnetization) / 2`` bits set (spins down).

    Args:
        n_sites: number of sites, 1 <= L <= 62.
        magnetization: M with |M| <= L and M = L (mod 2).

    Returns:
        Int64 array of shape (binomial(L, (L - M) / 2),), increasing.
    """
    n = check_int("n_sites", n_sites, minimum=1, maximum=_MAX_SITES_BITS)
    if not is_int(magnetization) or abs(magnetization) > n or (n - magnetization) % 2:
        raise ValueError(
            f"magnetization={magnetization!r} is not allowed: expected an int M with "
            f"|M| <= {n} and M = {n} (mod 2)"
        )
    n_down = (n - int(magnetization)) // 2
    # by_count[j]: sorted states on the bits seen so far with j bits set. Adding bit b
    # (larger than all previous bits) appends the states with bit b set after those without.
    by_count = {0: np.zeros(1, dtype=np.int64)}
    for b in range(n):
        lo = max(0, n_down - (n - b - 1))
        new = {}
        for j in range(lo, min(n_down, b + 1) + 1):
            parts = []
            if j in by_count:
                parts.append(by_count[j])
            if j - 1 in by_count:
                parts.append(by_count[j - 1] | np.int64(1 << b))
            new[j] = np.concatenate(parts)
        by_count = new
    return by_count[n_down]


@dataclass(frozen=True, eq=False)
class Connections:
    """Arrays for vectorised local energies of a :class:`PauliSum`.

    Terms with the same flipped set X are grouped; group 0 is always the diagonal (no
    flips). For a configuration ``s`` of shape (batch, n_sites) with values +-1, let
    ``s_ext = concat(s, ones(batch, 1))``. Then

    * connected configuration of group g: ``s * (1 - 2 * flip_masks[g])``;
    * matrix element <s|H|s'_g> = ``sum over t with term_group[t] == g of
      term_coeff[t] * prod_k s_ext[:, term_z[t, k]]``

    (the Z product is taken at ``s``; for Hermitian terms it equals the product at
    ``s'_g``), so the local energy is ``sum_g element_g(s) * psi(s'_g) / psi(s)``.
    :meth:`matrix_elements` and :meth:`connected` are the numpy reference. Identical
    (X, Z) terms are merged and terms whose coefficients cancel are dropped.

    Attributes:
        flip_masks: bool (n_groups, n_sites); row 0 all False.
        term_group: int64 (n_terms,), non-decreasing.
        term_coeff: float64 (n_terms,).
        term_z: int64 (n_terms, max_z), padded with the index ``n_sites``.
    """

    flip_masks: np.ndarray
    term_group: np.ndarray
    term_coeff: np.ndarray
    term_z: np.ndarray

    @property
    def n_sites(self) -> int:
        return self.flip_masks.shape[1]

    @property
    def n_groups(self) -> int:
        return self.flip_masks.shape[0]

    def connected(self, s: np.ndarray) -> np.ndarray:
        """Connected configurations, shape (batch, n_groups, n_sites), dtype of ``s``."""
        s = np.asarray(s)
        return s[:, None, :] * (1 - 2 * self.flip_masks.astype(s.dtype))[None]

    def matrix_elements(self, s: np.ndarray) -> np.ndarray:
        """Matrix elements <s|H|s'_g>, float64 of shape (batch, n_groups)."""
        s = np.asarray(s, dtype=np.float64)
        s_ext = np.concatenate([s, np.ones((s.shape[0], 1))], axis=1)
        values = self.term_coeff * np.prod(s_ext[:, self.term_z], axis=2)  # (batch, n_terms)
        out = np.zeros((s.shape[0], self.n_groups))
        np.add.at(out.T, self.term_group, values.T)
        return out


@dataclass(frozen=True)
class PauliSum:
    r"""Real Hermitian operator :math:`H = \sum_t c_t X_{A_t} Z_{B_t}` on spin-1/2 sites.

    Args:
        n_sites: number of sites L >= 1.
        terms: ``(coeff, x_sites, z_sites)`` triples: a finite real coefficient and the
            sites of the X and Z factors (Z acts first). Stored canonically: float
            coefficient, sorted int tuples. Each term must be Hermitian, i.e. x_sites and
            z_sites share an even number of sites (:math:`X_iZ_i = -iY_i` alone is not).

    Example:
        >>> H = PauliSum(2, [(1.0, (0, 1), ()), (-1.0, (0, 1), (0, 1))])  # XX + YY
        >>> H.to_sparse().toarray()
        array([[0., 0., 0., 0.],
               [0., 0., 2., 0.],
               [0., 2., 0., 0.],
               [0., 0., 0., 0.]])
    """

    n_sites: int
    terms: tuple[tuple[float, tuple[int, ...], tuple[int, ...]], ...]

    def __post_init__(self) -> None:
        n = check_int("n_sites", self.n_sites, minimum=1)
        canonical = []
        for term in self.terms:
            if not isinstance(term, Sequence) or len(term) != 3:
                raise ValueError(
                    f"terms contains {term!r}: expected (coeff, x_sites, z_sites) triples"
                )
            coeff = check_real("coeff", term[0])
            x = _canonical_sites("x_sites", term[1], n)
            z = _canonical_sites("z_sites", term[2], n)
            if len(set(x) & set(z)) % 2:
                raise ValueError(
                    f"term {term!r} is not Hermitian: x_sites and z_sites share an odd number "
                    "of sites (expected an even number, e.g. Y_i Y_j = -X_i X_j Z_i Z_j)"
                )
            canonical.append((coeff, x, z))
        object.__setattr__(self, "n_sites", n)
        object.__setattr__(self, "terms", tuple(canonical))

    def __repr__(self) -> str:
        return f"PauliSum(n_sites={self.n_sites}, n_terms={len(self.terms)})"

    def __add__(self, other: PauliSum) -> PauliSum:
        if not isinstance(other, PauliSum):
            return NotImplemented
        if other.n_sites != self.n_sites:
            raise ValueError(f"n_sites differ ({self.n_sites} and {other.n_sites})")
        return PauliSum(self.n_sites, self.terms + other.terms)

    def __mul__(self, scalar: float) -> PauliSum:
        if not isinstance(scalar, numbers.Real) or isinstance(scalar, bool):
            return NotImplemented
        factor = check_real("scalar", scalar)
        return PauliSum(self.n_sites, tuple((c * factor, x, z) for c, x, z in self.terms))

    __rmul__ = __mul__

    def __neg__(self) -> PauliSum:
        return self * -1.0

    def __sub__(self, other: PauliSum) -> PauliSum:
        return self + (-other)

    def _groups(self) -> list[tuple[tuple[int, ...], list[tuple[float, tuple[int, ...]]]]]:
        """Merged terms grouped by X set: [(x_sites, [(coeff, z_sites), ...])], diagonal first."""
        merged: dict[tuple[int, ...], dict[tuple[int, ...], float]] = {(): {}}
        for coeff, x, z in self.terms:
            group = merged.setdefault(x, {})
            group[z] = group.get(z, 0.0) + coeff
        out = []
        for x, group in merged.items():
            kept = [(c, z) for z, c in group.items() if c != 0.0]
            if kept or not x:
                out.append((x, kept))
        return out

    def connections(self) -> Connections:
        """Terms grouped by flipped set, for vectorised local energies (:class:`Connections`)."""
        groups = self._groups()
        n = self.n_sites
        flip_masks = np.zeros((len(groups), n), dtype=bool)
        term_group, term_coeff, z_lists = [], [], []
        for g, (x, kept) in enumerate(groups):
            flip_masks[g, list(x)] = True
            for c, z in kept:
                term_group.append(g)
                term_coeff.append(c)
                z_lists.append(z)
        max_z = max((len(z) for z in z_lists), default=0)
        term_z = np.full((len(z_lists), max_z), n, dtype=np.int64)
        for t, z in enumerate(z_lists):
            term_z[t, : len(z)] = z
        arrays = (
            flip_masks,
            np.asarray(term_group, dtype=np.int64),
            np.asarray(term_coeff, dtype=np.float64),
            term_z,
        )
        for a in arrays:
            a.setflags(write=False)
        return Connections(*arrays)

    def to_sparse(self, *, magnetization: int | None = None) -> scipy.sparse.csr_matrix:
        """The matrix of H in the computational basis (see the module docstring).

        Args:
            magnetization: if given, restrict to the sector sum_i s_i == magnetization,
                with basis :func:`sector_basis` (row/column a is state ``basis[a]``). H
                must conserve the magnetization (a ValueError says otherwise).

        Returns:
            Real symmetric float64 CSR matrix of dimension 2^L (at most L = 24) or the
            sector dimension; explicit zeros are dropped, column indices sorted per row.
        """
        n = self.n_sites
        if magnetization is None:
            if n > _MAX_FULL_SITES:
                raise ValueError(
                    f"n_sites={n} is too large for the full space (2^{n} states): expected "
                    f"<= {_MAX_FULL_SITES}, or pass magnetization to use one sector"
                )
            basis = None
            dim = 1 << n
        else:
            basis = sector_basis(n, magnetization)
            dim = basis.size
        groups = [
            (sum(1 << i for i in x), [(c, sum(1 << i for i in z)) for c, z in kept])
            for x, kept in self._groups()
        ]
        flips = np.array([f for f, _ in groups], dtype=np.int64)
        index_dtype = np.int32 if dim * len(groups) < 2**31 - 1 else np.int64
        counts, indices, data = [], [], []
        for start in range(0, dim, _ROWS_PER_CHUNK):
            stop = min(start + _ROWS_PER_CHUNK, dim)
            rows = np.arange(start, stop, dtype=np.int64) if basis is None else basis[start:stop]
            # <row|H|col> with col = row ^ flip; the Z product is evaluated at col.
            cols_t = flips[:, None] ^ rows[None, :]  # (n_groups, chunk) states
            values_t = np.zeros(cols_t.shape, dtype=np.float64)
            for g, (_, kept) in enumerate(groups):
                for c, zmask in kept:
                    odd = np.bitwise_count(cols_t[g] & zmask) & 1
                    values_t[g] += c - (2.0 * c) * odd
            cols, values = cols_t.T, values_t.T  # (chunk, n_groups)
            if basis is not None:
                pos = np.minimum(np.searchsorted(basis, cols), dim - 1)
                inside = basis[pos] == cols
                if np.any(~inside & (values != 0.0)):
                    raise ValueError(
                        f"magnetization={magnetization!r} is not allowed for this operator: "
                        "it does not conserve sum_i s_i (use magnetization=None)"
                    )
                cols = pos
            keep = values != 0.0
            order = np.argsort(np.where(keep, cols, np.iinfo(np.int64).max), axis=1)
            cols = np.take_along_axis(cols, order, axis=1)
            values = np.take_along_axis(values, order, axis=1)
            keep = np.take_along_axis(keep, order, axis=1)
            counts.append(keep.sum(axis=1))
            indices.append(cols[keep].astype(index_dtype))
            data.append(values[keep])
        indptr = np.zeros(dim + 1, dtype=index_dtype)
        np.cumsum(np.concatenate(counts), out=indptr[1:])
        matrix = scipy.sparse.csr_matrix(
            (np.concatenate(data), np.concatenate(indices), indptr), shape=(dim, dim)
        )
        matrix.has_sorted_indices = True
        return matrix


# --------------------------------------------------------------------------- Hamiltonians


def _default_edges(n_sites: int, pbc: bool, edges) -> np.ndarray:
    n = check_int("n_sites", n_sites, minimum=2)
    return chain_edges(n, pbc=bool(pbc)) if edges is None else _check_edges(n, edges)


def transverse_field_ising(
    n_sites: int, *, h: float, J: float = 1.0, pbc: bool = True, edges=None
) -> PauliSum:
    r"""Transverse-field Ising model :math:`H = -J\sum_{\langle ij\rangle} Z_iZ_j - h\sum_i X_i`.

    Args:
        n_sites: number of sites L >= 2.
        h: transverse field (finite real).
        J: Ising coupling (finite real; J > 0 ferromagnetic).
        pbc: periodic chain (used only when ``edges`` is None; see :func:`chain_edges`).
        edges: bonds (n_edges, 2) of any lattice, e.g. :func:`square_edges`.

    Returns:
        The :class:`PauliSum`; zero coefficients are kept (and dropped by its methods).
    """
    h = check_real("h", h)
    J = check_real("J", J)
    e = _default_edges(n_sites, pbc, edges)
    terms = [(-J, (), (int(i), int(j))) for i, j in e]
    terms += [(-h, (i,), ()) for i in range(int(n_sites))]
    return PauliSum(int(n_sites), tuple(terms))


def heisenberg(
    n_sites: int, *, J: float = 1.0, pbc: bool = True, edges=None, marshall: bool = True
) -> PauliSum:
    r"""Heisenberg model :math:`H = J\sum_{\langle ij\rangle}(X_iX_j + Y_iY_j + Z_iZ_j)`.

    Pauli matrices (NetKet's convention): :math:`4J\,\mathbf S_i\cdot\mathbf S_j`.

    Args:
        n_sites: number of sites L >= 2.
        J: coupling (finite real; J > 0 antiferromagnetic).
        pbc: periodic chain (used only when ``edges`` is None).
        edges: bonds (n_edges, 2) of any lattice, e.g. :func:`square_edges`.
        marshall: rotate sublattice B (:func:`sublattice` colour 1) by pi about z,
            :math:`U = \prod_{i\in B} Z_i`, which flips the sign of the XX + YY part on
            every bond. The spectrum is unchanged; for J > 0 all off-diagonal elements
            become <= 0, so the ground state is non-negative in the sigma^z basis
            (Marshall's sign rule; W. Marshall, Proc. R. Soc. A 232, 48 (1955)). Requires
            a bipartite lattice (ValueError otherwise, e.g. an odd periodic chain).

    Returns:
        The :class:`PauliSum` (XX, YY = -XXZZ and ZZ terms per bond).
    """
    J = check_real("J", J)
    e = _default_edges(n_sites, pbc, edges)
    if marshall and not is_bipartite(int(n_sites), e):
        raise ValueError(
            "marshall=True is not allowed on a lattice that is not bipartite "
            "(e.g. an odd periodic chain): expected marshall=False"
        )
    sign = -1.0 if marshall else 1.0
    terms = []
    for i, j in e.tolist():
        terms += [(sign * J, (i, j), ()), (-sign * J, (i, j), (i, j)), (J, (), (i, j))]
    return PauliSum(int(n_sites), tuple(terms))


# --------------------------------------------------------------------------- exact diagonalisation


def _check_hamiltonian(H) -> PauliSum:
    if not isinstance(H, PauliSum):
        raise ValueError(f"H is a {type(H).__name__}: expected a PauliSum")
    return H


def _dense_lowest(matrix, k: int):
    # divide and conquer: LAPACK's MRRR driver (subset_by_index) can be ~50x slower on
    # these highly degenerate spectra
    w, v = scipy.linalg.eigh(matrix.toarray(), driver="evd")
    return w[:k], v[:, :k]


def _lowest(H: PauliSum, magnetization, k: int, vectors: bool):
    matrix = _check_hamiltonian(H).to_sparse(magnetization=magnetization)
    dim = matrix.shape[0]
    if k > dim:
        raise ValueError(f"k={k} is not allowed: expected <= the dimension {dim}")
    diagonal = matrix.diagonal()
    if np.count_nonzero(diagonal) == matrix.nnz:  # diagonal matrix (ARPACK fails on zero)
        order = np.argsort(diagonal, kind="stable")[:k]
        w, v = diagonal[order], np.zeros((dim, k))
        v[order, np.arange(k)] = 1.0
    elif dim <= _DENSE_MAX_DIM or k >= dim - 1:
        w, v = _dense_lowest(matrix, k)
    else:
        # A seeded random start vector: deterministic, and never orthogonal to the ground
        # state by symmetry (a uniform vector can be, e.g. at momentum pi).
        v0 = np.random.default_rng(0).standard_normal(dim)
        try:
            w, v = scipy.sparse.linalg.eigsh(matrix, k=k, which="SA", v0=v0, tol=0.0)
        except scipy.sparse.linalg.ArpackNoConvergence:
            if dim > _DENSE_FALLBACK_DIM:
                raise
            w, v = _dense_lowest(matrix, k)
        order = np.argsort(w)
        w, v = w[order], v[:, order]
    return (w, v) if vectors else w


def ground_state_energy(
    H: PauliSum, *, magnetization: int | None = None, k: int = 1
) -> float | np.ndarray:
    """Lowest eigenvalue(s) of H by exact diagonalisation.

    Dense ``scipy.linalg.eigh`` (divide and conquer) for dimension <= 512, Lanczos
    (``eigsh``, which="SA", converged to machine precision, seeded start vector) above.

    Args:
        H: the Hamiltonian.
        magnetization: restrict to the sector sum_i s_i == magnetization.
        k: number of eigenvalues, >= 1.

    Returns:
        A float for k = 1, else float64 array (k,) in increasing order (with multiplicity).
    """
    k = check_int("k", k, minimum=1)
    w = _lowest(H, magnetization, k, vectors=False)
    return float(w[0]) if k == 1 else np.asarray(w, dtype=np.float64)


def exact_ground_state(
    H: PauliSum, *, magnetization: int | None = None
) -> tuple[float, np.ndarray]:
    """Ground-state energy and normalised vector of H.

    The vector is in the basis of :meth:`PauliSum.to_sparse` (full space, or the sector's
    :func:`sector_basis`), with the sign fixed so that its largest component is positive.
    If the ground state is degenerate it is one (arbitrary) vector of that subspace.

    Returns:
        ``(energy, vector)`` with vector float64 of shape (dimension,).
    """
    w, v = _lowest(H, magnetization, 1, vectors=True)
    psi = v[:, 0] / np.linalg.norm(v[:, 0])
    if psi[np.argmax(np.abs(psi))] < 0:
        psi = -psi
    return float(w[0]), psi


# --------------------------------------------------------------------------- exact references


def _tfim_ring_energy(n: int, h: float, J: float) -> float:
    """Ground energy of -J sum_{i=1}^{n} Z_i Z_{i+1} - h sum X_i with Z_{n+1} = Z_1."""
    best = math.inf
    # (fermion boundary condition, required quasiparticle parity): the spin-flip parity
    # P = +1 gives antiperiodic fermions (k = (2m+1) pi / n) with an even number of
    # quasiparticles, P = -1 periodic fermions (k = 2 m pi / n) with an odd number.
    for offset, parity in ((1, 0), (0, 1)):
        k = (2 * np.arange(n) + offset) * np.pi / n
        cos_k = np.cos(k)
        # k = 0 and k = pi are their own partners (-k = k): a single mode c_k with signed
        # energy 2 (h - J cos k); other k pair up into Bogoliubov modes of energy >= 0.
        unpaired = np.isclose(np.sin(k), 0.0, atol=1e-12)
        lam = np.where(
            unpaired,
            2.0 * (h - J * np.round(cos_k)),
            2.0 * np.sqrt(np.maximum(h * h + J * J - 2.0 * h * J * cos_k, 0.0)),
        )
        # E = sum_k lam_k (n_k - 1/2); occupy every negative mode, then fix the parity by
        # toggling the mode of smallest |lam| if needed.
        energy = -0.5 * np.sum(np.abs(lam))
        if int(np.sum(lam < 0)) % 2 != parity:
            energy += np.min(np.abs(lam))
        best = min(best, float(energy))
    return best


def tfim_exact_energy(n_sites: int, *, h: float, J: float = 1.0) -> float:
    r"""Ground-state energy of the periodic TFIM chain from its free-fermion solution.

    :math:`H = -J\sum_{i} Z_iZ_{i+1} - h\sum_i X_i` with :math:`Z_{L} \equiv Z_0`. The
    Jordan–Wigner transformation maps each sector of the spin-flip parity
    :math:`P = \prod_i X_i` to free fermions: P = +1 with antiperiodic momenta
    :math:`k = (2m+1)\pi/L` and an even number of quasiparticles, P = -1 with periodic
    momenta :math:`k = 2m\pi/L` and an odd number; quasiparticle energies
    :math:`\Lambda_k = 2\sqrt{h^2 + J^2 - 2hJ\cos k}`, except the self-conjugate modes
    k = 0, pi with signed energy :math:`2(h - J\cos k)`. The ground energy is the lower of
    the two sector minima of :math:`\sum_k \Lambda_k (n_k - 1/2)`; exact for every L, h, J
    of either sign. For L = 2 the chain has one bond (see :func:`chain_edges`), i.e. the
    2-site ring with coupling J / 2.

    References:
        E. Lieb, T. Schultz, D. Mattis, Ann. Phys. 16, 407 (1961); P. Pfeuty, Ann. Phys.
        57, 79 (1970).

    Args:
        n_sites: chain length L >= 2.
        h: transverse field (finite real).
        J: Ising coupling (finite real).
    """
    n = check_int("n_sites", n_sites, minimum=2)
    h = check_real("h", h)
    J = check_real("J", J)
    return _tfim_ring_energy(n, h, J / 2.0 if n == 2 else J)


def tfim_energy_density_infinite(h: float, J: float = 1.0) -> float:
    r"""Ground-state energy per site of the infinite TFIM chain.

    :math:`e = -\frac{1}{\pi}\int_0^\pi \sqrt{h^2 + J^2 - 2hJ\cos k}\,dk`, the
    :math:`L\to\infty` limit of :func:`tfim_exact_energy` / L (e.g. :math:`-4/\pi` at
    h = J = 1, :math:`-|J|` at h = 0). Evaluated by adaptive quadrature.

    References:
        P. Pfeuty, Ann. Phys. 57, 79 (1970).
    """
    h = check_real("h", h)
    J = check_real("J", J)
    value, _ = scipy.integrate.quad(
        lambda k: math.sqrt(max(h * h + J * J - 2.0 * h * J * math.cos(k), 0.0)),
        0.0,
        math.pi,
        epsabs=1e-14,
        epsrel=1e-13,
        limit=200,
    )
    return -value / math.pi
