"""Classical mechanics with exact (converged) dynamics.

- :mod:`~physml.sim.mechanics.springy_pendulum`: the springy double pendulum in d = 2
  (planar) or d = 3 with the gravity vector as an input, its Hamiltonian, exact vector
  field, random initial conditions and an adaptive 8th-order (DOP853) integrator whose
  energy is conserved to 1e-10.
"""
