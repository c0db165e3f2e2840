"""bump-hunt end to end on tiny samples: no weakly supervised method beats the supervised
bound, CWoLa and CATHODE find the injected W', the CATHODE machinery interpolates a known
conditional density from the sidebands into the signal region, refusals and divergence."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from cli_refusals import assert_refused, set_args
from physml.tasks import run
from physml.tasks.anomaly import bump_hunt_methods as methods
from physml.tasks.base import RunContext
from physml.tasks.seeds import Stream, generator
from physml.train import TrainingDiverged

TINY = {
    "n_background": 30_000,
    "fractions": [0.01],
    "n_test_signal": 1500,
    "n_test_background": 4000,
    "min_test_background": 20,
    "keep_fraction": 0.05,
    "n_seeds": 2,
}
TINY_FLOW = {**TINY, "train": {"max_epochs": 4, "batch_size": 512, "learning_rate": 3e-3}}
TAG = "f=0.01 (S/B_SR="


def _metric(metrics, prefix):
    (name,) = [k for k in metrics if k.startswith(prefix)]
    return metrics[name]


def _below_bound(m) -> None:
    """The method's max SIC does not exceed the supervised bound beyond 3 sigma."""
    bound = m["max SIC supervised bound"]
    sic = _metric(m, f"max SIC {TAG}")
    assert sic.reference == pytest.approx(bound.value)
    assert sic.value < bound.value + 3 * np.hypot(sic.error, bound.error)


def test_cwola_finds_the_resonance_below_the_bound(tmp_path) -> None:
    record = run("bump-hunt", "cwola", overrides=TINY, seed=0, out=tmp_path)
    m = record.metrics
    _below_bound(m)
    assert _metric(m, f"max SIC {TAG}").value > 2.0  # far above a random cut's 1
    z = _metric(m, f"significance after cut {TAG}")
    assert z.value > 2 * z.reference  # the cut raises S/sqrt(B) above the injected one
    for plot in ("sic.png", "mjj.png", "significance.png"):
        assert (record.run_dir / "plots" / plot).stat().st_size > 0


@pytest.mark.slow
def test_cathode_below_the_bound(tmp_path) -> None:
    record = run("bump-hunt", "cathode", overrides=TINY_FLOW, seed=0, out=tmp_path)
    _below_bound(record.metrics)
    assert _metric(record.metrics, f"max SIC {TAG}").value > 1.5


def test_sideband_flow_interpolates_a_known_density(tmp_path) -> None:
    """x | m ~ N(m, 0.1^2) in 2D (x_1) and a fixed N(0.5, 0.1^2) (x_2): a flow fitted
    where m is in the sidebands, sampled at SR masses, has the exact mean and spread."""
    rng = generator(0, Stream.BUMP_TRAINING, 90)
    m = rng.uniform(0.0, 1.0, 6000)
    sb = (m < 0.4) | (m > 0.6)
    x = np.column_stack(
        [m + 0.1 * rng.standard_normal(6000), 0.5 + 0.1 * rng.standard_normal(6000)]
    )

    class Config:
        class model:  # a stand-in for the settings sections
            transforms, hidden = 3, [32, 32]

        class train:
            max_epochs, batch_size, learning_rate, weight_decay, patience = 30, 256, 5e-3, 0.0, 5

    fmap = methods.FeatureMap(x[sb])
    ctx = RunContext(tmp_path, 0)
    flow = methods._fit_flow(fmap.forward(x[sb]), m[sb], Config, ctx, "known", seed=1)
    torch.manual_seed(0)
    with torch.no_grad():
        z = flow(torch.full((4000, 1), 0.5)).sample().double().numpy()
    samples = fmap.inverse(z)
    # exact: mean (0.5, 0.5), std 0.1 each; a sample of 4000 knows them to ~0.002
    assert samples.mean(axis=0) == pytest.approx([0.5, 0.5], abs=0.03)
    assert samples.std(axis=0) == pytest.approx([0.1, 0.1], rel=0.2)


def test_sic_of_a_perfect_and_a_random_score() -> None:
    labels = np.r_[np.zeros(1000, np.int8), np.ones(100, np.int8)]
    rng = np.random.default_rng(0)
    perfect = np.r_[rng.random(1000), np.full(100, 2.0)]
    best, curve = methods.max_sic(labels, perfect, min_background=10)
    # perfect separation: eps_S = 1 at the smallest allowed eps_B = 10 / 1000
    assert best == pytest.approx(1 / np.sqrt(0.01))
    random, _ = methods.max_sic(labels, rng.random(1100), min_background=10)
    assert random < 3.0 and curve.shape == (101,)
    scores = np.r_[np.zeros(1000), np.ones(100)]
    assert methods.excess_significance(scores, labels.astype(bool), 100 / 1100) == 100.0


def test_diverging_flow_stops_with_its_message(tmp_path, monkeypatch) -> None:
    from physml.train import density

    calls = {"n": 0}
    honest = density.flow_nll

    def poisoned(flow, batch):
        calls["n"] += 1
        loss = honest(flow, batch)
        return loss * float("nan") if calls["n"] > 40 else loss

    monkeypatch.setattr(density, "flow_nll", poisoned)
    with pytest.raises(TrainingDiverged, match=r"diverged at epoch \d+.*last good checkpoint"):
        run("bump-hunt", "cathode", overrides=TINY_FLOW, seed=0, out=tmp_path)
    (last,) = tmp_path.rglob("checkpoints/cathode-f0-s0-sb/last.pt")
    state = torch.load(last, weights_only=True)
    assert state["epoch"] >= 1
    assert all(torch.isfinite(v).all() for v in state["model"].values() if v.is_floating_point())


@pytest.mark.parametrize(
    ("assignments", "says"),
    [
        (["signal_region=[6.5,7.0]"], "signal_region=[6.5, 7.0] is not allowed"),
        (["sidebands=[3.4,4.0]"], "sidebands=[3.4, 4.0] is not allowed"),
        (["n_background=3000"], "the sidebands hold about"),
        (["fractions=[0.2]"], "fractions: 0.2 is not allowed"),
        (["fractions=[0.01,0.01]"], "expected distinct values"),
        (["m_x=3000", "m_y=600"], "m_x + m_y = 3600.0 is not allowed"),
    ],
)
def test_refusals(assignments, says, tmp_path) -> None:
    assert_refused(set_args("bump-hunt", assignments), says, tmp_path)
