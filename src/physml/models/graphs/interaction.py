"""Interaction-network edge classifiers (Battaglia et al. 2016; DeZoort et al.,
arXiv:2103.16701) on torch-geometric's message passing.

One round: every edge computes an effect e'_ij = R1(x_i, x_j, e_ij); each hit sums the
effects of its edges at both ends (a_i, through :class:`torch_geometric.nn.MessagePassing`
with ``aggr="add"``) and updates x'_i = O(x_i, a_i); after the last round an edge's
logit is R2(x'_i, x'_j, e'_ij). With ``latent=None`` and one round this is DeZoort et al.'s
network: hidden width 40, effects of size 4, hits updated to size 3, 6 448 parameters on
3 hit and 4 edge features. With ``latent`` the inputs are first encoded to ``latent``
features and ``rounds`` residual rounds follow (the iterated edge and node networks of
Ju et al., arXiv:2003.11603): the larger GNN.

The network is equivariant under relabelling the hits and reordering the edges: the
logits follow the edges.
"""

from __future__ import annotations

import torch
from torch import nn
from torch_geometric.nn import MessagePassing

from physml.models.mlp import MLP

__all__ = ["InteractionNetwork"]


class _SumAtEnds(MessagePassing):
    """Sum of edge features at each edge's two hits, shape (n_nodes, features)."""

    def __init__(self) -> None:
        super().__init__(aggr="add", flow="source_to_target")

    def forward(self, edge_index: torch.Tensor, effects: torch.Tensor, n_nodes: int):
        at_target = self.propagate(edge_index, effects=effects, size=(n_nodes, n_nodes))
        at_source = self.propagate(edge_index.flip(0), effects=effects, size=(n_nodes, n_nodes))
        return at_target + at_source

    def message(self, effects: torch.Tensor) -> torch.Tensor:
        return effects


class InteractionNetwork(nn.Module):
    """Edge classifier: logits of edges being track segments.

    Args:
        node_features, edge_features: input sizes (3 and 4 for hits and edges).
        hidden: width of the two hidden layers of every MLP.
        effect_features: size of an edge's effect (without ``latent``).
        node_out: size of a hit's updated features (without ``latent``).
        rounds: message-passing rounds.
        latent: encode hits and edges to this size first and use it throughout (with
            residual updates); None: DeZoort et al.'s single-round network.

    Forward: ``x`` (n_nodes, node_features), ``edge_index`` (2, n_edges) int64,
    ``edge_attr`` (n_edges, edge_features) -> logits (n_edges,).
    """

    def __init__(
        self,
        node_features: int = 3,
        edge_features: int = 4,
        hidden: int = 40,
        effect_features: int = 4,
        node_out: int = 3,
        rounds: int = 1,
        latent: int | None = None,
    ) -> None:
        super().__init__()
        if rounds < 1:
            raise ValueError(f"rounds={rounds} must be >= 1")
        layers = [hidden, hidden]
        self.latent = latent
        if latent is not None:
            self.encode_nodes = MLP(node_features, layers, latent)
            self.encode_edges = MLP(edge_features, layers, latent)
            node_features = edge_features = effect_features = node_out = latent
        self.relational = nn.ModuleList()
        self.objects = nn.ModuleList()
        n, e = node_features, edge_features
        for _ in range(rounds):
            self.relational.append(MLP(2 * n + e, layers, effect_features))
            self.objects.append(MLP(n + effect_features, layers, node_out))
            n, e = node_out, effect_features
        self.classify = MLP(2 * n + e, layers, 1)
        self.sum_at_ends = _SumAtEnds()

    def forward(
        self, x: torch.Tensor, edge_index: torch.Tensor, edge_attr: torch.Tensor
    ) -> torch.Tensor:
        source, target = edge_index
        residual = self.latent is not None
        if residual:
            x, edge_attr = self.encode_nodes(x), self.encode_edges(edge_attr)
        for relational, objects in zip(self.relational, self.objects, strict=True):
            effects = relational(torch.cat([x[source], x[target], edge_attr], dim=1))
            summed = self.sum_at_ends(edge_index, effects, x.shape[0])
            update = objects(torch.cat([x, summed], dim=1))
            x = x + update if residual else update
            edge_attr = edge_attr + effects if residual else effects
        return self.classify(torch.cat([x[source], x[target], edge_attr], dim=1)).squeeze(1)
