"""Graph networks on detector hits: :mod:`~physml.models.graphs.construction` (edges between
adjacent layers by geometric cuts, neighbour search in pure torch),
:mod:`~physml.models.graphs.interaction` (interaction-network edge classifiers on
torch-geometric's message passing), :mod:`~physml.models.graphs.helix_road` (a
non-learned helix-consistency edge score) and :mod:`~physml.models.graphs.force_messages`
(a plain-torch message-passing network whose messages learn N-body pair forces).

:class:`InteractionNetwork` is imported on first use: torch-geometric's import takes
seconds (it loads torch's compiler), which graph construction does not need.
"""

from typing import Any

from physml.models.graphs.construction import build_graph, edge_features, node_features
from physml.models.graphs.force_messages import ForceMessageNetwork, complete_graph, pair_inputs
from physml.models.graphs.helix_road import HelixRoad

__all__ = [
    "ForceMessageNetwork",
    "HelixRoad",
    "InteractionNetwork",
    "build_graph",
    "complete_graph",
    "edge_features",
    "node_features",
    "pair_inputs",
]


def __getattr__(name: str) -> Any:
    if name == "InteractionNetwork":
        from physml.models.graphs.interaction import InteractionNetwork

        return InteractionNetwork
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
