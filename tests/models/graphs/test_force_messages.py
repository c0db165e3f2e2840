"""The force-message network: complete graphs, pair inputs, equivariance under relabelling
the bodies, and messages that sum to the node model's input."""

from __future__ import annotations

import torch

from physml.models.graphs import ForceMessageNetwork, complete_graph, pair_inputs


def test_complete_graph_has_every_ordered_pair_within_each_graph() -> None:
    edges = complete_graph(3, 4)
    assert edges.shape == (2, 3 * 12)
    assert (edges[0] != edges[1]).all()
    assert (edges[0] // 4 == edges[1] // 4).all()
    assert len({tuple(e) for e in edges.T.tolist()}) == 36


def test_pair_inputs_are_separations_and_distances() -> None:
    positions = torch.tensor([[[0.0, 0.0], [3.0, 4.0]]], dtype=torch.float64)
    nodes, edge_attr, edges = pair_inputs(positions, torch.ones(1, 2, 2))
    assert nodes.shape == (2, 2)
    j, i = edges[:, 0]
    torch.testing.assert_close(edge_attr[0, :2], positions[0, i] - positions[0, j])
    torch.testing.assert_close(edge_attr[:, 2], torch.full((2,), 5.0, dtype=torch.float64))


def test_relabelling_the_bodies_relabels_the_outputs() -> None:
    torch.manual_seed(0)
    net = ForceMessageNetwork(2, 3, 2, message_dim=4).double()
    positions, features = torch.randn(2, 5, 2, dtype=torch.float64), torch.rand(2, 5, 2)
    perm = torch.randperm(5)
    out = net(*pair_inputs(positions, features.double())).reshape(2, 5, 2)
    moved = net(*pair_inputs(positions[:, perm], features[:, perm].double())).reshape(2, 5, 2)
    torch.testing.assert_close(moved, out[:, perm])


def test_update_sees_the_sum_of_the_messages() -> None:
    torch.manual_seed(1)
    net = ForceMessageNetwork(1, 3, 2, message_dim=2).double()
    nodes, edge_attr, edges = pair_inputs(
        torch.randn(1, 3, 2, dtype=torch.float64), torch.ones(1, 3, 1)
    )
    messages = net.messages(nodes, edge_attr, edges)
    shuffled = torch.randperm(edges.shape[1])  # the order of the edges does not matter
    torch.testing.assert_close(
        net.update(nodes, messages[shuffled], edges[:, shuffled]), net(nodes, edge_attr, edges)
    )
