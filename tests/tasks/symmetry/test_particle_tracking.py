"""particle-tracking end to end: edges and tracks against the truth; refusals via the CLI."""

from __future__ import annotations

import pytest

from cli_refusals import assert_refused
from physml.tasks import run

TINY = {"n_train_events": 12, "n_test_events": 12, "tracks_per_event": [20, 60]}


def _consistent_or_below(metric, sigmas: float = 3.0) -> None:
    """A method never beats perfect edges by more than its paired error."""
    assert metric.value <= metric.reference + sigmas * metric.gap_error + 1e-12


def test_helix_road_against_the_truth(tmp_path) -> None:
    record = run("particle-tracking", "helix-road", overrides=TINY, seed=0, out=tmp_path)
    m = record.metrics
    # the graph's cut keeps p_T above ~0.67 GeV: p_T^-2 on [0.5, 10] puts ~27 % below
    assert 0.6 < m["graph edge efficiency"].value < 0.85
    assert m["graph edge purity"].value > 0.8
    assert m["edge AUC"].value > 0.95 and 0 < m["edge AUC"].error < 0.05
    # above the cut perfect edges find nearly all tracks (gaps from missed hits aside)
    assert m["track efficiency (pT 2-10 GeV)"].reference > 0.85
    assert m["track efficiency (pT 0.5-0.75 GeV)"].reference < 0.5
    for name in (
        "track efficiency",
        "track efficiency (20 tracks)",
        "track efficiency (60 tracks)",
    ):
        _consistent_or_below(m[name])
        assert m[name].error > 0
    assert m["track efficiency"].value > 0.5 * m["track efficiency"].reference
    assert 0 <= m["fake rate"].value < 0.5
    assert (record.run_dir / "plots" / "tracking.png").stat().st_size > 0


def test_interaction_network_learns_edges(tmp_path) -> None:
    overrides = {**TINY, "train": {"max_epochs": 10, "batch_size": 1}}
    record = run(
        "particle-tracking", "interaction-network", overrides=overrides, seed=0, out=tmp_path
    )
    m = record.metrics
    assert m["edge AUC"].value > 0.65  # untrained: ~0.3-0.5
    assert m["edge efficiency"].value > 0.8
    _consistent_or_below(m["track efficiency"])


@pytest.mark.parametrize(
    ("assignment", "says"),
    [
        (["phi_slope_max=1e-9"], "the graph has no edges after the cuts phi_slope_max=1e-09"),
        (
            ["detector.pitch_rphi=20", "detector.pitch_z=400", "tracks_per_event=[50]"],
            "tracks_per_event=50 is more than the detector can hold",
        ),
        (["pt_range=[5, 1]"], "pt_range=[5.0, 1.0]"),
        (["detector.radii=[50, 40, 60]"], "radii"),
    ],
)
def test_refusals(assignment: list[str], says: str, tmp_path) -> None:
    args = ["run", "particle-tracking"]
    for item in assignment:
        args += ["--set", item]
    assert_refused(args, says, tmp_path)
