"""state-tomography end to end on tiny presets against the exact state, and its refusals
through the CLI."""

from __future__ import annotations

import pytest

from cli_refusals import assert_refused
from physml.tasks import run


@pytest.mark.parametrize(
    ("method", "overrides"),
    [
        (
            "rbm",
            {
                "n_sites": 3,
                "n_shots": [700, 14000],
                "n_seeds": 2,
                "model": {"n_steps": 150, "lr": 0.06, "n_restarts": 1},
            },
        ),
        ("mle", {"state": "ghz", "n_sites": 3, "n_shots": [700, 14000], "n_seeds": 2}),
    ],
)
def test_fidelity_and_observables_approach_the_exact_state(method, overrides, tmp_path) -> None:
    record = run("state-tomography", method=method, overrides=overrides, seed=0, out=tmp_path)
    f_few, f_many = record.metrics["F(N=700)"], record.metrics["F(N=14000)"]
    assert f_many.reference == 1.0 and f_many.value > 0.97
    assert f_many.value + 2 * f_many.error > f_few.value - 2 * f_few.error
    s = record.metrics["S_half(N=14000)"]
    if overrides.get("state") == "ghz":
        assert s.reference == pytest.approx(0.6931471805599453)  # ln 2
    assert abs(s.value - s.reference) < max(5 * s.error, 0.05)
    zz = record.metrics["<Z0Z1>(N=14000)"]
    assert abs(zz.value - zz.reference) < max(5 * zz.error, 0.03)
    assert ("E(N=14000)" in record.metrics) == (method == "rbm")  # GHZ has no Hamiltonian
    assert (record.run_dir / "plots" / "infidelity_vs_shots.png").stat().st_size > 0


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--set", "n_sites=4", "--set", "n_shots=[50]"], "too few for 9 bases"),
        (["--set", "n_sites=3", "--set", "bases=[ZZZ,ZXZZ]"], "expected 3 letters"),
        (["--set", "n_sites=3", "--set", "bases=[ZZZ,ZQZ]"], "'ZQZ' is not allowed"),
        (["--method", "mle", "--set", "n_sites=10", "--set", "n_shots=[9000]"], "use the rbm"),
    ],
)
def test_refusals(args: list[str], says: str, tmp_path) -> None:
    assert_refused(["run", "state-tomography", *args], says, tmp_path)
