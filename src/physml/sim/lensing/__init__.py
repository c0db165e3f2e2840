"""Strong gravitational lensing with analytic profiles, in pure torch.

- :mod:`~physml.sim.lensing.profiles`: deflection angles of the singular isothermal sphere
  and ellipsoid, external shear and point masses; the elliptical Sérsic source; the
  Einstein radius of a point mass;
- :mod:`~physml.sim.lensing.substructure`: 64 x 64 images of a Sérsic source behind an SIE
  with shear and no substructure, CDM subhalos (point masses, power-law mass function) or
  axion vortices (a line of point masses), by ray shooting, Gaussian PSF, background and
  Poisson noise (settings chosen to resemble DeepLense Model I, arXiv:1909.07346).
"""
