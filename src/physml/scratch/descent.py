r"""Gradient descent and its stochastic, momentum and Adam variants on the OLS cost.

The cost is the mean squared error ``C(beta) = ||y - X beta||^2 / n`` with gradient
``g = 2 X^T (X beta - y) / n`` and constant Hessian ``H = 2 X^T X / n``. Plain gradient
descent ``beta <- beta - eta g`` converges for ``0 < eta < 2 / lambda_max(H)``, fastest near
``eta = 2 / (lambda_max + lambda_min)``; :func:`largest_stable_rate` gives ``2 / lambda_max``.
Every optimiser here starts from ``beta = 0`` and converges to the closed form of
:func:`physml.scratch.linear.ols_normal_equations`.

* :func:`gradient_descent`: the full gradient each step.
* :func:`sgd`: mini-batch gradients over shuffled epochs, learning rate
  ``eta_0 / (1 + decay * epoch)`` (a decaying rate removes the gradient noise at the
  minimum, so the iterates converge rather than hover).
* :func:`momentum`: ``v <- gamma v + eta g``, ``beta <- beta - v`` (heavy ball).
* :func:`adam`: Kingma & Ba, arXiv:1412.6980: running means of ``g`` and ``g^2`` with bias
  correction, step ``eta m_hat / (sqrt(v_hat) + eps)``.

Example:
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(100, 3))
    >>> y = X @ np.array([1.0, -2.0, 0.5]) + 0.1 * rng.normal(size=100)
    >>> beta = gradient_descent(X, y, rate=0.5 * largest_stable_rate(X), n_steps=500)
    >>> bool(np.allclose(beta, np.linalg.lstsq(X, y, rcond=None)[0], atol=1e-10))
    True
"""

from __future__ import annotations

import numpy as np

__all__ = ["adam", "gradient", "gradient_descent", "largest_stable_rate", "momentum", "sgd"]


def gradient(X: np.ndarray, y: np.ndarray, beta: np.ndarray) -> np.ndarray:
    """Gradient of the OLS cost ``||y - X beta||^2 / n``; shapes (n, p), (n,), (p,) -> (p,)."""
    return 2.0 / len(y) * (X.T @ (X @ beta - y))


def largest_stable_rate(X: np.ndarray) -> float:
    """``2 / lambda_max(2 X^T X / n)``: gradient descent diverges at or above this rate."""
    return float(2.0 / np.linalg.eigvalsh(2.0 / len(X) * X.T @ X)[-1])


def gradient_descent(X: np.ndarray, y: np.ndarray, *, rate: float, n_steps: int) -> np.ndarray:
    """``n_steps`` of ``beta <- beta - rate * g`` from zero; returns beta (p,)."""
    beta = np.zeros(X.shape[1])
    for _ in range(n_steps):
        beta -= rate * gradient(X, y, beta)
    return beta


def sgd(
    X: np.ndarray,
    y: np.ndarray,
    *,
    rate: float,
    n_epochs: int,
    batch_size: int,
    decay: float = 0.0,
    seed: int | np.random.Generator = 0,
) -> np.ndarray:
    """Mini-batch SGD: each epoch visits every sample once in a random order, in batches
    of ``batch_size``, with rate ``rate / (1 + decay * epoch)``; returns beta (p,)."""
    rng = np.random.default_rng(seed)
    beta = np.zeros(X.shape[1])
    for epoch in range(n_epochs):
        eta = rate / (1.0 + decay * epoch)
        order = rng.permutation(len(y))
        for start in range(0, len(y), batch_size):
            batch = order[start : start + batch_size]
            beta -= eta * gradient(X[batch], y[batch], beta)
    return beta


def momentum(
    X: np.ndarray, y: np.ndarray, *, rate: float, n_steps: int, gamma: float = 0.9
) -> np.ndarray:
    """Heavy-ball momentum, ``v <- gamma v + rate g``, ``beta <- beta - v``; returns beta."""
    beta = np.zeros(X.shape[1])
    velocity = np.zeros_like(beta)
    for _ in range(n_steps):
        velocity = gamma * velocity + rate * gradient(X, y, beta)
        beta -= velocity
    return beta


def adam(
    X: np.ndarray,
    y: np.ndarray,
    *,
    rate: float,
    n_steps: int,
    betas: tuple[float, float] = (0.9, 0.999),
    eps: float = 1e-8,
) -> np.ndarray:
    """Adam on the full gradient (Kingma & Ba 2014, Algorithm 1); returns beta (p,)."""
    beta = np.zeros(X.shape[1])
    m = np.zeros_like(beta)
    v = np.zeros_like(beta)
    b1, b2 = betas
    for t in range(1, n_steps + 1):
        g = gradient(X, y, beta)
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g**2
        m_hat, v_hat = m / (1 - b1**t), v / (1 - b2**t)
        beta -= rate * m_hat / (np.sqrt(v_hat) + eps)
    return beta
