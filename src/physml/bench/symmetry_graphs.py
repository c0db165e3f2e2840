"""Benchmark of the particle-tracking pipeline: graphs per second of each stage against
the code a user would otherwise write, and against torch-geometric's own example layers.

Rows (medians over repeats, all in this process, on the same simulated events of
``particle-tracking``'s detector):

- graph construction: :func:`physml.models.graphs.build_graph` (sorted phi windows,
  ``searchsorted``) against :func:`all_pairs_graph`, every pair of hits on adjacent
  layers cut in torch (the same edges: tested);
- edge inference: the interaction network on torch-geometric's ``MessagePassing``
  against :func:`plain_interaction_forward`, the same weights with ``index_add_`` (the
  same logits: tested), and against torch-geometric's example edge classifier
  (two ``GCNConv`` layers and an MLP on the edge's two hits, :func:`gcn_edge_classifier`);
- track building: scipy's connected components against :func:`union_find_tracks`, a
  plain Python union-find (the same candidates: tested).

- symbolic search: seconds to the exact law of ``symbolic-laws``' units-constrained search
  against gplearn's ``SymbolicRegressor`` at its defaults on the same samples (Kepler's
  law and Newton's, 200 points, 1 % noise), with whether each found the law
  (``ratio`` = gplearn's seconds / physml's; gplearn's time is that of its full run where
  it does not find the law).

Run with ``physml bench symmetry`` (this module's rows; ``--quick``: fewer, smaller events).
"""

from __future__ import annotations

import math

import numpy as np

from physml.bench.timing import median_time
from physml.tasks.seeds import Stream, generator

__all__ = [
    "all_pairs_graph",
    "gcn_edge_classifier",
    "plain_interaction_forward",
    "run",
    "symbolic_rows",
    "union_find_tracks",
]


def all_pairs_graph(layer, r, phi, z, n_layers: int, *, phi_slope_max: float, z0_max: float):
    """Baseline: every pair of hits on adjacent layers, cut in torch; shape (2, n_edges)."""
    import torch

    layer = torch.as_tensor(layer)
    r, phi, z = (torch.as_tensor(v, dtype=torch.float64) for v in (r, phi, z))
    found = []
    for k in range(n_layers - 1):
        a = torch.nonzero(layer == k).flatten()
        b = torch.nonzero(layer == k + 1).flatten()
        a, b = a[:, None].expand(-1, b.numel()).flatten(), b.repeat(a.numel())
        dphi = torch.remainder(phi[b] - phi[a] + math.pi, 2 * math.pi) - math.pi
        dr = r[b] - r[a]
        z0 = z[a] - r[a] * (z[b] - z[a]) / dr
        keep = (dphi.abs() / dr < phi_slope_max) & (z0.abs() < z0_max)
        found.append(torch.stack([a[keep], b[keep]]))
    return torch.cat(found, dim=1)


def plain_interaction_forward(model, x, edge_index, edge_attr):
    """Baseline: :class:`~physml.models.graphs.InteractionNetwork`'s forward with its own
    weights, the sums at both ends of each edge by ``index_add_`` instead of
    torch-geometric's message passing."""
    import torch

    source, target = edge_index
    residual = model.latent is not None
    if residual:
        x, edge_attr = model.encode_nodes(x), model.encode_edges(edge_attr)
    for relational, objects in zip(model.relational, model.objects, strict=True):
        effects = relational(torch.cat([x[source], x[target], edge_attr], dim=1))
        summed = torch.zeros(x.shape[0], effects.shape[1], dtype=effects.dtype)
        summed.index_add_(0, target, effects).index_add_(0, source, effects)
        update = objects(torch.cat([x, summed], dim=1))
        x = x + update if residual else update
        edge_attr = edge_attr + effects if residual else effects
    return model.classify(torch.cat([x[source], x[target], edge_attr], dim=1)).squeeze(1)


def union_find_tracks(n_hits: int, edges, min_hits: int = 3) -> np.ndarray:
    """Baseline: connected components by a Python union-find with path halving; the
    labels of :func:`physml.sim.detector.tracking.build_tracks` (candidates numbered by
    their smallest hit)."""
    parent = list(range(n_hits))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for a, b in np.asarray(edges).T.tolist():
        ra, rb = root(a), root(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    roots = np.array([root(i) for i in range(n_hits)], dtype=np.int64)
    _, inverse, counts = np.unique(roots, return_inverse=True, return_counts=True)
    big = counts >= min_hits
    relabel = np.full(counts.size, -1)
    relabel[big] = np.arange(int(big.sum()))
    return relabel[inverse]


def gcn_edge_classifier(node_features: int = 3, hidden: int = 40):
    """torch-geometric's example layers as an edge classifier: two ``GCNConv`` layers on
    the hits, then an MLP on the two hits of each edge (logits, shape (n_edges,))."""
    import torch
    from torch import nn
    from torch_geometric.nn import GCNConv

    class _GCNEdgeClassifier(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.conv1, self.conv2 = GCNConv(node_features, hidden), GCNConv(hidden, hidden)
            self.edge = nn.Sequential(
                nn.Linear(2 * hidden, hidden), nn.ReLU(), nn.Linear(hidden, 1)
            )

        def forward(self, x, edge_index, edge_attr=None):
            both = torch.cat([edge_index, edge_index.flip(0)], dim=1)
            h = self.conv2(self.conv1(x, both).relu(), both).relu()
            source, target = edge_index
            return self.edge(torch.cat([h[source], h[target]], dim=1)).squeeze(1)

    return _GCNEdgeClassifier()


def _events(quick: bool):
    """Simulated events of particle-tracking's default detector and their graphs."""
    from physml.models.graphs import build_graph, edge_features, node_features
    from physml.tasks.symmetry.particle_tracking import ParticleTrackingSettings, _simulate

    config = ParticleTrackingSettings()
    detector = config.detector.build()
    n_tracks = 100 if quick else 200
    events = []
    for i in range(8 if quick else 32):
        event = _simulate(config, detector, n_tracks, generator(0, Stream.TRACKING_BENCH, i))
        cuts = {"phi_slope_max": config.phi_slope_max, "z0_max": config.z0_max}
        edges = build_graph(event.layer, event.r, event.phi, event.z, detector.n_layers, **cuts)
        features = (
            node_features(event.r, event.phi, event.z),
            edges,
            edge_features(event.r, event.phi, event.z, edges),
        )
        events.append((event, cuts, edges, features))
    return events, n_tracks, detector.n_layers


def _row(what: str, physml: float, baseline: float) -> dict:
    """Rates in graphs per second; ratio = physml's rate / the baseline's."""
    return {
        "benchmark": what.split(":")[0],
        "case: physml vs baseline": what,
        "physml": f"{physml:.3g} graphs/s",
        "baseline": f"{baseline:.3g} graphs/s",
        "ratio": f"{physml / baseline:.3g}",
    }


def run(quick: bool = False) -> list[dict]:
    """The tracking pipeline's rows (see the module docstring)."""
    import torch

    from physml.models.graphs import InteractionNetwork, build_graph
    from physml.sim.detector.tracking import build_tracks, true_edges

    repeats = 3 if quick else 7
    events, n_tracks, n_layers = _events(quick)
    n = len(events)
    where = f"{n} events of {n_tracks} tracks"

    def construct(search):
        for event, cuts, *_ in events:
            search(event.layer, event.r, event.phi, event.z, n_layers, **cuts)

    rows = [
        _row(
            f"graph construction: searchsorted phi windows vs all pairs ({where})",
            n / median_time(lambda: construct(build_graph), repeats),
            n / median_time(lambda: construct(all_pairs_graph), repeats),
        )
    ]
    torch.manual_seed(0)
    networks = {
        "interaction network (6 448 parameters)": InteractionNetwork().eval(),
        "residual GNN, 4 rounds": InteractionNetwork(hidden=64, latent=32, rounds=4).eval(),
    }
    gcn = gcn_edge_classifier().eval()

    def infer(forward):
        with torch.no_grad():
            for *_, (x, edges, attr) in events:
                forward(x, edges, attr)

    for name, model in networks.items():
        rate = n / median_time(lambda m=model: infer(m), repeats)
        rows.append(
            _row(
                f"edge inference: {name}, torch-geometric vs index_add_ ({where})",
                rate,
                n
                / median_time(
                    lambda m=model: infer(lambda *g: plain_interaction_forward(m, *g)), repeats
                ),
            )
        )
        rows.append(
            _row(
                f"edge inference: {name} vs torch-geometric's GCNConv edge classifier ({where})",
                rate,
                n / median_time(lambda: infer(gcn), repeats),
            )
        )
    kept = [true_edges(event.layer, event.particle) for event, *_ in events]

    def building(build):
        for (event, *_), edges in zip(events, kept, strict=True):
            build(event.n_hits, edges)

    rows.append(
        _row(
            f"track building: scipy connected components vs Python union-find ({where})",
            n / median_time(lambda: building(build_tracks), repeats),
            n / median_time(lambda: building(union_find_tracks), repeats),
        )
    )
    return rows + symbolic_rows(quick)


def symbolic_rows(quick: bool, population_size: int = 1000) -> list[dict]:
    """Seconds to the exact law: physml's dimensional search against gplearn's defaults
    (one gplearn run per law; ``quick`` runs gplearn with 5 generations, not 20; tests
    shrink its ``population_size``)."""
    from physml.sim.laws.catalogue import LAWS, sample
    from physml.tasks.symmetry.symbolic_laws import (
        GplearnSettings,
        SymbolicLawsSettings,
        _gplearn,
        _ours,
    )

    gp = GplearnSettings(population_size=population_size, generations=5 if quick else 20)
    config = SymbolicLawsSettings(gplearn=gp)
    rows = []
    for k, name in enumerate(("kepler", "newton")):
        law = LAWS[name]
        x, y = sample(law, 200, generator(0, Stream.SYMBOLIC_BENCH, k), 0.01)
        tolerance = 5 * 0.01 / np.sqrt(200)
        ours = _ours(law, x, y, tolerance)
        theirs = _gplearn(config, law, x, y, tolerance, 0)
        generations = config.gplearn.generations
        rows.append(
            {
                "benchmark": "symbolic search",
                "case: physml vs baseline": (
                    f"symbolic search: {name}, units-constrained lattice vs gplearn "
                    f"({generations} generations); exact: {ours['exact']} vs {theirs['exact']}"
                ),
                "physml": f"{ours['seconds']:.3g} s",
                "baseline": f"{theirs['seconds']:.3g} s",
                "ratio": f"{theirs['seconds'] / ours['seconds']:.3g}",
            }
        )
    return rows
