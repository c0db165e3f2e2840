r"""Uniform samples of manifolds whose dimension (and topology) is known exactly.

* ``sphere``: S^d in R^(d+1), the unit sphere, uniform (normalised Gaussians);
  dimension d.
* ``torus``: the flat Clifford torus T^k in R^(2k), ``(cos a_1, sin a_1, ..., cos a_k,
  sin a_k) / sqrt(k)`` with uniform angles (an isometric embedding, so the uniform angles
  are the uniform measure); dimension k.
* ``phase_space``: massless N-body phase space at sqrt(s) = 1 (RAMBO,
  :func:`physml.sim.collider.phasespace.rambo`), each event the 3N momentum components;
  dimension 3N - 4 (3N momenta less four-momentum conservation). For N = 3 it is a
  topological 5-sphere (seed 004).

:func:`manifold_dimension` gives the exact dimension, :func:`sample` the points
(n, ambient) in float64 from a ``numpy.random.Generator`` or int seed, :func:`excised`
the points of a band a task removes from its training data (a submanifold thickened by
``width``): the equator ``|x_last| < width`` of a sphere (two arcs of the circle), the
band ``|x_0| < width`` of a torus (cos a_1 near 0), and the events with
``|p_1z| < width`` of phase space.
"""

from __future__ import annotations

import math

import numpy as np

from physml.checks import check_int

__all__ = ["KINDS", "ambient_dimension", "excised", "manifold_dimension", "sample"]

KINDS = ("sphere", "torus", "phase_space")


def _check(kind: str, k: int) -> int:
    if kind not in KINDS:
        raise ValueError(f"kind={kind!r} is not allowed: expected one of {', '.join(KINDS)}")
    return check_int("k", k, minimum=2 if kind == "phase_space" else 1)


def manifold_dimension(kind: str, k: int) -> int:
    """Exact dimension: d for S^d, k for T^k, 3N - 4 for N-body phase space (k = N)."""
    k = _check(kind, k)
    return 3 * k - 4 if kind == "phase_space" else k


def ambient_dimension(kind: str, k: int) -> int:
    """Coordinates per point: d + 1, 2k or 3N."""
    k = _check(kind, k)
    return {"sphere": k + 1, "torus": 2 * k, "phase_space": 3 * k}[kind]


def sample(kind: str, k: int, n: int, seed) -> np.ndarray:
    """``n`` uniform points of the manifold, shape (n, ambient_dimension(kind, k))."""
    k = _check(kind, k)
    n = check_int("n", n, minimum=1)
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    if kind == "sphere":
        g = rng.normal(size=(n, k + 1))
        return g / np.linalg.norm(g, axis=1, keepdims=True)
    if kind == "torus":
        angles = rng.uniform(0, 2 * np.pi, size=(n, k))
        return np.stack([np.cos(angles), np.sin(angles)], axis=2).reshape(n, 2 * k) / math.sqrt(k)
    from physml.sim.collider.phasespace import rambo

    momenta, _ = rambo(1.0, [0.0] * k, n, seed=rng)
    return momenta[:, :, 1:].reshape(n, 3 * k)


def excised(kind: str, x: np.ndarray, width: float) -> np.ndarray:
    """Whether each point (n, ambient) lies in the excised band (see the module
    docstring), bool (n,)."""
    _check(kind, 2)
    column = {"sphere": -1, "torus": 0, "phase_space": 2}[kind]
    return np.abs(np.asarray(x)[:, column]) < width
