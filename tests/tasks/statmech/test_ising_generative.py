"""ising-generative: the judges are exact for exact samples, and every method runs."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from typer.testing import CliRunner

from physml.cli.main import app
from physml.sim.statmech import ising
from physml.tasks import run
from physml.tasks.statmech import ising_generative
from physml.tasks.statmech.ising_generative import _free_energy, _generate, _judge
from physml.testing import assert_matches_exact
from physml.train.failures import NonFiniteSamples

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def _boltzmann(L: int, t: float, n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """n exact Boltzmann samples of the L x L torus and their exact log p, by enumeration."""
    states = ising._all_configurations(L)
    log_w = -L * L * ising.energy(states) / t
    log_p = log_w - np.logaddexp.reduce(log_w)
    idx = np.random.default_rng(seed).choice(len(states), n, p=np.exp(log_p))
    return states[idx], log_p[idx]


def test_exact_log_q_gives_the_exact_free_energy_on_every_sample() -> None:
    # E(s) + T log p(s) = -T ln Z for every s when q = p: F_q = F with zero variance
    spins, log_p = _boltzmann(3, 2.3, 500, seed=0)
    metric = _free_energy(spins, log_p, 3, 2.3)["F_q/N, T=2.3"]
    assert metric.value == pytest.approx(metric.reference, abs=1e-12)
    assert metric.error == pytest.approx(0, abs=1e-12)  # and a zero standard error


def test_exact_samples_meet_kaufman_and_the_noise_floor() -> None:
    L, t, n = 3, 2.269, 4000
    spins, _ = _boltzmann(L, t, n, seed=1)
    reference, floor = (_boltzmann(L, t, n, seed=s)[0] for s in (2, 3))
    metrics = _judge(spins, reference, floor, L, t)
    energy = metrics["<E>/N, T=2.269"]
    se = ising.energy(spins).std() / math.sqrt(n)
    assert_matches_exact(energy.value, se, energy.reference, 4.0)
    assert energy.error == pytest.approx(se, rel=1e-3)
    assert energy.reference == pytest.approx(ising.enumerate_exact(L, t)["energy"], rel=1e-10)
    for name in ("W1(E/N), T=2.269", "W1(|m|), T=2.269"):
        # an exact sampler is as far from Monte Carlo as Monte Carlo is from itself
        assert metrics[name].value < 3 * metrics[name].reference + 1e-3
        # ... within the paired bootstrap error of the difference (3 sigma)
        metric = metrics[name]
        assert 0 < metric.error
        assert_matches_exact(metric.value, metric.gap_error, metric.reference, 3.0)


def test_weighted_w1_matches_scipy() -> None:
    from scipy.stats import wasserstein_distance

    from physml.tasks.statmech.ising_generative import _wasserstein

    rng = np.random.default_rng(0)
    values, group = np.round(rng.normal(size=300), 1), np.repeat([0, 1, 2], 100)  # ties
    weights = rng.random((2, 300))
    w1 = _wasserstein(values, group == 0, group == 2)(weights)
    for row, w in zip(w1, weights, strict=True):
        u, v = values[group == 0], values[group == 2]
        expected = wasserstein_distance(u, v, w[group == 0], w[group == 2])
        assert row == pytest.approx(expected, rel=1e-12)


def test_wrong_temperature_is_seen_by_every_judge() -> None:
    L, n = 3, 4000
    cold, _ = _boltzmann(L, 1.5, n, seed=4)
    reference, floor = (_boltzmann(L, 3.0, n, seed=s)[0] for s in (5, 6))
    metrics = _judge(cold, reference, floor, L, 3.0)
    assert abs(metrics["<E>/N, T=3"].gap) > 0.3
    for name in ("W1(E/N), T=3", "W1(|m|), T=3"):
        assert metrics[name].value > 10 * metrics[name].reference


def test_non_finite_samples_are_refused_before_any_measurement() -> None:
    config = ising_generative.IsingGenerative().config_model("vae")(L=4, n_generate=16)

    def draw(n, g):
        x = torch.ones(n, 4, 4)
        x[0, 0, 0] = float("nan")
        return x, None

    with pytest.raises(NonFiniteSamples, match="vae generated non-finite samples"):
        _generate("vae", draw, config, seed=0, device="cpu")


def test_van_reaches_the_exact_free_energy_on_4x4(tmp_path) -> None:
    overrides = {
        "L": 4,
        "temperatures": [2.5],
        "n_generate": 4000,
        "model": {"hidden": 64},
        "train": {"n_steps": 300, "batch_size": 256, "beta_anneal": 0.98},
    }
    record = run("ising-generative", "van", overrides=overrides, seed=0, out=tmp_path)
    f = record.metrics["F_q/N, T=2.5"]
    assert f.value > f.reference - 0.003  # F_q >= F up to its standard error (8e-4)
    assert f.gap < 0.003  # and within 0.3 % after 300 steps
    energy = record.metrics["<E>/N, T=2.5"]
    assert abs(energy.gap) < 0.05  # E is less sensitive: |dE| <= std(E) sqrt(2 KL)


@pytest.mark.parametrize(
    ("method", "train"),
    [
        ("made", {"max_epochs": 2}),
        ("vae", {"max_epochs": 2}),
        ("diffusion", {"max_epochs": 1}),
        ("gan", {"n_steps": 20, "window": 10}),
        ("rbm", {"epochs": 2}),
    ],
)
def test_every_method_runs_and_writes_its_plots(method, train, tmp_path) -> None:
    overrides = {"L": 4, "temperatures": [2.269], "n_train": 256, "n_generate": 256, "train": train}
    if method == "diffusion":
        overrides["model"] = {"channels": [8], "diffusion_steps": 50, "sampler_steps": 10}
    if method == "rbm":
        overrides["model"] = {"gibbs_sweeps": 20}
    record = run("ising-generative", method, overrides=overrides, seed=0, out=tmp_path)
    assert all(math.isfinite(m.value) for m in record.metrics.values())
    assert ("F_q/N, T=2.269" in record.metrics) == (method == "made")
    for plot in ("samples.png", "energy.png", "magnetization.png"):
        assert (record.run_dir / "plots" / plot).stat().st_size > 0


def test_cli_names_a_bad_temperature(tmp_path) -> None:
    args = ["run", "ising-generative", "--set", "temperatures=[2.0,-1]", "--out", str(tmp_path)]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 2
    assert "temperatures" in result.output and "-1" in result.output
