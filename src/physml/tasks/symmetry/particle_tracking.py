"""``particle-tracking``: graph networks that find charged-particle tracks among hits.

Events of :mod:`physml.sim.detector.tracking` (helices in a 2 T solenoid through a barrel
of pixel layers, with smearing, inefficiency and noise hits) become graphs by
:func:`physml.models.graphs.build_graph` (edges between adjacent layers passing a
phi-slope and a z0 cut); a method scores every edge, edges above the working point are
kept, and track candidates are the connected components of the kept edges. Everything
is measured against the simulator's truth: the graph's own edge efficiency and purity,
the classifier's edge efficiency, purity and ROC AUC, and the track efficiency (the
two-thirds matching rule) and fake rate, overall, in bins of p_T and per number of tracks
per event. The track efficiency's reference is that of perfect edge classification on
the same graphs (every true edge of the graph kept, no other): what the cuts and the
track building allow, so its gap is the classifier's alone. Errors are a bootstrap over
test events, paired between a method and its reference.

Methods: DeZoort et al.'s interaction network (arXiv:2103.16701, 6 448 parameters), a
larger residual GNN of four rounds (Ju et al., arXiv:2003.11603), and a non-learned
helix road (triplet consistency of curvature and dz/dr).
"""

from __future__ import annotations

from typing import Annotated, Any

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from physml.config import ConfigError
from physml.metrics import Metric
from physml.tasks.base import BuiltSettings, Method, Reference, RunContext, Task, Width
from physml.tasks.seeds import Stream, bootstrap_seed, generator, member_seeds

__all__ = ["ParticleTracking", "ParticleTrackingSettings"]

_Radius = Annotated[float, Field(gt=0, le=1e5)]
_Momentum = Annotated[float, Field(ge=0, le=1e4)]


class DetectorSettings(BuiltSettings):
    """The barrel of :class:`physml.sim.detector.tracking.Detector`."""

    radii: list[_Radius] = Field(
        [32.0, 72.0, 116.0, 172.0, 260.0, 360.0],
        min_length=3,
        max_length=32,
        description="layer radii, mm, increasing",
    )
    half_length: float = Field(600.0, gt=0, le=1e5, description="layers span |z| below, mm")
    field_tesla: float = Field(2.0, gt=0, le=100, description="solenoid field, T")
    pitch_rphi: float = Field(0.05, gt=0, le=1e3, description="pixel pitch in r-phi, mm")
    pitch_z: float = Field(0.2, gt=0, le=1e3, description="pixel pitch in z, mm")
    efficiency: float = Field(0.97, gt=0, le=1, description="hit efficiency per crossing")
    noise_per_layer: float = Field(2.0, ge=0, le=1e4, description="mean noise hits per layer")

    def build(self) -> Any:
        from physml.sim.detector.tracking import Detector

        return Detector(**{**self.model_dump(), "radii": tuple(self.radii)})


class ParticleTrackingSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")
    tracks_per_event: list[Annotated[int, Field(ge=1, le=100_000)]] = Field(
        [20, 50, 100], min_length=1, max_length=16, description="multiplicities, cycled"
    )
    n_train_events: int = Field(90, ge=1, le=100_000, description="training events")
    n_test_events: int = Field(60, ge=2, le=100_000, description="test events")
    pt_range: tuple[_Momentum, _Momentum] = Field((0.5, 10.0), description="p_T range, GeV")
    pt_power: float = Field(2.0, ge=0, le=10, description="p_T density ~ p_T^-power")
    eta_max: float = Field(1.0, gt=0, le=5, description="|eta| uniform below it")
    z0_sigma: float = Field(5.0, ge=0, le=1e3, description="vertex z spread, mm")
    phi_slope_max: float = Field(
        4.5e-4, gt=0, le=1, description="graph cut on |dphi/dr|, rad/mm (~p_T > 0.67 GeV)"
    )
    z0_max: float = Field(20.0, gt=0, le=1e5, description="graph cut on |z0|, mm")
    threshold: float = Field(0.5, ge=0, le=1, description="edge-score working point")
    min_hits: int = Field(3, ge=2, le=32, description="hits of a candidate / a findable track")
    pt_bins: list[_Momentum] = Field(
        [0.5, 0.75, 1.0, 2.0, 10.0], min_length=2, max_length=32, description="GeV"
    )
    detector: DetectorSettings = DetectorSettings()


class InteractionSettings(BaseModel):
    """DeZoort et al.'s interaction network: one round, effects of 4, hits of 3."""

    model_config = ConfigDict(extra="forbid")
    hidden: Width = 40
    effect_features: Width = 4
    node_out: Width = 3
    rounds: int = Field(1, ge=1, le=16)


class GNNSettings(BaseModel):
    """A larger residual interaction network: encoders and ``rounds`` rounds."""

    model_config = ConfigDict(extra="forbid")
    hidden: Width = 64
    latent: Width = 32
    rounds: int = Field(4, ge=1, le=16)


class HelixRoadSettings(BaseModel):
    """Triplet helix consistency, widths measured on the training events' true triplets."""

    model_config = ConfigDict(extra="forbid")
    width: float = Field(3.0, gt=0, le=100, description="road half-width, standard deviations")


_TRAIN = {"max_epochs": 40, "batch_size": 4, "learning_rate": 3e-3, "patience": None}


class ParticleTracking(Task):
    name = "particle-tracking"
    summary = "graph networks classify hit-pair edges; tracks by connected components"
    reference = Reference(
        "track efficiency (perfect edges)",
        None,
        "",
        "connected components of the graph's true edges: what the cuts allow",
    )
    settings = ParticleTrackingSettings
    methods = {
        "interaction-network": Method(
            "interaction-network",
            "DeZoort et al.'s interaction network (6 448 parameters)",
            InteractionSettings,
            presets={"quick": {"train": _TRAIN}, "full": {"train": {**_TRAIN, "max_epochs": 80}}},
        ),
        "gnn": Method(
            "gnn",
            "residual interaction network, 4 rounds (Ju et al.)",
            GNNSettings,
            presets={"quick": {"train": _TRAIN}, "full": {"train": {**_TRAIN, "max_epochs": 80}}},
        ),
        "helix-road": Method(
            "helix-road", "non-learned triplet helix consistency", HelixRoadSettings, False
        ),
    }
    default_method = "interaction-network"
    presets = {
        "quick": {},
        "full": {
            "n_train_events": 600,
            "n_test_events": 300,
            "tracks_per_event": [25, 50, 100, 200],
        },
    }

    def check(self, config: Any) -> None:
        detector = config.detector.build()
        most = max(config.tracks_per_event)
        if most > detector.cells():
            raise ConfigError(
                f"tracks_per_event={most} is more than the detector can hold: its innermost "
                f"layer has {detector.cells()} pixels (detector.pitch_rphi, detector.pitch_z)"
            )
        low, high = config.pt_range
        if not 0 < low < high <= 1e4:
            raise ConfigError(f"pt_range={[low, high]}: need 0 < min < max <= 1e4 GeV")
        if sorted(set(config.pt_bins)) != list(config.pt_bins) or config.pt_bins[0] < 0:
            raise ConfigError(f"pt_bins={config.pt_bins}: need increasing, non-negative edges")
        # a probe event of the smallest multiplicity: do the cuts leave any edge?
        from physml.models.graphs import build_graph

        event = _simulate(config, detector, min(config.tracks_per_event), np.random.default_rng(0))
        edges = build_graph(*_coords(event), detector.n_layers, **_cuts(config))
        if edges.shape[1] == 0:
            raise ConfigError(
                f"the graph has no edges after the cuts phi_slope_max={config.phi_slope_max}, "
                f"z0_max={config.z0_max} (probe event of {min(config.tracks_per_event)} "
                "tracks); loosen them"
            )

    def memory_estimate(self, config: Any) -> dict[str, float]:
        hits = max(config.tracks_per_event) * len(config.detector.radii)
        hits += config.detector.noise_per_layer * len(config.detector.radii)
        events = config.n_train_events + config.n_test_events
        # padded training graphs: ~3 edges per hit, 10 numbers per edge and hit
        return {"graphs: events x hits x ~4 edges x 10 numbers x 8 B": events * hits * 320.0}

    def run(self, config: Any, ctx: RunContext) -> dict[str, Metric]:
        method = self.method_of(config)
        detector = config.detector.build()
        train = _graphs(config, detector, ctx, part=0, n=config.n_train_events)
        test = _graphs(config, detector, ctx, part=1, n=config.n_test_events)
        ctx.log(
            f"{len(train)} + {len(test)} events, {np.mean([g['n_edges'] for g in test]):.0f} "
            "edges per test graph"
        )
        if method == "helix-road":
            from physml.models.graphs import HelixRoad

            road = HelixRoad(width=config.model.width).calibrate(
                (g["r"], g["phi"], g["z"], g["edges"], g["label"]) for g in train
            )
            scores = [road.score(g["r"], g["phi"], g["z"], g["edges"]).numpy() for g in test]
        else:
            scores = _train_and_score(config, method, train, test, ctx)
        from physml.tasks.symmetry.particle_tracking_eval import evaluate

        metrics, figure_data = evaluate(config, test, scores, bootstrap_seed(ctx.seed))
        _plot(ctx, figure_data, method)
        return metrics


def _cuts(config: Any) -> dict[str, float]:
    return {"phi_slope_max": config.phi_slope_max, "z0_max": config.z0_max}


def _coords(event) -> tuple[np.ndarray, ...]:
    return event.layer, event.r, event.phi, event.z


def _simulate(config: Any, detector, n_tracks: int, rng):
    from physml.sim.detector.tracking import simulate_event

    return simulate_event(
        detector,
        n_tracks,
        rng,
        pt_range=tuple(config.pt_range),
        pt_power=config.pt_power,
        eta_max=config.eta_max,
        z0_sigma=config.z0_sigma,
    )


def _graphs(config: Any, detector, ctx: RunContext, *, part: int, n: int) -> list[dict]:
    """``n`` simulated events with their graphs: hits, edges, truth labels, features."""
    import torch

    from physml.models.graphs import build_graph, edge_features, node_features
    from physml.sim.detector.tracking import true_edges

    graphs = []
    with ctx.progress("simulating events" if part else "simulating training events", n) as bar:
        for i in range(n):
            n_tracks = config.tracks_per_event[i % len(config.tracks_per_event)]
            event = _simulate(
                config, detector, n_tracks, generator(ctx.seed, Stream.TRACKING, part, i)
            )
            edges = build_graph(*_coords(event), detector.n_layers, **_cuts(config))
            a, b = edges.numpy()
            label = (event.particle[a] == event.particle[b]) & (event.particle[a] >= 0)
            graphs.append(
                {
                    "event": event,
                    "n_tracks": n_tracks,
                    "r": event.r,
                    "phi": event.phi,
                    "z": event.z,
                    "edges": edges,
                    "n_edges": edges.shape[1],
                    "label": torch.as_tensor(label),
                    "n_true_edges": true_edges(event.layer, event.particle).shape[1],
                    "x": node_features(event.r, event.phi, event.z),
                    "edge_attr": edge_features(event.r, event.phi, event.z, edges),
                }
            )
            bar.advance()
    return graphs


def _padded(graphs: list[dict]) -> list[np.ndarray]:
    """Graphs padded to one size for batching: nodes (B, N, 3), edges (B, E, 2), edge
    features (B, E, 4), labels and masks (B, E); N leaves one spare node per graph, where
    the padding edges point (so they send messages to no real hit)."""
    n_nodes = max(g["x"].shape[0] for g in graphs) + 1
    n_edges = max(max(g["n_edges"] for g in graphs), 1)
    b = len(graphs)
    x = np.zeros((b, n_nodes, 3), np.float32)
    edges = np.full((b, n_edges, 2), n_nodes - 1, np.float32)
    attr = np.zeros((b, n_edges, 4), np.float32)
    label, mask = np.zeros((b, n_edges), np.float32), np.zeros((b, n_edges), np.float32)
    for k, g in enumerate(graphs):
        n, e = g["x"].shape[0], g["n_edges"]
        x[k, :n] = g["x"].numpy()
        edges[k, :e] = g["edges"].numpy().T
        attr[k, :e] = g["edge_attr"].numpy()
        label[k, :e], mask[k, :e] = g["label"].numpy(), 1.0
    return [x, edges, attr, label, mask]


def _flat(x, edges, attr):
    """A padded batch as one disjoint graph: (B N, 3), (2, B E) int64, (B E, 4)."""
    import torch

    b, n = x.shape[:2]
    offset = (torch.arange(b, device=x.device) * n)[:, None, None]
    index = (edges.long() + offset).reshape(-1, 2).T
    return x.reshape(b * n, -1), index, attr.reshape(-1, attr.shape[-1])


def _edge_loss(model, batch):
    import torch.nn.functional as F

    x, edges, attr, label, mask = batch
    logits = model(*_flat(x, edges, attr))
    loss = F.binary_cross_entropy_with_logits(logits, label.flatten(), reduction="none")
    return (loss * mask.flatten()).sum() / mask.sum().clamp_min(1.0)


def _standardise(train: list[dict], test: list[dict]) -> None:
    """Scale hit and edge features of every graph by the training graphs' mean and
    standard deviation (the edges' dphi is ~1e-2 rad, their dr ~1e-1 m), in place."""
    import torch

    for key in ("x", "edge_attr"):
        pooled = torch.cat([g[key] for g in train])
        mean, std = pooled.mean(0), pooled.std(0).clamp_min(1e-12)
        for g in (*train, *test):
            g[key] = (g[key] - mean) / std


def _train_and_score(config, method: str, train, test, ctx) -> list[np.ndarray]:
    import torch

    from physml.models.graphs import InteractionNetwork
    from physml.tasks.training import fit_arrays

    _standardise(train, test)
    seed = member_seeds(ctx.seed, 1)[0]
    torch.manual_seed(seed)
    settings = config.model.model_dump()
    model = InteractionNetwork(**settings)
    ctx.log(f"{method}: {sum(p.numel() for p in model.parameters())} parameters")
    fit_arrays(
        model, _edge_loss, _padded(train), settings=config.train, seed=seed, ctx=ctx, name=method
    )
    model = model.cpu().float().eval()
    with torch.no_grad():
        return [
            torch.sigmoid(model(g["x"], g["edges"], g["edge_attr"])).double().numpy() for g in test
        ]


def _plot(ctx: RunContext, data: dict, method: str) -> None:
    """``tracking.png``: the edge ROC and the track efficiency against p_T."""
    from physml.tasks.figures import new_figure, save_figure

    fig, (roc, eff) = new_figure(ncols=2, figsize=(9, 3.6))
    roc.plot(data["fpr"], data["tpr"], label=method)
    roc.set(xlabel="false edges kept", ylabel="true edges kept", xscale="log", title="edge ROC")
    centres, value, error, reference = data["pt"]
    eff.errorbar(centres, value, error, fmt="o", label=method)
    eff.plot(centres, reference, "k--", label="perfect edges")
    eff.set(xlabel="p_T [GeV]", ylabel="track efficiency", xscale="log", ylim=(0, 1.05))
    eff.legend(fontsize=8)
    save_figure(fig, ctx.plot_dir / "tracking.png")
