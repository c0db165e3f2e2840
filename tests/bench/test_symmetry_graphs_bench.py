"""The tracking benchmark's baselines compute what physml computes: the same edges, the
same logits, the same track candidates; and its quick table is well formed."""

from __future__ import annotations

import numpy as np
import torch

from physml.bench import symmetry_graphs as bench
from physml.models.graphs import InteractionNetwork, build_graph, edge_features, node_features
from physml.sim.detector import tracking

CUTS = {"phi_slope_max": 4.5e-4, "z0_max": 20.0}


def _event(seed: int = 0):
    return tracking.simulate_event(
        tracking.Detector(noise_per_layer=20.0), 80, np.random.default_rng(seed)
    )


def test_all_pairs_baseline_finds_the_same_edges() -> None:
    event = _event()
    fast = build_graph(event.layer, event.r, event.phi, event.z, 6, **CUTS)
    slow = bench.all_pairs_graph(event.layer, event.r, event.phi, event.z, 6, **CUTS)
    assert fast.shape[1] > 300
    assert {tuple(e) for e in fast.T.tolist()} == {tuple(e) for e in slow.T.tolist()}


def test_index_add_baseline_gives_the_same_logits() -> None:
    event = _event(1)
    edges = build_graph(event.layer, event.r, event.phi, event.z, 6, **CUTS)
    x = node_features(event.r, event.phi, event.z).double()
    attr = edge_features(event.r, event.phi, event.z, edges).double()
    torch.manual_seed(0)
    for model in (InteractionNetwork(), InteractionNetwork(hidden=16, latent=8, rounds=3)):
        model = model.double().eval()
        with torch.no_grad():
            ours, plain = (
                model(x, edges, attr),
                bench.plain_interaction_forward(model, x, edges, attr),
            )
        torch.testing.assert_close(ours, plain, rtol=1e-12, atol=1e-12)
    gcn = bench.gcn_edge_classifier().double().eval()
    assert gcn(x, edges, attr).shape == (edges.shape[1],)


def test_union_find_baseline_gives_the_same_candidates() -> None:
    event = _event(2)
    edges = build_graph(event.layer, event.r, event.phi, event.z, 6, **CUTS)
    for min_hits in (2, 3, 5):
        ours = tracking.build_tracks(event.n_hits, edges.numpy(), min_hits)
        np.testing.assert_array_equal(
            ours, bench.union_find_tracks(event.n_hits, edges.numpy(), min_hits)
        )
    assert ours.max() > 10


def test_symbolic_rows_find_the_laws() -> None:
    rows = bench.symbolic_rows(quick=True, population_size=50)
    assert len(rows) == 2
    assert all("exact: True vs" in row["case: physml vs baseline"] for row in rows)
    assert all(float(row["ratio"]) > 0 for row in rows)
