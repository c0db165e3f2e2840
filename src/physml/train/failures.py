"""What a training loop raises when it cannot go on, for the CLI to report in one line.

Torch-free, so the CLI can name it without importing torch.
"""

from __future__ import annotations

__all__ = ["NonFiniteSamples", "TrainingDiverged", "TrainingFailed"]


class TrainingFailed(RuntimeError):
    """Training stopped for good (e.g. a GAN's discriminator won completely); the loop
    restored its last good state before raising. Numerical divergence is reported as a
    ``FloatingPointError`` (:class:`TrainingDiverged` and kin)."""


class TrainingDiverged(RuntimeError, FloatingPointError):
    """The loss became NaN or infinite; the last good checkpoint is kept on disk."""


class NonFiniteSamples(FloatingPointError):
    """A trained generator produced NaN or infinite samples; nothing was measured on them."""
