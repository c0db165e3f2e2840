"""A message-passing network whose messages learn pair forces (Cranmer et al.,
arXiv:2006.11287), in plain torch (``index_add_``; no torch-geometric import).

Every directed edge j -> i computes a message m_ij = phi_e(x_i, x_j, e_ij) of size
``message_dim``; each node sums the messages it receives, M_i = sum_j m_ij, and predicts
its output y_i = phi_v(x_i, M_i). Trained on the net forces of an N-body system (with an
L1 penalty on the messages, or ``message_dim`` = d as a bottleneck), the message
components that stay large are linear combinations of the pair force F_ij: their sum
over j is then the net force, which is what phi_v needs. (Trained on accelerations
instead, they become linear in the pair acceleration F_ij / m_i.) The network is
equivariant under relabelling the nodes (tested).

Shapes: ``nodes`` (n_nodes, node_features), ``edge_attr`` (n_edges, edge_features),
``edge_index`` (2, n_edges) int64 as (source j, target i) -> output (n_nodes, out_features).
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from physml.models.mlp import MLP

__all__ = ["ForceMessageNetwork", "complete_graph", "pair_inputs"]


def complete_graph(n_graphs: int, n_nodes: int) -> torch.Tensor:
    """Edge index (2, n_graphs n (n - 1)) of every ordered pair j != i within each of
    ``n_graphs`` graphs of ``n_nodes`` nodes numbered graph by graph."""
    source, target = torch.meshgrid(torch.arange(n_nodes), torch.arange(n_nodes), indexing="ij")
    keep = source != target
    one = torch.stack([source[keep], target[keep]])
    offsets = torch.arange(n_graphs).repeat_interleave(one.shape[1]) * n_nodes
    return one.repeat(1, n_graphs) + offsets


def pair_inputs(
    positions: torch.Tensor, node_features: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """The complete graphs of a batch of systems: positions (B, n, d) and node features
    (B, n, f) -> nodes (B n, f), edge features (x_i - x_j, |x_i - x_j|) of every edge j -> i
    (E, d + 1) and the edge index (2, E) of :func:`complete_graph`."""
    b, n, d = positions.shape
    edges = complete_graph(b, n).to(positions.device)
    flat = positions.reshape(b * n, d)
    delta = flat[edges[1]] - flat[edges[0]]
    edge_attr = torch.cat([delta, delta.norm(dim=1, keepdim=True)], dim=1)
    return node_features.reshape(b * n, -1), edge_attr, edges


class ForceMessageNetwork(nn.Module):
    """Messages phi_e, summed at their targets, then phi_v (module docstring).

    Args:
        node_features, edge_features: input sizes of a node and of an edge.
        out_features: size of a node's output (the dimension d for accelerations).
        message_dim: size of a message (Cranmer et al.: 100 with L1, or d as a bottleneck).
        hidden: hidden widths of phi_e and phi_v (ReLU).
    """

    def __init__(
        self,
        node_features: int,
        edge_features: int,
        out_features: int,
        message_dim: int = 16,
        hidden: Sequence[int] = (64, 64),
    ) -> None:
        super().__init__()
        self.message_dim = message_dim
        self.phi_e = MLP(2 * node_features + edge_features, hidden, message_dim)
        self.phi_v = MLP(node_features + message_dim, hidden, out_features)

    def messages(
        self, nodes: torch.Tensor, edge_attr: torch.Tensor, edge_index: torch.Tensor
    ) -> torch.Tensor:
        """m_ij of every edge, shape (n_edges, message_dim)."""
        source, target = edge_index
        return self.phi_e(torch.cat([nodes[target], nodes[source], edge_attr], dim=1))

    def forward(
        self, nodes: torch.Tensor, edge_attr: torch.Tensor, edge_index: torch.Tensor
    ) -> torch.Tensor:
        return self.update(nodes, self.messages(nodes, edge_attr, edge_index), edge_index)

    def update(
        self, nodes: torch.Tensor, messages: torch.Tensor, edge_index: torch.Tensor
    ) -> torch.Tensor:
        """phi_v(x_i, sum of the messages m_ij at i), shape (n_nodes, out_features)."""
        summed = torch.zeros(nodes.shape[0], self.message_dim, dtype=messages.dtype)
        summed = summed.to(messages.device).index_add_(0, edge_index[1], messages)
        return self.phi_v(torch.cat([nodes, summed], dim=1))

    def extra_repr(self) -> str:
        return f"message_dim={self.message_dim}"
