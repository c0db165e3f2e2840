"""Classical mechanics with exact (converged) dynamics.

- :mod:`~physml.sim.mechanics.springy_pendulum`: the springy double pendulum in d = 2
  (planar) or d = 3 with the gravity vector as an input, its Hamiltonian, exact vector
  field, random initial conditions and an adaptive 8th-order (DOP853) integrator whose
  energy is conserved to 1e-10.
- :mod:`~physml.sim.mechanics.rigid_double_pendulum`: the rigid planar double pendulum in
  angles and conjugate momenta with an in-plane gravity vector as an input, its closed-form
  Hamiltonian, Hamilton's equations, normal modes and DOP853 trajectories (energy to 1e-10).
- :mod:`~physml.sim.mechanics.damped_oscillator`: noisy trajectories of a damped
  harmonic oscillator with known per-trajectory noise, and the exact grid posterior of its
  damping rate (uq-regression's reference).
- :mod:`~physml.sim.mechanics.nbody`: N bodies with 1/r or 1/r^2 gravity or Coulomb pair
  forces (masses and charges), DOP853 trajectories conserving energy to 1e-9 and momentum
  to rounding, stopped at close encounters.
- :mod:`~physml.sim.mechanics.ideal_pendulum`: the ideal pendulum's Hamiltonian (numpy and
  sympy) and vector field.
- :mod:`~physml.sim.mechanics.exact_flow`: the DOP853 integration both exact references use.
"""
