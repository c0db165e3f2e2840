"""The anomaly tasks' refusals through the CLI: one line, exit 2, no run directory."""

from __future__ import annotations

import pytest

from cli_refusals import assert_refused


@pytest.mark.parametrize(
    ("task", "assignment", "says"),
    [
        (
            "data-dimension",
            ["n_points=100", "n_groups=5", "model.n_neighbors=20"],
            "model.n_neighbors=20 is not allowed",
        ),
        ("data-dimension", ["model.correlation_range=[0.5,0.1]"], "model.correlation_range"),
        (
            "manifold-autoencoder",
            ["latent_offsets=[2]"],
            "latent dimension 3 is larger than the input's 2",
        ),
    ],
)
def test_refusals(task: str, assignment: list[str], says: str, tmp_path) -> None:
    args = ["run", task]
    for item in assignment:
        args += ["--set", item]
    assert_refused(args, says, tmp_path)
