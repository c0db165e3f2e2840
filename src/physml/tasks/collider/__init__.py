"""Collider tasks: ``qg-jets``, ``top-tagging``, ``higgs-events`` and ``cut-optimisation``;
:mod:`~physml.tasks.collider.jet_inputs` turns jets into the inputs of each network."""
