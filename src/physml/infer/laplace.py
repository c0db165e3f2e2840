r"""The last-layer Laplace approximation of a Gaussian-head regression network.

The network's hidden layers are held at their trained (MAP) values, so its mean output is
linear in the last layer's weights theta (mean row and bias, d = hidden + 1): mu(x) =
phi(x)^T theta. With the trained heteroscedastic widths s_i taken as known, the
log-likelihood is exactly quadratic in theta, so the Laplace approximation of the
posterior under the prior N(0, 1/alpha) is exact for this sub-model (Daxberger et al.,
"Laplace Redux", NeurIPS 2021; MacKay 1992):

.. math:: H = \Phi^T \mathrm{diag}(1/s_i^2) \Phi + \alpha I, \qquad
   \mathrm{Var}[\mu(x_*)] = \phi_*^T H^{-1} \phi_*,

and the predictive of y at x_* is N(mu(x_*), s(x_*)^2 + phi_*^T H^{-1} phi_*). The prior
precision alpha maximises the Laplace evidence
``log p(D | theta_MAP) + d/2 log alpha - alpha/2 |theta_MAP|^2 - 1/2 log det H`` over a
log grid, through the eigenvalues of the Gauss-Newton matrix. Written here because
laplace-torch 0.3 needs torchvision, BackPACK, ASDL and curvlinops, and without a pinned
torch its install replaces this CPU torch by a CUDA build.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["LastLayerLaplace", "fit_last_layer_laplace"]


@dataclass(frozen=True)
class LastLayerLaplace:
    """Posterior covariance of the last layer and the prior precision chosen."""

    covariance: np.ndarray  # (d, d)
    prior_precision: float
    log_evidence: float

    def mean_variance(self, features: np.ndarray) -> np.ndarray:
        """Var[mu(x)] for features (n, d) (bias column included) -> (n,)."""
        return np.einsum("ni,ij,nj->n", features, self.covariance, features)


def fit_last_layer_laplace(
    features: np.ndarray,
    noise_var: np.ndarray,
    theta_map: np.ndarray,
    *,
    log10_prior_precisions: np.ndarray | None = None,
) -> LastLayerLaplace:
    """The last-layer Laplace posterior of a trained network.

    Args:
        features: phi(x_i) of the training points with a trailing 1 for the bias, (n, d).
        noise_var: the network's predictive variances s_i^2 there, (n,).
        theta_map: the trained last-layer mean weights and bias, (d,).
        log10_prior_precisions: the grid of log10 alpha searched (default -4..4, 81 values).
    """
    grid = np.linspace(-4, 4, 81) if log10_prior_precisions is None else log10_prior_precisions
    ggn = features.T @ (features / noise_var[:, None])
    eig = np.linalg.eigvalsh(ggn)
    d = features.shape[1]
    alphas = 10.0 ** np.asarray(grid, dtype=np.float64)
    sq = float(theta_map @ theta_map)
    evidence = np.array(
        [0.5 * d * np.log(a) - 0.5 * a * sq - 0.5 * np.log(eig + a).sum() for a in alphas]
    )
    best = int(np.argmax(evidence))
    alpha = float(alphas[best])
    covariance = np.linalg.inv(ggn + alpha * np.eye(d))
    return LastLayerLaplace(0.5 * (covariance + covariance.T), alpha, float(evidence[best]))
