"""gw-chirp end to end on a tiny preset: the known-template matched filter meets the
exact P_D, the bank and a network stay below it; refusals."""

from __future__ import annotations

import pytest

from cli_refusals import assert_refused
from physml.tasks import run
from physml.testing import assert_matches_exact

TINY = {
    "n_train": 400,
    "n_noise_test": 600,
    "n_signal_test": 100,
    "snrs": [4.0, 8.0],
    "bank": {"n_chirp": 12, "n_eta": 2},
    "false_alarms": [0.05, 0.01],
}


def test_bank_against_the_exact_optimum(tmp_path) -> None:
    record = run("gw-chirp", "bank", overrides=TINY, seed=0, out=tmp_path)
    m = record.metrics
    for rho in (4, 8):
        for alpha in (0.05, 0.01):
            pd = m[f"P_D(rho={rho}, P_FA={alpha:g})"]
            assert pd.value <= pd.reference + 3 * max(pd.error, 0.01)
    assert m["P_D(rho=8, P_FA=0.05)"].value > 0.9  # loud chirps are found by the bank
    assert m["P_D(rho=4, P_FA=0.05)"].value < m["P_D(rho=8, P_FA=0.05)"].value
    mc = m["sigma(ln M_c) (rho=8)"]
    assert mc.value > 0.5 * mc.reference and mc.value < 0.3
    for plot in ("roc.png", "pd_vs_snr.png"):
        assert (record.run_dir / "plots" / plot).stat().st_size > 0


def test_known_template_statistic_in_the_task_data(tmp_path) -> None:
    """The task's own segments: the known-template statistic is N(rho, 1) per class."""
    import numpy as np

    from physml.tasks import resolve
    from physml.tasks.base import RunContext
    from physml.tasks.registry import TASKS

    task = TASKS["gw-chirp"]
    _, _, config = resolve("gw-chirp", "bank", overrides=TINY)
    data = task._data(config, RunContext(tmp_path, seed=0))
    test = data["part"] == 1
    for g, rho in enumerate([0.0, 4.0, 8.0]):
        x = data["x_known"][test][data["group"][test] == g]
        assert_matches_exact(x.mean(), x.std() / np.sqrt(x.size), rho, n_sigma=4)
        assert_matches_exact(x.var(), np.sqrt(2 / x.size), 1.0, n_sigma=4)


def test_network_trains_and_reports(tmp_path) -> None:
    overrides = {**TINY, "train": {"max_epochs": 2}, "model": {"channels": [8, 8]}}
    record = run("gw-chirp", "cnn", overrides=overrides, seed=0, out=tmp_path)
    m = record.metrics
    assert m["AUC"].reference == m["AUC (bank)"].value and m["AUC"].gap_error > 0
    assert "P_D(rho=8, P_FA=0.01) (bank)" in m


@pytest.mark.parametrize(
    ("assignment", "says"),
    [
        (["sample_rate=256"], "below the Nyquist rate"),
        (["bank.m_max=30"], "does not cover the simulated masses"),
        (["bank.m_min=20"], "does not cover the simulated masses"),
        (["duration=nan"], "duration"),
        (["f_low=10"], "lasts"),
    ],
)
def test_refusals(assignment: list[str], says: str, tmp_path) -> None:
    args = ["run", "gw-chirp", "--method", "bank"]
    for item in assignment:
        args += ["--set", item]
    assert_refused(args, says, tmp_path)
