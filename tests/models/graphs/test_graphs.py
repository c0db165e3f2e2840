"""Graph construction against a brute-force search and the helix bound; the interaction
networks' permutation equivariance; the helix road on true triplets."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from physml.models.graphs import (
    HelixRoad,
    InteractionNetwork,
    build_graph,
    edge_features,
    node_features,
)
from physml.sim.detector import tracking
from physml.testing import assert_equivariant


def _event(seed: int, **detector):
    return tracking.simulate_event(
        tracking.Detector(**detector), 60, np.random.default_rng(seed), pt_range=(0.5, 10.0)
    )


def _brute_force(event, phi_slope_max, z0_max) -> set[tuple[int, int]]:
    """Every pair of hits, cut in numpy: O(n^2)."""
    a, b = (g.ravel() for g in np.meshgrid(*[np.arange(event.n_hits)] * 2, indexing="ij"))
    pick = event.layer[b] == event.layer[a] + 1
    a, b = a[pick], b[pick]
    dr = event.r[b] - event.r[a]
    dphi = (event.phi[b] - event.phi[a] + math.pi) % (2 * math.pi) - math.pi
    z0 = event.z[a] - event.r[a] * (event.z[b] - event.z[a]) / dr
    keep = (np.abs(dphi) / dr < phi_slope_max) & (np.abs(z0) < z0_max)
    return set(zip(a[keep].tolist(), b[keep].tolist(), strict=True))


@pytest.mark.parametrize(("phi_slope_max", "z0_max"), [(4.5e-4, 20.0), (0.02, 300.0)])
def test_neighbour_search_equals_brute_force(phi_slope_max, z0_max) -> None:
    event = _event(0, noise_per_layer=30.0)
    edges = build_graph(
        event.layer, event.r, event.phi, event.z, 6, phi_slope_max=phi_slope_max, z0_max=z0_max
    )
    found = {tuple(e) for e in edges.T.tolist()}
    assert len(found) == edges.shape[1]  # no edge twice, also across phi = +-pi
    assert found == _brute_force(event, phi_slope_max, z0_max)


def test_noiseless_graph_keeps_every_true_edge_above_the_pt_bound() -> None:
    """Without smearing a helix of radius R has slope (asin(r_b/2R) - asin(r_a/2R)) /
    (r_b - r_a) <= 1 / (2R sqrt(1 - (r/2R)^2)): the cut for p_T >= 1 GeV keeps them all."""
    detector = tracking.Detector(efficiency=1.0, noise_per_layer=0.0)
    event = tracking.simulate_event(
        detector, 200, np.random.default_rng(1), pt_range=(1.0, 10.0), smear=False
    )
    radius = tracking.helix_radius(1.0, 2.0)
    bound = 1.0 / (2 * radius * math.sqrt(1 - (360 / (2 * radius)) ** 2))
    edges = build_graph(
        event.layer, event.r, event.phi, event.z, 6, phi_slope_max=1.001 * bound, z0_max=15.0
    )
    truth = tracking.true_edges(event.layer, event.particle)
    found = {tuple(e) for e in edges.T.tolist()}
    wanted = {tuple(e) for e in truth.T.tolist()}
    # z0 of the (r, z) chord differs from the vertex by the helix's sagitta only: |z0| < 15 mm
    inside = np.abs(event.particles["z0"]) < 14.0
    wanted = {e for e in wanted if inside[event.particle[e[0]]]}
    assert len(wanted) > 800 and wanted <= found


def test_a_graph_without_edges() -> None:
    event = _event(2)
    edges = build_graph(event.layer, event.r, event.phi, event.z, 6, phi_slope_max=1e-9, z0_max=1.0)
    assert edges.shape == (2, 0)


def test_interaction_network_size_and_permutation_equivariance() -> None:
    assert sum(p.numel() for p in InteractionNetwork().parameters()) == 6448  # DeZoort et al.
    event = _event(3, noise_per_layer=5.0)
    edges = build_graph(event.layer, event.r, event.phi, event.z, 6, phi_slope_max=6e-4, z0_max=30)
    x = node_features(event.r, event.phi, event.z).double()
    attr = edge_features(event.r, event.phi, event.z, edges).double()
    rng = np.random.default_rng(0)
    node_perms = [torch.as_tensor(rng.permutation(x.shape[0])) for _ in range(3)]
    edge_perms = [torch.as_tensor(rng.permutation(edges.shape[1])) for _ in range(3)]

    def relabel(nodes, links):
        inverse = torch.argsort(nodes)  # old hit i is new hit inverse[i]
        return lambda g: (g[0][nodes], inverse[g[1][:, links]], g[2][links])

    actions_in = [relabel(n, e) for n, e in zip(node_perms, edge_perms, strict=True)]
    actions_out = [lambda y, e=e: y[e] for e in edge_perms]
    for model in (InteractionNetwork(), InteractionNetwork(hidden=16, latent=8, rounds=3)):
        torch.manual_seed(0)
        model = model.double().eval()
        assert_equivariant(lambda g, m=model: m(*g), actions_in, actions_out, (x, edges, attr))


def test_helix_road_scores_true_edges_higher() -> None:
    event = _event(4, noise_per_layer=10.0)
    edges = build_graph(event.layer, event.r, event.phi, event.z, 6, phi_slope_max=6e-4, z0_max=30)
    a, b = edges.numpy()
    truth = (event.particle[a] == event.particle[b]) & (event.particle[a] >= 0)
    road = HelixRoad().calibrate([(event.r, event.phi, event.z, edges, truth)])
    # the curvature spread of true triplets is the pixel resolution's, far below 1 / R
    assert 0 < road.sigma_kappa < 1e-5
    score = road.score(event.r, event.phi, event.z, edges).numpy()
    assert np.median(score[truth]) > 0.9 and np.median(score[~truth]) < 0.1
