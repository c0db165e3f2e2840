"""The physml command as a user types it."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from physml.cli.main import app

runner = CliRunner()


@pytest.fixture(autouse=True)
def wide_console(monkeypatch) -> None:
    """Tables as on a wide terminal: CI has none, and rich then wraps at 80 columns."""
    from physml.cli import main

    monkeypatch.setattr(main.console, "width", 200)


def test_list_shows_tasks_methods_and_references() -> None:
    result = runner.invoke(app, ["list"])
    assert result.exit_code == 0
    assert "ising-phase" in result.output and "cnn*" in result.output
    assert "2.26919" in result.output and "Onsager" in result.output
    for task in ("ho-bosons", "quantum-dot", "tfim-chain", "heisenberg-chain"):
        assert task in result.output


def test_list_names_every_task_and_narrows_to_fit(monkeypatch) -> None:
    from physml.cli import main
    from physml.tasks import TASKS

    wide = runner.invoke(app, ["list"]).output
    assert all(name in wide for name in TASKS) and "Onsager" in wide
    monkeypatch.setattr(main.console, "width", 80)
    narrow = runner.invoke(app, ["list"]).output
    assert all(name in narrow for name in TASKS) and "cnn*" in narrow
    assert "2.26919" in narrow and "Onsager" not in narrow
    assert "sources of the references: a terminal of 140 columns" in narrow
    assert max(len(line) for line in narrow.splitlines()) <= 80


def test_list_does_not_import_torch_or_lightning() -> None:
    code = (
        "import sys; from physml.cli.main import app; from physml.tasks import TASKS; "
        "print(sorted(m for m in ('torch', 'lightning', 'numba', 'h5py') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["run", "ising-phas"], "unknown task 'ising-phas' (did you mean 'ising-phase'?)"),
        (["run", "ising-phase", "--method", "cn"], "unknown method 'cn'"),
        (["run", "ising-phase", "--set", "sizes=[-8]"], "outside the allowed range"),
        (["run", "ising-phase", "--set", "t_min=0"], "'t_min' = 0"),
        (["run", "ising-phase", "--set", "nope=1"], "unknown key 'nope'"),
        (["run", "ising-phase", "--set", "nope"], "expected KEY=VALUE"),
        (["run", "ising-phase", "--preset", "fast"], "unknown preset 'fast'"),
        (["run"], "name a task"),
        (["run", "ising-phase", "--device", "gpu"], "--device: device='gpu' is not a known"),
        (["run", "ising-phase", "--seed", "-1"], "seed = -1"),
        (["bench", "isin"], "unknown benchmark 'isin'"),
        (["run", "quantum-dot", "--set", "omega=0"], "'omega' = 0"),
        (["run", "ho-bosons", "--set", "n_particles=0"], "'n_particles' = 0"),
        (["run", "heisenberg-chain", "--set", "n_sites=9"], "n_sites=9 must be even"),
    ],
)
def test_user_errors_exit_2_with_one_line(args: list[str], message: str, tmp_path) -> None:
    result = runner.invoke(app, [*args, "--out", str(tmp_path)] if args[0] == "run" else args)
    assert result.exit_code == 2, result.output
    assert message in " ".join(result.output.split())
    assert "Traceback" not in result.output


def test_malformed_yaml_exits_2(tmp_path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("sizes: [8, 16\n")
    result = runner.invoke(app, ["run", "ising-phase", "--config", str(bad)])
    assert result.exit_code == 2
    assert "malformed YAML" in result.output


def test_run_prints_table_and_writes_run_dir(tmp_path) -> None:
    config = tmp_path / "small.yaml"
    config.write_text(
        "sizes: [8, 12]\nn_samples: 60\nn_scan_temperatures: 7\nn_train_temperatures: 2\n"
    )
    result = runner.invoke(
        app,
        [
            "run",
            "ising-phase",
            "--method",
            "logistic",
            "--config",
            str(config),
            "--seed",
            "2",
            "--out",
            str(tmp_path / "runs"),
        ],
    )
    assert result.exit_code == 0, result.output
    for word in ("metric", "reference", "gap", "T_c", "2.2692"):
        assert word in result.output
    (metrics,) = (tmp_path / "runs").glob("ising-phase/logistic/*/metrics.json")
    doc = json.loads(metrics.read_text())
    assert doc["seed"] == 2 and doc["preset"] == "quick"


def test_info_lists_versions_and_cache(monkeypatch) -> None:
    monkeypatch.setenv("PHYSML_CACHE", "/tmp/physml-cache-x")
    result = runner.invoke(app, ["info"])
    assert result.exit_code == 0
    assert "physml" in result.output and "torch" in result.output
    assert "/tmp/physml-cache-x" in result.output


def test_diverging_vmc_exits_1_naming_iteration_and_checkpoint(tmp_path) -> None:
    args = ["run", "tfim-chain", "--set", "n_sites=6", "--set", "vmc.optimizer=sgd"]
    args += ["--set", "vmc.lr=1e4", "--set", "vmc.n_burn_in=5", "--out", str(tmp_path)]
    result = runner.invoke(app, args)
    assert result.exit_code == 1, result.output
    output = " ".join(result.output.split())
    assert "VMC diverged at iteration" in output and "lower lr" in output
    assert "saved to" in output and "vmc.pt" in output
    assert "Traceback" not in result.output


@pytest.mark.slow  # two samplers x two problems of VMC: minutes on 2 cores
def test_bench_vmc_quick_without_netket(monkeypatch) -> None:
    import physml.bench.vmc

    monkeypatch.setattr(physml.bench.vmc, "netket_python", lambda: None)
    result = runner.invoke(app, ["bench", "vmc", "--quick"], terminal_width=200)
    assert result.exit_code == 0, result.output
    output = " ".join(result.output.split())
    assert "s per step (median)" in output and "NetKet not available" in output
    assert "autograd Laplacian" in output


def test_bench_ising_quick_prints_ratios() -> None:
    result = runner.invoke(app, ["bench", "ising", "--quick"])
    assert result.exit_code == 0, result.output
    assert "ratio" in result.output and "multispin" in result.output


def test_bench_jets_quick_prints_ratios(monkeypatch, tmp_path) -> None:
    monkeypatch.setenv("PHYSML_CACHE", str(tmp_path))
    result = runner.invoke(app, ["bench", "jets", "--quick"], terminal_width=200)
    assert result.exit_code == 0, result.output
    for row in ("generate", "train step", "AUC_opt - AUC", "LoLa", "PFN vs BDT"):
        assert row in result.output


def test_run_with_real_data_file(tmp_path) -> None:
    import numpy as np

    x = np.zeros((40, 3, 4))
    x[:, 0, :3] = [500.0, 0.1, 0.2]
    x[20:, 1, :3] = [20.0, 0.2, 0.3]  # the "gluons" have one emission more
    path = tmp_path / "QG_jets.npz"
    np.savez(path, X=x, y=np.repeat([1.0, 0.0], 20))
    args = ["run", "qg-jets", "-m", "multiplicity", "--data", str(path), "--set", "n_jets=200"]
    result = runner.invoke(app, [*args, "--out", str(tmp_path)], terminal_width=200)
    assert result.exit_code == 0, result.output
    assert "literature" in result.output and "AUC_opt" not in result.output
    result = runner.invoke(app, ["run", "ising-phase", "--data", str(path)])
    assert result.exit_code == 2 and "does not read real data" in result.output


def test_gap_against_zero_is_absolute() -> None:
    from physml.cli.report import format_gap

    assert format_gap(0.05, 0.0) == "+0.05"  # a KL of 0.05 nats, not "+5 %"
    assert format_gap(-0.0031, 2.269) == "-0.31 %"


def test_bench_generative_quick_prints_ratios() -> None:
    result = runner.invoke(app, ["bench", "generative", "--quick"], terminal_width=200)
    assert result.exit_code == 0, result.output
    speed = ("MADE", "RBM", "VAE", "GAN", "DDPM", "MAF", "NSF", "Monte Carlo")
    quality = ("KL(f||q)", "zuko", "VAN", "F_q/N", "Metropolis", "e_exact")  # single words
    for row in speed + quality:
        assert row in result.output
