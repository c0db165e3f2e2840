"""plummer-flow: the measurements are exact for the exact density, and flows train."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from torch import nn

from physml.sim.astro import plummer
from physml.tasks import run
from physml.tasks.astro.plummer_flow import PlummerFlowSettings, _acceleration_error, _radial_chi2


class ExactPlummer(nn.Module):
    """The exact f(x, v) as a distribution-like module: ``model().log_prob(z)``."""

    def forward(self, context=None) -> ExactPlummer:
        return self

    def log_prob(self, z: torch.Tensor) -> torch.Tensor:
        r2 = (z[:, :3] ** 2).sum(dim=1)
        energy = 0.5 * (z[:, 3:] ** 2).sum(dim=1) - 1 / torch.sqrt(1 + r2)
        return math.log(plummer.DF_NORMALIZATION) + 3.5 * torch.log(-energy)


def test_exact_density_gives_the_exact_acceleration() -> None:
    # the steady-state collisionless Boltzmann equation holds exactly for f(E): the least
    # squares over velocities must return -grad Phi at every position
    config = PlummerFlowSettings(n_positions=8, n_velocities=50)
    _, error = _acceleration_error([ExactPlummer()], config, np.random.default_rng(0))
    assert error.max() < 1e-8


def test_exact_radii_give_unit_chi2() -> None:
    radii = np.linalg.norm(plummer.sample(40_000, seed=1)[:, :3], axis=1)
    assert _radial_chi2(radii, 20) == pytest.approx(1.0, abs=4 * math.sqrt(2 / 20))


def test_flows_train_and_the_average_is_never_worse(tmp_path) -> None:
    overrides = {
        "n_stars": 1500,
        "n_test": 1000,
        "n_members": 2,
        "n_positions": 4,
        "n_velocities": 100,
        "n_samples": 2000,
        "train": {"max_epochs": 4},
    }
    record = run("plummer-flow", "maf", overrides=overrides, seed=0, out=tmp_path)
    one, average = record.metrics["KL, one flow"], record.metrics["KL, average of 2 flows"]
    assert 0 < average.value < 2.0  # far from exact after 4 epochs, but a density
    # Jensen: log of the mean density >= mean of the log densities, star by star
    assert average.value <= one.value + 1e-12
    # standard errors over 1000 stars (log f - log q has heavy tails after 4 epochs)
    assert 0 < average.error < average.value and 0 < one.error < one.value
    assert average.gap_kind == "absolute"  # against KL = 0
    chi2 = record.metrics["chi2/n(rho(r))"]
    assert chi2.error == pytest.approx(math.sqrt(2 * 19) / 20)
    assert record.metrics["|a - a_exact| / |a_exact|"].error > 0
    for plot in ("density.png", "acceleration.png", "kl.png"):
        assert (record.run_dir / "plots" / plot).stat().st_size > 0
