"""Inference that is not "fit a loss on a dataset": variational Monte Carlo (:mod:`.vmc`),
variational autoregressive networks (:mod:`.van`), contrastive divergence for Boltzmann
machines (:mod:`.contrastive_divergence`) and genetic algorithms (:mod:`.genetic`)."""
