"""Run ``physml run TASK --set ...`` in process and check a one-line refusal (exit 2, no run
directory), for the PINN tasks."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from physml.cli.main import app


def assert_refused(task: str, assignments: list[str], says: str, tmp_path: Path) -> None:
    out = tmp_path / "runs"
    args = ["run", task]
    for item in assignments:
        args += ["--set", item]
    result = CliRunner().invoke(app, [*args, "--out", str(out)])
    lines = result.stderr.strip().splitlines()
    assert result.exit_code == 2, result.output
    assert len(lines) == 1 and says in lines[0], lines
    assert not out.exists()
