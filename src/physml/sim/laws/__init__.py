"""Known physical laws as data: :mod:`~physml.sim.laws.catalogue`, closed forms with the
units of every variable, sampled for symbolic regression."""
