"""nuclear-masses on the real tables: S2n of known nuclei, GP corrections that reduce a
model's rms on AME2012's new nuclei, BMA weights from held-out predictive densities and
stacking weights that maximise the mixture density; the missing package
and bad evaluation orders refused in one line."""

from __future__ import annotations

import importlib.util

import numpy as np
import pytest

from cli_refusals import assert_refused, set_args
from physml.data.loaders.mass_tables import load_mass_table
from physml.tasks import run
from physml.tasks.inference.nuclear_masses import _stacking_weights, separation_energies

pytest.importorskip("masstable")


def test_two_neutron_separation_energies_of_known_nuclei() -> None:
    s2n = separation_energies(load_mass_table("AME2003"))
    assert s2n[(82, 126)] == pytest.approx(14.106, abs=0.01)  # 208Pb, AME2003: 14105.5 keV
    assert s2n[(50, 82)] == pytest.approx(12.56, abs=0.05)  # 132Sn
    assert all(z % 2 == 0 and n % 2 == 0 for z, n in s2n)
    # tables with CR line ends (DUZU) read like the others
    assert len(load_mass_table("DUZU")) > 8000


def test_gp_correction_and_bma(tmp_path) -> None:
    m = run(
        "nuclear-masses", overrides={"models": ["WS32010", "DUZU"]}, seed=0, out=tmp_path
    ).metrics
    for model in ("WS32010", "DUZU"):
        after = m[f"rms {model}+GP"]
        assert after.value < after.reference + 2 * after.gap_error  # no worse than alone
        assert 0.05 < after.value < 1.0  # MeV
    weights = [m["BMA weight WS32010"].value, m["BMA weight DUZU"].value]
    assert sum(weights) == pytest.approx(1.0)
    # predictive weights (the default) are Bayes' rule on the held-out log densities
    log_p = np.array([m["log predictive WS32010"].value, m["log predictive DUZU"].value])
    assert weights[0] == pytest.approx(1 / (1 + np.exp(log_p[1] - log_p[0])))
    for name in ("BMA", "average"):
        for label, level in (("1 sigma", 0.6827), ("2 sigma", 0.9545)):
            c = m[f"coverage {label} {name}"]
            assert c.reference == level and 0 <= c.value <= 1
    assert np.isfinite(m["rms BMA"].gap_error)


def test_marginal_hyperparameters_keep_the_weights_and_nearly_the_means(tmp_path) -> None:
    base = {"models": ["WS32010"], "model": {"weights": "evidence"}}
    ml = run("nuclear-masses", overrides=base, seed=0, out=tmp_path / "ml").metrics
    marginal = {
        **base,
        "model": {"weights": "evidence", "hyperparameters": "marginal", "n_steps": 40},
    }
    mc = run("nuclear-masses", overrides=marginal, seed=0, out=tmp_path / "mc").metrics
    # the mixture mean over hyperparameter draws stays near the optimum's prediction, and
    # its spread over the draws can only add to the predictive variance
    rms_ml, rms_mc = ml["rms WS32010+GP"], mc["rms WS32010+GP"]
    assert abs(rms_mc.value - rms_ml.value) < 0.05 * rms_ml.value
    assert mc["log evidence WS32010"].value == ml["log evidence WS32010"].value
    assert mc["coverage 2 sigma BMA"].value >= ml["coverage 2 sigma BMA"].value - 0.05


def test_stacking_weights_maximise_the_mixture_density() -> None:
    # each model alone explains half the points: the optimal mixture is 1/2, 1/2
    p = np.array([[1.0, 1.0, 1e-9, 1e-9], [1e-9, 1e-9, 1.0, 1.0]])
    assert _stacking_weights(np.log(p)) == pytest.approx([0.5, 0.5], abs=1e-6)
    # a model that is everywhere better takes all the weight; a 1:3 split gives 1/4, 3/4
    assert _stacking_weights(np.log([[2.0, 2.0], [1.0, 1.0]]))[0] == pytest.approx(1, abs=1e-3)
    p = np.array([[1.0, 1e-9, 1e-9, 1e-9], [1e-9, 1.0, 1.0, 1.0]])
    assert _stacking_weights(np.log(p)) == pytest.approx([0.25, 0.75], abs=1e-6)


def test_missing_package_is_one_line(tmp_path, monkeypatch) -> None:
    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util,
        "find_spec",
        lambda name, *a: None if name == "masstable" else real(name, *a),
    )
    assert_refused(["run", "nuclear-masses"], '".[nuclear]"', tmp_path)


def test_training_table_must_be_older(tmp_path) -> None:
    assert_refused(
        set_args("nuclear-masses", ["train_table=AME2003", "test_table=AME2003"]),
        "train_table",
        tmp_path,
    )
    # predictive weights score AME1995's new nuclei, which needs an older evaluation
    assert_refused(
        set_args("nuclear-masses", ["train_table=AME1995", "test_table=AME2003"]),
        "model.weights=evidence",
        tmp_path,
    )
