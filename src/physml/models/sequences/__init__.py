"""Networks on sequences (time series, phase-folded light curves): a 1D CNN, a recurrent
network (GRU or LSTM) and a transformer encoder over time.

Conventions shared by the family: inputs are float tensors (batch, channels, length) (a
whitened strain segment is one channel; AstroNet's global and local views two); outputs
are (batch, n_outputs), the first a detection logit, any others regression targets.
"""

from physml.models.sequences.conv1d import ConvNet1d
from physml.models.sequences.recurrent import RecurrentNet
from physml.models.sequences.time_transformer import TimeTransformer

__all__ = ["ConvNet1d", "RecurrentNet", "TimeTransformer"]
