"""hopfield-memory end to end on small networks: the capacity falls with N towards the
replica result, retrieval below it is near perfect; the pseudo-inverse rule recalls every
pattern; the refusals through the CLI."""

from __future__ import annotations

import csv

import numpy as np
import pytest
from typer.testing import CliRunner

from physml.cli.main import app
from physml.infer.hopfield import ags_capacity
from physml.tasks import run

SMALL = {
    "sizes": [50, 100, 200],
    "alphas": [0.06, 0.1, 0.14, 0.18, 0.22, 0.26, 0.3],
    "n_networks": 12,
    "n_cues": 2,
}


def test_hebbian_capacity_against_the_replica_result(tmp_path) -> None:
    record = run("hopfield-memory", overrides=SMALL, seed=1, out=tmp_path)
    m = record.metrics
    alpha_c = ags_capacity()[0]
    per_size = [m[f"alpha_c(N={n})"] for n in SMALL["sizes"]]
    for metric in per_size:
        assert metric.reference == pytest.approx(alpha_c)
        assert 0 < metric.error < 0.03
        assert alpha_c < metric.value < 0.3  # small networks hold more than alpha_c
    assert per_size[0].value > per_size[-1].value  # and the excess shrinks with N
    # three small sizes extrapolated in N^-1/2: consistent with 0.138 within ~3 errors
    assert abs(m["alpha_c"].value - alpha_c) < max(3 * m["alpha_c"].error, 0.02), m["alpha_c"]
    overlap = m["m(alpha=0.1, N=200)"]
    assert overlap.value > 0.98 and overlap.reference == pytest.approx(0.998, abs=1e-3)
    with open(record.run_dir / "log.csv") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 3 * 7
    fractions = [float(r["fraction_retrieved"]) for r in rows if r["N"] == "200"]
    assert fractions[0] == 1.0 and fractions[-1] < 0.5
    assert (record.run_dir / "plots" / "overlap.png").stat().st_size > 1000


def test_pseudo_inverse_recalls_every_pattern_from_the_pattern(tmp_path) -> None:
    overrides = {**SMALL, "alphas": [0.2, 0.5, 0.8], "cue_noise": 0.0, "dynamics": "synchronous"}
    record = run("hopfield-memory", "pseudo-inverse", overrides=overrides, seed=2, out=tmp_path)
    m = record.metrics
    # every stored pattern is a fixed point for p < N: no crossing, no extrapolation
    assert np.isnan(m["alpha_c(N=50)"].value) and "alpha_c" not in m
    assert m["m(alpha=0.2, N=200)"].value == 1.0


def test_storkey_holds_more_than_hebb(tmp_path) -> None:
    overrides = {**SMALL, "sizes": [100, 200], "alphas": [0.1, 0.2, 0.3, 0.4, 0.5]}
    record = run("hopfield-memory", "storkey", overrides=overrides, seed=3, out=tmp_path)
    assert record.metrics["alpha_c(N=200)"].value > 0.2


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--set", "alphas=[0.1, 1.5]"], "'alphas.1' = 1.5"),
        (["--set", "sizes=[20]", "--set", "alphas=[0.5, 0.99]"], "at least 2"),
        (
            ["--set", "sizes=[20, 40]", "--set", "alphas=[0.5, 0.98]"],
            "p = round(alpha N) = 20 patterns in N = 20 neurons; a network holds",
        ),
        (["--set", "sizes=[10, 20]", "--set", "alphas=[0.1, 0.2]"], "n_cues = 4 <= p"),
        (["--set", "cue_noise=nan"], "'cue_noise'"),
        (["--set", "alphas=[0.2, 0.1]"], "strictly increasing"),
    ],
)
def test_refusals_in_one_line(args: list[str], says: str, tmp_path) -> None:
    out = tmp_path / "runs"
    result = CliRunner().invoke(app, ["run", "hopfield-memory", *args, "--out", str(out)])
    lines = result.stderr.strip().splitlines()
    assert result.exit_code == 2, result.output
    assert len(lines) == 1 and says in lines[0], result.stderr
    assert not out.exists()
