"""field-inference: the exact reference passes its own C2ST (0.5) and KL (0) and tells a
different field apart; FieldCNN is exactly translation invariant and amplitude
equivariant; a tiny NPE run learns a posterior much closer to the exact one than chance,
writes its sbi logs into the run directory, and bad settings are refused in one line."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from cli_refusals import assert_refused, set_args
from physml.metrics.posterior import c2st
from physml.models.embeddings import FieldCNN, OncePerObservation
from physml.sim.cosmology import fields
from physml.sim.cosmology.field_likelihood import grid_posterior
from physml.tasks import run
from physml.tasks.inference.field_inference import exact_kl

pytestmark = pytest.mark.usefixtures("one_torch_thread")

BOX = ((-1.0, 1.0), (1.0, 3.0))


def _grid(amplitude: float, index: float, seed: int, n_grid: int = 120):
    field = fields.sample(1, 16, amplitude=amplitude, index=index, seed=seed)[0]
    return grid_posterior(field, *BOX, n_grid=n_grid)


def test_exact_samples_pass_c2st_and_a_different_field_fails() -> None:
    grid = _grid(1.0, 2.0, seed=0)
    same = c2st(grid.sample(500, seed=1), grid.sample(500, seed=2), seed=0)
    assert abs(same - 0.5) < 0.06  # 4 sigma of a 1000-sample accuracy
    other = _grid(10**0.6, 1.4, seed=3)
    assert c2st(grid.sample(500, seed=1), other.sample(500, seed=2), seed=0) > 0.8


def test_exact_kl_is_zero_for_the_exact_density_and_positive_otherwise() -> None:
    grid, other = _grid(1.0, 2.0, seed=0), _grid(10**0.6, 1.4, seed=3)
    with np.errstate(divide="ignore"):  # cells far in the tail underflow to p = 0
        log_p = np.log(grid.probability)
    assert exact_kl(grid, log_p + 7.0) == pytest.approx(0.0, abs=1e-12)  # any normalisation
    p = grid.probability[grid.probability > 0]
    assert exact_kl(grid, np.zeros_like(log_p)) == pytest.approx(
        math.log(log_p.size) + np.sum(p * np.log(p)), rel=1e-12
    )  # flat estimate: log(cells) - entropy
    assert exact_kl(grid, np.log(other.probability + 1e-300)) > 1.0
    rng = np.random.default_rng(0)
    noisy = np.log(grid.probability + 1e-300) + 0.3 * rng.standard_normal(log_p.shape)
    assert exact_kl(grid, noisy) > 0


def test_field_cnn_is_translation_invariant_and_amplitude_equivariant() -> None:
    torch.manual_seed(0)
    net = FieldCNN((4, 4, 4), out_features=5).double()
    x = torch.as_tensor(fields.sample(3, 16, amplitude=1.0, index=2.0, seed=0))
    out = net(x)
    assert out.shape == (3, 5)
    for shift in ((1, 0), (0, 3), (5, 11)):
        rolled = torch.roll(x, shifts=shift, dims=(-2, -1))
        assert torch.allclose(net(rolled), out, atol=1e-10)
    c = 37.0
    assert torch.allclose(net.features(c * x), net.features(x) + 2 * math.log(c), atol=1e-10)
    assert not torch.allclose(net(c * x), out)  # the head does see the amplitude


def test_once_per_observation_embeds_a_repeated_observation_once() -> None:
    torch.manual_seed(0)
    net = FieldCNN((4, 4), out_features=3).double()
    calls = []
    net.register_forward_hook(lambda module, args, out: calls.append(len(args[0])))
    wrapped = OncePerObservation(net)
    x = torch.as_tensor(fields.sample(4, 16, amplitude=1.0, index=2.0, seed=1))
    repeated = x[:1].expand(50, -1, -1)
    out = wrapped(repeated)
    assert calls == [1] and out.shape == (50, 3)
    assert torch.allclose(out, net(repeated), rtol=0, atol=1e-12)  # as embedding every row
    calls.clear()
    assert torch.equal(wrapped(x), net(x)) and calls == [4, 4]  # distinct rows: all of them
    y = x.clone().requires_grad_(True)
    wrapped(y[:1].expand(7, -1, -1)).sum().backward()
    z = x.clone().requires_grad_(True)
    (7 * net(z[:1])).sum().backward()
    assert torch.allclose(y.grad, z.grad)


TINY = {
    "n_simulations": 1000,
    "n_observations": 2,
    "c2st_samples": 500,
    "n_grid": 120,
    "n_calibration": 20,
    "calibration_samples": 20,
    "cnn_channels": [2],
    "max_leakage": 1.0,
}


def test_tiny_npe_run(tmp_path, monkeypatch) -> None:
    """The power-spectrum NPE is far from chance (C2ST well below 1, KL finite); the CNN
    fit (two channels) runs through sbi's embedding net; nothing lands in the working
    directory."""
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    model = {"hidden_features": 32, "num_transforms": 3, "learning_rate": 2e-3}
    overrides = {**TINY, "model": {**model, "batch_size": 100, "stop_after_epochs": 5}}
    record = run("field-inference", "npe", overrides=overrides, seed=0, out=tmp_path / "runs")
    assert list(work.iterdir()) == []  # sbi wrote no logs here
    metrics = record.metrics
    assert 0.4 < metrics["C2ST power-spectrum"].value < 0.9
    assert 0 <= metrics["KL power-spectrum"].value < 2.0
    assert 0.5 < metrics["std ratio n power-spectrum"].value < 2.0
    for name in ("C2ST", "KL", "SBC rank KS", "TARP KS", "mean shift log10 A", "std ratio n"):
        for summary in ("power-spectrum", "cnn"):
            assert math.isfinite(metrics[f"{name} {summary}"].value), (name, summary)
    assert metrics["C2ST power-spectrum"].reference == 0.5
    assert (record.run_dir / "plots" / "posterior_observation0.png").stat().st_size > 0
    rows = (record.run_dir / "log.csv").read_text().splitlines()
    assert "training_loss" in rows[0] and any(r.startswith("cnn,") for r in rows)


@pytest.mark.parametrize(
    ("assignment", "says"),
    [
        ("index=[3,1]", "index"),
        ("log10_amplitude=[0,0]", "log10_amplitude"),
        ("summaries=[cnn,cnn]", "twice"),
        ("summaries=[wavelets]", "summaries"),
        ("size=4", "size"),
        ("cnn_channels=[0]", "cnn_channels"),
        ("model.estimator=flow", "estimator"),
    ],
)
def test_bad_settings_are_refused(tmp_path, assignment: str, says: str) -> None:
    assert_refused(set_args("field-inference", [assignment]), says, tmp_path)


def test_cnn_alone_is_refused_for_the_mcmc_methods(tmp_path) -> None:
    args = [*set_args("field-inference", ["summaries=[cnn]"]), "--method", "nle"]
    assert_refused(args, "NPE only", tmp_path)


@pytest.mark.parametrize("coordinates", ["logit", "box"])
def test_prior_box_coordinates_carry_the_uniform_prior(coordinates: str) -> None:
    """theta -> u -> theta is the identity, and the estimator's prior density times the
    Jacobian |du/dtheta| is the uniform density 1 / area on the box, exactly."""
    from physml.tasks.inference.field_inference import FieldInferenceSettings, PriorBox

    config = FieldInferenceSettings(log10_amplitude=(-1.0, 1.0), index=(1.0, 3.5))
    box = PriorBox.of(config.model_copy(update={"coordinates": coordinates}))
    rng = np.random.default_rng(0)
    theta = box.low + (box.high - box.low) * rng.random((50, 2))
    u = box.to_estimator(theta)
    np.testing.assert_allclose(box.to_theta(u), theta, rtol=1e-12)
    log_prior = box.torch_prior("cpu").log_prob(torch.as_tensor(u, dtype=torch.float32))
    density = log_prior.double().numpy() + box.log_jacobian(theta)
    np.testing.assert_allclose(density, -math.log(2.0 * 2.5), atol=1e-5)


def test_each_sbi_method_runs_as_itself() -> None:
    """NPE and NLE share their flow options; a configuration still names its own method
    (Task.method_of reads the model section's class: with one class, nle ran npe)."""
    from physml.tasks import TASKS

    for name in ("field-inference", "sbi-benchmark"):
        task = TASKS[name]
        for method in task.methods:
            assert task.method_of(task.config_model(method)()) == method
