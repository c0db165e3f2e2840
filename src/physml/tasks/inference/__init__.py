"""Tasks of Bayesian inference: posteriors, predictive uncertainty and model averaging."""
