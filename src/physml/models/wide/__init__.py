"""Ensembles of wide MLPs at initialisation and their infinite- and finite-width theory.

* :mod:`~physml.models.wide.ensemble`: a stack of independently initialised MLPs held
  with a leading ensemble dimension (Gaussian or Haar-orthogonal weights, NTK
  parametrisation), batched on one device.
* :mod:`~physml.models.wide.theory`: the kernel and four-point recursions of Roberts,
  Yaida & Hanin, closed forms for ReLU, Gaussian quadrature for other activations, and the
  arc-cosine NNGP / NTK kernels of trained ReLU networks.
"""

from physml.models.wide.ensemble import EnsembleMLP, layer_weights, preactivation_moments
from physml.models.wide.theory import (
    four_point_recursion,
    kernel_recursion,
    relu_four_point,
    relu_kernels,
    trained_variance,
)

__all__ = [
    "EnsembleMLP",
    "four_point_recursion",
    "kernel_recursion",
    "layer_weights",
    "preactivation_moments",
    "relu_four_point",
    "relu_kernels",
    "trained_variance",
]
