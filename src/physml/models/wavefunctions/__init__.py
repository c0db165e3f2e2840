"""Neural-network and analytic wavefunctions returning log|psi| of a batch, with analytic
derivatives: continuous ones take (batch, n_particles, dim) coordinates, spin ones
(batch, n_sites) configurations of +1/-1."""
