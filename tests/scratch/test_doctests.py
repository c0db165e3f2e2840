"""Every module of physml.scratch runs its docstring examples (the OR gate's slide numbers
among them)."""

from __future__ import annotations

import doctest
import importlib

import pytest


@pytest.mark.parametrize("name", ["linear", "descent", "logistic", "network", "or_gate"])
def test_doctests(name: str) -> None:
    module = importlib.import_module(f"physml.scratch.{name}")
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0 and result.failed == 0


def test_scratch_imports_no_torch_or_sklearn() -> None:
    import subprocess
    import sys

    code = (
        "import sys, physml.scratch.linear, physml.scratch.descent, physml.scratch.logistic,"
        " physml.scratch.network, physml.scratch.or_gate;"
        " assert 'torch' not in sys.modules and 'sklearn' not in sys.modules"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
