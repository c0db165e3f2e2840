"""Physics simulators and their exact references, one module per physical system.

Pure functions and small classes on numpy / numba; nothing here imports a model or the
training engine. Import the module for the system you need: ``from physml.sim import ising``.
"""
