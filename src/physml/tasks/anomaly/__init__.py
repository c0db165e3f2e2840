"""Anomaly detection and the geometry of data: networks at initialisation, data
dimension, autoencoders on manifolds."""
