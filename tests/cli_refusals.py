"""Run ``physml ARGS`` in process and check a one-line refusal (exit 2, no run directory)."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from physml.cli.main import app


def set_args(task: str, assignments: list[str]) -> list[str]:
    """``run TASK --set A --set B ...``"""
    return ["run", task, *(arg for item in assignments for arg in ("--set", item))]


def assert_refused(args: list[str], says: str, tmp_path: Path) -> None:
    out = tmp_path / "runs"
    result = CliRunner().invoke(app, [*args, "--out", str(out)])
    lines = result.stderr.strip().splitlines()
    assert result.exit_code == 2, result.output
    assert len(lines) == 1 and says in lines[0], lines
    assert not out.exists()
