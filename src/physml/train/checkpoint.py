"""Reading checkpoints back: a damaged or foreign file is a user error, not a crash.

A checkpoint lives in a run directory the user owns; it may be truncated by a full disk,
copied from another run or edited by hand. :func:`read_checkpoint` loads one with
``torch.load(path, map_location="cpu", weights_only=True)`` (tensors and plain containers
only, nothing unpickled beyond them) and turns every way that can fail into a one-line
:class:`CheckpointError` that names the file and says how to start afresh. torch is
imported inside the function, so importing this module stays cheap.
"""

from __future__ import annotations

import pickle
import zipfile
from pathlib import Path
from typing import Any

from physml.config import ConfigError

__all__ = ["CheckpointError", "read_checkpoint"]


class CheckpointError(ConfigError):
    """A checkpoint that cannot be resumed from (the message names the file)."""

    def __init__(self, path: str | Path, problem: str) -> None:
        super().__init__(f"checkpoint {str(path)!r}: {problem}; delete it to start that fit afresh")


def read_checkpoint(path: str | Path) -> dict[str, Any]:
    """The mapping stored in the checkpoint at ``path``, loaded on the CPU.

    Raises:
        CheckpointError: the file cannot be read, is not a torch file, holds more than
            tensors and plain containers, or does not hold a mapping.
    """
    import torch

    try:
        payload = torch.load(path, map_location="cpu", weights_only=True)
    except (
        OSError,
        EOFError,
        RuntimeError,
        ValueError,
        pickle.UnpicklingError,
        zipfile.BadZipFile,
    ) as err:
        reason = str(err).strip().splitlines()[0] if str(err).strip() else ""
        raise CheckpointError(
            path, f"cannot be read ({type(err).__name__}{': ' if reason else ''}{reason[:120]})"
        ) from None
    if not isinstance(payload, dict):
        raise CheckpointError(path, f"holds a {type(payload).__name__}, not a checkpoint")
    return payload
