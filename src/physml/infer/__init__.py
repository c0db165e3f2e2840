"""Inference that is not "fit a loss on a dataset": variational Monte Carlo (:mod:`.vmc`),
variational autoregressive networks (:mod:`.van`), contrastive divergence for Boltzmann
machines (:mod:`.contrastive_divergence`), genetic algorithms (:mod:`.genetic`) and Hopfield
networks (:mod:`.hopfield`: Hebb, pseudo-inverse and Storkey rules, asynchronous and
synchronous recall, the replica capacity)."""
