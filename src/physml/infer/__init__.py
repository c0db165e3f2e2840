"""Inference that is not "fit a loss on a dataset": variational Monte Carlo (:mod:`.vmc`)."""
