"""physml.testing: each check passes on a correct model and fails on a broken one.

The models are small physics with known answers: a permutation-equivariant particle
layer, rotations of vectors, a Slater determinant's sign, the Ising energy, the invariant
mass under boosts, Gaussian and Boltzmann densities, the hydrogen-like log-wavefunction
-|r| (gradient -r/|r|, Laplacian -(d-1)/|r|) and exact Boltzmann samplers. The broken
ones carry the bugs these checks exist for: a position-dependent layer, a fixed frame, a
missing normalisation, a wrong dimension factor in a Laplacian, a sampler at the wrong
temperature.
"""

from __future__ import annotations

import doctest
import importlib
import itertools
import math
import subprocess
import sys

import numpy as np
import pytest
import torch
from scipy import stats

from physml.testing import (
    assert_equivariant,
    assert_gradients_match_finite_differences,
    assert_invariant,
    assert_matches_exact,
    assert_mean_matches,
    assert_normalized,
    assert_samples_match,
    sample_permutations,
)

F64 = torch.float64
pytestmark = pytest.mark.usefixtures("one_torch_thread")


def particles(batch: int, n: int, dim: int, seed: int, dtype=F64) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    return torch.randn(batch, n, dim, generator=g, dtype=F64).to(dtype)


class SetLayer(torch.nn.Module):
    """phi(x_i) + rho(mean_j x_j): permutation-equivariant; ``position`` breaks it."""

    def __init__(self, n: int, dim: int, position: bool = False) -> None:
        super().__init__()
        torch.manual_seed(0)
        self.phi, self.rho = torch.nn.Linear(dim, 4), torch.nn.Linear(dim, 4)
        self.position = torch.nn.Parameter(torch.randn(n, 4)) if position else None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = torch.tanh(self.phi(x) + self.rho(x.mean(1, keepdim=True)))
        return out if self.position is None else out + self.position


def rotations(count: int, seed: int) -> list[torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    qs = [torch.linalg.qr(torch.randn(3, 3, generator=g, dtype=F64))[0] for _ in range(count)]
    return [q * torch.sign(torch.det(q)) for q in qs]  # proper rotations, det = +1


# --------------------------------------------------------------------------- symmetry


@pytest.mark.parametrize("dtype", [torch.float32, F64])
def test_set_layer_is_permutation_equivariant_and_a_positional_one_is_not(dtype) -> None:
    x = particles(6, 5, 3, seed=1, dtype=dtype)
    perms = sample_permutations(5, 4, seed=2)
    model = SetLayer(5, 3).to(dtype)
    assert assert_equivariant(model, perms, perms, x) < (1e-6 if dtype == torch.float32 else 1e-14)
    with pytest.raises(AssertionError, match=r"f\(g.x\) = g.f\(x\) fails under action 0 of 4"):
        assert_equivariant(SetLayer(5, 3, position=True).to(dtype), perms, perms, x)


def test_radial_vector_field_is_rotation_equivariant_but_a_fixed_frame_is_not() -> None:
    """f(x) = x exp(-|x|^2) commutes with rotations; adding a fixed vector does not."""
    x = particles(8, 4, 3, seed=3)
    rots = rotations(3, seed=4)
    act = [lambda v, r=r: v @ r.T for r in rots]

    def field(v: torch.Tensor) -> torch.Tensor:
        return v * torch.exp(-(v**2).sum(-1, keepdim=True))

    assert_equivariant(field, act, act, x)
    wind = torch.tensor([0.0, 0.0, 0.1], dtype=F64)
    with pytest.raises(AssertionError, match="elements outside"):
        assert_equivariant(lambda v: field(v) + wind, act, act, x)


def test_slater_determinant_is_antisymmetric_tuple_outputs() -> None:
    """Exchanging two particles flips the sign of det[phi_j(x_i)] and keeps log|det|."""
    x = particles(5, 3, 3, seed=5)[..., 0]  # 3 particles in 1D

    def slogdet(v: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        orbitals = torch.stack([torch.ones_like(v), v, v**2 - 1], -1)  # Hermite 0, 1, 2
        return tuple(torch.linalg.slogdet(orbitals))

    swap = lambda v: v[:, [1, 0, 2]]  # noqa: E731
    assert_equivariant(slogdet, swap, lambda out: (-out[0], out[1]), x)
    with pytest.raises(AssertionError, match=r"\(output \[0\]\)"):
        assert_invariant(slogdet, swap, x)


def test_dict_outputs_are_compared_by_name() -> None:
    """Kinetic energy is a scalar and total momentum a vector under rotations."""
    v = particles(6, 4, 3, seed=12)
    rots = rotations(2, seed=13)

    def totals(x: torch.Tensor) -> dict[str, torch.Tensor]:
        return {"energy": 0.5 * (x**2).sum((1, 2)), "momentum": x.sum(1)}

    act = [lambda x, r=r: x @ r.T for r in rots]
    rotate_out = [lambda out, r=r: {**out, "momentum": out["momentum"] @ r.T} for r in rots]
    assert_equivariant(totals, act, rotate_out, v)
    with pytest.raises(AssertionError, match=r"\(output \['momentum'\]\)"):
        assert_invariant(totals, act, v)


def ising_energy(s: np.ndarray, field: float = 0.0) -> np.ndarray:
    """E = -sum_<ij> s_i s_j - field s_00 on a periodic L x L lattice, per configuration."""
    bonds = s * np.roll(s, 1, axis=1) + s * np.roll(s, 1, axis=2)
    return -bonds.sum((1, 2)) - field * s[:, 0, 0]


def test_ising_energy_is_invariant_under_translations_and_a_global_flip() -> None:
    s = np.random.default_rng(0).choice([-1.0, 1.0], size=(20, 4, 4))
    group = [lambda x, k=k: np.roll(x, k, axis=(1, 2)) for k in [(1, 0), (2, 3)]]
    group.append(lambda x: -x)
    assert assert_invariant(ising_energy, group, s) == 0.0
    with pytest.raises(AssertionError, match="fails under action"):
        assert_invariant(lambda x: ising_energy(x, field=0.5), group, s)


def boost_x(beta: float) -> torch.Tensor:
    gamma = 1 / math.sqrt(1 - beta**2)
    lam = torch.eye(4, dtype=F64)
    lam[0, 0] = lam[1, 1] = gamma
    lam[0, 1] = lam[1, 0] = -gamma * beta
    return lam


def test_invariant_mass_is_boost_invariant_but_pt_is_not() -> None:
    g = torch.Generator().manual_seed(6)
    p = torch.randn(10, 3, 3, generator=g, dtype=F64) * 20
    mass = 1.0 + torch.rand(10, 3, 1, generator=g, dtype=F64)
    k = torch.cat([torch.sqrt(mass**2 + (p**2).sum(-1, keepdim=True)), p], -1)  # (E, p)
    boosts = [lambda v, b=b: v @ boost_x(b).T for b in (0.3, -0.6, 0.9)]

    def m2(v: torch.Tensor) -> torch.Tensor:
        total = v.sum(1)
        return total[:, 0] ** 2 - (total[:, 1:] ** 2).sum(-1)

    # boosts amplify float64 rounding of E^2 - p^2 ~ 1e4 by gamma^2 ~ 5: pass rtol
    assert_invariant(m2, boosts, k, rtol=1e-9)
    with pytest.raises(AssertionError, match="fails under action 0 of 3"):
        assert_invariant(lambda v: v.sum(1)[:, 1:3].norm(dim=-1), boosts, k)


def test_default_tolerance_follows_the_output_dtype() -> None:
    """A 1e-7 relative symmetry breaking is rounding in float32 and a bug in float64."""
    perms = sample_permutations(6, 3, seed=7)

    def almost(x: torch.Tensor) -> torch.Tensor:
        return x.sum(1) * (1 + 1e-7 * x[:, :1].tanh())

    x = particles(4, 6, 2, seed=8)
    assert_invariant(almost, perms, x.float())
    with pytest.raises(AssertionError):
        assert_invariant(almost, perms, x)
    assert_invariant(almost, perms, x, rtol=1e-6)  # an explicit tolerance wins


def test_a_model_in_train_mode_is_reported_as_not_reproducible() -> None:
    torch.manual_seed(9)
    model = torch.nn.Sequential(torch.nn.Linear(3, 16), torch.nn.Dropout(0.5)).double()
    identity = [lambda x: x]
    with pytest.raises(AssertionError, match="not reproducible"):
        assert_equivariant(model, identity, identity, particles(4, 2, 3, seed=9))


def test_sampled_permutations_move_the_particles_and_nothing_else() -> None:
    x = particles(2, 4, 3, seed=0)
    moved = [act(x) for act in sample_permutations(4, 30, seed=1)]
    assert all(not torch.equal(m, x) for m in moved)  # never the identity
    for m in moved:  # a reordering of the particles, each one intact
        assert sorted(m[0].tolist()) == sorted(x[0].tolist())


def test_symmetry_arguments_are_checked() -> None:
    x = particles(2, 3, 1, seed=0)
    with pytest.raises(ValueError, match="one output action per input action"):
        assert_equivariant(lambda v: v, [lambda v: v] * 2, [lambda v: v], x)
    with pytest.raises(ValueError, match="action=3 is not allowed"):
        assert_invariant(lambda v: v, 3, x)
    with pytest.raises(ValueError, match="n=1 is not allowed"):
        sample_permutations(1, 3)


# --------------------------------------------------------------------------- normalisation


def test_gaussians_integrate_to_one_on_a_grid() -> None:
    cov = torch.tensor([[1.0, 0.8], [0.8, 2.0]], dtype=F64)
    gauss = torch.distributions.MultivariateNormal(torch.tensor([1.0, -0.5], dtype=F64), cov)
    z = assert_normalized(gauss.log_prob, bounds=[(-9.0, 11.0), (-14.0, 13.0)])
    assert abs(z - 1) < 1e-9
    mixture = torch.distributions.MixtureSameFamily(
        torch.distributions.Categorical(torch.tensor([0.3, 0.7], dtype=F64)),
        torch.distributions.Independent(
            torch.distributions.Normal(torch.tensor([[-1.0] * 3, [1.5] * 3], dtype=F64), 0.8), 1
        ),
    )
    assert_normalized(mixture.log_prob, bounds=[(-7.0, 7.0)] * 3)
    gauss32 = torch.distributions.MultivariateNormal(gauss.loc.float(), cov.float())
    log_prob32 = lambda x: gauss32.log_prob(x.float())  # noqa: E731
    assert log_prob32(torch.zeros(1, 2)).dtype == torch.float32
    assert_normalized(log_prob32, bounds=[(-9, 11), (-14, 13)])  # default atol 1e-4


def test_an_unnormalised_density_fails() -> None:
    gauss = torch.distributions.Normal(torch.tensor(0.0, dtype=F64), 1.0)
    with pytest.raises(AssertionError, match=r"off by \+0.001"):
        assert_normalized(lambda x: gauss.log_prob(x[:, 0]) + 1e-3, bounds=[(-9.0, 9.0)])
    with pytest.raises(AssertionError, match="a wider box"):  # 2 sigma: 4.6 % missing
        assert_normalized(lambda x: gauss.log_prob(x[:, 0]), bounds=[(-2.0, 2.0)])


def test_a_nan_density_fails() -> None:
    with pytest.raises(AssertionError, match="NaN at 64 of 128 points"):
        assert_normalized(lambda x: torch.where(x[:, 0] > 0, torch.nan, 0.0), bounds=[(-1, 1)])


def test_a_kinked_density_is_not_decided_on_a_coarse_grid() -> None:
    """The uniform density on [0, 1] inside a box [-1, 2]: the grid cannot resolve the
    edges to 1e-6, and the check says so instead of passing or failing."""

    def uniform(x: torch.Tensor) -> torch.Tensor:
        inside = (x[:, 0] >= 0) & (x[:, 0] <= 1)
        return torch.where(inside, 0.0, -torch.inf).to(F64)

    with pytest.raises(AssertionError, match="cannot decide"):
        assert_normalized(uniform, bounds=[(-1.0, 2.0)])
    assert_normalized(uniform, bounds=[(0.0, 1.0)])  # the box fitted to the support


def boltzmann_log_pmf(L: int, T: float) -> tuple[np.ndarray, np.ndarray]:
    """All 2^(L*L) configurations (spin i of state k is bit i of k) and log p(s)."""
    bits = (np.arange(2 ** (L * L))[:, None] >> np.arange(L * L)) & 1
    s = (2 * bits - 1).reshape(-1, L, L).astype(np.float64)
    log_w = -ising_energy(s) / T
    return s, log_w - np.logaddexp.reduce(log_w)


def test_an_enumerated_distribution_sums_to_one() -> None:
    states, log_p = boltzmann_log_pmf(3, 2.5)
    lookup = {tuple(s.ravel()): lp for s, lp in zip(states, log_p, strict=True)}
    log_prob = lambda s: np.array([lookup[tuple(x.ravel())] for x in s])  # noqa: E731
    assert abs(assert_normalized(log_prob, states=states) - 1) < 1e-12
    with pytest.raises(AssertionError, match="sum over 512 states"):
        assert_normalized(lambda s: -ising_energy(s) / 2.5, states=states)  # no log Z


def test_importance_sampling_in_six_dimensions() -> None:
    target = torch.distributions.MultivariateNormal(
        torch.zeros(6, dtype=F64), torch.eye(6, dtype=F64) + 0.3
    )
    wide = torch.distributions.Independent(
        torch.distributions.StudentT(5.0, torch.zeros(6, dtype=F64), 1.5), 1
    )
    assert abs(assert_normalized(target.log_prob, proposal=wide, n_samples=50_000) - 1) < 0.02
    with pytest.raises(AssertionError, match="importance-sampling estimate"):
        assert_normalized(lambda x: target.log_prob(x) + 0.1, proposal=wide, n_samples=50_000)
    narrow = torch.distributions.Independent(
        torch.distributions.Normal(torch.full((6,), 3.0, dtype=F64), 0.3), 1
    )
    with pytest.raises(AssertionError, match="cannot decide"):
        assert_normalized(target.log_prob, proposal=narrow, n_samples=2000)


def test_importance_sampling_with_numpy_and_scipy() -> None:
    target = stats.multivariate_normal(np.zeros(4), np.eye(4))
    proposal = stats.multivariate_normal(np.zeros(4), 2.0 * np.eye(4))
    assert_normalized(target.logpdf, proposal=proposal, n_samples=20_000, backend="numpy")


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({}, "none given"),
        ({"bounds": [(0, 1)], "states": np.zeros((2, 1))}, "bounds and states given"),
        ({"bounds": [(0, 1)] * 4}, "pass proposal="),
        ({"bounds": [(1, 0)]}, "finite low < high"),
        ({"bounds": [(0, 1)], "backend": "jax"}, "backend='jax'"),
        ({"bounds": [(0, 1)], "panels": 1}, "panels=1"),
    ],
)
def test_normalisation_arguments_are_checked(kwargs: dict, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        assert_normalized(lambda x: x[:, 0] * 0, **kwargs)


# --------------------------------------------------------------------------- exact values


def test_a_monte_carlo_estimate_matches_and_a_biased_one_does_not() -> None:
    x = np.random.default_rng(1).normal(size=40_000)
    mean, error = (x**2).mean(), (x**2).std(ddof=1) / math.sqrt(len(x))  # <x^2> = 1
    assert assert_matches_exact(mean, error, 1.0) < 5
    with pytest.raises(AssertionError, match="sigma"):
        assert_matches_exact(((1.05 * x) ** 2).mean(), error, 1.0)  # 14 sigma


def test_sample_means_against_exact_expectations() -> None:
    """<r^2> = 3 for a 3D standard normal; a sampler with sigma 1.04 fails (12 sigma)."""
    x = np.random.default_rng(3).normal(size=(20_000, 3))
    assert assert_mean_matches((x**2).sum(1), 3.0) < 5
    with pytest.raises(AssertionError, match="exact 3 by"):
        assert_mean_matches(((1.04 * x) ** 2).sum(1), 3.0)


def test_exact_values_compare_to_rounding() -> None:
    """sum 1/n^2 to N = 1e6 misses pi^2/6 by 1/N: a rounding tolerance sees it."""
    n = np.arange(1, 1_000_001, dtype=np.float64)
    basel = float((1 / n[::-1] ** 2).sum())
    with pytest.raises(AssertionError, match=r"exact 1\.644934067"):
        assert_matches_exact(basel, 0.0, math.pi**2 / 6)
    assert_matches_exact(basel + 1e-6, 0.0, math.pi**2 / 6, rtol=1e-11)  # tail ~ 1/N


def test_arrays_are_compared_element_wise() -> None:
    values, errors = np.array([1.01, 2.0, 2.9]), np.array([0.01, 0.01, 0.01])
    with pytest.raises(AssertionError, match=r"at \(2,\).* 1 of 3 elements"):
        assert_matches_exact(values, errors, np.array([1.0, 2.0, 3.0]))
    with pytest.raises(ValueError, match="error="):
        assert_matches_exact(1.0, -0.1, 1.0)


# --------------------------------------------------------------------------- derivatives


def hydrogen(x: torch.Tensor) -> torch.Tensor:
    """log psi = -|r| of the hydrogen ground state (Bohr units), one electron in 3D."""
    return -x.norm(dim=-1)


def test_hydrogen_gradient_and_laplacian_match_finite_differences() -> None:
    x = particles(8, 1, 3, seed=10)[:, 0] + 0.5  # away from the cusp at r = 0
    r = x.norm(dim=-1)
    grad = lambda v: -v / v.norm(dim=-1, keepdim=True)  # noqa: E731
    worst = assert_gradients_match_finite_differences(
        hydrogen, x, grad, laplacian=lambda v: -2 / v.norm(dim=-1)
    )
    assert worst < 1e-8
    with pytest.raises(AssertionError, match="Laplacian differs"):  # -(d-1)/r with d = 2
        assert_gradients_match_finite_differences(hydrogen, x, grad, laplacian=lambda v: -1 / r)
    with pytest.raises(AssertionError, match="gradient differs"):
        assert_gradients_match_finite_differences(hydrogen, x, lambda v: v / r[:, None])


class Softplus(torch.autograd.Function):
    """log(1 + e^x) with a hand-written backward (``wrong`` forgets the chain rule)."""

    @staticmethod
    def forward(ctx, x: torch.Tensor, wrong: bool) -> torch.Tensor:
        ctx.save_for_backward(x)
        ctx.wrong = wrong
        return torch.nn.functional.softplus(x)

    @staticmethod
    def backward(ctx, grad_out: torch.Tensor):
        (x,) = ctx.saved_tensors
        return (torch.ones_like(x) if ctx.wrong else grad_out) * torch.sigmoid(x), None


def test_autograd_of_a_custom_backward_against_finite_differences() -> None:
    x = particles(5, 4, 1, seed=11)[..., 0]
    assert_gradients_match_finite_differences(lambda v: (2 * Softplus.apply(v, False)).sum(1), x)
    with pytest.raises(AssertionError, match="gradient differs"):
        assert_gradients_match_finite_differences(lambda v: (2 * Softplus.apply(v, True)).sum(1), x)


def test_numpy_force_is_minus_the_gradient_of_the_potential() -> None:
    """Softened gravity of a unit mass: Phi = -1/sqrt(r^2 + 1), a = -x / (r^2 + 1)^(3/2)."""
    x = np.random.default_rng(2).normal(size=(6, 3))
    potential = lambda v: -1 / np.sqrt((v**2).sum(1) + 1)  # noqa: E731
    acceleration = lambda v: -v / ((v**2).sum(1, keepdims=True) + 1) ** 1.5  # noqa: E731
    assert_gradients_match_finite_differences(potential, x, lambda v: -acceleration(v))
    with pytest.raises(AssertionError, match="gradient differs"):
        assert_gradients_match_finite_differences(potential, x, acceleration)


def test_derivative_arguments_are_checked() -> None:
    with pytest.raises(ValueError, match="float64"):
        assert_gradients_match_finite_differences(hydrogen, torch.ones(2, 3))
    with pytest.raises(ValueError, match="fn returned float32"):
        assert_gradients_match_finite_differences(
            lambda v: hydrogen(v).float(), torch.ones(2, 3, dtype=F64)
        )
    with pytest.raises(ValueError, match="needs torch inputs"):
        assert_gradients_match_finite_differences(lambda v: v.sum(1), np.ones((2, 3)))


# --------------------------------------------------------------------------- sampling


def boltzmann_sampler(L: int, T: float, n: int):
    """Exact i.i.d. Boltzmann states of the L x L Ising model, as state indices."""
    _, log_p = boltzmann_log_pmf(L, T)
    p = torch.from_numpy(np.exp(log_p))
    return lambda batch: torch.multinomial(
        p, n, True, generator=torch.Generator().manual_seed(batch)
    )


def test_exact_boltzmann_samples_pass_and_the_wrong_temperature_fails() -> None:
    pmf = np.exp(boltzmann_log_pmf(3, 2.5)[1])  # 512 states, many sparse: pooled
    assert assert_samples_match(boltzmann_sampler(3, 2.5, 20_000), pmf) > 1e-3
    with pytest.raises(AssertionError, match="combined p-value"):
        assert_samples_match(boltzmann_sampler(3, 2.3, 20_000), pmf)


def test_heat_bath_chains_follow_boltzmann() -> None:
    """Independent heat-bath chains on 2 x 2; the last state of each chain is one sample.
    The broken update forgets that each spin has two bonds to each neighbour (periodic
    L = 2), i.e. runs at twice the temperature."""
    T, L = 2.5, 2
    pmf = np.exp(boltzmann_log_pmf(L, T)[1])

    def chains(batch: int, factor: float = 2.0) -> np.ndarray:
        rng = np.random.default_rng(batch)
        s = rng.choice([-1.0, 1.0], size=(20_000, L, L))
        for _ in range(10):
            for i, j in itertools.product(range(L), range(L)):
                h = factor * (s[:, (i + 1) % L, j] + s[:, i, (j + 1) % L])
                up = rng.random(len(s)) < 1 / (1 + np.exp(-2 * h / T))
                s[:, i, j] = np.where(up, 1.0, -1.0)
        return s

    def index(s: np.ndarray) -> np.ndarray:
        return ((s.reshape(len(s), -1) > 0) * 2 ** np.arange(L * L)).sum(1)

    assert_samples_match(chains, pmf, to_index=index)
    with pytest.raises(AssertionError, match="worst state"):
        assert_samples_match(lambda b: chains(b, factor=1.0), pmf, to_index=index)


def test_a_bias_shared_by_every_batch_is_caught_by_the_summed_counts() -> None:
    """p = (0.26, 0.24, 0.25, 0.25) against uniform in 10 batches of 4000: no batch is
    conclusive and Fisher's combination gives 2e-3, but the 40 000 counts summed do."""
    uniform = np.full(4, 0.25)
    biased = np.array([0.26, 0.24, 0.25, 0.25])
    batches = [np.random.default_rng(b).choice(4, 4000, p=biased) for b in range(10)]
    p_batches = [stats.chisquare(np.bincount(b, minlength=4), 1000.0).pvalue for b in batches]
    assert stats.combine_pvalues(p_batches).pvalue > 1e-3
    with pytest.raises(AssertionError, match=r"worst state 0: observed 10\d{3}"):
        assert_samples_match(batches, uniform)


def test_samples_in_impossible_states_fail_at_once() -> None:
    pmf = np.array([0.5, 0.5, 0.0])
    with pytest.raises(AssertionError, match="1 of 1000 samples in states of exact probability 0"):
        assert_samples_match([np.r_[np.zeros(500), np.ones(499), 2]], pmf)


def test_sampling_arguments_are_checked() -> None:
    with pytest.raises(ValueError, match="summing to one"):
        assert_samples_match([np.zeros(10)], np.array([0.5, 0.6]))
    with pytest.raises(ValueError, match=r"integers in 0\.\.1"):
        assert_samples_match([np.array([0, 1, 2])], np.array([0.5, 0.5]))
    with pytest.raises(ValueError, match=r"alpha=1\.5"):
        assert_samples_match([np.zeros(10)], np.array([0.5, 0.5]), alpha=1.5)


# --------------------------------------------------------------------------- the module


@pytest.mark.parametrize(
    "name",
    [
        "physml.testing",
        *(
            f"physml.testing.{m}"
            for m in ("symmetry", "normalization", "exact", "derivatives", "sampling")
        ),
    ],
)
def test_doctests(name: str) -> None:
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0 and result.failed == 0


def test_importing_physml_testing_leaves_torch_unloaded() -> None:
    code = "import sys, physml.testing; assert 'torch' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)
