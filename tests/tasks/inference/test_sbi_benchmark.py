"""sbi-benchmark: a tiny NPE run gives C2ST between the exact 0.5 and 1, calibration
metrics and plots, writes nothing into the working directory (no ./sbi-logs), flags a
posterior with mass outside the prior without losing the other problems, refuses a
diverging fit, and bad settings in one line."""

from __future__ import annotations

import math
import sys

import pytest

from cli_refusals import assert_refused, set_args
from physml.infer.simulation_based import SBITrainingDiverged, _check_finite
from physml.tasks import run

pytestmark = pytest.mark.usefixtures("one_torch_thread")

TINY = {
    "problems": ["gaussian-linear"],
    "budgets": [200],
    "n_observations": 2,
    "c2st_samples": 100,
    "n_calibration": 20,
    "calibration_samples": 20,
    "model": {"max_epochs": 5, "hidden_features": 16, "num_transforms": 2},
}


@pytest.mark.parametrize("real_c2st", [False, pytest.param(True, marks=pytest.mark.slow)])
def test_tiny_npe_run(tmp_path, monkeypatch, real_c2st: bool) -> None:
    """The run's plumbing; the fast variant stands a fixed number in for sklearn's C2ST
    (tested in tests/metrics), whose MLP trains for thousands of epochs on 100 samples."""
    if not real_c2st:
        monkeypatch.setattr("physml.metrics.posterior.c2st", lambda a, b, seed, classifier: 0.75)
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    record = run("sbi-benchmark", "npe", overrides=TINY, seed=0, out=tmp_path / "runs")
    assert list(work.iterdir()) == []  # sbi wrote no logs here
    c2st = record.metrics["C2ST gaussian-linear 200"]
    assert 0.4 < c2st.value <= 1.0 and math.isfinite(c2st.error)
    assert real_c2st or c2st.value == 0.75
    for name in ("SBC rank KS", "TARP KS"):
        metric = record.metrics[f"{name} gaussian-linear 200"]
        assert 0 <= metric.value <= 1 and metric.reference == pytest.approx(
            0.869 / 20**0.5, rel=1e-3
        )
    assert record.metrics["mass outside prior gaussian-linear 200"].value == 0.0
    assert (record.run_dir / "plots" / "tarp_coverage.png").stat().st_size > 0
    assert "training_loss" in (record.run_dir / "log.csv").read_text().splitlines()[0]


def test_a_leaking_problem_is_flagged_and_the_run_goes_on(tmp_path, monkeypatch) -> None:
    """A posterior above max_leakage costs its own C2ST (NaN, not scored, a flag row with
    reference 0, a warning), never the other problems' metrics or the run directory (it
    used to refuse the whole run with PosteriorOutsidePrior)."""
    import json

    monkeypatch.setattr("physml.metrics.posterior.c2st", lambda a, b, seed, classifier: 0.75)
    overrides = {**TINY, "problems": ["two-moons", "gaussian-linear"], "max_leakage": 1e-9}
    overrides["model"] = {**TINY["model"], "max_epochs": 2}
    lines: list[str] = []
    record = run(
        "sbi-benchmark", "npe", overrides=overrides, seed=0, out=tmp_path, log=lines.append
    )
    leak = record.metrics["mass outside prior two-moons 200"]
    assert leak.value > 1e-9 and "max_leakage=1e-09" in leak.source
    flag = record.metrics["observations over max_leakage two-moons 200"]
    assert flag.value >= 1 and flag.reference == 0 and flag.exact
    assert "observation" in flag.source and "outside the prior" in flag.source
    assert math.isnan(record.metrics["C2ST two-moons 200"].value)
    assert record.metrics["C2ST two-moons 200"].source.startswith("not scored")
    assert not [name for name in record.metrics if "KS two-moons" in name]
    assert record.metrics["C2ST gaussian-linear 200"].value == 0.75  # the later problem ran
    assert "SBC rank KS gaussian-linear 200" in record.metrics
    assert "observations over max_leakage gaussian-linear 200" not in record.metrics
    assert any(line.startswith("warning: two-moons 200: C2ST not scored") for line in lines)
    written = json.loads((record.run_dir / "metrics.json").read_text())["metrics"]
    assert written["C2ST two-moons 200"]["value"] is None
    assert written["observations over max_leakage two-moons 200"]["value"] >= 1


@pytest.mark.parametrize("method", ["snpe"])
def test_a_leaking_sequential_fit_is_flagged(tmp_path, monkeypatch, method: str) -> None:
    """The same for a sequential method, whose fits are one per observation; the clean
    problem gets its local calibration (10 simulations near each of 2 observations)."""
    monkeypatch.setattr("physml.metrics.posterior.c2st", lambda a, b, seed, classifier: 0.75)
    overrides = {**TINY, "problems": ["two-moons", "gaussian-linear"], "max_leakage": 1e-9}
    overrides["model"] = {**TINY["model"], "max_epochs": 2, "rounds": 2}
    record = run("sbi-benchmark", method, overrides=overrides, seed=0, out=tmp_path)
    assert math.isnan(record.metrics["C2ST two-moons 200"].value)
    assert record.metrics["observations over max_leakage two-moons 200"].value >= 1
    assert record.metrics["C2ST gaussian-linear 200"].value == 0.75
    # the clean problem is calibrated near its observations; the leaking one is not
    assert not [name for name in record.metrics if "two-moons" in name and "KS" in name]
    for name in ("SBC rank KS", "TARP KS"):
        metric = record.metrics[f"{name} near x_o gaussian-linear 200"]
        assert 0 <= metric.value <= 1 and "local calibration" in metric.source
        assert metric.reference == pytest.approx(0.869 / 20**0.5, rel=1e-3)


def test_diverging_training_is_named() -> None:
    """A fit whose recorded losses are not finite is refused by name, never used."""

    class Diverged:
        _summary = {"training_loss": [1.0, math.nan], "validation_loss": [1.0, math.inf]}

    with pytest.raises(SBITrainingDiverged, match="NaN or infinite"):
        _check_finite(Diverged(), "npe (two-moons 1000)")


@pytest.mark.parametrize(
    ("assignment", "says"),
    [
        ("budgets=[10]", "budgets"),
        ("problems=[two-moons,two-moons]", "twice"),
        ("problems=[lotka-volterra]", "problems"),
        ("max_leakage=0", "max_leakage"),
        ("model.estimator=flow", "estimator"),
        ("c2st_classifier=svm", "early-stopping"),
    ],
)
def test_bad_settings_are_refused(tmp_path, assignment: str, says: str) -> None:
    assert_refused(set_args("sbi-benchmark", [assignment]), says, tmp_path)


@pytest.mark.parametrize("method", ["nle", "nre"])
def test_mcmc_methods_sample_inside_the_prior(method: str) -> None:
    """NLE and NRE train and draw through sbi's slice sampler, inside the prior box."""
    from physml.infer.simulation_based import fit_posterior, torch_prior
    from physml.sim.inference.benchmark_problems import PROBLEMS

    problem = PROBLEMS["two-moons"]
    theta = problem.sample_prior(200, seed=0)
    x = problem.simulate(theta, seed=1)
    prior = torch_prior("uniform", -1.0, 1.0, 2)
    estimator = "maf" if method == "nle" else "mlp"
    fitted = fit_posterior(
        method,
        prior,
        theta,
        x,
        seed=0,
        estimator=estimator,
        max_epochs=3,
        hidden_features=8,
        mcmc_chains=4,
    )
    draws = fitted.sample(x[0], 8, seed=2)
    assert draws.shape == (8, 2) and problem.in_support(draws).all()
    assert fitted.leakage(x[0]) == 0.0


def test_missing_sbi_names_the_extra(tmp_path, monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "sbi", None)  # import sbi now raises ImportError
    assert_refused(["run", "sbi-benchmark"], "pip install -e '.[sbi]'", tmp_path)


@pytest.mark.parametrize("method", ["snpe", "snle"])
def test_sequential_methods_fit_per_observation(tmp_path, monkeypatch, method: str) -> None:
    """snpe / snle: one two-round fit per observation, C2ST (here a stand-in) and leakage
    per observation, and only the local calibration ("near x_o"; the global one would
    need a fit per simulation)."""
    monkeypatch.setattr("physml.metrics.posterior.c2st", lambda a, b, seed, classifier: 0.75)
    overrides = {**TINY, "model": {**TINY["model"], "rounds": 2}}
    record = run("sbi-benchmark", method, overrides=overrides, seed=0, out=tmp_path)
    assert record.metrics["C2ST gaussian-linear 200"].value == 0.75
    assert record.metrics["mass outside prior gaussian-linear 200"].value >= 0.0
    calibration = [name for name in record.metrics if "SBC" in name or "TARP" in name]
    assert sorted(calibration) == [
        "SBC rank KS near x_o gaussian-linear 200",
        "TARP KS near x_o gaussian-linear 200",
    ]
    assert "round 2" in (record.run_dir / "log.csv").read_text()


def test_npe_sbibm_is_npe_with_sbibm_settings(tmp_path, monkeypatch) -> None:
    """``npe-sbibm`` defaults to sbibm's NPE (NSF, batches of 10 000) and fits exactly
    what ``npe`` fits with those two settings set by hand: the same SBC and TARP."""
    from physml.tasks.registry import TASKS

    monkeypatch.setattr("physml.metrics.posterior.c2st", lambda a, b, seed, classifier: 0.75)
    model = TASKS["sbi-benchmark"].config_model("npe-sbibm")().model
    assert (model.estimator, model.batch_size, model.num_transforms) == ("nsf", 10_000, 5)
    overrides = dict(TINY)
    sbibm = run("sbi-benchmark", "npe-sbibm", overrides=overrides, seed=0, out=tmp_path)
    overrides["model"] = {**TINY["model"], "estimator": "nsf", "batch_size": 10_000}
    by_hand = run("sbi-benchmark", "npe", overrides=overrides, seed=0, out=tmp_path)
    overrides["model"] = TINY["model"]
    maf = run("sbi-benchmark", "npe", overrides=overrides, seed=0, out=tmp_path)
    names = [f"{kind} gaussian-linear 200" for kind in ("SBC rank KS", "TARP KS")]
    figures = [[record.metrics[name].value for name in names] for record in (sbibm, by_hand, maf)]
    assert figures[0] == figures[1] and figures[0] != figures[2]  # MAF, batch 200: another fit
