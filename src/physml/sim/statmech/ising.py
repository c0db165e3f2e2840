"""The 2D Ising model: Monte Carlo samplers, observables and exact references.

Conventions (used throughout this module): square lattice L x L with periodic boundaries,
H = -J sum_<ij> s_i s_j over nearest-neighbour pairs with J = 1 and k_B = 1, so energies
and temperatures are in units of J. Spins are int8 +-1; a batch of lattices is an array of
shape (batch, L, L), C-contiguous. "Per spin" means divided by N = L^2. For L = 2 every
pair is joined by two bonds (left and right neighbour coincide), which the energy and the
exact references count consistently.

Randomness: every random function takes ``seed``, an int or a ``numpy.random.Generator``.
The same int gives the same numbers, whatever the number of numba threads; passing one
Generator to successive calls gives fresh streams each time.

References:
    L. Onsager, Phys. Rev. 65, 117 (1944); C. N. Yang, Phys. Rev. 85, 808 (1952);
    B. Kaufman, Phys. Rev. 76, 1232 (1949); P. D. Beale, Phys. Rev. Lett. 76, 78 (1996);
    U. Wolff, Phys. Rev. Lett. 62, 361 (1989).

Example:
    >>> from physml.sim.statmech import ising
    >>> x = ising.sample(16, 2.0, 8, seed=0)
    >>> x.shape, x.dtype
    ((8, 16, 16), dtype('int8'))
    >>> round(float(ising.onsager_magnetization(2.0)), 4)
    0.9113
"""

from __future__ import annotations

import math

import numpy as np

from physml.checks import check_choice, check_int, check_real, is_int
from physml.sim.statmech.ising_exact import (
    critical_temperature,
    exact_energy,
    exact_log_partition_function,
    exact_specific_heat,
    onsager_energy,
    onsager_magnetization,
)

__all__ = [
    "VERSION",
    "abs_magnetization",
    "binder_cumulant",
    "critical_temperature",
    "energy",
    "enumerate_exact",
    "exact_energy",
    "exact_log_partition_function",
    "exact_specific_heat",
    "magnetization",
    "metropolis",
    "onsager_energy",
    "onsager_magnetization",
    "sample",
    "specific_heat",
    "susceptibility",
    "wolff",
]

#: Version of the simulator's output for a given seed; bump it whenever a change alters
#: the numbers ``sample`` returns, so cached data from the old version is not reused.
VERSION = "3"

_ALGORITHMS = ("auto", "metropolis", "wolff")
_TWO32 = 2.0**32
# Below this multiple of T_c "auto" uses Wolff; above it the correlation length is under
# ~3.5 lattice spacings and single-spin Metropolis decorrelates in a few sweeps.
_AUTO_WOLFF_BELOW = 1.25
# Dynamic exponents used for the default sweep counts (Metropolis z ~ 2.17; Wolff, counted
# in sweep-equivalents, z ~ 0.25).
_Z_METROPOLIS = 2.17
_Z_WOLFF = 0.25
_DRAWS_PER_CHAIN = 16  # samples per chain when ``n_between`` is given


# --------------------------------------------------------------------------- validation


def _kernels():
    """Import the numba kernels lazily, so importing this module compiles nothing."""
    from physml.sim.statmech import _ising_kernels

    return _ising_kernels


def _multispin():
    """Import the multispin (64 replicas per uint64) kernels lazily."""
    from physml.sim.statmech import _ising_multispin

    return _ising_multispin


def _check_spins(spins) -> np.ndarray:
    if not isinstance(spins, np.ndarray) or spins.dtype != np.int8:
        raise TypeError(
            f"spins must be a numpy int8 array of shape (batch, L, L), got "
            f"{type(spins).__name__} of dtype {getattr(spins, 'dtype', None)}"
        )
    if spins.ndim != 3 or spins.shape[1] != spins.shape[2] or spins.shape[1] < 2:
        raise ValueError(f"spins has shape {spins.shape}: expected (batch, L, L) with L >= 2")
    return spins


def _check_spins_inplace(spins) -> np.ndarray:
    spins = _check_spins(spins)
    if not spins.flags.c_contiguous or not spins.flags.writeable:
        raise ValueError(
            "spins must be a writeable C-contiguous array (it is updated in place); "
            "pass np.ascontiguousarray(spins)"
        )
    return spins


def _temperatures(temperature, batch: int) -> np.ndarray:
    """Float64 (batch,) temperatures from a scalar or an array of shape (batch,)."""
    t = np.asarray(temperature, dtype=np.float64)
    if t.ndim == 0:
        t = np.full(batch, float(t))
    elif t.shape != (batch,):
        raise ValueError(f"temperature has shape {t.shape}: expected a scalar or shape ({batch},)")
    if not np.all(np.isfinite(t) & (t > 0)):
        raise ValueError(f"temperature={temperature!r} is not allowed: all must be finite and > 0")
    return t


def _stream_key(seed) -> np.uint64:
    """A 64-bit key for the counter-based kernel streams, from an int or a Generator."""
    if not (is_int(seed) or isinstance(seed, np.random.Generator)):
        raise TypeError(f"seed must be an int or a numpy.random.Generator, got {seed!r}")
    rng = np.random.default_rng(seed)
    return np.uint64(rng.integers(0, 2**64, dtype=np.uint64))


def _threshold(p: np.ndarray) -> np.ndarray:
    """floor(p * 2^32) as uint64: accept a 32-bit uniform u when u < threshold."""
    return np.floor(np.clip(p, 0.0, 1.0) * _TWO32).astype(np.uint64)


# --------------------------------------------------------------------------- Monte Carlo


def metropolis(
    spins: np.ndarray, temperature, n_sweeps: int, seed, *, multispin: bool | None = None
) -> np.ndarray:
    """Checkerboard single-spin-flip Metropolis sweeps, in place.

    One sweep updates all sites of one checkerboard colour, then the other. The two
    positive energy changes (Delta E = 4, 8) are accepted with exp(-Delta E / T), truncated
    to 32 bits (floor(p 2^32) / 2^32, within 2^-32 of p). Moves with Delta E = 0 are
    accepted with probability 1/2 rather than 1 (still detailed balance): with a
    deterministic sweep order and acceptance 1, zero-field configurations cycle
    deterministically and the chain is not ergodic (on a 2 x 2 lattice a quarter of random
    starts never equilibrate; on larger lattices e.g. width-2 diagonal stripes are
    trapped). Each step is an exact Metropolis update, so the Boltzmann distribution is
    stationary.

    Two kernels implement this rule. The multispin kernel packs 64 lattices into one
    uint64 per site and updates them with bitwise logic, each lattice with its own random
    bits (never shared between lattices, so replicas stay independent); it is ~10x faster
    per flip attempt and needs even L and groups of 64 consecutive lattices at one
    temperature. The scalar kernel updates int8 lattices (rows or lattices in parallel; for
    odd L, where same-coloured sites meet across the boundary, lattices in parallel with
    rows in order). Both draw from counter-based streams named by (sweep, colour, lattice
    or group of 64 among those the kernel updates, row), and the multispin streams under
    a salted key, so results do not depend on the number of threads or on which loop is
    parallel; the two kernels give different (equally valid) trajectories for one seed.

    Args:
        spins: int8 +-1, shape (batch, L, L), C-contiguous; updated in place.
        temperature: float, or array of shape (batch,), one temperature per lattice (units
            of J).
        n_sweeps: number of sweeps (>= 0).
        seed: int or ``numpy.random.Generator``. The same int reproduces the same
            trajectory; reuse a Generator across calls for fresh random numbers.
        multispin: ``None`` (default) uses the multispin kernel for every group of 64
            consecutive lattices ``spins[64 g : 64 g + 64]`` that share one temperature
            when L is even, and the scalar kernel for the other lattices (the remainder
            ``batch % 64`` included). ``True`` requires this for all full groups (raises
            ``ValueError`` for odd L, batch < 64 or a group with mixed temperatures);
            ``False`` uses the scalar kernel only.

    Returns:
        ``spins`` itself (same object), after the sweeps.
    """
    spins = _check_spins_inplace(spins)
    n_sweeps = check_int("n_sweeps", n_sweeps, minimum=0)
    t = _temperatures(temperature, spins.shape[0])
    key = _stream_key(seed)
    if multispin not in (None, True, False):
        raise ValueError(f"multispin={multispin!r} is not allowed: expected None, True or False")
    groups = _multispin_groups(spins, t, multispin)
    if n_sweeps == 0 or spins.shape[0] == 0:
        return spins
    batch = spins.shape[0]
    scalar = np.ones(batch, dtype=bool)
    if len(groups):
        _metropolis_multispin(spins, t, n_sweeps, key, groups)
        scalar[: 64 * (batch // 64)].reshape(-1, 64)[groups] = False
    if scalar.all():
        _metropolis_scalar(spins, t, n_sweeps, key)
    elif scalar.any():
        idx = np.flatnonzero(scalar)
        if idx[-1] - idx[0] + 1 == len(idx):  # contiguous (usually the remainder): a view
            _metropolis_scalar(spins[idx[0] : idx[-1] + 1], t[idx], n_sweeps, key)
        else:
            part = spins[idx]
            _metropolis_scalar(part, t[idx], n_sweeps, key)
            spins[idx] = part
    return spins


def _multispin_groups(spins: np.ndarray, t: np.ndarray, multispin: bool | None) -> np.ndarray:
    """Indices g of the groups spins[64 g : 64 g + 64] the multispin kernel will update."""
    batch, L = spins.shape[0], spins.shape[1]
    n_groups = batch // 64
    if multispin is False or (multispin is None and (L % 2 or n_groups == 0)):
        return np.empty(0, dtype=np.int64)
    if multispin and (L % 2 or n_groups == 0):
        raise ValueError(
            f"multispin=True is not allowed for spins of shape {spins.shape}: it needs even L "
            "and batch >= 64"
        )
    tg = t[: 64 * n_groups].reshape(n_groups, 64)
    uniform = np.all(tg == tg[:, :1], axis=1)
    if multispin and not uniform.all():
        raise ValueError(
            "multispin=True is not allowed: lattices 64 g .. 64 g + 63 must share one "
            f"temperature, but groups {np.flatnonzero(~uniform).tolist()} do not"
        )
    return np.flatnonzero(uniform)


def _num_threads() -> int:
    import numba

    return numba.get_num_threads()


def _metropolis_multispin(spins, t, n_sweeps: int, key, groups: np.ndarray) -> None:
    """Multispin sweeps on the groups of 64 lattices ``groups`` (packing is internal)."""
    ms = _multispin()
    L = spins.shape[1]
    tg = t[64 * groups]
    bits4 = ms.threshold_bits(_threshold(np.exp(-4.0 / tg)))
    bits8 = ms.threshold_bits(_threshold(np.exp(-8.0 / tg)))
    key_ms = np.uint64(key ^ ms.KEY_SALT)
    if np.array_equal(groups, np.arange(len(groups))):  # leading groups: a view, no copy
        view = spins[: 64 * len(groups)]
    else:
        view = None
    full = spins[: 64 * (spins.shape[0] // 64)].reshape(-1, 64, L, L)
    sub = view if view is not None else full[groups].reshape(-1, L, L)
    packed = np.empty((len(groups), L, L), dtype=np.uint64)
    ms.pack(sub, packed)
    # same streams either way: parallel over groups when there are enough of them (no
    # launch per half-sweep), else over rows
    if len(groups) >= 4 * _num_threads():
        ms.metropolis_groups(packed, bits4, bits8, key_ms, n_sweeps)
    else:
        ms.metropolis_packed(packed, bits4, bits8, key_ms, n_sweeps)
    ms.unpack(packed, sub)
    if view is None:
        full[groups] = sub.reshape(-1, 64, L, L)


def _metropolis_scalar(spins, t, n_sweeps: int, key) -> None:
    """The int8 kernel (one lattice at a time) on C-contiguous ``spins``."""
    thr = np.full((spins.shape[0], 5), 2**32, dtype=np.uint64)
    thr[:, 2] = 2**31  # Delta E = 0: accept with 1/2, see metropolis
    thr[:, 3] = _threshold(np.exp(-4.0 / t))
    thr[:, 4] = _threshold(np.exp(-8.0 / t))
    k = _kernels()
    # identical results either way for even L; parallel over lattices avoids a parallel
    # launch per half-sweep when there are enough lattices to share out
    if spins.shape[1] % 2 == 0 and spins.shape[0] < 4 * _num_threads():
        k.metropolis_rows(spins, thr, key, n_sweeps)
    else:
        k.metropolis_lattices(spins, thr, key, n_sweeps)


def _wolff(spins, temperature, n_steps: int, key) -> np.ndarray:
    t = _temperatures(temperature, spins.shape[0])
    p_thr = _threshold(-np.expm1(-2.0 / t))
    _kernels().wolff_batch(spins, p_thr, key, n_steps)
    return spins


def wolff(spins: np.ndarray, temperature, n_steps: int, seed) -> np.ndarray:
    """Wolff single-cluster updates, in place, independently on each lattice.

    Each step grows one cluster from a uniformly chosen seed site, adding aligned
    neighbours with probability p = 1 - exp(-2/T), and flips it (Wolff 1989). Lattices run
    in parallel, one random stream per lattice.

    Args:
        spins: int8 +-1, shape (batch, L, L), C-contiguous; updated in place.
        temperature: float, or array of shape (batch,).
        n_steps: number of cluster flips per lattice (>= 0).
        seed: int or ``numpy.random.Generator``.

    Returns:
        ``spins`` itself (same object).
    """
    spins = _check_spins_inplace(spins)
    n_steps = check_int("n_steps", n_steps, minimum=0)
    key = _stream_key(seed)
    if n_steps == 0 or spins.shape[0] == 0:
        return spins
    return _wolff(spins, temperature, n_steps, key)


def _correlation_length(temperature: float) -> float:
    """Exponential correlation length of the infinite lattice along an axis (lattice units).

    1/xi = |2K + ln tanh K| with K = 1/T: exact above T_c (Onsager); below T_c it is the
    dual expression, up to a factor 2 -- good enough for choosing sweep counts.
    """
    k = 1.0 / temperature
    inv = abs(2.0 * k + math.log(math.tanh(k)))
    return math.inf if inv == 0.0 else 1.0 / inv


def _mean_cluster_size(L: int, temperature: float) -> float:
    """Rough mean Wolff cluster size <|C|> = N <m^2>, from physics, not from the chain.

    N m_0(T)^2 (Yang) plus the fluctuation part chi T ~ min(xi, L)^(7/4) (gamma/nu = 7/4),
    between 1 and N. Used only to turn sweep-equivalents into a fixed number of clusters:
    the number of cluster steps must not depend on the chain's own history, since
    stopping once a number of spins has been flipped would bias towards the large last
    cluster (an ordered state).
    """
    n = L * L
    xi = min(_correlation_length(temperature), float(L))
    m0 = float(onsager_magnetization(temperature))
    return min(float(n), max(1.0, n * m0 * m0 + xi**1.75))


def _default_sweeps(L: int, temperature: float, algorithm: str) -> int:
    """Equilibration length (sweeps or Wolff sweep-equivalents): ~20 tau + 40.

    tau ~ xi_eff^z with xi_eff = min(xi(T), L): finite size caps critical slowing down.
    """
    xi = min(_correlation_length(temperature), float(L))
    z = _Z_METROPOLIS if algorithm == "metropolis" else _Z_WOLFF
    tau = max(1.0, xi**z)
    return math.ceil(20.0 * tau) + 40


def sample(
    L: int,
    temperature: float,
    n_samples: int,
    seed,
    *,
    algorithm: str = "auto",
    n_equilibrate: int | None = None,
    n_between: int | None = None,
) -> np.ndarray:
    """Equilibrium configurations of the L x L Ising model at one temperature.

    By default each sample is the last state of its own chain (samples are exactly
    independent). Chains start ordered (all +1) below T_c and for Wolff at any T (a
    hot start above but near T_c grows clusters too slowly for the fixed step count), and
    random for Metropolis above T_c; they are evolved for ``n_equilibrate`` sweeps, and
    each finished sample gets a random global sign (an exact move, since H is invariant
    under s -> -s), so <m> = 0 at every T.

    Algorithms: ``"metropolis"`` counts sweeps; ``"wolff"`` counts sweep-equivalents
    (n * L^2 / <|C|> cluster flips, with the mean cluster size <|C|> estimated from the
    exact m_0(T) and correlation length, so the step count is fixed in advance);
    ``"auto"`` uses Wolff below 1.25 T_c, where critical slowing down and the ordered
    phase make single-spin flips slow, and Metropolis above, where the correlation length
    is a few lattice spacings.

    Metropolis chains run 64 to a uint64 word (multispin coding, see :func:`metropolis`)
    when L is even, with the remainder ``n_chains % 64`` on the scalar kernel.

    The default ``n_equilibrate`` is 20 tau + 40 with tau = min(xi(T), L)^z, xi the exact
    correlation length of the infinite lattice and z = 2.17 (Metropolis) or 0.25 (Wolff).

    Args:
        L: linear size, an int >= 2.
        temperature: T > 0 in units of J.
        n_samples: number of configurations, >= 1.
        seed: int or ``numpy.random.Generator``.
        algorithm: ``"auto"``, ``"metropolis"`` or ``"wolff"``.
        n_equilibrate: sweeps (or sweep-equivalents) before the first sample of a chain.
        n_between: if given, samples come from ceil(n_samples / 16) chains, taking 16
            draws per chain ``n_between`` sweeps apart (cheaper, correlated by about
            exp(-n_between / tau)); if None every sample has its own chain.

    Returns:
        int8 array of shape (n_samples, L, L).

    Raises:
        ValueError: naming the argument, the value and what is allowed.
    """
    L = check_int("L", L, minimum=2)
    temperature = check_real("temperature", temperature, positive=True)
    n_samples = check_int("n_samples", n_samples, minimum=1)
    algorithm = check_choice("algorithm", algorithm, _ALGORITHMS)
    if n_equilibrate is not None:
        n_equilibrate = check_int("n_equilibrate", n_equilibrate, minimum=0)
    if n_between is not None:
        n_between = check_int("n_between", n_between, minimum=1)
    if not (is_int(seed) or isinstance(seed, np.random.Generator)):
        raise TypeError(f"seed must be an int or a numpy.random.Generator, got {seed!r}")

    tc = critical_temperature()
    if algorithm == "auto":
        algorithm = "wolff" if temperature < _AUTO_WOLFF_BELOW * tc else "metropolis"
    if n_equilibrate is None:
        n_equilibrate = _default_sweeps(L, temperature, algorithm)

    rng = np.random.default_rng(seed)
    n_chains = n_samples if n_between is None else -(-n_samples // _DRAWS_PER_CHAIN)
    if temperature < tc or algorithm == "wolff":
        chains = np.ones((n_chains, L, L), dtype=np.int8)
    else:
        chains = rng.integers(0, 2, size=(n_chains, L, L), dtype=np.int8)
        chains *= 2
        chains -= 1

    def evolve(n: int) -> None:
        key = _stream_key(rng)
        if n == 0:
            return
        if algorithm == "metropolis":
            metropolis(chains, temperature, n, key)
        else:
            steps = math.ceil(n * L * L / _mean_cluster_size(L, temperature))
            _wolff(chains, temperature, steps, key)

    evolve(n_equilibrate)
    if n_between is None:
        out = chains
    else:
        out = np.empty((n_samples, L, L), dtype=np.int8)
        pos = 0
        while True:
            take = min(n_chains, n_samples - pos)
            out[pos : pos + take] = chains[:take]
            pos += take
            if pos >= n_samples:
                break
            evolve(n_between)
    flip = rng.integers(0, 2, size=n_samples).astype(bool)
    np.negative(out, out=out, where=flip[:, None, None])
    return out


# --------------------------------------------------------------------------- observables


def _bond_sum(spins: np.ndarray) -> np.ndarray:
    """sum_<ij> s_i s_j per lattice (int64, shape (batch,)), without wide temporaries."""
    spins = _check_spins(spins)
    out = np.zeros(spins.shape[0], dtype=np.int64)
    out += (spins * np.roll(spins, -1, axis=2)).sum(axis=(1, 2), dtype=np.int64)
    out += (spins * np.roll(spins, -1, axis=1)).sum(axis=(1, 2), dtype=np.int64)
    return out


def energy(spins: np.ndarray) -> np.ndarray:
    """Energy per spin e = H / N of each configuration; float64 of shape (batch,)."""
    spins = _check_spins(spins)
    return -_bond_sum(spins) / (spins.shape[1] * spins.shape[2])


def magnetization(spins: np.ndarray) -> np.ndarray:
    """Signed magnetization per spin m = sum_i s_i / N; float64 of shape (batch,)."""
    spins = _check_spins(spins)
    return spins.sum(axis=(1, 2), dtype=np.int64) / (spins.shape[1] * spins.shape[2])


def abs_magnetization(spins: np.ndarray) -> np.ndarray:
    """|m| per configuration; float64 of shape (batch,)."""
    return np.abs(magnetization(spins))


def susceptibility(spins: np.ndarray, temperature: float) -> float:
    """Susceptibility per spin from |m| fluctuations, chi = N (<m^2> - <|m|>^2) / T.

    Uses |m| (the finite-lattice convention that stays finite below T_c, where <m> = 0 by
    symmetry); the batch is taken as an equilibrium ensemble at ``temperature``.
    """
    t = check_real("temperature", temperature, positive=True)
    m = abs_magnetization(spins)
    n = spins.shape[1] * spins.shape[2]
    return float(n * (np.mean(m * m) - np.mean(m) ** 2) / t)


def specific_heat(spins: np.ndarray, temperature: float) -> float:
    """Specific heat per spin from energy fluctuations, c = N (<e^2> - <e>^2) / T^2."""
    t = check_real("temperature", temperature, positive=True)
    e = energy(spins)
    n = spins.shape[1] * spins.shape[2]
    return float(n * np.var(e) / t**2)


def binder_cumulant(spins: np.ndarray) -> float:
    """Binder cumulant U = 1 - <m^4> / (3 <m^2>^2) over the batch (2/3 ordered, 0 at T=inf)."""
    m2 = magnetization(spins) ** 2
    return float(1.0 - np.mean(m2 * m2) / (3.0 * np.mean(m2) ** 2))


# --------------------------------------------------------------------------- enumeration


def _all_configurations(L: int) -> np.ndarray:
    """All 2^(L^2) configurations as int8 (2^N, L, L), state index = bits (site 0 = LSB)."""
    n = L * L
    idx = np.arange(2**n, dtype=np.int64)
    bits = ((idx[:, None] >> np.arange(n)) & 1).astype(np.int8)
    return (2 * bits - 1).reshape(-1, L, L)


def enumerate_exact(L: int, temperature: float) -> dict[str, float]:
    """Exact thermal averages by summing over all 2^(L^2) states (L <= 4).

    Returns:
        dict with per-spin ``energy`` <e>, ``abs_magnetization`` <|m|>, ``m2`` <m^2>,
        ``m4`` <m^4>, ``specific_heat`` N (<e^2> - <e>^2) / T^2 and
        ``log_partition_function`` ln Z.
    """
    from scipy.special import logsumexp

    L = check_int("L", L, minimum=2)
    if L > 4:
        raise ValueError(f"L={L} is not allowed: enumeration needs L <= 4 (2^(L^2) states)")
    t = check_real("temperature", temperature, positive=True)
    configs = _all_configurations(L)
    n = L * L
    e = energy(configs)
    m = magnetization(configs)
    logw = -n * e / t
    logz = logsumexp(logw)
    p = np.exp(logw - logz)
    mean_e = float(p @ e)
    return {
        "energy": mean_e,
        "abs_magnetization": float(p @ np.abs(m)),
        "m2": float(p @ m**2),
        "m4": float(p @ m**4),
        "specific_heat": float(n * (p @ (e - mean_e) ** 2) / t**2),
        "log_partition_function": float(logz),
    }
