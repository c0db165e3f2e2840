"""Neural operators: maps between functions sampled on grids.

* :mod:`~physml.models.operators.fno`: the Fourier neural operator (Li et al.,
  arXiv:2010.08895), 1D and 2D, whose spectral layers act on the lowest Fourier modes and
  so apply unchanged at any resolution that holds them;
* :mod:`~physml.models.operators.deeponet`: DeepONet (Lu et al., Nat. Mach. Intell. 3, 218
  (2021)), a branch net on the input function at fixed sensors and a trunk net on the
  query point;
* :mod:`~physml.models.operators.rescaled`: a network working in rescaled units.
"""

from physml.models.operators.deeponet import DeepONet
from physml.models.operators.fno import FNO, SpectralConv
from physml.models.operators.rescaled import Rescaled

__all__ = ["FNO", "DeepONet", "Rescaled", "SpectralConv"]
