"""Plain ``torch.nn.Module`` models: sizes in ``__init__``, tensors in ``forward``.

No training code lives in a model; :mod:`physml.train` fits them.
"""

from physml.models.lattice_cnn import LatticeCNN
from physml.models.mlp import MLP

__all__ = ["MLP", "LatticeCNN"]
