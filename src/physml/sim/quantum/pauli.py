r"""Spin-1/2 lattices and Hamiltonians as sums of Pauli strings (:class:`PauliSum`), and the
bases of magnetization sectors; :mod:`physml.sim.quantum.spins` builds its Hamiltonians
and exact references on them and re-exports everything here.

Conventions (used throughout this module and :mod:`~physml.sim.quantum.spins`):

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
"""

from __future__ import annotations

import numbers
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import scipy.sparse

from physml.checks import check_int, check_real, is_int

__all__ = [
    "Connections",
    "PauliSum",
    "chain_edges",
    "is_bipartite",
    "sector_basis",
    "square_edges",
    "sublattice",
]

_MAX_FULL_SITES = 24  # 2^24 states: the largest full space to_sparse builds
_MAX_SITES_BITS = 62  # states are int64 bit patterns
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
