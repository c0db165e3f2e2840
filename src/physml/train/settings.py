"""Settings of the fitting engine, shared by every gradient-trained method.

Task configs nest :class:`FitSettings` as ``train: FitSettings``, so a user changes it from
the command line with ``--set train.max_epochs=5``. This module imports pydantic only (no
torch, no Lightning): task configs import it, and ``physml list`` must stay fast.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["FitSettings", "Precision"]

Precision = Literal["32-true", "64-true", "bf16-mixed", "16-mixed"]
"""Numeric precisions understood by Lightning Fabric (``"16-mixed"`` needs a GPU)."""


class FitSettings(BaseModel):
    """How :func:`physml.train.fit` trains a model: epochs, batches, optimizer, stopping.

    Example:
        >>> FitSettings(max_epochs=5).max_epochs
        5
    """

    model_config = ConfigDict(extra="forbid")

    max_epochs: int = Field(30, ge=1, description="Maximum number of passes over the training set.")
    batch_size: int = Field(128, ge=1, description="Samples per optimizer step.")
    learning_rate: float = Field(1e-3, gt=0, description="AdamW learning rate.")
    weight_decay: float = Field(
        0.0, ge=0, description="AdamW decoupled weight decay (0 gives plain Adam)."
    )
    patience: int | None = Field(
        5,
        ge=1,
        description=(
            "Epochs without improvement of the validation loss before stopping early; "
            "None disables early stopping."
        ),
    )
    min_delta: float = Field(
        0.0, ge=0, description="Smallest decrease of the validation loss that counts as better."
    )
    precision: Precision = Field(
        "32-true",
        description="Lightning Fabric precision: '32-true', '64-true', 'bf16-mixed', '16-mixed'.",
    )
