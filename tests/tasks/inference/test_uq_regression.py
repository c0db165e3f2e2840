"""uq-regression end to end on a tiny preset: the exact posterior is the reference of every
calibration metric, a trained ensemble is calibrated within its errors, and an HMC run
reports R-hat and warns when its chains have not mixed; refusals in one line."""

from __future__ import annotations

import pytest

from cli_refusals import assert_refused, set_args
from physml.tasks import run

pytestmark = pytest.mark.usefixtures("one_torch_thread")

TINY = {
    "n_train": 600,
    "n_val": 100,
    "n_test": 400,
    "n_times": 16,
    "n_grid": 801,
    "train": {"max_epochs": 15, "batch_size": 128, "learning_rate": 3e-3},
}


def test_ensemble_is_calibrated_against_the_exact_posterior(tmp_path) -> None:
    overrides = {**TINY, "model": {"n_members": 2, "hidden": [32]}}
    m = run("uq-regression", "ensemble", overrides=overrides, seed=0, out=tmp_path).metrics
    nll = m["NLL"]
    # no predictor beats the exact posterior predictive (beyond the paired error)
    assert nll.value - nll.reference > -3 * nll.gap_error
    for level in ("68%", "95%"):
        c = m[f"coverage {level}"]
        assert abs(c.value - c.reference) < 4 * c.gap_error + 0.03, (level, c)
    assert 0 <= m["ECE"].value < 0.1 and m["ECE"].reference < 0.05
    assert 0.5 < m["std / exact std"].value < 3
    assert m["sharpness"].reference > 0 and m["rms(mean - exact mean)"].reference == 0


@pytest.mark.parametrize(
    "sampler",
    [
        {"init": "common", "recentre": 0},
        {"init": "separate", "recentre": 4},
        {"dense_mass": True, "recentre": 4},
    ],
)
def test_hmc_reports_convergence_and_warns(tmp_path, sampler) -> None:
    lines: list[str] = []
    model = {"n_chains": 2, "n_warmup": 10, "n_samples": 12, "n_leapfrog": 3, **sampler}
    overrides = {**TINY, "train": {"max_epochs": 3}, "model": model}
    record = run(
        "uq-regression", "hmc", overrides=overrides, seed=0, out=tmp_path, log=lines.append
    )
    m = record.metrics
    assert m["R-hat (max)"].reference == 1.0 and m["draws"].value == 24
    assert m["divergences"].value == 0 and 0 < m["acceptance"].value <= 1
    assert m["R-hat (max)"].value == max(
        m["R-hat (predictions)"].value, m["R-hat (log posterior)"].value
    )
    assert m["E-BFMI (min)"].value > 0
    if m["R-hat (max)"].value > 1.01:
        assert any("R-hat" in line and "warning" in line for line in lines)
    assert {p.name for p in (record.run_dir / "plots").iterdir()} == {
        "calibration.png",
        "widths.png",
    }


@pytest.mark.parametrize(
    ("assignment", "says"),
    [
        (["gamma_low=2.5", "gamma_high=1.0"], "gamma_low"),
        (["noise_low=0.5", "noise_high=0.1"], "noise_low"),
        (["gamma_high=7"], "gamma_high"),
    ],
)
def test_refusals(assignment, says, tmp_path) -> None:
    assert_refused(set_args("uq-regression", assignment), says, tmp_path)
