"""Tests for physml.sim.quantum.trap: potentials and exact / literature references."""

from __future__ import annotations

import itertools
import math
import os
import subprocess
import sys

import numpy as np
import pytest
import torch

from physml.sim.quantum.trap import (
    QUANTUM_DOT_LITERATURE,
    HarmonicTrap,
    TrapReference,
    closed_shell_numbers,
    noninteracting_energy,
    single_particle_degeneracy,
    two_body_energy,
)

DTYPES = [torch.float32, torch.float64]
TOL = {torch.float32: 1e-5, torch.float64: 1e-12}

# Three particles in 2D at hand-picked positions: pair distances 5, sqrt(5), 2 sqrt(2).
X3 = [[0.0, 0.0], [3.0, 4.0], [1.0, 2.0]]
R3 = {(0, 1): 5.0, (0, 2): math.sqrt(5.0), (1, 2): math.sqrt(8.0)}


# --------------------------------------------------------------------------- potentials


@pytest.mark.parametrize("dtype", DTYPES)
def test_potentials_match_hand_computation(dtype):
    x = torch.tensor([X3], dtype=dtype)  # (1, 3, 2)
    omega = 0.5
    sum_r2 = 0 + 25 + 5
    trap_expected = 0.5 * omega**2 * sum_r2

    none = HarmonicTrap(3, 2, omega)
    assert none.trap_potential(x).item() == pytest.approx(trap_expected, rel=TOL[dtype])
    assert none.interaction_potential(x).item() == 0.0

    coulomb = HarmonicTrap(3, 2, omega, interaction="coulomb", strength=2.0)
    pair = 2.0 * sum(1.0 / r for r in R3.values())
    assert coulomb.interaction_potential(x).item() == pytest.approx(pair, rel=TOL[dtype])
    assert coulomb.potential(x).item() == pytest.approx(trap_expected + pair, rel=TOL[dtype])

    gauss = HarmonicTrap(3, 2, omega, interaction="gaussian", strength=-1.5, width=2.0)
    pair = -1.5 * sum(math.exp(-(r**2) / (2 * 2.0**2)) for r in R3.values())
    assert gauss.interaction_potential(x).item() == pytest.approx(pair, rel=TOL[dtype])
    for trap in (none, coulomb, gauss):
        v = trap.potential(x)
        assert v.shape == (1,) and v.dtype == dtype


def test_potential_batch_shapes_and_pairs():
    gen = torch.Generator().manual_seed(0)
    trap = HarmonicTrap(5, 3, 1.3, interaction="gaussian", strength=0.7, width=0.8)
    x = torch.randn(7, 5, 3, generator=gen, dtype=torch.float64)
    r = trap.pair_distances(x)
    assert r.shape == (7, trap.n_pairs) == (7, 10)
    loop = [
        sum(0.7 * math.exp(-float((x[b, i] - x[b, j]).square().sum()) / (2 * 0.8**2))
            for i, j in itertools.combinations(range(5), 2))
        for b in range(7)
    ]  # fmt: skip
    np.testing.assert_allclose(trap.interaction_potential(x).numpy(), loop, rtol=1e-12)
    one = HarmonicTrap(1, 2, interaction="coulomb")
    assert one.interaction_potential(torch.ones(4, 1, 2)).tolist() == [0.0] * 4


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("interaction", ["none", "coulomb", "gaussian"])
def test_potential_gradient_autograd(dtype, interaction):
    omega, lam, s = 0.8, 1.7, 0.9
    trap = HarmonicTrap(3, 2, omega, interaction=interaction, strength=lam, width=s)
    x = torch.tensor([X3], dtype=dtype, requires_grad=True)
    (grad,) = torch.autograd.grad(trap.potential(x).sum(), x)
    xs = np.array(X3)
    expected = omega**2 * xs
    for i, j in itertools.combinations(range(3), 2):
        d = xs[i] - xs[j]
        r = np.linalg.norm(d)
        if interaction == "coulomb":
            f = -lam / r**3 * d  # d/dx_i of lam / r
        elif interaction == "gaussian":
            f = -lam * math.exp(-(r**2) / (2 * s**2)) / s**2 * d
        else:
            f = 0 * d
        expected[i] += f
        expected[j] -= f
    assert grad.dtype == dtype
    np.testing.assert_allclose(grad[0].double().numpy(), expected, rtol=TOL[dtype], atol=TOL[dtype])


def test_potential_rejects_bad_input():
    trap = HarmonicTrap(3, 2)
    with pytest.raises(ValueError, match=r"expected \(batch, 3, 2\)"):
        trap.potential(torch.zeros(4, 2, 2))
    with pytest.raises(ValueError, match="floating torch tensor"):
        trap.potential(np.zeros((4, 3, 2)))
    with pytest.raises(ValueError, match="floating torch tensor"):
        trap.potential(torch.zeros(4, 3, 2, dtype=torch.int64))


def test_import_is_cheap():
    code = (
        "import sys, physml.sim.quantum.trap; print(sorted({'torch', 'scipy'} & set(sys.modules)))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)},
    )
    assert out.stdout.strip() == "[]"


# --------------------------------------------------------------------------- free particles


def _orbital_energies(dim: int, max_level: int = 12) -> list[int]:
    """Sorted n_1 + ... + n_dim over all Cartesian oscillator orbitals (by enumeration)."""
    return sorted(sum(n) for n in itertools.product(range(max_level + 1), repeat=dim))[
        : math.comb(max_level + dim, dim)
    ]


def _fermions_by_hand(n: int, dim: int, omega: float) -> float:
    levels = _orbital_energies(dim)
    up, down = (n + 1) // 2, n // 2
    return omega * sum(levels[k] + dim / 2 for k in [*range(up), *range(down)])


@pytest.mark.parametrize("dim", [1, 2, 3])
def test_noninteracting_bosons(dim):
    for n, omega in [(1, 1.0), (4, 0.3), (10, 2.5)]:
        assert noninteracting_energy(n, dim, omega) == pytest.approx(n * dim * omega / 2)


def test_noninteracting_fermion_shells():
    # 2D closed shells 2, 6, 12 -> 2, 10, 28 omega; 3D 2, 8, 20 -> 3, 18, 60 omega.
    assert closed_shell_numbers(2, 4) == (2, 6, 12, 20)
    assert closed_shell_numbers(3, 3) == (2, 8, 20)
    assert closed_shell_numbers(1, 3) == (2, 4, 6)
    for n, e in zip((2, 6, 12), (2, 10, 28), strict=True):
        assert noninteracting_energy(n, 2, 0.7, "fermions") == pytest.approx(0.7 * e)
    for n, e in zip((2, 8, 20), (3, 18, 60), strict=True):
        assert noninteracting_energy(n, 3, 1.0, "fermions") == pytest.approx(e)
    assert [single_particle_degeneracy(k, 3) for k in range(4)] == [1, 3, 6, 10]


@pytest.mark.parametrize("dim", [1, 2, 3])
def test_noninteracting_fermions_open_shells_by_enumeration(dim):
    for n in range(1, 24):
        expected = _fermions_by_hand(n, dim, 1.3)
        assert noninteracting_energy(n, dim, 1.3, "fermions") == pytest.approx(expected)


# --------------------------------------------------------------------------- two particles


@pytest.mark.parametrize("dim", [1, 2, 3])
@pytest.mark.parametrize("omega", [0.3, 1.0, 2.7])
def test_two_body_noninteracting_exact(dim, omega):
    e = two_body_energy(dim, omega, interaction="none")
    assert e == pytest.approx(dim * omega, rel=1e-10)
    e0 = two_body_energy(dim, omega, interaction="gaussian", strength=0.0, width=0.6)
    assert e0 == pytest.approx(dim * omega, rel=1e-10)


def test_two_body_taut_exact_points():
    # Two electrons: E = 3 at omega = 1 in 2D (Taut 1994), E = 2 at omega = 1/2 in 3D
    # (Taut 1993). Measured agreement ~1e-11.
    assert two_body_energy(2, 1.0, interaction="coulomb") == pytest.approx(3.0, abs=1e-9)
    assert two_body_energy(3, 0.5, interaction="coulomb") == pytest.approx(2.0, abs=1e-9)


@pytest.mark.parametrize(
    ("dim", "interaction", "strength", "width"),
    [(2, "coulomb", 1.0, 1.0), (3, "coulomb", 2.0, 1.0), (1, "gaussian", -2.0, 0.5),
     (2, "gaussian", 3.0, 0.7), (3, "gaussian", -1.0, 1.2)],
)  # fmt: skip
def test_two_body_converged_under_grid_refinement(dim, interaction, strength, width):
    kw = {"interaction": interaction, "strength": strength, "width": width}
    coarse = two_body_energy(dim, 0.8, n_grid=150, **kw)
    fine = two_body_energy(dim, 0.8, n_grid=300, **kw)
    default = two_body_energy(dim, 0.8, **kw)
    assert abs(fine - coarse) < 1e-9 * abs(fine)
    assert abs(default - fine) < 1e-9 * abs(fine)


def test_two_body_matches_dmc_for_quantum_dots():
    for omega in (0.1, 0.28, 0.5, 1.0):
        e = two_body_energy(2, omega, interaction="coulomb")
        assert e == pytest.approx(QUANTUM_DOT_LITERATURE[(2, 2, omega)][0], abs=1e-5)


@pytest.mark.parametrize("dim", [1, 2, 3])
def test_two_body_gaussian_monotone_and_hellmann_feynman(dim):
    omega, s = 1.0, 0.7
    strengths = [-3.0, -1.0, -0.2, 0.0, 0.2, 1.0, 3.0]
    e = [
        two_body_energy(dim, omega, interaction="gaussian", strength=v, width=s) for v in strengths
    ]
    assert np.all(np.diff(e) > 0)  # dE/dV0 = <exp(-r^2 / 2 s^2)> > 0
    assert e[0] < e[1] < dim * omega  # attraction lowers the energy
    # Hellmann-Feynman at V0 = 0: dE/dV0 = <exp(-r^2/(2 s^2))> over the free relative
    # ground state |psi|^2 ~ exp(-omega r^2 / 2), i.e. (omega / (omega + 1/s^2))^(dim/2).
    delta = 1e-3
    ep, em = (
        two_body_energy(dim, omega, interaction="gaussian", strength=v, width=s)
        for v in (delta, -delta)
    )
    slope = (ep - em) / (2 * delta)
    assert slope == pytest.approx((omega / (omega + 1 / s**2)) ** (dim / 2), rel=1e-5)


def test_two_body_warns_when_length_scales_are_too_far_apart():
    # A Gaussian 700 times narrower than the trap: a uniform grid hits roundoff first.
    with pytest.warns(RuntimeWarning, match="estimated error"):
        two_body_energy(2, 1.0, interaction="gaussian", strength=-1e4, width=2e-3)


def _brute_force_1d_pair(omega: float, v0: float, s: float, half_width: float, n: int) -> float:
    """Ground state of two 1D particles on an n x n grid in (x1, x2), Dirichlet box."""
    import scipy.sparse as sp
    from scipy.sparse.linalg import eigsh

    h = 2 * half_width / (n + 1)
    x = -half_width + h * np.arange(1, n + 1)
    lap = sp.diags([np.ones(n - 1), -2 * np.ones(n), np.ones(n - 1)], [-1, 0, 1]) / h**2
    eye = sp.identity(n)
    x1, x2 = np.meshgrid(x, x, indexing="ij")
    v = 0.5 * omega**2 * (x1**2 + x2**2) + v0 * np.exp(-((x1 - x2) ** 2) / (2 * s**2))
    ham = -0.5 * (sp.kron(lap, eye) + sp.kron(eye, lap)) + sp.diags(v.ravel())
    return float(eigsh(ham.tocsc(), k=1, sigma=v.min() - 1.0, return_eigenvectors=False)[0])


@pytest.mark.parametrize(("v0", "s"), [(-1.5, 0.7), (2.0, 0.5)])
def test_two_body_1d_gaussian_against_brute_force_grid(v0, s):
    # Independent check: the full 2D (x1, x2) problem, no centre-of-mass separation.
    # Second-order grids h and h/2 (nested), then one Richardson step.
    exact = two_body_energy(1, 1.0, interaction="gaussian", strength=v0, width=s)
    coarse = _brute_force_1d_pair(1.0, v0, s, 6.0, 79)
    fine = _brute_force_1d_pair(1.0, v0, s, 6.0, 159)
    assert abs(fine - exact) < 1e-3
    assert abs((4 * fine - coarse) / 3 - exact) < 1e-5


# --------------------------------------------------------------------------- references


def test_reference_dispatch():
    free = HarmonicTrap(6, 2, 0.5, statistics="fermions").reference()
    assert free == TrapReference(5.0, free.source, True)
    assert HarmonicTrap(4, 3, 2.0).exact_energy() == pytest.approx(12.0)
    assert HarmonicTrap(1, 2, 1.0, interaction="coulomb").exact_energy() == pytest.approx(1.0)
    zero = HarmonicTrap(3, 1, 1.0, interaction="gaussian", strength=0.0)
    assert zero.exact_energy() == pytest.approx(1.5)

    taut = HarmonicTrap(2, 2, 1.0, interaction="coulomb", statistics="fermions")
    assert taut.reference().exact and taut.exact_energy() == pytest.approx(3.0, abs=1e-9)
    kw = {"interaction": "gaussian", "strength": -1.0, "width": 0.5}
    boson_pair = HarmonicTrap(2, 1, 1.0, **kw)
    singlet_pair = HarmonicTrap(2, 1, 1.0, statistics="fermions", **kw)
    assert boson_pair.exact_energy() == two_body_energy(1, 1.0, **kw)
    assert singlet_pair.exact_energy() == boson_pair.exact_energy()

    dot = HarmonicTrap(6, 2, 1.0, interaction="coulomb", statistics="fermions")
    ref = dot.reference()
    assert ref.value == 20.15932 and not ref.exact and "115302" in ref.source
    assert dot.exact_energy() is None
    assert HarmonicTrap(12, 2, 0.28, interaction="coulomb", statistics="fermions").reference()

    # No reference: other strengths, frequencies, bosons, three interacting particles.
    for trap in [
        HarmonicTrap(6, 2, 1.0, interaction="coulomb", strength=2.0, statistics="fermions"),
        HarmonicTrap(6, 2, 0.7, interaction="coulomb", statistics="fermions"),
        HarmonicTrap(6, 2, 1.0, interaction="coulomb"),
        HarmonicTrap(3, 1, 1.0, interaction="gaussian", strength=-1.0),
    ]:
        assert trap.reference() is None and trap.exact_energy() is None


def test_literature_table_is_closed_shell_2d():
    for (n, dim, omega), (value, source) in QUANTUM_DOT_LITERATURE.items():
        assert dim == 2 and n in closed_shell_numbers(2, 4) and omega > 0
        # Interactions only raise the energy above the free closed-shell value.
        assert value > noninteracting_energy(n, 2, omega, "fermions")
        assert "Pedersen Lohne" in source


def test_spin_counts():
    assert (HarmonicTrap(7, 2, statistics="fermions").n_up, HarmonicTrap(7, 2).n_up) == (4, 7)
    assert HarmonicTrap(7, 2, statistics="fermions").n_down == 3
    assert HarmonicTrap(6, 2, statistics="fermions").n_down == 3
    assert HarmonicTrap(7, 2).n_down == 0


# --------------------------------------------------------------------------- validation


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"n_particles": 0}, "n_particles=0"),
        ({"n_particles": 2.0}, "n_particles=2.0"),
        ({"n_particles": True}, "n_particles=True"),
        ({"dim": 4}, r"dim=4 .*1\.\.3"),
        ({"omega": 0.0}, "omega=0.0"),
        ({"omega": float("nan")}, "omega=nan"),
        ({"interaction": "yukawa"}, "interaction='yukawa'.*'none', 'coulomb', 'gaussian'"),
        ({"interaction": "coulomb", "dim": 1}, "dim >= 2"),
        ({"strength": float("inf")}, "strength=inf"),
        ({"width": -1.0}, "width=-1.0"),
        ({"statistics": "anyons"}, "statistics='anyons'"),
    ],
)
def test_trap_validation(kwargs, match):
    args = {"n_particles": 2, "dim": 2, **kwargs}
    with pytest.raises(ValueError, match=match):
        HarmonicTrap(**args)


def test_function_validation():
    with pytest.raises(ValueError, match="interaction='coulomb' is not allowed with dim=1"):
        two_body_energy(1, 1.0, interaction="coulomb")
    with pytest.raises(ValueError, match="omega=-1"):
        two_body_energy(2, -1, interaction="none")
    with pytest.raises(ValueError, match="n_grid=4"):
        two_body_energy(2, 1.0, interaction="none", n_grid=4)
    with pytest.raises(ValueError, match="statistics='fermion'"):
        noninteracting_energy(2, 2, 1.0, "fermion")
    with pytest.raises(ValueError, match="n_shells=0"):
        closed_shell_numbers(2, 0)
    with pytest.raises(TypeError):
        two_body_energy(2, 1.0, "coulomb")  # interaction is keyword-only
