r"""High-level jet substructure observables: mass, N-subjettiness and energy correlators.

Conventions (used throughout this module): a batch of jets is three float arrays ``pt``
(GeV), ``eta`` and ``phi`` (radians) of shape (n_jets, width) and a bool ``mask`` of the
same shape, True for real constituents; masked entries are never read (they may hold
anything, NaN included). Constituents are massless. Angular distances are
:math:`\Delta R_{ij}^2 = \Delta\eta_{ij}^2 + \Delta\phi_{ij}^2` with :math:`\Delta\phi`
wrapped into [-pi, pi] (``phi`` may come in any range); pass rapidities as ``eta`` to use
rapidity distances. The jet's :math:`p_{T,J} = \sum_i p_{T,i}` is the *scalar* sum of the
constituents' pT and :math:`z_i = p_{T,i} / p_{T,J}`. Every function returns a float64
array of shape (n_jets,); a jet without constituents (or with zero total pT) gives 0, and
ratios give 0 where their denominator is 0 (a jet whose particles all sit at one point,
where the numerator vanishes too).

Observables:

* :func:`jet_mass`: :math:`m^2 = \sum_{i<j} 2 p_{T,i} p_{T,j} (\cosh\Delta\eta_{ij} -
  \cos\Delta\phi_{ij})`, exact for massless constituents, computed as
  :math:`4 \sum_{i<j} p_{T,i} p_{T,j} (\sinh^2(\Delta\eta/2) + \sin^2(\Delta\phi/2))`, a
  sum of non-negative terms (no cancellation at small angles; exactly 0 for one particle).
* :func:`n_subjettiness` (Thaler, Van Tilburg):
  :math:`\tau_N^{(\beta)} = \sum_i p_{T,i} \min_k \Delta R_{i,k}^\beta \,/\,
  \sum_i p_{T,i} R^\beta` with N axes from *exclusive kT* clustering of the constituents
  to exactly N objects: repeatedly merge the pair with the smallest
  :math:`d_{ij} = \min(p_{T,i}^2, p_{T,j}^2)\, \Delta R_{ij}^2` (never with the beam; this
  is FastJet's kT algorithm with R = 1000, as in the Nsubjettiness contrib's KT axes).
  Recombination (``axes``): ``"wta"`` (default, winner-take-all: the merged object has
  pT_i + pT_j and the direction of the harder one; recommended for beta = 1) or ``"pt"``
  (pT-weighted centroid in (eta, phi), the pt scheme). A jet with at most N constituents
  has tau_N = 0. Two-particle jets: :math:`\tau_1 = z_2 \Delta R_{12}^\beta / R^\beta`
  (WTA, particle 2 the softer) or :math:`(z_1 z_2^\beta + z_2 z_1^\beta)\,\Delta
  R_{12}^\beta / R^\beta` (pt scheme).
* :func:`ecf` (Larkoski, Salam, Thaler): normalised energy correlation functions
  :math:`e_1 = 1`, :math:`e_2^{(\beta)} = \sum_{i<j} z_i z_j \Delta R_{ij}^\beta`,
  :math:`e_3^{(\beta)} = \sum_{i<j<k} z_i z_j z_k \Delta R_{ij}^\beta \Delta R_{ik}^\beta
  \Delta R_{jk}^\beta`; for small angles :math:`e_2^{(2)} \approx m^2 / p_{T,J}^2`.
  :func:`c2` is :math:`e_3 / e_2^2` and :func:`d2` is :math:`e_3 / e_2^3`.

IRC safety (beta > 0). Constituents with pT = 0 carry no weight in any observable and are
dropped before anything is computed, so adding one changes nothing, bit for bit (in the
kT clustering it would have d = 0 and be merged first without moving its partner
anyway); "at most N constituents" counts those with pT > 0. Splitting a constituent into
two collinear ones (pT -> a pT, (1 - a) pT at the same angles) leaves every observable
unchanged up to rounding: in the ECFs the pair's own term has Delta R = 0 and every other
term is linear in each z, and in the clustering the pair has d = 0 and is merged first,
back into the original particle. All observables are invariant under permutations of the
constituents (up to exact ties in the clustering) and under phi -> phi + 2 pi k.

Cost: the hot loops are numba-compiled and loop over jets. Mass and e_2 are
O(width^2) per jet, e_3 is O(width^3 / 6) and the kT clustering is O(width^2) per jet
(FastJet's geometric nearest-neighbour bookkeeping: the smallest d_ij is always between
geometric nearest neighbours).

References:
    J. Thaler, K. Van Tilburg, "Identifying Boosted Objects with N-subjettiness",
    JHEP 03 (2011) 015, arXiv:1011.2268; "Maximizing Boosted Top Identification by
    Minimizing N-subjettiness", JHEP 02 (2012) 093, arXiv:1108.2701 (exclusive kT and
    minimised axes); A. J. Larkoski, G. P. Salam, J. Thaler, "Energy Correlation
    Functions for Jet Substructure", JHEP 06 (2013) 108, arXiv:1305.0007; A. J.
    Larkoski, I. Moult, D. Neill, "Power Counting to Better Jet Observables", JHEP 12
    (2014) 009, arXiv:1409.6298 (D2); A. J. Larkoski, D. Neill, J. Thaler, "Jet Shapes
    with the Broadening Axis", JHEP 04 (2014) 017, arXiv:1401.2158 (winner-take-all);
    M. Cacciari, G. P. Salam, "Dispelling the N^3 myth for the kt jet-finder", Phys.
    Lett. B 641 (2006) 57, arXiv:hep-ph/0512210.

Example:
    >>> import numpy as np
    >>> from physml.sim.collider import observables
    >>> pt = np.array([[300.0, 100.0, 0.0]])
    >>> eta = np.array([[0.0, 0.3, 0.0]])
    >>> phi = np.array([[0.0, 0.4, 0.0]])
    >>> mask = np.array([[True, True, False]])
    >>> float(observables.n_subjettiness(pt, eta, phi, mask, 1, radius=1.0)[0])  # z2 dR
    0.125
    >>> float(observables.n_subjettiness(pt, eta, phi, mask, 2, radius=1.0)[0])
    0.0
    >>> round(float(observables.ecf(pt, eta, phi, mask, 2, beta=1.0)[0]), 6)  # z1 z2 dR
    0.09375
"""

from __future__ import annotations

import math

import numba as nb
import numpy as np

from physml.checks import check_choice, check_int, check_real

__all__ = [
    "AXES",
    "c2",
    "d2",
    "ecf",
    "jet_mass",
    "n_subjettiness",
    "tau21",
    "tau32",
]

#: Recombination schemes of the exclusive-kT N-subjettiness axes.
AXES = ("wta", "pt")

_TWO_PI = 2.0 * math.pi


# --------------------------------------------------------------------------- validation


def _jets(pt, eta, phi, mask) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The batch as C-contiguous float64 arrays and a bool mask, checked."""
    arrays = []
    for name, x in (("pt", pt), ("eta", eta), ("phi", phi)):
        x = np.asarray(x)
        if not (np.issubdtype(x.dtype, np.floating) or np.issubdtype(x.dtype, np.integer)):
            raise ValueError(f"{name} has dtype {x.dtype}: expected real numbers")
        if x.ndim != 2:
            raise ValueError(f"{name} has shape {x.shape}: expected (n_jets, width)")
        arrays.append(np.ascontiguousarray(x, dtype=np.float64))
    pt, eta, phi = arrays
    if eta.shape != pt.shape or phi.shape != pt.shape:
        raise ValueError(
            f"pt, eta, phi have shapes {pt.shape}, {eta.shape}, {phi.shape}: expected one "
            "shape (n_jets, width)"
        )
    mask = np.asarray(mask)
    if mask.shape != pt.shape or mask.dtype != bool:
        raise ValueError(
            f"mask has shape {mask.shape}, dtype {mask.dtype}: expected bool {pt.shape}"
        )
    mask = np.ascontiguousarray(mask)
    real = (pt[mask], eta[mask], phi[mask])
    if not all(np.isfinite(x).all() for x in real):
        raise ValueError("pt, eta and phi must be finite where mask is True")
    if (real[0] < 0).any():
        raise ValueError("pt must be >= 0 where mask is True")
    return pt, eta, phi, mask


def _ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    """num / den, 0 where den == 0."""
    return np.divide(num, den, out=np.zeros_like(num), where=den > 0)


# --------------------------------------------------------------------------- kernels


@nb.njit(cache=True)
def _wrap(d):
    """An angle wrapped into [-pi, pi)."""
    return d - _TWO_PI * np.floor((d + np.pi) / _TWO_PI)


@nb.njit(cache=True)
def _dphi(phi_a, phi_b):
    """phi_a - phi_b wrapped into [-pi, pi), for phi_a, phi_b already in [-pi, pi)."""
    d = phi_a - phi_b
    if d >= np.pi:
        d -= _TWO_PI
    elif d < -np.pi:
        d += _TWO_PI
    return d


@nb.njit(cache=True)
def _dr2(eta_a, phi_a, eta_b, phi_b):
    de = eta_a - eta_b
    dp = _dphi(phi_a, phi_b)
    return de * de + dp * dp


@nb.njit(cache=True)
def _angle_power(dr2, half_beta):
    """Delta R^beta from Delta R^2 (no pow call for beta = 1, 2)."""
    if half_beta == 1.0:
        return dr2
    if half_beta == 0.5:
        return np.sqrt(dr2)
    return dr2**half_beta


@nb.njit(cache=True)
def _compact(pt, eta, phi, mask, jet, out_pt, out_eta, out_phi):
    """Copy the real constituents with pT > 0 of one jet to the front of the out arrays,
    phi wrapped into [-pi, pi); their count."""
    m = 0
    for i in range(pt.shape[1]):
        if mask[jet, i] and pt[jet, i] > 0.0:
            out_pt[m] = pt[jet, i]
            out_eta[m] = eta[jet, i]
            angle = phi[jet, i]
            out_phi[m] = angle if -np.pi <= angle < np.pi else _wrap(angle)
            m += 1
    return m


# reassoc only (vectorised sums): contracting x into an fma would break x = 0 for
# coincident particles
@nb.njit(cache=True, fastmath={"reassoc"})
def _mass2_kernel(pt, eta, phi, mask):
    """m^2 = 4 sum_{a<b} pT_a pT_b (sinh^2(d eta / 2) + sin^2(d phi / 2)), with
    sinh((x - y) / 2) = sinh(x/2) cosh(y/2) - cosh(x/2) sinh(y/2) and likewise for sin:
    each term is a sum of squares (>= 0) and exactly 0 for coincident particles."""
    n_jets, width = pt.shape
    out = np.zeros(n_jets)
    p = np.empty(width)
    e = np.empty(width)
    f = np.empty(width)
    sh = np.empty(width)
    ch = np.empty(width)
    sn = np.empty(width)
    cs = np.empty(width)
    for jet in range(n_jets):
        m = _compact(pt, eta, phi, mask, jet, p, e, f)
        for a in range(m):
            sh[a] = np.sinh(0.5 * e[a])
            ch[a] = np.cosh(0.5 * e[a])
            sn[a] = np.sin(0.5 * f[a])
            cs[a] = np.cos(0.5 * f[a])
        total = 0.0
        for a in range(m):
            acc = 0.0
            for b in range(a + 1, m):
                x = sh[a] * ch[b] - ch[a] * sh[b]
                y = sn[a] * cs[b] - cs[a] * sn[b]
                acc += p[b] * (x * x + y * y)
            total += p[a] * acc
        out[jet] = 4.0 * total
    return out


@nb.njit(cache=True, fastmath={"reassoc", "contract"})
def _ecf_kernel(pt, eta, phi, mask, beta, want_e3):
    """(e_2, e_3) of every jet; e_3 is left 0 unless want_e3."""
    n_jets, width = pt.shape
    e2 = np.zeros(n_jets)
    e3 = np.zeros(n_jets)
    z = np.empty(width)
    e = np.empty(width)
    f = np.empty(width)
    r = np.empty((width, width))
    zr = np.empty((width, width))  # zr[a, c] = z_c r_ac
    half = 0.5 * beta
    for jet in range(n_jets):
        m = _compact(pt, eta, phi, mask, jet, z, e, f)
        total = 0.0
        for a in range(m):
            total += z[a]
        if total <= 0.0:
            continue
        for a in range(m):
            z[a] /= total
        s2 = 0.0
        for a in range(m):
            r[a, a] = 0.0
            acc = 0.0
            for b in range(a + 1, m):
                d = _angle_power(_dr2(e[a], f[a], e[b], f[b]), half)
                r[a, b] = d
                r[b, a] = d
                acc += z[b] * d
            s2 += z[a] * acc
        e2[jet] = s2
        if want_e3:
            for a in range(m):
                for c in range(m):
                    zr[a, c] = z[c] * r[a, c]
            s3 = 0.0
            for a in range(m):
                for b in range(a + 1, m):
                    w = zr[a, b]
                    if w == 0.0:
                        continue
                    acc = 0.0
                    for c in range(b + 1, m):
                        acc += zr[a, c] * r[b, c]
                    s3 += z[a] * w * acc
            e3[jet] = s3
    return e2, e3


@nb.njit(cache=True)
def _nearest(k, alive, m, eta, phi):
    """Geometric nearest alive neighbour of object k and its Delta R^2 (-1, inf if none)."""
    best = np.inf
    arg = -1
    for q in range(m):
        if q != k and alive[q]:
            d = _dr2(eta[k], phi[k], eta[q], phi[q])
            if d < best:
                best = d
                arg = q
    return arg, best


@nb.njit(cache=True)
def _tau_kernel(pt, eta, phi, mask, ns, beta, radius, wta):
    """tau_N for every N in ns (distinct, decreasing) of every jet: (n_jets, len(ns))."""
    n_jets, width = pt.shape
    out = np.zeros((n_jets, ns.shape[0]))
    p = np.empty(width)
    e = np.empty(width)
    f = np.empty(width)
    op = np.empty(width)
    oe = np.empty(width)
    of = np.empty(width)
    alive = np.zeros(width, dtype=np.bool_)
    nn = np.empty(width, dtype=np.int64)
    nnd = np.empty(width)
    half = 0.5 * beta
    r_beta = radius**beta
    for jet in range(n_jets):
        m = _compact(pt, eta, phi, mask, jet, p, e, f)
        total = 0.0
        for a in range(m):
            total += p[a]
            op[a] = p[a]
            oe[a] = e[a]
            of[a] = f[a]
            alive[a] = True
        if total <= 0.0 or m <= ns[ns.shape[0] - 1]:
            continue
        for a in range(m):
            nn[a] = -1
            nnd[a] = np.inf
        for a in range(m):
            for q in range(a + 1, m):
                d = _dr2(oe[a], of[a], oe[q], of[q])
                if d < nnd[a]:
                    nn[a] = q
                    nnd[a] = d
                if d < nnd[q]:
                    nn[q] = a
                    nnd[q] = d
        n_alive = m
        for t in range(ns.shape[0]):
            target = ns[t]
            if m <= target:
                continue  # every constituent is its own axis: tau = 0
            while n_alive > target:
                # the smallest kT distance is between geometric nearest neighbours
                best = np.inf
                a = -1
                for q in range(m):
                    if alive[q]:
                        d = min(op[q] * op[q], op[nn[q]] * op[nn[q]]) * nnd[q]
                        if d < best:
                            best = d
                            a = q
                b = nn[a]
                hard, soft = (a, b) if op[a] >= op[b] else (b, a)
                p_sum = op[a] + op[b]
                w = 0.0 if (wta or p_sum <= 0.0) else op[soft] / p_sum
                # base on the harder: with w = 0 its direction is kept bit for bit
                new_eta = oe[hard] + w * (oe[soft] - oe[hard])
                new_phi = _dphi(of[hard] + w * _dphi(of[soft], of[hard]), 0.0)
                op[a] = p_sum
                oe[a] = new_eta
                of[a] = new_phi
                alive[b] = False
                n_alive -= 1
                for k in range(m):
                    if alive[k] and k != a:
                        if nn[k] == a or nn[k] == b:
                            nn[k], nnd[k] = _nearest(k, alive, m, oe, of)
                        else:
                            d = _dr2(oe[k], of[k], oe[a], of[a])
                            if d < nnd[k]:
                                nn[k] = a
                                nnd[k] = d
                nn[a], nnd[a] = _nearest(a, alive, m, oe, of)
            s = 0.0
            for i in range(m):
                if p[i] == 0.0:
                    continue
                dmin = np.inf
                for q in range(m):
                    if alive[q]:
                        d = _dr2(e[i], f[i], oe[q], of[q])
                        if d < dmin:
                            dmin = d
                s += p[i] * _angle_power(dmin, half)
            out[jet, t] = s / (total * r_beta)
    return out


# --------------------------------------------------------------------------- public API


def jet_mass(pt, eta, phi, mask) -> np.ndarray:
    """Invariant mass of each jet of massless constituents, GeV.

    m^2 = sum_{i<j} 2 pT_i pT_j (cosh(d eta) - cos(d phi)), summed as non-negative terms
    (see the module docstring), so a one-particle jet has mass exactly 0.

    Args:
        pt: constituent pT in GeV.
        eta: pseudorapidities.
        phi: azimuths in radians.
        mask: True for real constituents.

    Shapes:
        pt, eta, phi, mask (n_jets, width) -> (n_jets,).

    Raises:
        ValueError: for bad shapes, a non-bool mask, or non-finite or negative-pT real
            constituents.
    """
    pt, eta, phi, mask = _jets(pt, eta, phi, mask)
    return np.sqrt(_mass2_kernel(pt, eta, phi, mask))


def _taus(pt, eta, phi, mask, ns, beta, radius, axes) -> np.ndarray:
    pt, eta, phi, mask = _jets(pt, eta, phi, mask)
    beta = check_real("beta", beta, positive=True)
    radius = check_real("radius", radius, positive=True)
    axes = check_choice("axes", axes, AXES)
    ns = np.asarray(ns, dtype=np.int64)
    return _tau_kernel(pt, eta, phi, mask, ns, beta, radius, axes == "wta")


def n_subjettiness(
    pt, eta, phi, mask, n: int, *, beta: float = 1.0, radius: float, axes: str = "wta"
) -> np.ndarray:
    r"""N-subjettiness :math:`\tau_N^{(\beta)}` with exclusive-kT axes.

    :math:`\tau_N = \sum_i p_{T,i} \min_k \Delta R_{i,k}^\beta / \sum_i p_{T,i} R^\beta`;
    the axes, their recombination scheme and edge cases are in the module docstring.

    Args:
        pt, eta, phi, mask: the jets (module conventions).
        n: number of axes N >= 1.
        beta: angular exponent, > 0.
        radius: jet radius R in the normalisation, > 0.
        axes: ``"wta"`` (winner-take-all) or ``"pt"`` (pT-weighted centroid).

    Returns:
        tau_N per jet, shape (n_jets,); 0 for jets with at most N constituents.

    References:
        J. Thaler, K. Van Tilburg, JHEP 03 (2011) 015, arXiv:1011.2268.
    """
    n = check_int("n", n, minimum=1)
    return _taus(pt, eta, phi, mask, [n], beta, radius, axes)[:, 0]


def tau21(pt, eta, phi, mask, *, beta: float = 1.0, radius: float, axes: str = "wta"):
    """tau_2 / tau_1 per jet (one clustering for both; 0 where tau_1 = 0).

    Small for two-prong jets (W, Z, H); see :func:`n_subjettiness` for the arguments.
    """
    taus = _taus(pt, eta, phi, mask, [2, 1], beta, radius, axes)
    return _ratio(taus[:, 0], taus[:, 1])


def tau32(pt, eta, phi, mask, *, beta: float = 1.0, radius: float, axes: str = "wta"):
    """tau_3 / tau_2 per jet (one clustering for both; 0 where tau_2 = 0).

    Small for three-prong jets (top quarks); see :func:`n_subjettiness` for the arguments.
    """
    taus = _taus(pt, eta, phi, mask, [3, 2], beta, radius, axes)
    return _ratio(taus[:, 0], taus[:, 1])


def _ecfs(pt, eta, phi, mask, beta, want_e3) -> tuple[np.ndarray, np.ndarray]:
    pt, eta, phi, mask = _jets(pt, eta, phi, mask)
    beta = check_real("beta", beta, positive=True)
    return _ecf_kernel(pt, eta, phi, mask, beta, want_e3)


def ecf(pt, eta, phi, mask, n: int, beta: float = 1.0) -> np.ndarray:
    r"""Normalised energy correlation function :math:`e_n^{(\beta)} = \mathrm{ECF}(n,
    \beta) / p_{T,J}^n` for n = 1, 2, 3.

    :math:`e_1 = 1` (0 for an empty jet); :math:`e_2` and :math:`e_3` are the sums over
    pairs and triples in the module docstring, with :math:`p_{T,J}` the scalar pT sum.

    Args:
        pt, eta, phi, mask: the jets (module conventions).
        n: 1, 2 or 3.
        beta: angular exponent, > 0 (IRC safe).

    Returns:
        e_n per jet, shape (n_jets,).

    References:
        A. J. Larkoski, G. P. Salam, J. Thaler, JHEP 06 (2013) 108, arXiv:1305.0007
        (hadron-collider form: pT and Delta R).
    """
    n = check_int("n", n, minimum=1, maximum=3)
    if n == 1:
        pt, eta, phi, mask = _jets(pt, eta, phi, mask)
        check_real("beta", beta, positive=True)
        return (np.where(mask, pt, 0.0).sum(axis=1) > 0).astype(np.float64)
    e2, e3 = _ecfs(pt, eta, phi, mask, beta, n == 3)
    return e2 if n == 2 else e3


def c2(pt, eta, phi, mask, *, beta: float = 1.0) -> np.ndarray:
    r""":math:`C_2^{(\beta)} = e_3 / e_2^2` per jet (0 where e_2 = 0).

    Small for two-prong jets. Arguments as in :func:`ecf`.

    References:
        A. J. Larkoski, G. P. Salam, J. Thaler, arXiv:1305.0007.
    """
    e2, e3 = _ecfs(pt, eta, phi, mask, beta, True)
    return _ratio(e3, e2 * e2)


def d2(pt, eta, phi, mask, *, beta: float = 1.0) -> np.ndarray:
    r""":math:`D_2^{(\beta)} = e_3 / e_2^3` per jet (0 where e_2 = 0).

    Small for two-prong jets. Arguments as in :func:`ecf`.

    References:
        A. J. Larkoski, I. Moult, D. Neill, arXiv:1409.6298.
    """
    e2, e3 = _ecfs(pt, eta, phi, mask, beta, True)
    return _ratio(e3, e2 * e2 * e2)
