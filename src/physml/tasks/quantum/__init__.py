"""Quantum many-body tasks by variational Monte Carlo: ``ho-bosons``, ``quantum-dot``,
``tfim-chain`` and ``heisenberg-chain``; :mod:`~physml.tasks.quantum.vmc_task` is their
shared machinery."""
