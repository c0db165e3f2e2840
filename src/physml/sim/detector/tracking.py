"""Charged particles in a solenoid crossing a barrel of cylindrical tracking layers.

A particle of transverse momentum p_T (GeV), charge q (+-1), azimuth phi0 and
pseudorapidity eta leaves the beam line at (0, 0, z0) in a uniform field B (tesla) along
z and moves on a helix whose transverse circle has the radius R = p_T / (0.3 B) (metres;
1000 p_T / (0.3 B) in mm). Its circle passes through the origin with centre
q R (sin phi0, -cos phi0); after turning by alpha it is at the chord distance
2 R sin(alpha / 2), so it crosses the cylinder of radius r < 2 R at

    phi(r) = phi0 - q arcsin(r / 2R),    z(r) = z0 + 2 R arcsin(r / 2R) sinh(eta),

the closed form :func:`helix_crossings` evaluates (the transverse path length times
cot theta = sinh eta). Hits are measured on pixels of pitch p (resolution p / sqrt(12) in
r-phi and z), each kept with the layer's efficiency, beside Poisson noise hits spread
uniformly over each layer. The truth keeps each hit's particle (-1 for noise).

Units: lengths in mm, momenta in GeV, fields in tesla, angles in radians.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

__all__ = [
    "VERSION",
    "Detector",
    "Event",
    "build_tracks",
    "helix_centre",
    "helix_crossings",
    "helix_radius",
    "match_tracks",
    "simulate_event",
    "true_edges",
]

VERSION = "1"

#: 1000 / 0.3: R [mm] = this * p_T [GeV] / B [T].
_MM_PER_GEV_TESLA = 1000.0 / 0.299792458


def helix_radius(pt, field_tesla: float) -> np.ndarray:
    """Transverse radius R = p_T / (0.3 B) of the helix, in mm; pt in GeV, shape kept."""
    return _MM_PER_GEV_TESLA * np.asarray(pt, dtype=np.float64) / field_tesla


def helix_centre(pt, phi0, charge, field_tesla: float) -> np.ndarray:
    """Centre q R (sin phi0, -cos phi0) of the transverse circle, mm, shape (..., 2)."""
    radius = helix_radius(pt, field_tesla) * np.asarray(charge)
    return np.stack([radius * np.sin(phi0), -radius * np.cos(phi0)], axis=-1)


def helix_crossings(pt, eta, phi0, charge, z0, radii, field_tesla: float):
    """Where helices from the beam line cross cylinders of the given radii.

    Args:
        pt, eta, phi0, charge, z0: per particle, shape (n,) (GeV, -, rad, +-1, mm).
        radii: cylinder radii, shape (n_layers,), mm.
        field_tesla: the solenoid's field.

    Returns:
        ``(phi, z, reached)``, each of shape (n, n_layers): the azimuth in [-pi, pi) and
        the z of the first crossing, and whether the helix reaches the radius at all
        (r < 2R; phi and z are NaN where it does not).
    """
    radius = helix_radius(pt, field_tesla)[:, None]
    ratio = np.asarray(radii, dtype=np.float64)[None, :] / (2.0 * radius)
    reached = ratio < 1.0
    with np.errstate(invalid="ignore"):
        turn = np.where(reached, np.arcsin(np.where(reached, ratio, np.nan)), np.nan)
    phi = _wrap(np.asarray(phi0)[:, None] - np.asarray(charge)[:, None] * turn)
    z = np.asarray(z0)[:, None] + 2.0 * radius * turn * np.sinh(np.asarray(eta))[:, None]
    return phi, z, reached


def _wrap(phi: np.ndarray) -> np.ndarray:
    """Angles into [-pi, pi)."""
    return (phi + np.pi) % (2.0 * np.pi) - np.pi


@dataclass(frozen=True)
class Detector:
    """A barrel of cylindrical pixel layers in a solenoid.

    Attributes:
        radii: layer radii, increasing, mm (default: the TrackML pixel barrel and two
            short-strip layers).
        half_length: layers span |z| < half_length, mm.
        field_tesla: solenoid field B along z.
        pitch_rphi, pitch_z: pixel pitch, mm; resolution pitch / sqrt(12).
        efficiency: probability that a crossing leaves a hit.
        noise_per_layer: mean number of noise hits per layer and event (Poisson).
    """

    radii: tuple[float, ...] = (32.0, 72.0, 116.0, 172.0, 260.0, 360.0)
    half_length: float = 600.0
    field_tesla: float = 2.0
    pitch_rphi: float = 0.05
    pitch_z: float = 0.2
    efficiency: float = 0.97
    noise_per_layer: float = 2.0

    def __post_init__(self) -> None:
        radii = np.asarray(self.radii, dtype=np.float64)
        if radii.size < 3 or not (np.diff(radii) > 0).all() or radii[0] <= 0:
            raise ValueError(f"radii={list(self.radii)}: need >= 3 positive, increasing radii")
        for name in ("half_length", "field_tesla", "pitch_rphi", "pitch_z"):
            if not getattr(self, name) > 0:
                raise ValueError(f"{name}={getattr(self, name)} must be > 0")
        if not 0 < self.efficiency <= 1:
            raise ValueError(f"efficiency={self.efficiency} must be in (0, 1]")
        if not self.noise_per_layer >= 0:
            raise ValueError(f"noise_per_layer={self.noise_per_layer} must be >= 0")

    @property
    def n_layers(self) -> int:
        return len(self.radii)

    def cells(self) -> int:
        """Pixels of the innermost (smallest) layer: no event can hold more hits there."""
        around = int(2.0 * np.pi * self.radii[0] / self.pitch_rphi)
        return around * int(2.0 * self.half_length / self.pitch_z)

    def resolution(self) -> tuple[float, float]:
        """Hit resolution (sigma_rphi, sigma_z) in mm: pitch / sqrt(12)."""
        return self.pitch_rphi / np.sqrt(12.0), self.pitch_z / np.sqrt(12.0)


@dataclass
class Event:
    """One event's hits (shape (n_hits,) each) and particles (shape (n_particles,) each).

    Hit arrays: ``layer`` (int), ``r``, ``phi``, ``z`` (mm, rad), ``particle`` (index
    into the particle arrays, -1 for noise). Particle arrays: ``pt``, ``eta``, ``phi0``,
    ``charge``, ``z0``.
    """

    layer: np.ndarray
    r: np.ndarray
    phi: np.ndarray
    z: np.ndarray
    particle: np.ndarray
    particles: dict[str, np.ndarray] = field(default_factory=dict)

    @property
    def n_hits(self) -> int:
        return int(self.layer.size)

    @property
    def n_particles(self) -> int:
        return int(self.particles["pt"].size)


def sample_pt(n: int, pt_min: float, pt_max: float, power: float, rng) -> np.ndarray:
    """p_T from a density proportional to p_T^-power on [pt_min, pt_max] (inverse CDF)."""
    u = rng.random(n)
    if abs(power - 1.0) < 1e-12:
        return pt_min * (pt_max / pt_min) ** u
    a, b = pt_min ** (1.0 - power), pt_max ** (1.0 - power)
    return (a + u * (b - a)) ** (1.0 / (1.0 - power))


def simulate_event(
    detector: Detector,
    n_tracks: int,
    rng: np.random.Generator,
    *,
    pt_range: tuple[float, float] = (1.0, 10.0),
    pt_power: float = 2.0,
    eta_max: float = 1.0,
    z0_sigma: float = 5.0,
    smear: bool = True,
) -> Event:
    """Simulate one event of ``n_tracks`` particles from the beam line.

    Args:
        detector: the layers, field and pixels.
        n_tracks: particles in the event (>= 1).
        rng: numpy Generator (every draw of the event).
        pt_range: (min, max) p_T in GeV, density p_T^-pt_power.
        eta_max: |eta| uniform below it.
        z0_sigma: Gaussian spread of the vertex z, mm.
        smear: whether hits are smeared by the pixel resolution (False: exact crossings).

    Returns:
        An :class:`Event` with the hits in random order.
    """
    if n_tracks < 1:
        raise ValueError(f"n_tracks={n_tracks}: need at least one track")
    if n_tracks > detector.cells():
        raise ValueError(
            f"n_tracks={n_tracks} exceeds the {detector.cells()} pixels of the innermost layer"
        )
    particles = {
        "pt": sample_pt(n_tracks, *pt_range, pt_power, rng),
        "eta": rng.uniform(-eta_max, eta_max, n_tracks),
        "phi0": rng.uniform(-np.pi, np.pi, n_tracks),
        "charge": rng.choice(np.array([-1.0, 1.0]), n_tracks),
        "z0": rng.normal(0.0, z0_sigma, n_tracks),
    }
    radii = np.asarray(detector.radii)
    phi, z, reached = helix_crossings(
        particles["pt"],
        particles["eta"],
        particles["phi0"],
        particles["charge"],
        particles["z0"],
        radii,
        detector.field_tesla,
    )
    inside = reached & (np.abs(np.nan_to_num(z, nan=np.inf)) < detector.half_length)
    # a particle leaving the barrel through its end does not return
    inside = np.cumprod(inside, axis=1).astype(bool)
    kept = inside & (rng.random(inside.shape) < detector.efficiency)
    track, layer = np.nonzero(kept)
    r, phi, z = radii[layer], phi[track, layer], z[track, layer]
    if smear:
        sigma_rphi, sigma_z = detector.resolution()
        phi = _wrap(phi + rng.normal(0.0, sigma_rphi, phi.size) / r)
        z = z + rng.normal(0.0, sigma_z, z.size)
    n_noise = rng.poisson(detector.noise_per_layer, detector.n_layers)
    noise_layer = np.repeat(np.arange(detector.n_layers), n_noise)
    layer = np.concatenate([layer, noise_layer])
    r = np.concatenate([r, radii[noise_layer]])
    phi = np.concatenate([phi, rng.uniform(-np.pi, np.pi, noise_layer.size)])
    z = np.concatenate([z, rng.uniform(-1, 1, noise_layer.size) * detector.half_length])
    particle = np.concatenate([track, np.full(noise_layer.size, -1)])
    order = rng.permutation(layer.size)
    return Event(layer[order], r[order], phi[order], z[order], particle[order], particles)


def true_edges(layer: np.ndarray, particle: np.ndarray) -> np.ndarray:
    """Pairs of hits of one particle on adjacent layers, inner hit first, shape (2, n)."""
    real = np.flatnonzero(particle >= 0)
    order = real[np.lexsort((layer[real], particle[real]))]
    same = particle[order[1:]] == particle[order[:-1]]
    adjacent = layer[order[1:]] == layer[order[:-1]] + 1
    pick = same & adjacent
    return np.stack([order[:-1][pick], order[1:][pick]])


def build_tracks(n_hits: int, edges: np.ndarray, min_hits: int = 3) -> np.ndarray:
    """Track candidates: connected components of the hits joined by ``edges``.

    Args:
        n_hits: hits of the event.
        edges: kept edges, shape (2, n_edges), hit indices.
        min_hits: smallest candidate kept.

    Returns:
        Candidate label per hit, shape (n_hits,): 0, 1, ... for hits in candidates of at
        least ``min_hits`` hits, -1 for the others.
    """
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    edges = np.asarray(edges, dtype=np.int64).reshape(2, -1)
    ones = np.ones(edges.shape[1])
    adjacency = coo_matrix((ones, (edges[0], edges[1])), shape=(n_hits, n_hits))
    _, component = connected_components(adjacency, directed=False)
    sizes = np.bincount(component)
    big = sizes >= min_hits
    relabel = np.full(sizes.size, -1)
    relabel[big] = np.arange(int(big.sum()))
    return relabel[component]


def match_tracks(candidate: np.ndarray, particle: np.ndarray, n_particles: int, min_hits: int = 3):
    """Match candidates to particles with the two-thirds rule.

    A particle with at least ``min_hits`` hits is reconstructable; it is found when one
    candidate holds >= 2/3 of its hits and >= 2/3 of that candidate's hits are its. A
    candidate matched to no particle is a fake.

    Args:
        candidate: candidate label per hit, -1 for none, shape (n_hits,).
        particle: true particle per hit, -1 for noise, shape (n_hits,).
        n_particles: particles of the event.
        min_hits: hits a reconstructable particle has.

    Returns:
        ``(reconstructable, found, fake)``: bool arrays of shape (n_particles,),
        (n_particles,) and (n_candidates,).
    """
    hits_of = np.bincount(particle[particle >= 0], minlength=n_particles)
    reconstructable = hits_of >= min_hits
    n_candidates = int(candidate.max()) + 1 if candidate.size else 0
    found = np.zeros(n_particles, dtype=bool)
    matched = np.zeros(n_candidates, dtype=bool)
    if n_candidates:
        size_of = np.bincount(candidate[candidate >= 0], minlength=n_candidates)
        both = (candidate >= 0) & (particle >= 0)
        pairs, shared = np.unique(
            np.stack([candidate[both], particle[both]]), axis=1, return_counts=True
        )
        good = (3 * shared >= 2 * hits_of[pairs[1]]) & (3 * shared >= 2 * size_of[pairs[0]])
        found[pairs[1, good]] = True
        matched[pairs[0, good]] = True
    return reconstructable, found & reconstructable, ~matched
