"""The ising-phase task end to end on small lattices, against Onsager."""

from __future__ import annotations

import json

import numpy as np
import pytest

from physml.config import ConfigError
from physml.tasks import read_record, resolve, resume, run
from physml.tasks.statmech.ising_phase import ONSAGER_TC, IsingPhaseSettings

SMALL = {"sizes": [8, 16], "n_samples": 80, "n_scan_temperatures": 9, "n_train_temperatures": 3}


def test_onsager_constant() -> None:
    assert ONSAGER_TC == pytest.approx(2.269185314213022, rel=1e-15)


def test_temperature_grid_and_labels() -> None:
    settings = IsingPhaseSettings()
    temps, labels = settings.temperatures()
    assert np.all(np.diff(temps) > 0)
    assert np.all(labels[temps <= settings.ordered_below] == 1)
    assert np.all(labels[temps >= settings.disordered_above] == 0)
    scan = temps[labels == -1]
    assert scan.size == settings.n_scan_temperatures
    assert scan.min() > settings.ordered_below and scan.max() < settings.disordered_above
    assert scan.min() < ONSAGER_TC < scan.max()


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (["sizes=[8, -4]"], "outside the allowed range"),
        (["sizes=[]"], "at least one lattice size"),
        (["sizes=[8, 8]"], "distinct"),
        (["t_min=0"], "'t_min' = 0: input should be greater than 0"),
        (["ordered_below=3.0"], "t_min < ordered_below < disordered_above < t_max"),
        (["model.channels=[]"], "'model.channels'"),
        (["train.learning_rate=-1"], "'train.learning_rate' = -1"),
        (["n_samples=5"], "'n_samples' = 5"),
    ],
)
def test_bad_settings_are_rejected(overrides: list[str], message: str) -> None:
    with pytest.raises(ConfigError) as err:
        resolve("ising-phase", "cnn", overrides=overrides)
    assert message in str(err.value)


def test_logistic_has_no_train_section() -> None:
    with pytest.raises(ConfigError, match="unknown key 'train'"):
        resolve("ising-phase", "logistic", overrides=["train.max_epochs=3"])


def test_presets_differ() -> None:
    _, _, quick = resolve("ising-phase", "cnn", "quick")
    _, _, full = resolve("ising-phase", "cnn", "full")
    assert max(full.sizes) >= 64 > max(quick.sizes)
    assert full.train.max_epochs > quick.train.max_epochs


def test_logistic_run_finds_onsager_tc(tmp_path) -> None:
    record = run("ising-phase", "logistic", overrides=SMALL, seed=1, out=tmp_path)
    t_c = record.metrics["T_c"]
    assert t_c.reference == pytest.approx(ONSAGER_TC)
    # Per-size linear classifiers on 80 samples per temperature: a coarse check that the
    # crossing sits at the transition, not at the edges of the training windows (1.8, 2.8).
    assert abs(t_c.gap) < 0.08, t_c
    for size in SMALL["sizes"]:
        assert record.metrics[f"accuracy(L={size})"].value > 0.95
        assert abs(record.metrics[f"T_c(L={size})"].gap) < 0.08  # T_c(8) lies ~ a/8 above
    # Monte Carlo energies against Kaufman's exact values at all 2 x 15 (L, T) points:
    # chi^2 per point is 1 +- 0.26 in equilibrium.
    assert 0.3 < record.metrics["chi2/n(E/N)"].value < 2.2
    assert record.metrics["chi2/n(E/N)"].error == pytest.approx(np.sqrt(2 / 30))
    # errors: bootstrap of the configurations for each crossing, propagated through the
    # weighted 1/L fit (two sizes: the line through both points, so T_c's error is
    # sqrt(sum_L (dT_c/dT_c(L))^2 sigma_L^2) with dT_c/dT_c(L) = (L / (L - L')))
    errors = [record.metrics[f"T_c(L={size})"].error for size in SMALL["sizes"]]
    assert all(0 < e < 0.05 for e in errors)
    lever = np.array([2.0, -1.0])  # T_c = 2 T_c(16) - T_c(8) for L = 8, 16
    assert t_c.error == pytest.approx(np.hypot(*(lever * errors[::-1])), rel=1e-6)
    for size in SMALL["sizes"]:
        accuracy = record.metrics[f"accuracy(L={size})"]
        binomial = np.sqrt(max(accuracy.value * (1 - accuracy.value), 1e-4) / (2 * 3 * 16))
        assert 0 <= accuracy.error < 3 * binomial  # 16 test samples at each of 6 temperatures

    doc = json.loads((record.run_dir / "metrics.json").read_text())
    assert {
        "task",
        "method",
        "preset",
        "seed",
        "metrics",
        "wall_time_s",
        "device",
        "versions",
    } <= set(doc)
    assert doc["task"] == "ising-phase" and doc["method"] == "logistic" and doc["seed"] == 1
    assert 0 < doc["peak_memory_mib"] < 4096
    for entry in doc["metrics"].values():
        assert {"value", "error", "reference", "gap", "gap_kind", "unit", "source"} <= set(entry)
    assert doc["metrics"]["T_c"]["gap_kind"] == "relative"
    assert doc["metrics"]["T_c"]["error"] == pytest.approx(t_c.error)
    assert doc["metrics"]["T_c"]["gap"] == pytest.approx(t_c.gap)
    assert (record.run_dir / "config.yaml").is_file()
    for plot in ("p_ordered.png", "magnetization.png", "finite_size.png"):
        assert (record.run_dir / "plots" / plot).stat().st_size > 1000
    assert record.run_dir.parent.parent.name == "ising-phase"


def test_cnn_run_is_reproducible_and_resumable(tmp_path) -> None:
    overrides = {
        **SMALL,
        "sizes": [8, 12],
        "n_members": 2,
        "train": {"max_epochs": 6, "batch_size": 32},
    }
    first = run("ising-phase", "cnn", overrides=overrides, seed=5, out=tmp_path / "a")
    second = run("ising-phase", "cnn", overrides=overrides, seed=5, out=tmp_path / "b")
    assert first.metrics["T_c"].value == second.metrics["T_c"].value
    assert abs(first.metrics["T_c"].gap) < 0.1
    assert first.metrics["T_c"].std is not None  # two members: a spread is reported
    assert (first.run_dir / "log.csv").read_text().startswith("trained_on,member,epoch")

    # A run killed before writing metrics.json resumes from its checkpoints.
    (first.run_dir / "metrics.json").unlink()
    resumed = resume(first.run_dir)
    assert resumed.metrics["T_c"].value == first.metrics["T_c"].value
    assert read_record(first.run_dir).metrics["T_c"].value == first.metrics["T_c"].value
    assert read_record(first.run_dir).metrics["T_c"].error == first.metrics["T_c"].error > 0
    # A finished run is not run again.
    assert resume(first.run_dir).wall_time_s == resumed.wall_time_s


def test_resume_rejects_non_run_dir(tmp_path) -> None:
    with pytest.raises(ConfigError, match="not a run directory"):
        resume(tmp_path)


def test_fitted_sizes_leave_out_small_lattices() -> None:
    from physml.tasks.statmech.ising_phase_scaling import fitted_sizes

    assert fitted_sizes(np.array([8, 16, 24, 32]), 16).tolist() == [False, True, True, True]
    # fewer than two reach the bound: the two largest
    assert fitted_sizes(np.array([8, 12]), 16).tolist() == [True, True]


@pytest.mark.parametrize("method", ["forest", "svm"])
def test_sklearn_methods_find_the_transition(method: str, tmp_path) -> None:
    overrides = {**SMALL, "n_samples": 60}
    record = run("ising-phase", method, overrides=overrides, seed=2, out=tmp_path)
    assert abs(record.metrics["T_c"].gap) < 0.08, record.metrics["T_c"]
    for size in SMALL["sizes"]:
        assert record.metrics[f"accuracy(L={size})"].value > 0.9
        critical = record.metrics[f"accuracy(critical, L={size})"]
        # scored against T < T_c at 2.0 <= T <= 2.5: better than chance, not perfect
        assert 0.55 < critical.value <= 1 and 0 < critical.error < 0.1, critical
        assert "literature" in critical.source and critical.reference is None


@pytest.mark.parametrize(
    ("method", "assignment", "says"),
    [
        ("cnn", "fit_min_size=2", "'fit_min_size' = 2"),
        ("forest", "model.n_estimators=0", "'model.n_estimators' = 0"),
        ("svm", "model.inverse_regularization=-1", "'model.inverse_regularization' = -1"),
        ("svm", "model.kernel=sigmoid2", "'model.kernel'"),
    ],
)
def test_new_settings_are_refused_in_one_line(method, assignment, says, tmp_path) -> None:
    from typer.testing import CliRunner

    from physml.cli.main import app

    args = ["run", "ising-phase", "-m", method, "--set", assignment, "--out", str(tmp_path / "r")]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and says in lines[0], result.stderr
    assert not (tmp_path / "r").exists()
