r"""Random Ising states and their energies: the data of learning couplings by regression.

Conventions (Mehta et al., arXiv:1803.08823, their linear-regression notebook): N spins
``S_j = +-1`` drawn independently and uniformly (infinite temperature), energies

    E(S) = sum_{j,k} J_{jk} S_j S_k,

with a coupling matrix ``J`` (N, N) that holds each nearest-neighbour bond once, in the
upper direction: ``J_{i,i+1} = J`` on the periodic chain of L sites (``J = -1`` is
Mehta's ferromagnet, ``E = -sum_i S_i S_{i+1}``), ``J_{i,right(i)} = J_{i,down(i)} = J`` on a
periodic L x L square lattice (N = L^2, spins in row-major order). The design matrix has
one column per ordered pair, ``X[n, j N + k] = S_j S_k``, so ``E = X @ J.ravel()`` exactly.

Gauge freedom: ``S_j S_k = S_k S_j``, so the columns (j, k) and (k, j) are identical and
only their sum ``K_{jk} = J_{jk} + J_{kj}`` (j < k) is determined by the energies; the
diagonal columns ``S_j^2 = 1`` are constant and only shift the energy. Any comparison of a
learned matrix with the exact one is therefore made on :func:`pair_couplings`, the
gauge-invariant sums, never on ``J`` itself.

Example:
    >>> states = random_states(5, 6, seed=0)
    >>> J = chain_couplings(6)
    >>> bool(np.allclose(pair_features(states) @ J.ravel(), energies(states, J)))
    True
    >>> bool(np.all(energies(np.ones((1, 6)), J) == -6.0))
    True
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "VERSION",
    "bond_mask",
    "chain_couplings",
    "energies",
    "pair_couplings",
    "pair_features",
    "random_states",
    "square_couplings",
]

VERSION = "1"


def random_states(n_samples: int, n_spins: int, *, seed) -> np.ndarray:
    """``n_samples`` independent uniform states of ``n_spins`` spins +-1, float64 (n, N)."""
    rng = np.random.default_rng(seed)
    return 2.0 * rng.integers(0, 2, size=(n_samples, n_spins)) - 1.0


def chain_couplings(n_sites: int, J: float = -1.0) -> np.ndarray:
    """Exact coupling matrix (L, L) of the periodic chain: ``J_{i,(i+1) mod L} = J``."""
    if n_sites < 3:
        raise ValueError(f"n_sites={n_sites}: a periodic chain with distinct bonds needs >= 3")
    couplings = np.zeros((n_sites, n_sites))
    sites = np.arange(n_sites)
    couplings[sites, (sites + 1) % n_sites] = J
    return couplings


def square_couplings(side: int, J: float = -1.0) -> np.ndarray:
    """Exact coupling matrix (L^2, L^2) of the periodic L x L lattice, row-major sites:
    each site couples to its right and lower neighbours with ``J``."""
    if side < 3:
        raise ValueError(f"side={side}: a periodic square lattice with distinct bonds needs >= 3")
    index = np.arange(side * side).reshape(side, side)
    couplings = np.zeros((side * side, side * side))
    couplings[index.ravel(), np.roll(index, -1, axis=1).ravel()] = J
    couplings[index.ravel(), np.roll(index, -1, axis=0).ravel()] = J
    return couplings


def energies(states: np.ndarray, couplings: np.ndarray) -> np.ndarray:
    """``E = sum_{jk} J_{jk} S_j S_k`` for states (n, N) and couplings (N, N); shape (n,)."""
    return np.einsum("nj,jk,nk->n", states, couplings, states)


def pair_features(states: np.ndarray) -> np.ndarray:
    """All ordered products ``S_j S_k`` as the design matrix (n, N^2), column ``j N + k``."""
    n, N = states.shape
    return (states[:, :, None] * states[:, None, :]).reshape(n, N * N)


def pair_couplings(couplings: np.ndarray) -> np.ndarray:
    """The gauge-invariant couplings ``K_{jk} = J_{jk} + J_{kj}`` for j < k, shape
    (..., N (N - 1) / 2) in ``np.triu_indices(N, 1)`` order, of coupling matrices flattened
    row-major as regression coefficients, shape (..., N^2)."""
    couplings = np.asarray(couplings)
    N = round(np.sqrt(couplings.shape[-1]))
    if N * N != couplings.shape[-1]:
        raise ValueError(f"{couplings.shape[-1]} coefficients are not N^2 for an integer N")
    matrix = couplings.reshape(*couplings.shape[:-1], N, N)
    j, k = np.triu_indices(N, 1)
    return matrix[..., j, k] + matrix[..., k, j]


def bond_mask(couplings: np.ndarray) -> np.ndarray:
    """Which entries of :func:`pair_couplings` of the exact matrix (N, N) are bonds."""
    return pair_couplings(np.asarray(couplings).ravel()) != 0
