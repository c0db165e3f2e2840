"""Contract and physics tests for the continuous-space wavefunctions.

The contract test is parametrised over every class (and a few configurations): shapes,
analytic derivatives against autograd, gradients reaching every parameter, exchange
symmetry where the ansatz has it, float32, state_dict and repr. The physics tests check
exact oscillator energies, the Kato cusp and the RBM's hidden-unit sum.
"""

from __future__ import annotations

import io
import itertools
import math

import numpy as np
import pytest
import torch
from numpy.polynomial import hermite as npherm

from physml.models.wavefunctions.deepset_wavefunction import DeepSetWavefunction
from physml.models.wavefunctions.gaussian_rbm import GaussianBinaryRBM
from physml.models.wavefunctions.jastrow import PadeJastrow, SimpleJastrow
from physml.models.wavefunctions.product_wavefunction import (
    ProductWavefunction,
    laplacian_by_autograd,
)
from physml.models.wavefunctions.slater import (
    SlaterDeterminant,
    hermite_polynomials,
    oscillator_quantum_numbers,
)
from physml.testing import (
    assert_equivariant,
    assert_gradients_match_finite_differences,
    assert_invariant,
)

F64 = torch.float64

# name -> (factory, exchange symmetry): "all" = every permutation, an int n_up = within
# each spin species (particles < n_up and >= n_up), None = not symmetric.
MODELS = {
    "rbm": (lambda: GaussianBinaryRBM(3, 2, 5), None),
    "rbm-fixed-sigma": (lambda: GaussianBinaryRBM(2, 3, 3, sigma=0.7, learn_sigma=False), None),
    "simple-jastrow": (lambda: SimpleJastrow(4, 2), None),
    "pade-cusp-2d": (lambda: PadeJastrow(4, 2), 2),
    "pade-cusp-3d": (lambda: PadeJastrow(3, 3, n_up=1), 1),
    "pade-bosons-1d": (lambda: PadeJastrow(3, 1, cusp=False), "all"),
    "slater-2d": (lambda: SlaterDeterminant(6, 2), 3),
    "slater-3d-open-shell": (lambda: SlaterDeterminant(5, 3), 3),
    "slater-polynomial": (lambda: SlaterDeterminant(6, 2, omega=0.5, gaussian=False), 3),
    "slater-1d-polarised": (lambda: SlaterDeterminant(3, 1, n_up=3), 3),
    "deepset": (lambda: DeepSetWavefunction(3, 2, (8, 8), latent=4), "all"),
    "deepset-silu-3d": (lambda: DeepSetWavefunction(4, 3, (6,), activation="silu"), "all"),
    "product-analytic": (
        lambda: ProductWavefunction(
            GaussianBinaryRBM(6, 2, 4), PadeJastrow(6, 2), SlaterDeterminant(6, 2, gaussian=False)
        ),
        None,
    ),
    "product-symmetric": (
        lambda: ProductWavefunction(SlaterDeterminant(4, 2), PadeJastrow(4, 2)),
        2,
    ),
    "product-deepset": (
        lambda: ProductWavefunction(DeepSetWavefunction(3, 2, (8,)), PadeJastrow(3, 2)),
        2,
    ),
}


def perturbed(name: str, seed: int = 0) -> torch.nn.Module:
    """The model in float64 with every parameter moved away from its initial value."""
    torch.manual_seed(seed)
    model = MODELS[name][0]().double()
    g = torch.Generator().manual_seed(seed + 1)
    with torch.no_grad():
        for p in model.parameters():
            p.add_(0.3 * torch.randn(p.shape, generator=g, dtype=p.dtype))
    return model


def configurations(model, batch: int = 6, seed: int = 0, dtype=F64) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    return torch.randn(batch, model.n_particles, model.dim, generator=g, dtype=F64).to(dtype)


def local_energy(log_psi_derivatives, x: torch.Tensor, omega: float = 1.0) -> torch.Tensor:
    """E_L = -1/2 (lap + |grad|^2) + omega^2 |x|^2 / 2 (isotropic trap, hbar = m = 1)."""
    _, grad, lap = log_psi_derivatives
    return -0.5 * (lap + (grad**2).sum((1, 2))) + 0.5 * omega**2 * (x**2).sum((1, 2))


def derivatives_of(model, x, **kwargs):
    if getattr(model, "has_analytic_derivatives", False):
        return model.derivatives(x)
    return laplacian_by_autograd(model, x, **kwargs)


# --------------------------------------------------------------------------- contract


@pytest.mark.parametrize("name", MODELS)
def test_shapes_and_analytic_derivatives_match_autograd(name: str) -> None:
    model = perturbed(name)
    x = configurations(model)
    log_psi = model(x)
    assert log_psi.shape == (6,) and log_psi.dtype == F64
    assert torch.isfinite(log_psi).all()
    auto = laplacian_by_autograd(model, x)
    assert [t.shape for t in auto] == [(6,), x.shape, (6,)]
    torch.testing.assert_close(auto[0], log_psi.detach(), rtol=0, atol=0)
    if not model.has_analytic_derivatives:
        return
    analytic = model.derivatives(x)
    assert [t.shape for t in analytic] == [(6,), x.shape, (6,)]
    for a, b in zip(analytic, auto, strict=True):
        torch.testing.assert_close(a, b, rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("name", MODELS)
def test_runs_on_the_device_it_is_moved_to(name: str) -> None:
    # meta tensors carry shapes only: a tensor made on the CPU inside forward or the
    # derivatives (instead of on x's device) would raise here
    model = perturbed(name).to("meta")
    x = configurations(model).to("meta")
    outputs = [model(x), *derivatives_of(model, x)]
    assert {t.device.type for t in outputs} == {"meta"}


@pytest.mark.parametrize("name", MODELS)
def test_derivatives_match_finite_differences(name: str) -> None:
    """The gradient and Laplacian of log|psi| that the VMC engine uses (analytic, or
    autograd's for the deep set) against five-point central differences of the model."""
    model = perturbed(name)
    assert_gradients_match_finite_differences(
        model,
        configurations(model),
        lambda x: derivatives_of(model, x)[1],
        laplacian=lambda x: derivatives_of(model, x)[2],
    )


@pytest.mark.parametrize("name", [n for n in MODELS if not n.startswith("deepset")])
def test_analytic_derivatives_are_differentiable_in_the_parameters(name: str) -> None:
    """d/dtheta of (lap + |grad|^2) agrees between analytic and autograd derivatives."""
    model = perturbed(name)
    if not model.has_analytic_derivatives:
        pytest.skip("no analytic derivatives")
    x = configurations(model, batch=3)
    params = [p for p in model.parameters()]

    def kinetic_grads(derivs):
        _, grad, lap = derivs
        return torch.autograd.grad((lap + (grad**2).sum((1, 2))).sum(), params, allow_unused=True)

    analytic = kinetic_grads(model.derivatives(x))
    auto = kinetic_grads(laplacian_by_autograd(model, x, create_graph=True))
    for a, b in zip(analytic, auto, strict=True):
        if a is None or b is None:
            assert a is None or torch.all(a == 0)
            assert b is None or torch.all(b == 0)
        else:
            torch.testing.assert_close(a, b, rtol=1e-9, atol=1e-9)


@pytest.mark.parametrize("name", MODELS)
def test_gradient_reaches_every_parameter(name: str) -> None:
    model = perturbed(name)
    model(configurations(model)).sum().backward()
    for pname, p in model.named_parameters():
        assert p.grad is not None and torch.isfinite(p.grad).all(), pname
        assert p.grad.abs().sum() > 0, pname


@pytest.mark.parametrize("name", [n for n, (_, sym) in MODELS.items() if sym is not None])
def test_exchange_symmetry(name: str) -> None:
    model = perturbed(name)
    symmetry = MODELS[name][1]
    x = configurations(model)
    n = model.n_particles
    g = torch.Generator().manual_seed(3)
    exchanges = []
    for _ in range(3):
        if symmetry == "all":
            perm = torch.randperm(n, generator=g)
        else:
            up = torch.randperm(symmetry, generator=g)
            down = symmetry + torch.randperm(n - symmetry, generator=g)
            perm = torch.cat([up, down])
        exchanges.append(lambda v, perm=perm: v[:, perm])
    assert_invariant(model, exchanges, x, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("name", MODELS)
def test_float32_agrees_with_float64(name: str) -> None:
    model64 = perturbed(name)
    model32 = perturbed(name).float()
    x = configurations(model64)
    for p in model32.parameters():
        assert p.dtype == torch.float32
    x32 = x.float()
    log32 = model32(x32)
    assert log32.dtype == torch.float32
    torch.testing.assert_close(log32.double(), model64(x), rtol=1e-4, atol=1e-4)
    d32 = derivatives_of(model32, x32)
    d64 = derivatives_of(model64, x)
    for a, b in zip(d32, d64, strict=True):
        assert a.dtype == torch.float32
        torch.testing.assert_close(a.double(), b, rtol=1e-3, atol=1e-3)


@pytest.mark.parametrize("name", MODELS)
def test_state_dict_reset_and_repr(name: str) -> None:
    model = perturbed(name)
    x = configurations(model)
    buffer = io.BytesIO()
    torch.save(model.state_dict(), buffer)
    buffer.seek(0)
    clone = MODELS[name][0]().double()
    clone.load_state_dict(torch.load(buffer, weights_only=True))
    torch.testing.assert_close(clone(x), model(x), rtol=0, atol=0)

    torch.manual_seed(5)
    model.reset_parameters()
    first = model(x)
    torch.manual_seed(5)
    model.reset_parameters()
    torch.testing.assert_close(model(x), first, rtol=0, atol=0)
    assert not torch.allclose(first, clone(x))

    text = repr(model)
    assert type(model).__name__ in text and "dim=" in text
    assert f"n_particles={model.n_particles}" in text


def test_detection_convention() -> None:
    """Callers test ``has_analytic_derivatives``; DeepSet has no ``derivatives`` at all."""
    deepset = DeepSetWavefunction(2, 2, (4,))
    assert deepset.has_analytic_derivatives is False
    assert not hasattr(deepset, "derivatives")
    for model in (GaussianBinaryRBM(2, 2, 3), SimpleJastrow(2, 2), PadeJastrow(2, 2)):
        assert model.has_analytic_derivatives is True
    assert SlaterDeterminant(2, 2).has_analytic_derivatives is True
    mixed = ProductWavefunction(PadeJastrow(2, 2), deepset)
    assert mixed.has_analytic_derivatives is False
    with pytest.raises(NotImplementedError, match="DeepSetWavefunction"):
        mixed.derivatives(torch.zeros(1, 2, 2))
    nested = ProductWavefunction(ProductWavefunction(PadeJastrow(2, 2)), GaussianBinaryRBM(2, 2, 1))
    assert nested.has_analytic_derivatives is True


@pytest.mark.parametrize(
    ("factory", "match"),
    [
        (lambda: GaussianBinaryRBM(0, 2, 3), "n_particles=0"),
        (lambda: GaussianBinaryRBM(2, 2, 3, sigma=-1.0), "sigma=-1.0"),
        (lambda: GaussianBinaryRBM(2, 2, 2.5), "n_hidden=2.5"),
        (lambda: SimpleJastrow(2, 0), "dim=0"),
        (lambda: PadeJastrow(2, 1), "cusp=True needs dim >= 2"),
        (lambda: PadeJastrow(3, 2, n_up=4), "n_up=4"),
        (lambda: PadeJastrow(3, 2, beta=0.0), "beta=0.0"),
        (lambda: SlaterDeterminant(3, 2, omega=0.0), "omega=0.0"),
        (lambda: SlaterDeterminant(3, 2, n_up=-1), "n_up=-1"),
        (lambda: DeepSetWavefunction(3, 2, activation="relu"), "activation='relu'"),
        (lambda: ProductWavefunction(), "at least one"),
        (
            lambda: ProductWavefunction(PadeJastrow(2, 2), PadeJastrow(3, 2)),
            "disagree on n_particles",
        ),
    ],
)
def test_invalid_arguments(factory, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        factory()


# --------------------------------------------------------------------------- RBM


def test_rbm_matches_the_sum_over_hidden_states() -> None:
    """log psi = log sum_h exp(-E(x, h)) with the FYS5429 energy, enumerated over 2^H."""
    model = perturbed("rbm")
    x = configurations(model)
    v = x.reshape(len(x), -1)
    sigma2 = model.sigma.detach() ** 2
    a, b, w = model.a.detach(), model.b.detach(), model.weight.detach()
    hidden = torch.tensor(list(itertools.product([0.0, 1.0], repeat=model.n_hidden)), dtype=F64)
    energy = (
        ((v - a) ** 2).sum(-1, keepdim=True) / (2 * sigma2)
        - hidden @ b
        - (v @ w @ hidden.T) / sigma2
    )  # (batch, 2^H)
    torch.testing.assert_close(model(x).detach(), torch.logsumexp(-energy, -1), rtol=1e-12, atol=0)


@pytest.mark.parametrize("omega", [1.0, 0.5])
def test_rbm_without_weights_is_the_oscillator_ground_state(omega: float) -> None:
    n, d = 3, 2
    model = GaussianBinaryRBM(n, d, 4, sigma=omega**-0.5).double()
    model.reset_parameters()  # log sigma exact in float64
    with torch.no_grad():
        model.weight.zero_()
        model.b.normal_()  # only shifts log psi by a constant
    x = configurations(model, batch=50) / math.sqrt(omega)
    energy = local_energy(model.derivatives(x), x, omega)
    torch.testing.assert_close(
        energy, torch.full_like(energy, n * d * omega / 2), rtol=0, atol=1e-12
    )


def test_rbm_starts_close_to_a_gaussian() -> None:
    torch.manual_seed(0)
    model = GaussianBinaryRBM(4, 2, 8).double()
    x = configurations(model, batch=20)
    gaussian = -0.5 * (x**2).sum((1, 2)) + model.n_hidden * math.log(2.0)
    assert (model(x).detach() - gaussian).abs().max() < 0.2


# --------------------------------------------------------------------------- Jastrow


def test_jastrows_match_explicit_pair_sums() -> None:
    model = perturbed("simple-jastrow")
    x = configurations(model)
    pairs = list(itertools.combinations(range(model.n_particles), 2))
    beta = model.beta.detach()
    expected = sum(beta[k] * (x[:, i] - x[:, j]).norm(dim=-1) for k, (i, j) in enumerate(pairs))
    torch.testing.assert_close(model(x).detach(), expected, rtol=1e-12, atol=1e-12)

    pade = PadeJastrow(3, 2, n_up=1, beta=0.7).double()
    x = configurations(pade)
    a = {(0, 1): 1.0, (0, 2): 1.0, (1, 2): 1.0 / 3.0}  # 0 up; 1, 2 down
    r = {p: (x[:, p[0]] - x[:, p[1]]).norm(dim=-1) for p in a}
    beta = pade.beta.detach()  # 0.7 rounded through float32
    expected = sum(a[p] * r[p] / (1 + beta * r[p]) for p in a)
    torch.testing.assert_close(pade(x).detach(), expected, rtol=1e-12, atol=1e-12)


def test_pade_cusp_coefficients() -> None:
    two_d = PadeJastrow(4, 2).double()  # n_up = 2: pairs (01)(02)(03)(12)(13)(23)
    expected = torch.tensor([1 / 3, 1, 1, 1, 1, 1 / 3], dtype=F64)
    torch.testing.assert_close(two_d.pair_coefficients(F64), expected, rtol=0, atol=0)
    three_d = PadeJastrow(3, 3, n_up=3)
    torch.testing.assert_close(three_d.pair_coefficients(), torch.full((3,), 0.25))
    assert PadeJastrow(2, 3).pair_coefficients().tolist() == [0.5]
    bosons = PadeJastrow(3, 2, cusp=False)
    assert [name for name, _ in bosons.named_parameters()] == ["log_beta", "a"]
    assert bosons.pair_coefficients().tolist() == [0.0, 0.0, 0.0]


def test_simple_jastrow_with_equal_betas_is_symmetric() -> None:
    model = SimpleJastrow(4, 3).double()
    with torch.no_grad():
        model.beta.fill_(0.4)
    reorder = lambda v: v[:, [2, 0, 3, 1]]  # noqa: E731
    assert_invariant(model, reorder, configurations(model), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("model", [SimpleJastrow(1, 2), PadeJastrow(1, 3)])
def test_jastrow_of_one_particle_is_one(model) -> None:
    model = model.double()
    x = configurations(model)
    log_j, grad, lap = model.derivatives(x)
    assert torch.all(log_j == 0) and torch.all(grad == 0) and torch.all(lap == 0)


@pytest.mark.parametrize("dim", [2, 3])
def test_pade_cusp_cancels_the_coulomb_singularity(dim: int) -> None:
    """E_L of Gaussian x Padé stays finite as an antiparallel pair meets (Kato cusp).

    For psi = exp(-|x|^2/2) exp(a r/(1 + beta r)), a = 1/(d-1), the local energy with
    V = |x|^2/2 + 1/r tends to d + 2 d a beta - a^2 as r -> 0, whatever the pair's centre.
    """
    gaussian = GaussianBinaryRBM(2, dim, 1, weight_std=0.0)
    jastrow = PadeJastrow(2, dim, beta=0.5)
    psi = ProductWavefunction(gaussian, jastrow).double()
    no_cusp = gaussian.double()
    g = torch.Generator().manual_seed(0)
    centre = torch.randn(dim, generator=g, dtype=F64)
    direction = torch.nn.functional.normalize(torch.randn(dim, generator=g, dtype=F64), dim=0)
    a, beta = 1.0 / (dim - 1), 0.5
    limit = dim + 2 * dim * a * beta - a**2
    energies, bare = [], []
    for r in (1e-3, 1e-5):
        x = torch.stack([centre + r / 2 * direction, centre - r / 2 * direction])[None]
        with torch.no_grad():
            energies.append(float(local_energy(psi.derivatives(x), x) + 1 / r))
            bare.append(float(local_energy(no_cusp.derivatives(x), x) + 1 / r))
    assert abs(energies[0] - limit) < 1e-2
    assert abs(energies[1] - limit) < 1e-4
    assert bare[1] > 0.9e5  # without the Jastrow the 1/r divergence remains


# --------------------------------------------------------------------------- Slater


def test_oscillator_quantum_numbers_fill_shells_in_order() -> None:
    assert oscillator_quantum_numbers(3, 1) == [(0,), (1,), (2,)]
    states = oscillator_quantum_numbers(10, 3)
    assert states[:4] == [(0, 0, 0), (1, 0, 0), (0, 1, 0), (0, 0, 1)]
    assert [sum(q) for q in states] == [0, 1, 1, 1, 2, 2, 2, 2, 2, 2]


def test_hermite_polynomials_match_numpy() -> None:
    y = torch.linspace(-3, 3, 13, dtype=F64)
    table = hermite_polynomials(y, 6)
    for n in range(7):
        coefficients = np.zeros(n + 1)
        coefficients[n] = 1.0
        np.testing.assert_allclose(table[:, n].numpy(), npherm.hermval(y.numpy(), coefficients))


@pytest.mark.parametrize("omega", [1.0, 0.5])
@pytest.mark.parametrize(
    ("n_particles", "dim", "n_up", "energy"),
    [
        (2, 2, None, 2.0),  # closed shells of the 2D oscillator: 2, 6, 12 electrons
        (6, 2, None, 10.0),
        (12, 2, None, 28.0),
        (8, 3, None, 18.0),  # 3D: 1s and 1p shells filled for both spins
        (3, 1, 3, 4.5),  # 1D spin-polarised: (1/2 + 3/2 + 5/2)
    ],
)
def test_slater_local_energy_is_the_closed_shell_energy(
    n_particles: int, dim: int, n_up: int | None, energy: float, omega: float
) -> None:
    model = SlaterDeterminant(n_particles, dim, omega=omega, n_up=n_up).double()
    x = configurations(model, batch=40, seed=1) / math.sqrt(omega)
    e_local = local_energy(model.derivatives(x), x, omega)
    torch.testing.assert_close(
        e_local, torch.full_like(e_local, energy * omega), rtol=1e-10, atol=1e-10
    )


def test_polynomial_slater_times_gaussian_rbm_equals_full_slater() -> None:
    omega = 0.5
    full = SlaterDeterminant(6, 2, omega=omega).double()
    envelope = GaussianBinaryRBM(6, 2, 2, sigma=omega**-0.5, weight_std=0.0)
    product = ProductWavefunction(SlaterDeterminant(6, 2, omega=omega, gaussian=False), envelope)
    product = product.double()
    x = configurations(full)
    full_derivs, product_derivs = full.derivatives(x), product.derivatives(x)
    # the RBM with W = b = 0 carries the constant sum_j softplus(0) = n_hidden * log 2
    torch.testing.assert_close(full_derivs[0], product_derivs[0] - 2 * math.log(2.0))
    torch.testing.assert_close(full(x), product(x) - 2 * math.log(2.0))
    for a, b in zip(full_derivs[1:], product_derivs[1:], strict=True):
        torch.testing.assert_close(a, b)


def test_slater_matrix_matches_numpy_orbitals() -> None:
    """log|psi| from independently built orbital matrices (numpy Hermite, explicit det)."""
    model = perturbed("slater-2d")
    alpha, omega = model.alpha.item(), model.omega
    x = configurations(model)
    states = oscillator_quantum_numbers(3, 2)
    y = np.sqrt(alpha * omega) * x.numpy()

    def orbital(q, point):
        return np.prod([npherm.hermval(point[c], np.eye(q[c] + 1)[q[c]]) for c in range(2)])

    expected = []
    for b in range(len(x)):
        log_abs = -0.5 * alpha * omega * (x[b] ** 2).sum().item()
        for block in (y[b, :3], y[b, 3:]):
            matrix = np.array([[orbital(q, p) for q in states] for p in block])
            log_abs += np.log(abs(np.linalg.det(matrix)))
        expected.append(log_abs)
    np.testing.assert_allclose(model(x).detach().numpy(), expected, rtol=1e-12)


def test_slater_is_antisymmetric_within_a_spin_species() -> None:
    model = perturbed("slater-2d")
    x = configurations(model)
    sign, _ = model.slogdet(x)
    swaps = []
    for i, j in [(0, 1), (1, 2), (3, 5)]:
        order = list(range(model.n_particles))
        order[i], order[j] = j, i
        swaps.append(lambda v, order=order: v[:, order])
    flip = [lambda out: (-out[0], out[1])] * len(swaps)  # sign -> -sign, log|psi| kept
    assert_equivariant(model.slogdet, swaps, flip, x, rtol=1e-12, atol=1e-12)
    # cross-check the sign with torch.det of the explicit first-shell matrices
    scale = model.alpha.detach().sqrt()

    def first_shell_det(block):
        h = hermite_polynomials(block * scale, 1)  # orbitals (0,0), (1,0), (0,1)
        return torch.det(torch.stack([h[..., 0].prod(-1), h[..., 0, 1], h[..., 1, 1]], -1))

    explicit = first_shell_det(x[:, :3]) * first_shell_det(x[:, 3:])
    torch.testing.assert_close(torch.sign(explicit), sign)


def test_slater_with_fixed_alpha_has_no_parameters() -> None:
    model = SlaterDeterminant(4, 2, learn_alpha=False)
    assert list(model.parameters()) == []
    assert "log_alpha" in model.state_dict()
    assert model.alpha.item() == 1.0


def test_two_particle_slater_is_the_product_of_ground_orbitals() -> None:
    model = SlaterDeterminant(2, 3, omega=0.7).double()
    with torch.no_grad():
        model.log_alpha.fill_(math.log(1.3))
    x = configurations(model)
    torch.testing.assert_close(
        model(x).detach(), -0.5 * 1.3 * 0.7 * (x**2).sum((1, 2)), rtol=1e-12, atol=1e-12
    )


# --------------------------------------------------------------------------- deep set


def test_deepset_starts_as_the_oscillator_ground_state() -> None:
    torch.manual_seed(0)
    omega = 0.5
    model = DeepSetWavefunction(3, 2, (8, 8), omega=omega).double()
    x = configurations(model, batch=10) / math.sqrt(omega)
    energy = local_energy(laplacian_by_autograd(model, x), x, omega)
    torch.testing.assert_close(energy, torch.full_like(energy, 3 * 2 * omega / 2))


def test_deepset_is_normalisable() -> None:
    model = perturbed("deepset")
    x = configurations(model)
    far = 10.0 * x / x.norm(dim=(1, 2), keepdim=True)
    assert torch.all(model(far) < model(torch.zeros_like(x)) - 30.0)


def test_deepset_handles_a_single_particle() -> None:
    model = DeepSetWavefunction(1, 2, (4,)).double()
    log_psi, _, lap = laplacian_by_autograd(model, configurations(model))
    assert log_psi.shape == (6,) and torch.isfinite(lap).all()
