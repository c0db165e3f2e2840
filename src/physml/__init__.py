"""physml: machine learning for physics, measured against the physics.

Every built-in task ships an offline simulator and an exact (or optimal) reference;
every result is reported with its relative gap to that reference.
"""

__version__ = "0.1.0"
__all__ = ["__version__"]
