"""One fitting engine for every gradient-trained method: :func:`fit` and :func:`fit_ensemble`.

Lightning Fabric handles devices and precision underneath; checkpoints resume bitwise, and
early stopping restores the best weights. Names are loaded lazily, so importing
:mod:`physml.train.settings` (which task configs do) pulls in neither torch nor Lightning.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from physml.train.adversarial import (
        GANCollapsed,
        GANDiverged,
        GANResult,
        train_gan,
    )
    from physml.train.density import fit_flow
    from physml.train.devices import DEVICE_CHOICES, resolve_device
    from physml.train.ensemble import fit_ensemble, member_seeds, spread
    from physml.train.failures import TrainingDiverged, TrainingFailed
    from physml.train.fitting import LOG_COLUMNS, FitResult, epoch_permutation, fit
    from physml.train.settings import FitSettings, GANSettings

__all__ = [
    "DEVICE_CHOICES",
    "LOG_COLUMNS",
    "FitResult",
    "FitSettings",
    "GANCollapsed",
    "GANDiverged",
    "GANResult",
    "GANSettings",
    "TrainingDiverged",
    "TrainingFailed",
    "epoch_permutation",
    "fit",
    "fit_ensemble",
    "fit_flow",
    "member_seeds",
    "resolve_device",
    "spread",
    "train_gan",
]

_WHERE = {
    "GANCollapsed": "adversarial",
    "GANDiverged": "adversarial",
    "GANResult": "adversarial",
    "GANSettings": "settings",
    "train_gan": "adversarial",
    "DEVICE_CHOICES": "devices",
    "resolve_device": "devices",
    "fit_ensemble": "ensemble",
    "fit_flow": "density",
    "member_seeds": "ensemble",
    "spread": "ensemble",
    "LOG_COLUMNS": "fitting",
    "FitResult": "fitting",
    "TrainingDiverged": "failures",
    "fit": "fitting",
    "epoch_permutation": "fitting",
    "FitSettings": "settings",
    "TrainingFailed": "failures",
}


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{_WHERE[name]}"), name)


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
