"""Variational autoregressive networks against the exact Ising free energy.

The torch energy against the simulator's, a VAN on the periodic 4 x 4 lattice at T = 2.5
against Kaufman's exact ln Z (within 0.5 %, and never below it beyond statistical error:
the variational bound, also checked exactly by enumerating all 2^16 states), annealing,
callbacks, the divergence safeguard and argument checks.
"""

from __future__ import annotations

import doctest
import itertools
import math

import numpy as np
import pytest
import torch
from pydantic import ValidationError

from physml.infer import van
from physml.infer.van import (
    VANDiverged,
    VANSettings,
    VANStep,
    free_energy_estimate,
    ising_energy,
    negative_log_likelihood,
    train_van,
)
from physml.models.generative.autoregressive import MADE, MaskedConvAR
from physml.sim.statmech import ising
from physml.testing import assert_matches_exact, assert_normalized

L, T = 4, 2.5


pytestmark = pytest.mark.usefixtures("one_torch_thread")


def exact_free_energy(size: int, temperature: float) -> float:
    """F / N = -T ln Z / N from Kaufman's exact partition function."""
    return float(-temperature * ising.exact_log_partition_function(size, temperature) / size**2)


@pytest.fixture(scope="module")
def trained() -> tuple[MADE, list[VANStep], float]:
    torch.set_num_threads(1)
    torch.manual_seed(0)
    model = MADE(L * L, 32, n_layers=1, activation="tanh", z2=True).double()
    settings = VANSettings(
        batch_size=256, n_steps=300, lr=1e-2, beta_anneal=0.98, lr_decay=True, seed=1
    )
    history = train_van(model, L, T, settings)
    return model, history, exact_free_energy(L, T)


# --------------------------------------------------------------------------- energy


@pytest.mark.parametrize("size", [2, 3, 4, 5])
def test_torch_energy_matches_the_simulator(size: int, rng: np.random.Generator) -> None:
    spins = (2 * rng.integers(0, 2, size=(50, size, size)) - 1).astype(np.int8)
    expected = ising.energy(spins) * size * size
    torch_spins = torch.from_numpy(spins)
    assert np.allclose(ising_energy(torch_spins, size).numpy(), expected, rtol=0, atol=1e-12)
    flat = torch_spins.reshape(50, -1).float()
    out = ising_energy(flat, size)
    assert out.dtype == torch.float32
    assert np.allclose(out.numpy(), expected, rtol=0, atol=1e-5)


def test_energy_of_ordered_states() -> None:
    ones = torch.ones(2, 6, 6)
    assert ising_energy(ones, 6).tolist() == [-72.0, -72.0]  # 2 N bonds, all satisfied
    checker = (-1.0) ** torch.arange(6)[:, None] * (-1.0) ** torch.arange(6)[None, :]
    assert float(ising_energy(checker[None], 6)[0]) == 72.0
    with pytest.raises(ValueError, match=r"spins.shape=\(2, 5\) is not allowed"):
        ising_energy(torch.ones(2, 5), 2)


# --------------------------------------------------------------------------- VAN 4 x 4


def test_van_reaches_the_exact_free_energy_on_4x4(trained) -> None:
    model, history, f_exact = trained
    f, err = free_energy_estimate(model, L, T, 20_000, seed=7)
    gap = (f - f_exact) / abs(f_exact)
    assert abs(gap) < 0.005  # within 0.5 % of Kaufman's exact value
    assert f > f_exact - 4 * err  # the variational bound, up to statistical error
    assert err < 5e-4
    assert len(history) == 300 and history[-1].beta == pytest.approx(1 / T, rel=0.01)


def test_variational_bound_holds_exactly_by_enumeration(trained) -> None:
    """F_q = sum_s q(s) [E(s) + T ln q(s)] over all 2^16 states is >= F, and the Monte
    Carlo estimate agrees with it."""
    model, _, f_exact = trained
    configs = torch.tensor(list(itertools.product([-1.0, 1.0], repeat=L * L)), dtype=torch.float64)
    assert_normalized(model.log_prob, states=configs, atol=1e-10)
    with torch.no_grad():
        log_q = model.log_prob(configs)
    q = log_q.exp()
    f_q = float((q * (ising_energy(configs, L) + T * log_q)).sum()) / (L * L)
    assert f_q >= f_exact
    assert f_q - f_exact < 0.005 * abs(f_exact)
    f, err = free_energy_estimate(model, L, T, 20_000, seed=3)
    assert_matches_exact(f, err, f_q, 4.0)


def test_history_records_annealing_and_statistics(trained) -> None:
    _, history, f_exact = trained
    assert [h.step for h in history] == list(range(1, 301))
    for h in (history[0], history[9], history[-1]):
        assert h.beta == pytest.approx((1 / T) * (1 - 0.98**h.step), rel=1e-12)
        assert h.error > 0 and h.time_s > 0
        assert h.free_energy == pytest.approx(h.energy - h.entropy / h.beta, rel=1e-9)
    # the first step, near infinite temperature, has nearly the maximal entropy ln 2
    assert history[-1].entropy < history[0].entropy <= math.log(2) + 1e-9
    assert abs(history[-1].free_energy - f_exact) < 0.02


def test_pixelcnn_trains_too() -> None:
    torch.manual_seed(0)
    model = MaskedConvAR(3, 8, n_layers=2, half_kernel=2, z2=True).double()
    settings = VANSettings(batch_size=128, n_steps=60, lr=1e-2, beta_anneal=0.9, seed=2)
    f0, _ = free_energy_estimate(model, 3, T, 2000)
    train_van(model, 3, T, settings)
    f1, err = free_energy_estimate(model, 3, T, 4000)
    f_exact = exact_free_energy(3, T)
    assert f1 < f0 and f1 > f_exact - 4 * err
    assert (f1 - f_exact) / abs(f_exact) < 0.02


# --------------------------------------------------------------------------- the loop


def test_on_step_can_stop_and_runs_are_reproducible() -> None:
    def run() -> tuple[list[VANStep], dict]:
        torch.manual_seed(0)
        model = MADE(4, 8, n_layers=1).double()
        seen: list[int] = []
        settings = VANSettings(batch_size=32, n_steps=50, seed=4, clip=1.0)
        hist = train_van(
            model, 2, T, settings, on_step=lambda h: seen.append(h.step) or h.step == 5
        )
        assert seen == [1, 2, 3, 4, 5]
        return hist, model.state_dict()

    (h1, s1), (h2, s2) = run(), run()
    assert len(h1) == 5
    assert [h.free_energy for h in h1] == [h.free_energy for h in h2]
    assert all(torch.equal(s1[k], s2[k]) for k in s1)


def test_no_annealing_keeps_beta_fixed() -> None:
    torch.manual_seed(0)
    model = MADE(4, 4, n_layers=1)
    history = train_van(model, 2, T, VANSettings(batch_size=16, n_steps=3, beta_anneal=0.0))
    assert [h.beta for h in history] == [1 / T] * 3


def test_an_unfinished_anneal_is_reported() -> None:
    # beta_t = beta (1 - a^t): with a = 0.998 after 50 steps the model trained at ~10 T
    model = MADE(4, 4, n_layers=1)
    with pytest.warns(UserWarning, match=r"beta_t = 0\.0953 beta.*higher temperature"):
        train_van(model, 2, T, VANSettings(batch_size=8, n_steps=50, beta_anneal=0.998))


def test_divergence_raises_and_restores_the_last_good_parameters() -> None:
    torch.manual_seed(0)
    model = MADE(9, 8, n_layers=1).double()
    saved: dict[str, torch.Tensor] = {}

    def poison(h: VANStep) -> None:
        if h.step == 2:  # parameters after update 2 = those used at step 3
            saved.update({k: v.clone() for k, v in model.state_dict().items()})
        if h.step == 3:  # update 3 "produced" non-finite parameters
            with torch.no_grad():
                model.out.weight.fill_(math.nan)

    settings = VANSettings(batch_size=32, n_steps=10)
    with pytest.raises(FloatingPointError, match="diverged at step 4") as info:
        train_van(model, 3, T, settings, on_step=poison)
    assert isinstance(info.value, VANDiverged) and info.value.step == 4
    state = model.state_dict()
    assert all(torch.equal(state[k], saved[k]) for k in saved)
    assert model.log_prob(torch.ones(1, 9)).isfinite().all()


# --------------------------------------------------------------------------- contract


def test_free_energy_estimate_is_seeded_and_bounded() -> None:
    torch.manual_seed(0)
    model = MADE(9, 8, n_layers=1).double()
    a = free_energy_estimate(model, 3, T, 500, seed=1, batch_size=128)
    b = free_energy_estimate(model, 3, T, 500, seed=1, batch_size=128)
    c = free_energy_estimate(model, 3, T, 500, seed=2)
    assert a == b and a != c
    assert a[0] > exact_free_energy(3, T) - 4 * a[1]


def test_negative_log_likelihood_accepts_tensors_and_tuples() -> None:
    model = MADE(4, 4, n_layers=1)
    s = torch.tensor([[1.0, -1.0, 1.0, 1.0], [-1.0, -1.0, 1.0, -1.0]])
    expected = -model.log_prob(s).mean()
    assert torch.equal(negative_log_likelihood(model, s), expected)
    assert torch.equal(negative_log_likelihood(model, (s,)), expected)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"batch_size": 1},
        {"lr": 0.0},
        {"n_steps": 0},
        {"beta_anneal": 1.0},
        {"beta_anneal": -0.1},
        {"seed": -1},
        {"clip": 0.0},
        {"learning_rate": 1e-3},
    ],
)
def test_settings_are_validated(kwargs) -> None:
    name = next(iter(kwargs))
    with pytest.raises(ValidationError, match=name):
        VANSettings(**kwargs)


def test_argument_checks() -> None:
    model = MADE(9, 4)
    with pytest.raises(ValueError, match="L=4 is not allowed for this model"):
        train_van(model, 4, T, VANSettings(n_steps=1))
    with pytest.raises(ValueError, match=r"temperature=0\.0 is not allowed"):
        train_van(model, 3, 0.0)
    with pytest.raises(ValueError, match="n_samples=1 is not allowed"):
        free_energy_estimate(model, 3, T, 1)
    with pytest.raises(ValueError, match="L=1 is not allowed"):
        free_energy_estimate(model, 1, T, 10)


def test_doctests() -> None:
    result = doctest.testmod(van, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0 and result.failed == 0
