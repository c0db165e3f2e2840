"""Collider physics: jets, events and their exact likelihoods.

:mod:`~physml.sim.collider.phasespace` — four-vectors, boosts, RAMBO;
:mod:`~physml.sim.collider.jets` — the toy parton shower with an exact per-jet likelihood;
:mod:`~physml.sim.collider.top` — boosted top and QCD jets;
:mod:`~physml.sim.collider.observables` — jet mass, N-subjettiness, energy correlators;
:mod:`~physml.sim.collider.higgs` — H → ττ events with closed-form densities.
"""
