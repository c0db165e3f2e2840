"""Signals in time: exoplanet transits in stellar light curves and gravitational-wave
chirps in detector strain, each with the exact optimum detector beside it.

- :mod:`~physml.sim.timeseries.transits`: transit shapes, Mandel & Agol's uniform and
  quadratically limb-darkened occultation and the trapezoid, on circular orbits;
- :mod:`~physml.sim.timeseries.light_curves`: Kepler-like light curves (cadence, gaps),
  stellar variability with a known (exponential) covariance, white noise, whitening and
  the matched filter of a known transit;
- :mod:`~physml.sim.timeseries.chirps`: the analytic aLIGO-like noise curve and the
  TaylorF2 inspiral (post-Newtonian phase to 3.5PN), optimal SNR and Fisher matrix;
- :mod:`~physml.sim.timeseries.strain`: coloured Gaussian strain noise, whitening,
  injections and the FFT template-bank matched filter;
- :mod:`~physml.sim.timeseries.detection`: the exact detection probabilities of a known
  signal in Gaussian noise (known phase, Q; unknown phase, Marcum Q).
"""
