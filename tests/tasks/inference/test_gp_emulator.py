"""gp-emulator on a tiny design: the library's posterior equals the dense computation,
active learning is no worse than random design, the hyperparameter-marginal predictive
covers at least as much as the one at the marginal-likelihood optimum."""

from __future__ import annotations

import pytest

from cli_refusals import assert_refused, set_args
from physml.tasks import run

TINY = {"n_initial": 4, "n_design": 12, "n_heldout": 40, "n_candidates": 100, "n_repeats": 2}


def test_emulator_end_to_end(tmp_path) -> None:
    record = run(
        "gp-emulator",
        overrides={**TINY, "model": {"n_restarts": 0, "n_steps": 200}},
        seed=0,
        out=tmp_path,
    )
    m = record.metrics
    assert m["max |mean - dense mean|"].value < 1e-8 * 100  # ranges ~ 100 m
    assert m["max |var - dense var|"].value < 1e-8 * 100**2
    active, random = m["rms active (12 runs)"], m["rms random (12 runs)"]
    assert active.value < random.value + 3 * active.gap_error + 0.5
    assert active.value < 10  # metres, of ranges up to ~90 m
    for level in ("68%", "95%"):
        assert 0 <= m[f"coverage {level}"].value <= 1
        assert 0 <= m[f"coverage {level} (ml)"].value <= 1
    # integrating the hyperparameters out widens the tails of the predictive
    assert m["coverage 95%"].value >= m["coverage 95% (ml)"].value
    assert (record.run_dir / "plots" / "design.png").exists()


@pytest.mark.parametrize(
    ("assignment", "says"),
    [
        (["n_initial=10", "n_design=5"], "n_initial"),
        (["angle_min=80", "angle_max=20"], "angle_min"),
    ],
)
def test_refusals(assignment, says, tmp_path) -> None:
    assert_refused(set_args("gp-emulator", assignment), says, tmp_path)
