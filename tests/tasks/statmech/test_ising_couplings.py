"""ising-couplings end to end on a small chain and square lattice: the recovered
gauge-invariant couplings against the exact ones, the gauge each method picks, the
bias-variance identity, and the refusals through the CLI."""

from __future__ import annotations

import csv

import pytest
from typer.testing import CliRunner

from physml.cli.main import app
from physml.tasks import run

SMALL = {"size": 8, "n_train": 150, "n_test": 200, "n_folds": 3, "n_bootstrap": 4}


def _log(record) -> list[dict[str, float]]:
    with open(record.run_dir / "log.csv") as f:
        return [{k: float(v) for k, v in row.items()} for row in csv.DictReader(f)]


def test_lasso_recovers_every_coupling_and_picks_one_of_each_pair(tmp_path) -> None:
    overrides = {**SMALL, "model": {"lambdas": [1e-3, 1e-2, 1.0]}}
    record = run("ising-couplings", "lasso", overrides=overrides, seed=3, out=tmp_path)
    m = record.metrics
    assert m["lambda_cv"].value == 1e-3 and m["lambda_cv"].exact
    # Lasso shrinks each |K| by about λ times a factor of order one: within 0.01 at 1e-3
    assert m["max|K - K_exact|"].value < 0.01 and m["max|K - K_exact|"].reference == 0.0
    assert m["max|K - K_exact|"].value >= m["rms|K - K_exact|"].value > 0
    assert 0 < m["max|K - K_exact|"].error < 0.01
    assert m["R2_test"].value > 0.999 and m["R2_test"].reference == 1.0
    assert m["bond asymmetry"].value > 0.8  # the whole sum on one of J_jk, J_kj
    assert m["non-zero J entries"].reference == 8
    assert 8 <= m["non-zero J entries"].value < 64
    rows = _log(record)
    assert [row["lambda"] for row in rows] == [1e-3, 1e-2, 1.0]
    for row in rows:  # noiseless energies: the bootstrap MSE is bias^2 + variance exactly
        assert row["mse"] == pytest.approx(row["bias2"] + row["variance"], rel=1e-9)
    assert rows[-1]["bias2"] > rows[0]["bias2"]  # more shrinkage, more bias
    assert rows[0]["r2_test"] > rows[-1]["r2_test"]
    for plot in ("r2_vs_lambda.png", "bias_variance.png", "couplings.png"):
        assert (record.run_dir / "plots" / plot).stat().st_size > 1000


@pytest.mark.parametrize("method", ["ols", "ridge"])
def test_l2_methods_split_each_bond_symmetrically(method: str, tmp_path) -> None:
    # 400 states > 28 pairs + 1: the couplings are determined and OLS recovers them exactly
    overrides = {**SMALL, "n_train": 400}
    if method == "ridge":
        overrides["model"] = {"lambdas": [1e-4, 10.0]}
    record = run("ising-couplings", method, overrides=overrides, seed=4, out=tmp_path)
    m = record.metrics
    assert m["bond asymmetry"].value < 1e-6
    assert m["max|K - K_exact|"].value < (1e-8 if method == "ols" else 1e-4)
    assert m["R2_test"].value == pytest.approx(1.0, abs=1e-8)
    assert m["non-zero J entries"].value > 8  # spread over J_jk and J_kj
    assert ("lambda_cv" in m) == (method == "ridge")


def test_square_lattice_variant(tmp_path) -> None:
    overrides = {**SMALL, "lattice": "square", "size": 3, "model": {"lambdas": [1e-3, 0.1]}}
    record = run("ising-couplings", "lasso", overrides=overrides, seed=5, out=tmp_path)
    m = record.metrics
    assert m["non-zero J entries"].reference == 18  # 2 bonds per site on 3 x 3
    assert m["max|K - K_exact|"].value < 0.01
    assert "square of 9 spins" in m["max|K - K_exact|"].source


def _cli(args: list[str], tmp_path):
    out = tmp_path / "runs"
    result = CliRunner().invoke(app, ["run", "ising-couplings", *args, "--out", str(out)])
    return result, out


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--set", "model.lambdas=[0.1, 0]"], "greater than 0"),
        (["--method", "ridge", "--set", "model.lambdas=[-1]"], "greater than 0"),
        (
            ["--set", "n_folds=20", "--set", "n_train=12"],
            "n_folds=20 is not allowed with n_train=12",
        ),
        (["--set", "lattice=square", "--set", "size=9"], "size <= 8 on the square lattice"),
        (["--set", "J=nan"], "'J'"),
        (["--set", "J=0"], "'J' = 0: no couplings to learn"),
    ],
)
def test_refusals_in_one_line(args: list[str], says: str, tmp_path) -> None:
    result, out = _cli(args, tmp_path)
    lines = result.stderr.strip().splitlines()
    assert result.exit_code == 2, result.output
    assert len(lines) == 1 and says in lines[0], result.stderr
    assert not out.exists()


def test_an_unconverged_lasso_says_so(tmp_path) -> None:
    args = ["--set", "size=6", "--set", "n_train=60", "--set", "n_test=20"]
    args += ["--set", "n_bootstrap=2", "--set", "model.lambdas=[1e-4]"]
    args += ["--set", "model.max_iter=2", "--set", "n_folds=2"]
    result, _ = _cli(args, tmp_path)
    assert result.exit_code == 0, result.output
    warning = [line for line in result.stderr.splitlines() if "did not converge" in line]
    assert warning and "warning" in warning[0] and "model.max_iter=2" in warning[0]
    assert "ConvergenceWarning" in result.stderr
