"""top-tagging end to end: simulated jets, real-format files, literature anchors."""

from __future__ import annotations

import numpy as np
import pytest

from formats import write_pandas_fixed
from physml.config import ConfigError
from physml.tasks import resolve, run

SMALL = {"n_jets": 1500, "n_eval": 1500}


def test_bdt_on_substructure_separates_tops(tmp_path) -> None:
    record = run("top-tagging", "bdt", overrides=SMALL, seed=0, out=tmp_path)
    auc = record.metrics["AUC"]
    assert 0.9 < auc.value < 1.0  # mass, tau_32 and D_2 see the three prongs
    assert auc.reference == pytest.approx(0.979) and auc.source.startswith("literature")
    assert record.metrics["1/eps_B(eps_S=0.3)"].value > 20
    # a literature anchor: the error is the value's own (3000 test jets), no paired gap
    q1, q2 = auc.value / (2 - auc.value), 2 * auc.value**2 / (1 + auc.value)
    hanley_mcneil = np.sqrt(
        (auc.value * (1 - auc.value) + 1499 * (q1 + q2 - 2 * auc.value**2)) / 1500**2
    )
    assert 0.5 < auc.error / hanley_mcneil < 2 and auc.gap_error is None
    assert "AUC_opt - AUC" not in record.metrics
    for plot in ("roc.png", "scores.png"):
        assert (record.run_dir / "plots" / plot).stat().st_size > 0


@pytest.mark.parametrize("method", ["lola", "pfn", "cnn", "transformer"])
def test_networks_train_and_report(method: str, tmp_path) -> None:
    overrides = {**SMALL, "train": {"max_epochs": 3, "batch_size": 128}}
    record = run("top-tagging", method, overrides=overrides, seed=0, out=tmp_path)
    assert 0.8 < record.metrics["AUC"].value <= 1.0
    assert (record.run_dir / "plots" / "learning_curves.png").stat().st_size > 0


def test_real_data_in_the_comparison_format(tmp_path) -> None:
    from physml.sim.collider import top

    both = top.concatenate([top.sample(1500, kind=k, seed=3) for k in ("top", "qcd")])
    floats = {
        f"{name}_{i}": both.constituents[:, i, q].astype(np.float32)
        for i in range(both.constituents.shape[1])
        for q, name in enumerate(("E", "PX", "PY", "PZ"))
    }
    ints = {"is_signal_new": both.is_top.astype(np.int64), "ttv": np.zeros(len(both), np.int64)}
    path = tmp_path / "train.h5"
    write_pandas_fixed(path, [floats, ints])
    record = run(
        "top-tagging", "bdt", overrides={"n_jets": 1500}, data=[path], seed=0, out=tmp_path
    )
    assert 0.9 < record.metrics["AUC"].value <= 1.0
    assert str(path.resolve()) in (record.run_dir / "config.yaml").read_text()


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (["n_jets=10"], "'n_jets' = 10"),
        (["simulator.energy_resolution=1.5"], "'simulator.energy_resolution' = 1.5"),
        (["simulator.pt_max=100"], "pt_max"),
    ],
)
def test_bad_settings(overrides: list[str], message: str) -> None:
    with pytest.raises(ConfigError) as err:
        resolve("top-tagging", "bdt", overrides=overrides)
    assert message in str(err.value)
