"""Multispin-coded checkerboard Metropolis for :mod:`physml.sim.statmech.ising` (private kernels).

Layout: 64 independent replicas (lattices) share one ``uint64`` word per site. Lattice
``64 g + r`` of an int8 batch (64 k, L, L) is bit ``r`` of ``packed[g]``, packed of shape
(k, L, L); a set bit means spin -1, a clear bit spin +1 (so the all-up state is all zeros).
Periodic boundaries, J = 1, conventions as in :mod:`physml.sim.statmech.ising`.

Update rule, per bit (replica) and site, exactly the rule of the scalar kernel: with n the
number of anti-aligned neighbours (from a bit-sliced adder of ``s ^ neighbour``),
Delta E = 8 - 4 n; n >= 3 (Delta E < 0) flips, n = 2 (Delta E = 0) flips with probability
1/2 (one random word), n = 1 and n = 0 flip with p4 = exp(-4/T) and p8 = exp(-8/T).

Bernoulli masks: for the lanes with n <= 1 a uniform U in [0, 1) per lane is compared
with that lane's threshold (p4 or p8 truncated to 32 bits, ``floor(p 2^32) / 2^32``, the
same numbers as the scalar kernel) bit-serially from the most significant bit: each random
word supplies the next bit of U for all 64 lanes; a lane is decided at the first bit where
U and the threshold differ (accept when U's bit is 0 and the threshold's is 1). The loop
stops as soon as every lane that needs a decision has one (about log2(lanes) + 2 words
on average, not 32), and after 32 words undecided lanes are rejected, which is exactly
``U < floor(p 2^32) / 2^32``. So every lane flips with probability floor(p 2^32) / 2^32,
within 2^-32 below p (the bias bound), using its own bits only: different replicas never
share a random decision. Stopping early is exact too: a lane's outcome is a function of
its own bit sequence that is settled before the stop, and the next site draws fresh words.

Random words come from SplitMix64 streams named by (sweep, colour, group, row), started as
in :mod:`physml.sim.statmech._ising_kernels` (under a key derived from the call's key, so they
differ from the scalar kernel's streams); streams belong to rows, not threads, so the
result does not depend on the number of threads. Rows are updated in parallel, which needs
even L (then same-coloured sites are never neighbours).
"""

from __future__ import annotations

import numba as nb
import numpy as np

from physml.sim.statmech._ising_kernels import _GOLDEN, _mix64, _stream_start

__all__ = ["N_BITS", "metropolis_groups", "metropolis_packed", "pack", "threshold_bits", "unpack"]

#: Bits of the acceptance thresholds (bias of the Bernoulli masks <= 2^-N_BITS).
N_BITS = 32
#: XORed into the call's stream key, so multispin streams differ from the scalar ones.
KEY_SALT = np.uint64(0xD1B54A32D192ED03)
_ONE = np.uint64(1)
_ALL = np.uint64(0xFFFFFFFFFFFFFFFF)


@nb.njit(parallel=True, cache=True)
def pack(spins, packed):
    """int8 +-1 spins (64 k, L, L) -> uint64 (k, L, L); bit r of group g = lattice 64 g + r.

    A set bit means spin -1.
    """
    k, L, _ = packed.shape
    for gi in nb.prange(k * L):
        g = gi // L
        i = gi - g * L
        out = packed[g, i]
        out[:] = 0
        for r in range(64):
            src = spins[64 * g + r, i]
            sh = np.uint64(r)
            for j in range(L):
                out[j] |= np.uint64((src[j] >> 1) & 1) << sh


@nb.njit(parallel=True, cache=True)
def unpack(packed, spins):
    """Inverse of :func:`pack`: uint64 (k, L, L) -> int8 +-1 spins (64 k, L, L), in place."""
    k, L, _ = packed.shape
    for gi in nb.prange(k * L):
        g = gi // L
        i = gi - g * L
        src = packed[g, i]
        for r in range(64):
            dst = spins[64 * g + r, i]
            sh = np.uint64(r)
            for j in range(L):
                dst[j] = np.int8(1 - 2 * np.int64((src[j] >> sh) & _ONE))


def threshold_bits(thresholds: np.ndarray) -> np.ndarray:
    """Per-bit masks of 32-bit thresholds: uint64 (..., 32), all-ones where the bit is set.

    Entry ``[..., b]`` is bit ``31 - b`` of the threshold (most significant first).
    """
    t = np.asarray(thresholds, dtype=np.uint64)[..., None]
    shifts = np.arange(N_BITS - 1, -1, -1, dtype=np.uint64)
    bits = (t >> shifts) & np.uint64(1)
    return (np.uint64(0) - bits).astype(np.uint64)


@nb.njit(inline="always", cache=True)
def _update_row(w, g, i, L, colour, bits4, bits8, state):
    """Multispin Metropolis on the sites of one colour in row ``i`` of group ``g``."""
    row = w[g, i]
    up = w[g, i - 1 if i > 0 else L - 1]
    down = w[g, i + 1 if i < L - 1 else 0]
    j = (i + colour) & 1
    while j < L:
        jl = j - 1 if j > 0 else L - 1
        jr = j + 1 if j < L - 1 else 0
        s = row[j]
        a1 = s ^ up[j]
        a2 = s ^ down[j]
        a3 = s ^ row[jl]
        a4 = s ^ row[jr]
        # bit-sliced n = a1 + a2 + a3 + a4 = low + 2 mid + 4 high
        x1 = a1 ^ a2
        c1 = a1 & a2
        x2 = a3 ^ a4
        c2 = a3 & a4
        low = x1 ^ x2
        carry = x1 & x2
        mid = c1 ^ c2 ^ carry
        high = c1 & c2
        flip = high | (mid & low)  # n >= 3: Delta E < 0
        eq2 = mid & ~low  # Delta E = 0
        eq1 = low & ~mid  # Delta E = 4
        eq0 = ~(low | mid | high)  # Delta E = 8
        if eq2:
            state += _GOLDEN
            flip |= eq2 & _mix64(state)
        und = eq1 | eq0
        b = 0
        while und and b < N_BITS:
            state += _GOLDEN
            r = _mix64(state)
            tb = (eq1 & bits4[b]) | (eq0 & bits8[b])
            flip |= und & tb & ~r
            und &= ~(r ^ tb)
            b += 1
        row[j] = s ^ flip
        j += 2
    return state


@nb.njit(parallel=True, cache=True)
def metropolis_packed(packed, bits4, bits8, key, n_sweeps):
    """Checkerboard sweeps on packed replicas, parallel over (group, row); needs even L.

    Args:
        packed: uint64 (k, L, L), updated in place.
        bits4, bits8: uint64 (k, 32) threshold bit masks (:func:`threshold_bits`) of
            floor(exp(-4/T) 2^32) and floor(exp(-8/T) 2^32) per group.
        key: uint64 stream key (already salted).
        n_sweeps: number of sweeps (each = both colours once).
    """
    k, L, _ = packed.shape
    n_rows = k * L
    for sweep in range(n_sweeps):
        for colour in range(2):
            base = np.uint64((sweep * 2 + colour) * n_rows)
            for r in nb.prange(n_rows):
                g = r // L
                i = r - g * L
                state = _stream_start(key, base + np.uint64(r))
                _update_row(packed, g, i, L, colour, bits4[g], bits8[g], state)


@nb.njit(parallel=True, cache=True)
def metropolis_groups(packed, bits4, bits8, key, n_sweeps):
    """As :func:`metropolis_packed`, parallel over groups with sweeps and rows in order.

    Uses the same streams, so the result is identical; it avoids one parallel launch per
    half-sweep, which dominates for many small lattices (and for busy cores).
    """
    k, L, _ = packed.shape
    n_rows = k * L
    for g in nb.prange(k):
        for sweep in range(n_sweeps):
            for colour in range(2):
                base = np.uint64((sweep * 2 + colour) * n_rows)
                for i in range(L):
                    state = _stream_start(key, base + np.uint64(g * L + i))
                    _update_row(packed, g, i, L, colour, bits4[g], bits8[g], state)
