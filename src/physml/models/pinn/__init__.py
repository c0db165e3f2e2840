"""Networks for physics-informed training: coordinates in, fields out
(:class:`~physml.models.pinn.networks.PINNNetwork`)."""

from physml.models.pinn.networks import FourierFeatures, PINNNetwork, Sine

__all__ = ["FourierFeatures", "PINNNetwork", "Sine"]
