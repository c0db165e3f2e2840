"""Numba kernels behind :mod:`physml.sim.statmech.ising` (private; the public API validates inputs).

Conventions as in :mod:`physml.sim.statmech.ising`: spins int8 +-1 of shape (batch, L, L), periodic
boundaries, J = 1. All kernels are compiled lazily on first call and cached on disk.

Random numbers come from a counter-based construction: every stream is started at
``mix64(key ^ mix64(counter))`` where ``counter`` names the stream (sweep, colour, lattice,
row for Metropolis; lattice for Wolff) and then advanced as a Weyl sequence
``state += GOLDEN`` with output ``mix64(state)`` (SplitMix64, Steele et al. 2014). Each
64-bit output supplies two 32-bit uniforms. Streams are owned by a lattice or a row, never
by a thread, so results do not depend on the number of threads or on scheduling.

Acceptance is decided in integers: a uniform u in [0, 2^32) is accepted when
``u < threshold`` with ``threshold = floor(p * 2^32)``, so the probabilities are exact to
2^-32.
"""

from __future__ import annotations

import numba as nb
import numpy as np

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_S30 = np.uint64(30)
_S27 = np.uint64(27)
_S31 = np.uint64(31)
_S32 = np.uint64(32)
_LOW32 = np.uint64(0xFFFFFFFF)


@nb.njit(inline="always", cache=True)
def _mix64(z):
    """SplitMix64 finaliser: a bijective 64-bit hash (uint64 -> uint64)."""
    z = (z ^ (z >> _S30)) * _M1
    z = (z ^ (z >> _S27)) * _M2
    return z ^ (z >> _S31)


@nb.njit(inline="always", cache=True)
def _stream_start(key, counter):
    """Start of the stream named ``counter`` under ``key`` (both uint64)."""
    return _mix64(key ^ _mix64(counter + _GOLDEN))


@nb.njit(inline="always", cache=True)
def _uniform32(state, spare, have):
    """Next uniform 32-bit integer of the stream: each 64-bit draw serves two calls.

    Returns ``(u, state, spare, have)``; ``spare`` holds the unused low half while
    ``have`` is True.
    """
    if have:
        return spare, state, spare, False
    state += _GOLDEN
    r = _mix64(state)
    return r >> _S32, state, r & _LOW32, True


@nb.njit(inline="always", cache=True)
def _metropolis_row(spins, b, i, L, colour, thr, state):
    """Checkerboard Metropolis on the sites of one colour in row ``i`` of lattice ``b``.

    ``thr`` has 5 uint64 entries indexed by ``(s * h + 4) // 2`` where ``h`` is the sum of
    the four neighbours (Delta E = 2 s h): moves with Delta E < 0 are always accepted
    without drawing, entry 2 (Delta E = 0) holds 2^31 and entries 3 and 4 hold
    floor(exp(-4/T) 2^32) and floor(exp(-8/T) 2^32).
    """
    row = spins[b, i]
    up = spins[b, i - 1 if i > 0 else L - 1]
    down = spins[b, i + 1 if i < L - 1 else 0]
    j = (i + colour) & 1
    have = False
    spare = np.uint64(0)
    while j < L:
        jl = j - 1 if j > 0 else L - 1
        jr = j + 1 if j < L - 1 else 0
        s = row[j]
        x = s * (up[j] + down[j] + row[jl] + row[jr])  # s * h, in {-4, -2, 0, 2, 4}
        if x >= 0:
            u, state, spare, have = _uniform32(state, spare, have)
            if u < thr[(x + 4) >> 1]:
                row[j] = -s
        else:  # Delta E < 0: always accepted
            row[j] = -s
        j += 2
    return state


@nb.njit(parallel=True, cache=True)
def metropolis_rows(spins, thresholds, key, n_sweeps):
    """Checkerboard sweeps, parallel over (lattice, row) pairs; needs even L.

    Args:
        spins: int8 (batch, L, L), updated in place.
        thresholds: uint64 (batch, 5) acceptance thresholds per lattice.
        key: uint64 stream key.
        n_sweeps: number of sweeps (each = both colours once).
    """
    batch, L, _ = spins.shape
    n_rows = batch * L
    for sweep in range(n_sweeps):
        for colour in range(2):
            base = np.uint64((sweep * 2 + colour) * n_rows)
            for r in nb.prange(n_rows):
                b = r // L
                i = r - b * L
                state = _stream_start(key, base + np.uint64(r))
                _metropolis_row(spins, b, i, L, colour, thresholds[b], state)


@nb.njit(parallel=True, cache=True)
def metropolis_lattices(spins, thresholds, key, n_sweeps):
    """Checkerboard sweeps, parallel over lattices only, rows in order (any L, odd too).

    For odd L same-coloured sites can be neighbours through the boundary, so the rows of a
    lattice are visited sequentially; every site update is then an exact Metropolis step.
    Uses the same streams as :func:`metropolis_rows`, so both give identical results for
    even L.
    """
    batch, L, _ = spins.shape
    n_rows = batch * L
    for b in nb.prange(batch):
        for sweep in range(n_sweeps):
            for colour in range(2):
                base = np.uint64((sweep * 2 + colour) * n_rows)
                for i in range(L):
                    state = _stream_start(key, base + np.uint64(b * L + i))
                    _metropolis_row(spins, b, i, L, colour, thresholds[b], state)


@nb.njit(cache=True)
def _wolff_lattice(lat, L, p_thr, state, n_steps, stack):
    """Wolff single-cluster updates on one flattened lattice ``lat`` (int8, L*L).

    Performs exactly ``n_steps`` cluster flips (a number fixed in advance: a stopping rule
    that depends on the cluster sizes would bias the final state). Returns the generator
    state. Spins are flipped when pushed, so no visited mask is needed.
    """
    N = L * L
    n_n = np.uint64(N)
    have = False
    spare = np.uint64(0)
    for _ in range(n_steps):
        state += _GOLDEN
        r = _mix64(state)
        seed_site = np.int64(((r >> _S32) * n_n) >> _S32)
        s0 = lat[seed_site]
        lat[seed_site] = -s0
        stack[0] = seed_site
        top = 1
        while top > 0:
            top -= 1
            site = stack[top]
            i = site // L
            j = site - i * L
            for k in range(4):
                if k == 0:
                    nbr = site - L if i > 0 else site + N - L
                elif k == 1:
                    nbr = site + L if i < L - 1 else site - N + L
                elif k == 2:
                    nbr = site - 1 if j > 0 else site + L - 1
                else:
                    nbr = site + 1 if j < L - 1 else site - L + 1
                if lat[nbr] == s0:
                    u, state, spare, have = _uniform32(state, spare, have)
                    if u < p_thr:
                        lat[nbr] = -s0
                        stack[top] = nbr
                        top += 1
    return state


@nb.njit(parallel=True, cache=True)
def wolff_batch(spins, p_thresholds, key, n_steps):
    """Wolff updates, parallel over lattices; one generator stream per lattice.

    Args:
        spins: int8 (batch, L, L), C-contiguous, updated in place.
        p_thresholds: uint64 (batch,), floor((1 - exp(-2/T)) 2^32).
        key: uint64 stream key.
        n_steps: clusters per lattice.
    """
    batch, L, _ = spins.shape
    N = L * L
    for b in nb.prange(batch):
        lat = spins[b].reshape(N)
        stack = np.empty(N, dtype=np.int32)
        state = _stream_start(key, np.uint64(b))
        _wolff_lattice(lat, L, p_thresholds[b], state, n_steps, stack)
