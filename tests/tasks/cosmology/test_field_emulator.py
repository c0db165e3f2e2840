"""field-emulator: the measurements meet their references for exact fields and for the exact
noise predictor through the task's sampler, tiny runs of both methods finish with finite
metrics and plots, and non-finite fields or a diverging fit stop the run with a clear
message."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from torch import nn

from physml.config import ConfigError
from physml.models.generative.diffusion import DDPM, PeriodicGaussianNoisePredictor
from physml.sim.cosmology import fields
from physml.tasks import resolve, run
from physml.tasks.cosmology import field_emulator
from physml.tasks.cosmology.field_emulator import _statistics
from physml.train import TrainingDiverged
from physml.train.failures import NonFiniteSamples

pytestmark = pytest.mark.usefixtures("one_torch_thread", "seeded_torch")

TINY = {
    "size": 8,
    "n_train": 64,
    "n_generate": 32,
    "points": [[1.0, 1.5], [3.0, 2.5]],
    "train": {"max_epochs": 2, "batch_size": 32},
}
TINY_DIFFUSION = {**TINY, "model": {"channels": [16], "sampler_steps": 5}}


def test_exact_fields_meet_the_references() -> None:
    """For fields.sample: chi^2/n of P(k) averages 1 (each bin's mean power has exactly the
    variance used), and <x^2> / sigma^2 is 1 within its sampling error."""
    chi2, var_ratio, var_error = [], [], []
    for seed in range(20):
        x = fields.sample(128, 16, amplitude=3.0, index=2.0, seed=seed)
        s = _statistics(x, 3.0, 2.0)
        chi2.append(s["chi2"])
        var_ratio.append(s["var_ratio"])
        var_error.append(s["var_ratio_error"])
        assert s["n_bins"] == 8 and s["ks"] < 0.05
    assert np.mean(chi2) == pytest.approx(1.0, abs=4 * math.sqrt(2 / 8 / 20))
    assert np.std(chi2, ddof=1) == pytest.approx(math.sqrt(2 / 8), rel=0.4)  # the chi2 error
    assert np.mean(var_ratio) == pytest.approx(1.0, abs=0.02)
    # the standard error over fields predicts the scatter of the ratio between samples
    assert np.mean(var_error) == pytest.approx(np.std(var_ratio, ddof=1), rel=0.4)


def test_exact_predictor_through_the_default_sampler_meets_the_references() -> None:
    """The task's default sampler (DPM-Solver++(2M), 50 log-SNR steps of the linear
    schedule) with the exact predictor reproduces P(k) and the variance, while 10 DDIM
    steps, whose variance deficit is known, fail the chi^2 test."""
    ddpm = DDPM.linear(1000)
    sigma2 = fields.field_variance(16, amplitude=1.0, index=2.5)
    xi = fields.correlation_function(16, amplitude=1.0, index=2.5) / sigma2
    exact = PeriodicGaussianNoisePredictor(ddpm, torch.as_tensor(xi))
    default = {"n_steps": 50, "eta": 0.0, "order": 2, "spacing": "logsnr"}
    results = {}
    for name, options in {"default": default, "ddim10": {"n_steps": 10, "eta": 0.0}}.items():
        g = torch.Generator().manual_seed(0)
        x = ddpm.sample(exact, (512, 16, 16), generator=g, dtype=torch.float64, **options)
        results[name] = _statistics(math.sqrt(sigma2) * x.numpy(), 1.0, 2.5)
    assert results["default"]["chi2"] < 1 + 4 * math.sqrt(2 / 8)
    assert results["default"]["var_ratio"] == pytest.approx(1.0, abs=0.03)
    assert results["ddim10"]["chi2"] > 10
    assert results["ddim10"]["var_ratio"] < 0.9


@pytest.mark.parametrize(("method", "overrides"), [("diffusion", TINY_DIFFUSION), ("vae", TINY)])
def test_tiny_runs_give_finite_metrics_and_plots(tmp_path, method, overrides) -> None:
    record = run("field-emulator", method, overrides=overrides, seed=0, out=tmp_path)
    names = ["chi2/n P(k), all points"]
    for at in ("(A=1, n=1.5)", "(A=3, n=2.5)"):
        names += [
            f"chi2/n P(k) {at}",
            f"max|P/P_exact - 1| {at}",
            f"KS one-point {at}",
            f"variance ratio {at}",
        ]
        if method == "diffusion":
            names += [f"chi2/n P(k) {at}, exact eps", f"variance ratio {at}, exact eps"]
    assert list(record.metrics) == names
    for name, metric in record.metrics.items():
        assert math.isfinite(metric.value) and metric.value >= 0, name
        assert math.isfinite(metric.error) and metric.error > 0, name
        assert metric.reference is not None and metric.reference > 0, name
    for plot in ("samples.png", "power_spectrum.png", "one_point.png"):
        assert (record.run_dir / "plots" / plot).stat().st_size > 0
    assert (record.run_dir / "checkpoints" / method / "last.pt").is_file()
    assert (record.run_dir / "log.csv").read_text().count("\n") == 1 + 2  # header, 2 epochs


class Sabotaged(nn.Module):
    """The task's v-network, with NaN output in eval mode (sampling) or after
    ``train_calls`` training batches."""

    def __init__(self, inner: nn.Module, *, train_calls: int | None = None) -> None:
        super().__init__()
        self.inner, self.ddpm, self.train_calls = inner, inner.ddpm, train_calls

    def forward(self, x, t, context):
        out = self.inner(x, t, context)
        if self.training and self.train_calls is not None:
            self.train_calls -= 1
            poisoned = self.train_calls < 0
        else:
            poisoned = not self.training
        return out * float("nan") if poisoned else out


def test_non_finite_fields_are_refused(tmp_path, monkeypatch) -> None:
    build = field_emulator._diffusion_network
    monkeypatch.setattr(field_emulator, "_diffusion_network", lambda c: Sabotaged(build(c)))
    with pytest.raises(NonFiniteSamples, match="no metrics were computed") as error:
        run("field-emulator", "diffusion", overrides=TINY_DIFFUSION, seed=0, out=tmp_path)
    assert "the diffusion generator produced 32 of 32 fields" in str(error.value)
    assert "A=1, n=1.5" in str(error.value) and "sampler_steps" in str(error.value)
    assert not list(tmp_path.rglob("metrics.json"))


def test_diverging_training_stops_and_keeps_the_last_good_checkpoint(tmp_path, monkeypatch):
    build = field_emulator._diffusion_network
    monkeypatch.setattr(  # NaN from the second epoch's first batch (2 batches per epoch)
        field_emulator, "_diffusion_network", lambda c: Sabotaged(build(c), train_calls=2)
    )
    with pytest.raises(TrainingDiverged, match=r"diverged at epoch 2.*last good checkpoint"):
        run("field-emulator", "diffusion", overrides=TINY_DIFFUSION, seed=0, out=tmp_path)
    (last,) = tmp_path.rglob("checkpoints/diffusion/last.pt")
    state = torch.load(last, weights_only=True)
    assert state["epoch"] == 1
    assert all(torch.isfinite(v).all() for v in state["model"].values() if v.is_floating_point())


def test_settings_are_checked(tmp_path) -> None:
    with pytest.raises(ConfigError, match=r"n=\[3.5\] lie outside index_range"):
        resolve("field-emulator", overrides={"points": [[1.0, 2.0], [1.0, 3.5]]})
    with pytest.raises(ConfigError, match="order=2 needs eta=0"):
        resolve("field-emulator", overrides={"model": {"eta": 1.0}})
    with pytest.raises(ConfigError, match="needs size divisible by 4"):
        resolve("field-emulator", overrides={"size": 18})
    with pytest.raises(ConfigError, match="needs size divisible by 4"):
        run("field-emulator", overrides={"size": 18}, out=tmp_path)
    assert not any(tmp_path.iterdir())  # refused before a run directory existed
