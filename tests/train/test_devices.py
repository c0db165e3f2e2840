"""Tests of device-name resolution (``--device auto|cpu|cuda``)."""

from __future__ import annotations

import pytest
import torch

from physml.train.devices import DEVICE_CHOICES, resolve_device


def test_cpu_always_works():
    assert resolve_device("cpu") == "cpu"
    assert resolve_device(" CPU ") == "cpu"


@pytest.mark.parametrize("available", [True, False])
def test_auto_picks_cuda_when_available(monkeypatch, available):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: available)
    assert resolve_device("auto") == ("cuda" if available else "cpu")


def test_cuda_when_unavailable_is_a_clear_error(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.raises(ValueError, match="no CUDA device is available"):
        resolve_device("cuda")


def test_cuda_when_available(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert resolve_device("cuda") == "cuda"


@pytest.mark.parametrize("name", ["gpu", "mps", "cuda:0", ""])
def test_unknown_names_list_the_allowed_ones(name):
    with pytest.raises(ValueError, match="allowed: 'auto', 'cpu', 'cuda'") as info:
        resolve_device(name)
    assert repr(name) in str(info.value)
    assert DEVICE_CHOICES == ("auto", "cpu", "cuda")


def test_devices_module_does_not_import_lightning():
    import subprocess
    import sys

    code = "import sys, physml.train.devices; assert 'lightning' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)
