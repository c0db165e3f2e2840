"""Autoencoders; :class:`EnsembleAutoencoder` trains many seeds of one as a single
batched module (a leading member dimension on every weight)."""

from physml.models.autoencoders.ensemble import EnsembleAutoencoder

__all__ = ["EnsembleAutoencoder"]
