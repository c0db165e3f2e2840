r"""Fields and their first and second coordinate derivatives at many points, by ``torch.func``.

:func:`field_derivatives` evaluates a network u: R^d -> R^m at N points together with its
Jacobian du/dz (N, m, d) and Hessian d^2u/dz^2 (N, m, d, d), all in one vectorised pass
(``vmap`` over the points) with the value and Jacobian carried along as auxiliary outputs
(so nothing is evaluated twice). A scalar field (m = 1, e.g. Burgers, Poisson) is
differentiated reverse-over-reverse (``vjp`` of the per-point ``vjp``); a vector field
(m > 1) by ``jacfwd(jacrev(u))``, forward-over-reverse. The reason (measured, ``physml
bench pinn``): for m = 1 the forward-mode pass carries a tangent through every operation
of both the forward and the backward pass (twice the matrix products of reverse-over-
reverse), and several of its rules are decompositions rather than fused kernels, so the
Burgers residual with its parameter gradient ran at 0.5-0.6 of nested autograd's rate on
the CPU; reverse-over-reverse takes the same graph as nested autograd, one more backward
pass for the column. For m > 1, reverse mode needs a pullback per field and per
coordinate, and forward-over-reverse stays the faster. The network's parameters are
closed over, so ordinary autograd takes the loss gradient through all of it.
:func:`nested_autograd_derivatives` is the plain way (``torch.autograd.grad`` on the
batch, once per coordinate and again for each second derivative): the baseline of
``physml bench pinn`` and the independent check of the ``torch.func`` path.

Example:
    >>> import torch
    >>> f = lambda z: (z**2).sum(-1, keepdim=True)
    >>> u, du, d2u = field_derivatives(f, torch.ones(3, 2, dtype=torch.float64))
    >>> du[0, 0].tolist(), d2u[0, 0].tolist()
    ([2.0, 2.0], [[2.0, 0.0], [0.0, 2.0]])
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch.func import jacfwd, jacrev, jvp, vjp, vmap

__all__ = ["field_derivatives", "nested_autograd_derivatives"]

Field = Callable[[torch.Tensor], torch.Tensor]


def field_derivatives(
    field: Field, points: torch.Tensor, *, second: bool | int = True
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor | None]:
    """u, du/dz and (if ``second``) d^2u/dz^2 of ``field`` at ``points``.

    ``second`` may be a coordinate index a: then only the Hessian's column
    d(du/dz_b)/dz_a is formed (one pass instead of d), e.g. u_xx and u_tx for Burgers.

    Parameters
    ----------
    field : callable
        Maps a batch (B, d) to (B, m), row by row (a coordinate network).
    points : tensor, shape (N, d)

    Returns
    -------
    u : (N, m)
    jacobian : (N, m, d)
    hessian : (N, m, d, d); (N, m, d) for an index ``second``; None for False
    """

    def value(z: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        u = field(z[None])[0]
        return u, u

    if second is False:
        jac, u = vmap(jacrev(value, has_aux=True))(points)
        return u, jac, None
    with torch.no_grad():
        scalar = field(points[:1]).shape[-1] == 1  # one point: which way is faster
    if scalar:
        return _reverse_over_reverse(value, points, second)

    def jacobian(z: torch.Tensor) -> tuple[torch.Tensor, tuple[torch.Tensor, torch.Tensor]]:
        jac, u = jacrev(value, has_aux=True)(z)
        return jac, (jac, u)

    if second is not True:
        tangent = torch.zeros(points.shape[1], dtype=points.dtype, device=points.device)
        tangent[second] = 1.0

        def column(z: torch.Tensor):
            _, d_jac, (jac, u) = jvp(jacobian, (z,), (tangent,), has_aux=True)
            return d_jac, jac, u

        d_jac, jac, u = vmap(column)(points)
        return u, jac, d_jac
    hess, (jac, u) = vmap(jacfwd(jacobian, has_aux=True))(points)
    return u, jac, hess


def _pullback_rows(fn, z: torch.Tensor):
    """The Jacobian (k, d) of ``fn``: z (d,) -> (out (k,), aux) by one ``vjp`` and a
    pullback per output (no vmap over the basis: k is 1 or d here), and ``aux``."""
    out, pullback, aux = vjp(fn, z, has_aux=True)
    basis = torch.eye(out.shape[0], dtype=out.dtype, device=out.device)
    return torch.stack([pullback(row)[0] for row in basis]), aux


def _reverse_over_reverse(value, points: torch.Tensor, second: bool | int):
    """u, du/dz and the Hessian (or its column ``second``) of a scalar field by ``vjp`` of
    the per-point ``vjp``, vmapped over the points."""

    def jacobian(z: torch.Tensor):
        jac, u = _pullback_rows(value, z)  # (1, d)
        wanted = jac[0] if second is True else jac[:, second]
        return wanted, (jac, u)

    def derivatives(z: torch.Tensor):
        rows, (jac, u) = _pullback_rows(jacobian, z)  # (d, d) or (1, d)
        return (rows[None] if second is True else rows), jac, u

    second_derivs, jac, u = vmap(derivatives)(points)
    return u, jac, second_derivs


def nested_autograd_derivatives(
    field: Field, points: torch.Tensor, *, create_graph: bool = True, second: bool | int = True
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor | None]:
    """The same u, du/dz, d^2u/dz^2 as :func:`field_derivatives` by nested ``autograd.grad``
    on the batch: one backward pass per output for the Jacobian, then one per output and
    coordinate for the Hessian, or one per output for the column of an index ``second``
    (the Hessian is symmetric, so its column a is the gradient of du/dz_a); on the CPU
    this is the faster path for one column (``physml bench pinn``)."""
    z = points.detach().requires_grad_(True)
    u = field(z)
    jac_rows, hess_rows = [], []
    for i in range(u.shape[1]):
        (g,) = torch.autograd.grad(u[:, i].sum(), z, create_graph=True)
        jac_rows.append(g)
        columns = [] if second is False else range(z.shape[1]) if second is True else [second]
        rows = [
            torch.autograd.grad(g[:, a].sum(), z, create_graph=create_graph)[0] for a in columns
        ]
        if rows:
            hess_rows.append(torch.stack(rows, dim=1) if second is True else rows[0])
    hess = torch.stack(hess_rows, dim=1) if hess_rows else None
    return u, torch.stack(jac_rows, dim=1), hess
