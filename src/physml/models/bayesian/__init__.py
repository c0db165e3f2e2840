"""Networks whose outputs are predictive distributions: Gaussian heads (deep ensembles,
MC dropout, Laplace, HMC) and mean-field variational layers (Bayes by backprop)."""

from physml.models.bayesian.bayes_by_backprop import BayesLinear, BayesMLP
from physml.models.bayesian.gaussian_mlp import GaussianMLP, gaussian_nll

__all__ = ["BayesLinear", "BayesMLP", "GaussianMLP", "gaussian_nll"]
