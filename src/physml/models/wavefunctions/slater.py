r"""Slater determinants of harmonic-oscillator orbitals for spin-1/2 fermions in a trap.

Conventions: x has shape (batch, n_particles, dim); hbar = m = 1, energies in units of
hbar*omega. Particles 0..n_up-1 are spin up, the rest spin down; the wavefunction is the
product of a spin-up and a spin-down determinant,

.. math::
    \log|\psi| = \log|\det D_\uparrow| + \log|\det D_\downarrow|, \qquad
    D_{ik} = \phi_k(x_i), \quad
    \phi_{\mathbf n}(x) = \prod_{c=1}^{d} H_{n_c}(\sqrt{\alpha\omega}\,x_c)
                           \; e^{-\alpha\omega |x|^2 / 2},

rows = particles, columns = orbitals, H_n the physicists' Hermite polynomials (evaluated
by their three-term recurrence) and alpha a variational width (alpha = 1: the exact
single-particle orbitals). Orbitals are filled by shell (energy (n + d/2) omega with
n = sum of the quantum numbers) and, inside a shell, in descending lexicographic order of
the quantum numbers ((1,0) before (0,1) in 2D): see :func:`oscillator_quantum_numbers`.
For open shells that picks one particular member of the degenerate set. The orbitals are
unnormalised, so log|psi| is defined up to an additive constant.

The Gaussian is the same for every orbital, so it factors out of each row:
:math:`\det D = \prod_i e^{-\alpha\omega|x_i|^2/2} \det P` with the polynomial matrix
:math:`P_{ik} = \prod_c H_{n_{kc}}(\sqrt{\alpha\omega}x_{ic})`. The determinant is taken of
P alone (better conditioned) and the Gaussian added to log|psi|; with ``gaussian=False``
the factor is the polynomial determinant only, to be multiplied by a separate envelope
(e.g. a :class:`~physml.models.wavefunctions.gaussian_rbm.GaussianBinaryRBM`).

Analytic derivatives use the inverse matrix: since row i depends on x_i only,

.. math::
    \nabla_i \log|\det P| = \sum_k \nabla\phi_k(x_i)\,(P^{-1})_{ki}, \qquad
    \nabla^2 \log|\det P| = \sum_{ik} \nabla^2\phi_k(x_i)\,(P^{-1})_{ki}
                            - \sum_i |\nabla_i \log|\det P||^2,

evaluated with ``torch.linalg.solve`` and ``torch.linalg.slogdet``. They are undefined on
the nodal surface (det P = 0), which Monte Carlo sampling of |psi|^2 never visits.

Derivative convention (shared by every continuous wavefunction in :mod:`physml.models`):
``has_analytic_derivatives`` is True here and ``derivatives(x)`` returns ``(log|psi|
(batch,), grad (batch, N, dim), Laplacian (batch,))``; callers check
``getattr(model, "has_analytic_derivatives", False)``. Computations follow x's dtype.

References:
    J. C. Slater, Phys. Rev. 34, 1293 (1929); M. Hjorth-Jensen, FYS4411/FYS5429 lecture
    notes (University of Oslo) on variational Monte Carlo for quantum dots.
"""

from __future__ import annotations

import itertools

import torch
from torch import nn

from physml.checks import check_int, check_n_up, check_real

__all__ = ["SlaterDeterminant", "hermite_polynomials", "oscillator_quantum_numbers"]


def hermite_polynomials(y: torch.Tensor, n_max: int) -> torch.Tensor:
    r"""Physicists' Hermite polynomials H_0(y), ..., H_{n_max}(y) by the recurrence.

    :math:`H_0 = 1,\ H_1 = 2y,\ H_{n+1} = 2y H_n - 2n H_{n-1}`.

    Shapes:
        y (...) -> (..., n_max + 1).
    """
    n_max = check_int("n_max", n_max, minimum=0)
    values = [torch.ones_like(y)]
    if n_max >= 1:
        values.append(2.0 * y)
    for n in range(1, n_max):
        values.append(2.0 * y * values[n] - 2.0 * n * values[n - 1])
    return torch.stack(values, dim=-1)


def oscillator_quantum_numbers(n_orbitals: int, dim: int) -> list[tuple[int, ...]]:
    """The first ``n_orbitals`` d-dimensional oscillator orbitals in filling order.

    Shells by increasing n = sum(q) (energy (n + dim/2) omega); inside a shell, tuples in
    descending lexicographic order.

    Example:
        >>> oscillator_quantum_numbers(6, 2)
        [(0, 0), (1, 0), (0, 1), (2, 0), (1, 1), (0, 2)]
    """
    n_orbitals = check_int("n_orbitals", n_orbitals, minimum=0)
    dim = check_int("dim", dim, minimum=1)
    states: list[tuple[int, ...]] = []
    shell = 0
    while len(states) < n_orbitals:
        in_shell = [q for q in itertools.product(range(shell + 1), repeat=dim) if sum(q) == shell]
        states.extend(sorted(in_shell, reverse=True))
        shell += 1
    return states[:n_orbitals]


def _shift(t: torch.Tensor) -> torch.Tensor:
    """t[..., n-1] at index n, zero at index 0."""
    return torch.cat([torch.zeros_like(t[..., :1]), t[..., :-1]], dim=-1)


class SlaterDeterminant(nn.Module):
    r"""Spin-up times spin-down Slater determinant of harmonic-oscillator orbitals.

    Args:
        n_particles: number of fermions N.
        dim: spatial dimension d.
        omega: trap frequency (> 0) that sets the orbitals' length scale.
        n_up: number of spin-up fermions (default ceil(N / 2)), particles 0..n_up-1.
        gaussian: include the Gaussian :math:`e^{-\alpha\omega|x|^2/2}` of the orbitals;
            False leaves the polynomial determinant only.
        learn_alpha: if True, :math:`\log\alpha` is a parameter (``log_alpha``, alpha
            starts at 1); else a buffer.

    Shapes:
        x (batch, n_particles, dim) -> log|psi| (batch,).

    Example:
        >>> import torch
        >>> slater = SlaterDeterminant(6, 2).double()
        >>> slater(torch.randn(4, 6, 2, dtype=torch.float64)).shape
        torch.Size([4])
    """

    has_analytic_derivatives = True

    def __init__(
        self,
        n_particles: int,
        dim: int,
        *,
        omega: float = 1.0,
        n_up: int | None = None,
        gaussian: bool = True,
        learn_alpha: bool = True,
    ) -> None:
        super().__init__()
        self.n_particles = check_int("n_particles", n_particles, minimum=1)
        self.dim = check_int("dim", dim, minimum=1)
        self.omega = check_real("omega", omega, positive=True)
        self.n_up = check_n_up(n_up, self.n_particles)
        self.n_down = self.n_particles - self.n_up
        self.gaussian = bool(gaussian)
        self.learn_alpha = bool(learn_alpha)
        states = oscillator_quantum_numbers(max(self.n_up, self.n_down), self.dim)
        self.n_max = max(max(q) for q in states)
        self.register_buffer("quantum_numbers", torch.tensor(states), persistent=False)
        log_alpha = torch.empty(())
        if self.learn_alpha:
            self.log_alpha = nn.Parameter(log_alpha)
        else:
            self.register_buffer("log_alpha", log_alpha)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        with torch.no_grad():
            self.log_alpha.zero_()

    @property
    def alpha(self) -> torch.Tensor:
        """Current variational width alpha (1 = exact oscillator orbitals)."""
        return self.log_alpha.exp()

    def _species(self, x: torch.Tensor):
        """(coordinates, n) for the non-empty spin species."""
        blocks = ((x[:, : self.n_up], self.n_up), (x[:, self.n_up :], self.n_down))
        return [(xs, n) for xs, n in blocks if n > 0]

    def _polynomial_matrix(self, xs: torch.Tensor, scale: torch.Tensor, n: int, order: int):
        """P (batch, n, n); with order 2 also grad P (batch, n, n, d) and lap P (batch, n, n)."""
        cols = torch.arange(self.dim, device=xs.device)
        q = self.quantum_numbers[:n]
        h = hermite_polynomials(xs * scale, self.n_max)  # (batch, n, d, n_max + 1)
        h_sel = h[:, :, cols, q]  # (batch, particle, orbital, d)
        p = h_sel.prod(-1)
        if order == 0:
            return p
        degree = torch.arange(self.n_max + 1, device=xs.device, dtype=xs.dtype)
        dh = 2.0 * degree * _shift(h)  # H_n' = 2n H_{n-1}
        d2h = 2.0 * degree * _shift(dh)  # H_n'' = 2n H_{n-1}'
        dh_sel, d2h_sel = dh[:, :, cols, q], d2h[:, :, cols, q]
        eye = torch.eye(self.dim, dtype=torch.bool, device=xs.device)
        grad = torch.stack(
            [torch.where(eye[c], dh_sel, h_sel).prod(-1) for c in range(self.dim)], dim=-1
        )
        lap = sum(torch.where(eye[c], d2h_sel, h_sel).prod(-1) for c in range(self.dim))
        return p, grad * scale, lap * scale**2

    def _width(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        alpha_omega = self.log_alpha.to(x.dtype).exp() * self.omega
        return alpha_omega, torch.sqrt(alpha_omega)

    def _envelope(self, x: torch.Tensor, alpha_omega: torch.Tensor) -> torch.Tensor:
        if not self.gaussian:
            return x.new_zeros(x.shape[0])
        return -0.5 * alpha_omega * (x**2).sum((1, 2))

    def slogdet(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Sign of psi (product of the two determinants' signs) and log|psi|.

        Shapes:
            x (batch, n_particles, dim) -> sign (batch,), log|psi| (batch,).
        """
        alpha_omega, scale = self._width(x)
        sign = x.new_ones(x.shape[0])
        log_abs = self._envelope(x, alpha_omega)
        for xs, n in self._species(x):
            s, logdet = torch.linalg.slogdet(self._polynomial_matrix(xs, scale, n, 0))
            sign = sign * s
            log_abs = log_abs + logdet
        return sign, log_abs

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.slogdet(x)[1]

    def derivatives(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Analytic ``(log|psi|, grad log|psi|, Laplacian of log|psi|)``.

        Shapes:
            x (batch, n_particles, dim) -> ((batch,), (batch, n_particles, dim), (batch,)).
        """
        alpha_omega, scale = self._width(x)
        log_psi = self._envelope(x, alpha_omega)
        grads, lap = [], x.new_zeros(x.shape[0])
        for xs, n in self._species(x):
            p, grad_p, lap_p = self._polynomial_matrix(xs, scale, n, 2)
            log_psi = log_psi + torch.linalg.slogdet(p)[1]
            # rows of grad_c P and lap P, stacked: one factorisation of P solves them all
            rhs = torch.cat([grad_p.movedim(-1, 1), lap_p.unsqueeze(1)], dim=1)
            batch = rhs.shape[0]
            solved = torch.linalg.solve(p, rhs.reshape(batch, -1, n), left=False)
            # (rhs P^-1)_{ii} = sum_k rhs_{ik} (P^-1)_{ki}
            diag = solved.reshape(rhs.shape).diagonal(0, -2, -1)
            grad = diag[:, : self.dim].transpose(1, 2)  # (batch, n, d)
            grads.append(grad)
            lap = lap + diag[:, self.dim].sum(-1) - (grad**2).sum((1, 2))
        grad = torch.cat(grads, dim=1)
        if self.gaussian:
            grad = grad - alpha_omega * x
            lap = lap - alpha_omega * self.n_particles * self.dim
        return log_psi, grad, lap

    def extra_repr(self) -> str:
        return (
            f"n_particles={self.n_particles}, dim={self.dim}, n_up={self.n_up}, "
            f"omega={self.omega:g}, gaussian={self.gaussian}, learn_alpha={self.learn_alpha}"
        )
