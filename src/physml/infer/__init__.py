"""Inference that is not "fit a loss on a dataset": variational Monte Carlo (:mod:`.vmc`),
variational autoregressive networks (:mod:`.van`), contrastive divergence for Boltzmann
machines (:mod:`.contrastive_divergence`), genetic algorithms (:mod:`.genetic`) and Hopfield
networks (:mod:`.hopfield`: Hebb, pseudo-inverse and Storkey rules, asynchronous and
synchronous recall, the replica capacity), quantum state tomography (:mod:`.tomography`: an
RBM with amplitude and phase, RρR maximum likelihood) and reinforcement learning of control
protocols (:mod:`.control`: a gymnasium environment, tabular Q-learning / SARSA,
REINFORCE)."""
