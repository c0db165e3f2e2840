"""Device names as users type them (``--device auto|cpu|cuda``) mapped to torch devices.

Imports torch only (not Lightning): ``physml info`` calls :func:`resolve_device`.
"""

from __future__ import annotations

import torch

__all__ = ["DEVICE_CHOICES", "resolve_device"]

DEVICE_CHOICES: tuple[str, ...] = ("auto", "cpu", "cuda")
"""Names accepted by :func:`resolve_device`."""


def resolve_device(name: str) -> str:
    """Return ``"cpu"`` or ``"cuda"`` for a user-facing device name.

    Args:
        name: ``"auto"`` (CUDA when available, else CPU), ``"cpu"`` or ``"cuda"``;
            case and surrounding spaces are ignored.

    Returns:
        ``"cpu"`` or ``"cuda"``, usable as ``torch.device(...)`` and as a Fabric accelerator.

    Raises:
        ValueError: for an unknown name, or ``"cuda"`` when no CUDA device is available.

    Example:
        >>> resolve_device("cpu")
        'cpu'
    """
    key = name.strip().lower() if isinstance(name, str) else name
    if key not in DEVICE_CHOICES:
        allowed = ", ".join(repr(c) for c in DEVICE_CHOICES)
        raise ValueError(f"device={name!r} is not a known device; allowed: {allowed}")
    if key == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if key == "cuda" and not torch.cuda.is_available():
        raise ValueError(
            "device='cuda' was requested but no CUDA device is available "
            f"(torch {torch.__version__}, built with CUDA {torch.version.cuda}); "
            "use device='cpu' or 'auto'"
        )
    return key
