"""Partial differential equations with exact solutions, and spectral solvers for operator data.

- :mod:`~physml.sim.pde.burgers_exact`: the viscous Burgers solution with u(0, x) =
  -sin(pi x) on [-1, 1] by Cole-Hopf and Gauss-Hermite quadrature (any nu > 0);
- :mod:`~physml.sim.pde.linear_pdes`: heat and advection in closed form, 2D Poisson with
  manufactured solutions;
- :mod:`~physml.sim.pde.navier_stokes_exact`: Kovasznay flow (steady Navier-Stokes) and
  the decaying 2D Taylor-Green vortex;
- :mod:`~physml.sim.pde.spectral_burgers`, :mod:`~physml.sim.pde.spectral_navier_stokes`,
  :mod:`~physml.sim.pde.spectral_stepping`: pseudo-spectral periodic solvers (ETDRK4,
  dealiased) for 1D Burgers and 2D vorticity.
"""
