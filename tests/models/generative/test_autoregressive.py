"""Autoregressive spin models: normalisation by exact enumeration, the autoregressive
property (Jacobian and perturbations), exact sampling (chi-square against exp(log q)), Z2
symmetry, input conventions, argument checks, and a maximum-likelihood fit to exact
samples of the 3 x 3 Ising model through the house fitting engine."""

from __future__ import annotations

import doctest
import itertools
import math

import numpy as np
import pytest
import torch

from physml.models.generative import autoregressive
from physml.models.generative.autoregressive import MADE, Autoregressive, MaskedConvAR
from physml.sim.statmech import ising
from physml.testing import assert_normalized, assert_samples_match

F64 = torch.float64


pytestmark = pytest.mark.usefixtures("one_torch_thread")


def all_configs(n: int) -> torch.Tensor:
    """All 2^n spin configurations (2^n, n), int8 +-1."""
    return torch.tensor(list(itertools.product([-1, 1], repeat=n)), dtype=torch.int8)


MODELS = {
    "made": lambda: MADE(9, 32, n_layers=2),
    "made-linear": lambda: MADE(9, 1, n_layers=0),
    "made-no-direct-tanh": lambda: MADE(9, 20, n_layers=1, direct=False, activation="tanh"),
    "made-narrow-deep-z2": lambda: MADE(9, 5, n_layers=3, z2=True),
    "pixelcnn": lambda: MaskedConvAR(3, 8, n_layers=2, half_kernel=1),
    "pixelcnn-z2": lambda: MaskedConvAR(3, 6, n_layers=3, half_kernel=2, z2=True),
}


def model_for(name: str, seed: int = 0, dtype=F64) -> Autoregressive:
    torch.manual_seed(seed)
    model = MODELS[name]().to(dtype)
    # random biases too, so no symmetry of the initialisation hides a bug
    with torch.no_grad():
        for p in model.parameters():
            p.add_(0.3 * torch.randn_like(p))
    return model


# --------------------------------------------------------------------------- normalisation


@pytest.mark.parametrize("name", MODELS)
def test_probabilities_sum_to_one_on_3x3(name: str) -> None:
    model = model_for(name)
    configs = all_configs(9)
    log_q = model.log_prob(configs).detach()
    assert log_q.shape == (512,) and log_q.dtype == F64
    assert_normalized(model.log_prob, states=configs, atol=1e-10)
    # (batch, L, L) input, raster order, gives the same numbers
    assert torch.equal(model.log_prob(configs.reshape(-1, 3, 3)), log_q)


@pytest.mark.parametrize("name", ["made", "pixelcnn-z2"])
def test_float32_is_normalised_too(name: str) -> None:
    model = model_for(name, dtype=torch.float32)
    assert_normalized(model.log_prob, states=all_configs(9), atol=1e-5)


def test_log_prob_is_sum_of_conditionals() -> None:
    model = model_for("made")
    s = all_configs(9)[::37].double()
    p_up = model.conditionals(s)
    expected = torch.where(s > 0, p_up, 1 - p_up).log().sum(1)
    assert torch.allclose(model.log_prob(s), expected, rtol=0, atol=1e-12)
    assert torch.equal(model(s), model.log_prob(s))


# --------------------------------------------------------------------------- autoregressive


@pytest.mark.parametrize("name", MODELS)
def test_jacobian_is_strictly_lower_triangular(name: str) -> None:
    model = model_for(name)
    x = torch.randn(9, dtype=F64)
    jac = torch.autograd.functional.jacobian(lambda v: model.logits(v[None])[0], x)
    assert jac.shape == (9, 9)
    assert torch.count_nonzero(jac.triu()) == 0  # logit i ignores s_j, j >= i
    assert torch.count_nonzero(jac.tril(-1)) > 0  # and is not trivially constant


@pytest.mark.parametrize("name", ["made", "made-linear", "pixelcnn"])
def test_flipping_later_spins_leaves_earlier_conditionals_unchanged(name: str) -> None:
    model = model_for(name)
    gen = torch.Generator().manual_seed(3)
    s = (2 * torch.randint(0, 2, (64, 9), generator=gen) - 1).double()
    base = model.logits(s)
    for i in range(9):
        flipped = s.clone()
        flipped[:, i:] = torch.where(torch.rand(64, 9 - i, generator=gen) < 0.5, 1.0, -1.0)
        assert torch.equal(model.logits(flipped)[:, : i + 1], base[:, : i + 1])


def test_made_full_connectivity_with_enough_hidden_units() -> None:
    """Every earlier site reaches every logit (no dead degrees when hidden >= N - 1)."""
    model = model_for("made-no-direct-tanh")
    jac = torch.autograd.functional.jacobian(
        lambda v: model.logits(v[None])[0], torch.randn(9, dtype=F64)
    )
    assert torch.all(jac.tril(-1)[torch.tril(torch.ones(9, 9, dtype=torch.bool), -1)] != 0)


# --------------------------------------------------------------------------- sampling


@pytest.mark.parametrize(
    "model",
    [
        lambda: MADE(4, 6, n_layers=1),
        lambda: MADE(4, 3, n_layers=2, z2=True),
        lambda: MaskedConvAR(2, 4, n_layers=2, half_kernel=1),
    ],
    ids=["made", "made-z2", "pixelcnn"],
)
def test_sample_frequencies_match_probabilities(model) -> None:
    torch.manual_seed(1)
    model = model().double()
    with torch.no_grad():
        for p in model.parameters():
            p.mul_(1.5)  # a clearly non-uniform distribution

    def draw(batch: int) -> torch.Tensor:  # 4 independent batches of 10 000 samples
        s, log_q = model.sample(10_000, torch.Generator().manual_seed(batch))
        s = s.reshape(-1, 4)
        assert torch.allclose(log_q, model.log_prob(s), rtol=0, atol=1e-12)
        return ((s > 0).long() * (2 ** torch.arange(4))).sum(1)  # state index, bit i = spin i

    configs = (2 * ((torch.arange(16)[:, None] >> torch.arange(4)) & 1) - 1).double()
    assert_samples_match(draw, model.log_prob(configs).exp(), n_batches=4)


def test_sample_is_reproducible_and_shaped() -> None:
    model = MADE(9, 16, n_layers=1, lattice=(3, 3))
    s1, l1 = model.sample(7, torch.Generator().manual_seed(5))
    s2, l2 = model.sample(7, torch.Generator().manual_seed(5))
    assert s1.shape == (7, 3, 3) and l1.shape == (7,) and s1.dtype == torch.float32
    assert torch.equal(s1, s2) and torch.equal(l1, l2)
    assert set(s1.unique().tolist()) <= {-1.0, 1.0}
    assert not l1.requires_grad
    assert MaskedConvAR(3, 4).sample(2)[0].shape == (2, 3, 3)
    assert MADE(5, 4).sample(1)[0].shape == (1, 5)


@pytest.mark.parametrize("kwargs", [{"n_layers": 1}, {"n_layers": 3}, {"n_layers": 0}])
def test_made_fast_sampler_matches_generic_loop(kwargs) -> None:
    """MADE's incremental sampler gives the same samples as N full forward passes."""
    torch.manual_seed(2)
    model = MADE(12, 7, **kwargs).double()  # hidden < N - 1: some degrees have no unit
    fast = model.sample(200, torch.Generator().manual_seed(9))
    model._sequential_logits = lambda x: Autoregressive._sequential_logits(model, x)
    slow = model.sample(200, torch.Generator().manual_seed(9))
    assert torch.equal(fast[0], slow[0])
    assert torch.allclose(fast[1], slow[1], rtol=0, atol=1e-12)


# --------------------------------------------------------------------------- Z2


@pytest.mark.parametrize("name", ["made-narrow-deep-z2", "pixelcnn-z2"])
def test_z2_symmetrised_model_is_flip_invariant(name: str) -> None:
    model = model_for(name)
    s = all_configs(9).double()
    log_q = model.log_prob(s)
    assert torch.allclose(log_q, model.log_prob(-s), rtol=0, atol=1e-12)
    # and it is the symmetrisation of the plain model
    model.z2 = False
    plain = model.log_prob(s)
    expected = torch.logaddexp(plain, model.log_prob(-s)) - math.log(2)
    assert torch.allclose(log_q, expected, rtol=0, atol=1e-12)
    assert not torch.allclose(plain, model.log_prob(-s))


def test_z2_samples_are_balanced() -> None:
    torch.manual_seed(0)
    model = MADE(9, 16, n_layers=1, z2=True)
    with torch.no_grad():
        model.out.bias.fill_(4.0)  # plain q: nearly always site 0 up ...
    s, _ = model.sample(4000, torch.Generator().manual_seed(1))
    up = float((s[:, 0] > 0).double().mean())
    assert abs(up - 0.5) < 0.04  # ... the symmetrised one half the time


# --------------------------------------------------------------------------- contract


def test_accepts_int8_lattices_from_the_simulator() -> None:
    model = MADE(16, 8, n_layers=1)
    spins = ising.sample(4, 2.5, 5, seed=0)
    out = model.log_prob(torch.from_numpy(spins))
    assert out.shape == (5,) and out.dtype == torch.float32
    assert torch.equal(out, model.log_prob(torch.from_numpy(spins).reshape(5, 16).float()))


def test_gradients_flow_and_masks_stay_fixed() -> None:
    model = model_for("made")
    loss = -model.log_prob(all_configs(9)[:50]).mean()
    loss.backward()
    for layer in (model.body[0], model.out, model.skip):
        assert torch.all(layer.weight.grad[layer.mask == 0] == 0)
    names = {n for n, _ in model.named_parameters()}
    assert all("mask" not in n for n in names)
    assert "degrees" not in model.state_dict()  # not persistent: derived from the sizes


def test_state_dict_round_trip_and_repr() -> None:
    a, b = model_for("pixelcnn", seed=0), model_for("pixelcnn", seed=1)
    b.load_state_dict(a.state_dict())
    s = all_configs(9)[:20]
    assert torch.equal(a.log_prob(s), b.log_prob(s))
    assert "channels=8" in repr(a) and "hidden=32" in repr(model_for("made"))


def test_rejects_bad_inputs() -> None:
    model = MADE(9, 8)
    with pytest.raises(ValueError, match=r"s.shape=\(2, 8\) is not allowed"):
        model.log_prob(torch.ones(2, 8))
    with pytest.raises(ValueError, match="every entry equal to -1 or \\+1"):
        model.log_prob(torch.zeros(2, 9))
    with pytest.raises(TypeError, match=r"torch\.Tensor"):
        model.log_prob(np.ones((2, 9)))
    with pytest.raises(ValueError, match="n=0 is not allowed"):
        model.sample(0)


@pytest.mark.parametrize(
    ("factory", "message"),
    [
        (lambda: MADE(0, 4), "n_sites=0 is not allowed: expected an int >= 1"),
        (lambda: MADE(4, 0), "hidden=0 is not allowed"),
        (lambda: MADE(4, 2.0), "hidden=2.0 is not allowed"),
        (lambda: MADE(4, 2, n_layers=-1), "n_layers=-1 is not allowed"),
        (lambda: MADE(4, 2, activation="elu"), "activation='elu' is not allowed"),
        (lambda: MADE(4, 2, z2=1), "z2=1 is not allowed: expected True or False"),
        (lambda: MADE(4, 2, n_layers=0, direct=False), "n_layers=0 is not allowed"),
        (lambda: MADE(4, 2, lattice=(3, 3)), r"lattice=\(3, 3\) is not allowed"),
        (lambda: MaskedConvAR(1, 4), "L=1 is not allowed"),
        (lambda: MaskedConvAR(4, 4, half_kernel=0), "half_kernel=0 is not allowed"),
        (lambda: MaskedConvAR(4, 4, n_layers=0), "n_layers=0 is not allowed"),
    ],
)
def test_argument_checks(factory, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        factory()


def test_doctests() -> None:
    result = doctest.testmod(autoregressive, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0 and result.failed == 0


# --------------------------------------------------------------------------- maximum likelihood


def test_maximum_likelihood_fit_to_exact_3x3_ising_samples() -> None:
    """MADE fitted by maximum likelihood (physml.train.fit) to exact Boltzmann samples of
    the periodic 3 x 3 Ising model reaches KL(p || q) < 0.05 nats."""
    from torch.utils.data import TensorDataset

    from physml.infer.van import negative_log_likelihood
    from physml.train.fitting import fit
    from physml.train.settings import FitSettings

    temperature = 2.0
    configs = all_configs(9)
    log_w = -9 * ising.energy(configs.numpy().reshape(-1, 3, 3)) / temperature
    p = np.exp(log_w - np.logaddexp.reduce(log_w))
    rng = np.random.default_rng(0)
    data = configs[rng.choice(512, size=20_000, p=p)].double()

    torch.manual_seed(0)
    model = MADE(9, 32, n_layers=1, z2=True).double()
    settings = FitSettings(
        max_epochs=15, batch_size=250, learning_rate=1e-2, patience=None, precision="64-true"
    )
    fit(model, negative_log_likelihood, TensorDataset(data), settings=settings, seed=0)
    with torch.no_grad():
        log_q = model.log_prob(configs).numpy()
    kl = float(np.sum(p * (np.log(p) - log_q)))
    assert 0.0 <= kl < 0.05
