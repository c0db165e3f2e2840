"""Physics simulators and their exact references, one folder per physics domain.

Domains: ``statmech`` (Ising), ``collider`` (jets, events), ``quantum`` (traps, spins),
``astro`` (Plummer sphere), ``cosmology`` (random fields), ``inference`` (the
simulation-based-inference benchmark problems). Pure functions and small classes
on numpy / numba; nothing here imports a model or the training engine. Import the module
for the system you need: ``from physml.sim.statmech import ising``.
"""
