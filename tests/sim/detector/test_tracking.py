"""The tracking simulator against the Lorentz force and its closed forms; track building
and the two-thirds matching rule."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.integrate import solve_ivp

from physml.sim.detector import tracking

DETECTOR = tracking.Detector(efficiency=1.0, noise_per_layer=0.0)


def _lorentz_crossing(pt, eta, phi0, q, z0, radius, field):
    """Integrate du/ds = (0.3 q / p) u x B in metres until the transverse radius
    ``radius`` (mm): the (x, y, z) crossing in mm."""
    p = pt * np.cosh(eta)
    theta = 2 * np.arctan(np.exp(-eta))
    u0 = [np.sin(theta) * np.cos(phi0), np.sin(theta) * np.sin(phi0), np.cos(theta)]

    def rhs(_, y):
        u = y[3:]
        force = 0.299792458 * q / p * np.cross(u, [0.0, 0.0, field])
        return np.concatenate([u, force])

    def reached(_, y):
        return np.hypot(y[0], y[1]) - radius / 1000.0

    reached.terminal, reached.direction = True, 1
    sol = solve_ivp(rhs, (0, 5), [0, 0, z0 / 1000, *u0], events=reached, rtol=1e-11, atol=1e-13)
    return sol.y_events[0][0][:3] * 1000.0


@pytest.mark.parametrize(("pt", "eta", "phi0", "q"), [(1.0, 0.3, 0.2, 1), (0.7, -0.8, 3.0, -1)])
def test_crossings_follow_the_lorentz_force(pt, eta, phi0, q) -> None:
    radii = np.array([32.0, 172.0, 360.0])
    phi, z, reached = tracking.helix_crossings(
        np.array([pt]),
        np.array([eta]),
        np.array([phi0]),
        np.array([q]),
        np.array([4.0]),
        radii,
        2.0,
    )
    assert reached.all()
    for k, r in enumerate(radii):
        x, y, z_num = _lorentz_crossing(pt, eta, phi0, q, 4.0, r, 2.0)
        assert np.arctan2(y, x) == pytest.approx(phi[0, k], abs=1e-7)
        assert z_num == pytest.approx(z[0, k], abs=1e-6)


def test_radius_and_hits_lie_on_the_circle_and_the_layers() -> None:
    # R = pT / (0.3 B): 1 GeV in 2 T is 1.668 m
    assert tracking.helix_radius(1.0, 2.0) == pytest.approx(1000 / (0.299792458 * 2))
    event = tracking.simulate_event(DETECTOR, 30, np.random.default_rng(1), smear=False)
    p = event.particles
    centre = tracking.helix_centre(p["pt"], p["phi0"], p["charge"], 2.0)[event.particle]
    xy = np.stack([event.r * np.cos(event.phi), event.r * np.sin(event.phi)], axis=1)
    radius = tracking.helix_radius(p["pt"], 2.0)[event.particle]
    np.testing.assert_allclose(np.linalg.norm(xy - centre, axis=1), radius, rtol=1e-10)
    np.testing.assert_array_equal(event.r, np.asarray(DETECTOR.radii)[event.layer])
    # full efficiency, no noise, every particle inside the barrel: one hit per layer
    _, z, _ = tracking.helix_crossings(
        p["pt"], p["eta"], p["phi0"], p["charge"], p["z0"], DETECTOR.radii, 2.0
    )
    inside = np.abs(z[:, -1]) < DETECTOR.half_length
    counts = np.bincount(event.particle, minlength=30)
    assert inside.sum() > 20 and (counts[inside] == DETECTOR.n_layers).all()


def test_a_curling_track_stops_and_smearing_has_the_pitch_resolution() -> None:
    # R = 0.1 / 0.6 m = 167 mm: reaches r < 333 mm only
    phi, _, reached = tracking.helix_crossings(
        np.array([0.1]), np.zeros(1), np.zeros(1), np.ones(1), np.zeros(1), DETECTOR.radii, 2.0
    )
    assert reached[0].tolist() == [True] * 5 + [False] and np.isnan(phi[0, 5])
    detector = tracking.Detector(efficiency=1.0, noise_per_layer=0.0, pitch_z=1.2)
    exact = tracking.simulate_event(detector, 2000, np.random.default_rng(3), smear=False)
    smeared = tracking.simulate_event(detector, 2000, np.random.default_rng(3), smear=True)
    order = [np.lexsort((e.layer, e.particle)) for e in (exact, smeared)]
    assert np.std(smeared.z[order[1]] - exact.z[order[0]]) == pytest.approx(
        1.2 / np.sqrt(12), rel=0.05
    )


def test_noise_and_inefficiency() -> None:
    detector = tracking.Detector(efficiency=0.5, noise_per_layer=40.0)
    event = tracking.simulate_event(detector, 400, np.random.default_rng(4))
    noise = event.particle < 0
    assert noise.sum() == pytest.approx(40 * 6, rel=0.2)
    assert (~noise).sum() / (400 * 6) == pytest.approx(0.5 * 0.97, abs=0.05)
    assert np.abs(event.z[noise]).max() < detector.half_length


def test_too_many_tracks_are_refused() -> None:
    coarse = tracking.Detector(pitch_rphi=20.0, pitch_z=400.0)  # 10 x 3 pixels
    assert coarse.cells() == 30
    with pytest.raises(ValueError, match="exceeds the 30 pixels"):
        tracking.simulate_event(coarse, 31, np.random.default_rng(0))


def test_perfect_edges_find_every_track() -> None:
    # full efficiency with noise: every findable track found, no fakes (efficiency 1)
    full = tracking.Detector(efficiency=1.0, noise_per_layer=10.0)
    event = tracking.simulate_event(full, 80, np.random.default_rng(5))
    edges = tracking.true_edges(event.layer, event.particle)
    candidate = tracking.build_tracks(event.n_hits, edges)
    findable, found, fake = tracking.match_tracks(candidate, event.particle, event.n_particles)
    assert findable.sum() > 60 and (found == findable).all() and not fake.any()
    # with missed hits a gap splits a track: still every unbroken track is found
    event = tracking.simulate_event(tracking.Detector(efficiency=0.8), 80, np.random.default_rng(6))
    candidate = tracking.build_tracks(
        event.n_hits, tracking.true_edges(event.layer, event.particle)
    )
    findable, found, _ = tracking.match_tracks(candidate, event.particle, event.n_particles)
    layers = [event.layer[event.particle == k] for k in range(event.n_particles)]
    unbroken = np.array([x.size == 0 or x.max() - x.min() + 1 == x.size for x in layers])
    assert found[findable & unbroken].all() and not found[findable & ~unbroken].all()


def test_two_thirds_rule() -> None:
    # particle 0 has hits 0-5, particle 1 hits 6-8, hit 9 is noise
    particle = np.array([0, 0, 0, 0, 0, 0, 1, 1, 1, -1])
    # candidate 0: four of particle 0 plus noise (4/5 >= 2/3, 4/6 >= 2/3): found;
    # candidate 1: one of particle 1 and two of particle 0: a fake
    candidate = np.array([0, 0, 0, 0, 1, 1, 1, -1, -1, 0])
    findable, found, fake = tracking.match_tracks(candidate, particle, 2)
    assert findable.tolist() == [True, True]
    assert found.tolist() == [True, False] and fake.tolist() == [False, True]
