"""Astrophysics tasks: ``plummer-flow``."""
