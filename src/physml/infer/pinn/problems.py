r"""What a physics-informed fit needs to know about its PDE.

A :class:`PDEProblem` is an ``nn.Module`` (so unknown coefficients of an inverse problem
are its trainable parameters) that names the coordinate box, draws collocation points,
turns the network's raw output into the fields (hard constraints: initial and boundary
data built in exactly), forms the residual from the fields and their derivatives, and
adds the soft losses (initial, boundary, data). :mod:`physml.infer.pinn.training` fits any
of them; the concrete PDEs are in :mod:`physml.infer.pinn.equations`.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

__all__ = ["PDEProblem"]


class PDEProblem(nn.Module):
    """Base class: override :meth:`residual`, and :meth:`output` / :meth:`soft_loss` where needed.

    Attributes:
        lower, upper: the coordinate box, one entry per coordinate (t first where there is time).
        n_fields: number of network outputs.
        second: which second derivatives :meth:`residual` reads: True (the Hessian), a
            coordinate index (one column of it) or False (none).
    """

    lower: tuple[float, ...]
    upper: tuple[float, ...]
    n_fields: int = 1
    second: bool | int = True

    @property
    def dim(self) -> int:
        return len(self.lower)

    def sample(self, n: int, rng: np.random.Generator) -> np.ndarray:
        """``n`` collocation points, uniform in the box (float64, shape (n, d))."""
        lower, upper = np.asarray(self.lower), np.asarray(self.upper)
        return lower + (upper - lower) * rng.random((n, self.dim))

    def output(self, z: torch.Tensor, raw: torch.Tensor) -> torch.Tensor:
        """The fields at ``z`` (N, d) from the network's output ``raw`` (N, n_fields)."""
        return raw

    def residual(
        self, z: torch.Tensor, u: torch.Tensor, jac: torch.Tensor, hess: torch.Tensor | None
    ) -> torch.Tensor:
        """PDE residuals (N, r) from fields u (N, m), du/dz (N, m, d) and second derivatives."""
        raise NotImplementedError

    def soft_loss(self, field) -> dict[str, torch.Tensor]:
        """Named soft losses (initial, boundary, data) of ``field``: (B, d) -> (B, m)."""
        return {}
