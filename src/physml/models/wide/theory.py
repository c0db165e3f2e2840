r"""Kernels and four-point functions of MLPs at initialisation, and trained ReLU ensembles.

Notation of Roberts, Yaida & Hanin, *The Principles of Deep Learning Theory* (2022), for a
network without biases (:mod:`physml.models.wide.ensemble`), one input, hidden width n:

* kernel recursion (exact at every width, for the mean): ``K^(l+1) = C_W <sigma^2>_K``,
  ``K^(1) = C_W |x|^2 / n_0``;
* four-point recursion (leading order in 1/n): ``V^(l+1) = C_W^2 (<sigma^4>_K -
  <sigma^2>_K^2) + chi_par^2 V^(l)``, ``chi_par = C_W / (2 K^2) <sigma^2 (z^2 - K)>_K``,
  ``V^(1) = 0``, with ``<z^4>_c = <z^4> - 3 K^2 = 3 V / n``; reported as the normalised
  connected four-point function ``r = <z^4>_c / K^2 = 3 V / (n K^2)``;
* ReLU, exactly at finite width: with Gaussian weights ``|sigma(z^(l))|^2`` is ``|z^(l)|^2``
  times an independent (C_W / n) chi^2 of Binomial(n, 1/2) degrees of freedom, so
  ``r = 3 [(1 + 5/n)^(l-1) - 1]`` for any C_W (leading order ``15 (l - 1) / n``); with
  Haar-orthogonal weights ``z^(l)`` is uniform on a sphere of radius ``R_l`` with
  ``R_{l+1}^2 = C_W R_l^2 rho``, ``<rho^2> / <rho>^2 = 1 + 3 / (n + 2)``, so
  ``r = 3 [n / (n + 2) (1 + 3 / (n + 2))^(l-1) - 1]``.

Expectations ``<f>_K`` over z ~ N(0, K) are Gauss–Hermite sums (exact for polynomials of
degree < 2 x nodes). For trained ReLU networks :func:`relu_kernels` gives the arc-cosine
NNGP kernel and the NTK (Cho & Saul 2009; Jacot, Gabriel & Hongler 2018), and
:func:`trained_variance` the ensemble variance of the infinite-width network after t
steps of full-batch gradient descent on the mean squared error.
"""

from __future__ import annotations

import math

import numpy as np

__all__ = [
    "four_point_recursion",
    "gaussian_expectation",
    "kernel_recursion",
    "relu_four_point",
    "relu_kernels",
    "trained_variance",
]

_ACT = {"relu": lambda z: np.maximum(z, 0.0), "tanh": np.tanh, "linear": lambda z: z}


def gaussian_expectation(f, k: float, nodes: int = 101) -> float:
    """``<f(z)>`` for z ~ N(0, k), k > 0, by Gauss–Hermite quadrature (probabilists')."""
    x, w = np.polynomial.hermite_e.hermegauss(nodes)
    return float(w @ f(math.sqrt(k) * x) / math.sqrt(2 * math.pi))


def kernel_recursion(activation: str, c_w: float, k1: float, depth: int) -> np.ndarray:
    """``K^(1), ..., K^(depth)``, shape (depth,)."""
    sigma = _ACT[activation]
    k = [float(k1)]
    for _ in range(depth - 1):
        k.append(c_w * gaussian_expectation(lambda z: sigma(z) ** 2, k[-1]))
    return np.array(k)


def four_point_recursion(
    activation: str, c_w: float, k1: float, depth: int, width: int
) -> np.ndarray:
    """Leading-order ``r^(l) = <z^4>_c / K^2 = 3 V^(l) / (n K^(l)^2)``, l = 1..depth."""
    sigma = _ACT[activation]
    kernels = kernel_recursion(activation, c_w, k1, depth)
    v = [0.0]
    for k in kernels[:-1]:
        s2 = gaussian_expectation(lambda z: sigma(z) ** 2, k)
        s4 = gaussian_expectation(lambda z: sigma(z) ** 4, k)
        chi = c_w / (2 * k**2) * gaussian_expectation(lambda z, k=k: sigma(z) ** 2 * (z**2 - k), k)
        v.append(c_w**2 * (s4 - s2**2) + chi**2 * v[-1])
    return 3 * np.array(v) / (width * kernels**2)


def relu_four_point(width: int, depth: int, init: str) -> np.ndarray:
    """Exact ``r^(l) = <z^4> / <z^2>^2 - 3`` of bias-free ReLU networks, l = 1..depth,
    Gaussian or Haar-orthogonal hidden weights (see the module docstring)."""
    n, layers = float(width), np.arange(depth)
    if init == "gaussian":
        return 3 * ((1 + 5 / n) ** layers - 1)
    if init == "orthogonal":
        return 3 * (n / (n + 2) * (1 + 3 / (n + 2)) ** layers - 1)
    raise ValueError(f"init={init!r}: expected 'gaussian' or 'orthogonal'")


def relu_kernels(x: np.ndarray, depth: int, c_w: float = 2.0) -> tuple[np.ndarray, np.ndarray]:
    """NNGP kernel K and NTK Theta of the output of a depth-``depth`` bias-free ReLU
    network (linear last layer) on inputs ``x`` (p, n_0), each (p, p)."""
    x = np.asarray(x, dtype=np.float64)
    k = c_w * x @ x.T / x.shape[1]
    theta = k.copy()
    for _ in range(depth - 1):
        norm = np.sqrt(np.outer(np.diag(k), np.diag(k)))
        angle = np.arccos(np.clip(k / norm, -1.0, 1.0))
        k = c_w * norm / (2 * np.pi) * (np.sin(angle) + (np.pi - angle) * np.cos(angle))
        theta = k + c_w * (np.pi - angle) / (2 * np.pi) * theta
    return k, theta


def trained_variance(
    x_train: np.ndarray, x_test: np.ndarray, depth: int, lr: float, steps: int, c_w: float = 2.0
) -> np.ndarray:
    """Ensemble variance of the infinite-width network's output at ``x_test`` (q,) after
    ``steps`` of full-batch gradient descent with rate ``lr`` on ``mean (f - y)^2 / 2``.

    Linearised dynamics (exact at infinite width): ``f_t(x) = f_0(x) - A_t (f_0(X) - Y)``
    with ``A_t = Theta(x, X) Theta^-1 (1 - (1 - lr Theta / N)^t)`` and f_0 ~ GP(0, K).
    """
    p = len(x_train)
    k, theta = relu_kernels(np.concatenate([x_train, x_test]), depth, c_w)
    t_xx = theta[:p, :p]
    evals, evecs = np.linalg.eigh(t_xx)
    decay = 1 - (1 - lr * evals / p) ** steps
    a = theta[p:, :p] @ (evecs * (decay / evals)) @ evecs.T
    k_test = np.diag(k)[p:]
    return (
        k_test - 2 * np.einsum("qp,pq->q", a, k[:p, p:]) + np.einsum("qp,pr,qr->q", a, k[:p, :p], a)
    )
