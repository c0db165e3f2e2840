"""Settings of the fitting engine, shared by every gradient-trained method, and of the GAN
loop (:func:`physml.train.train_gan`).

Task configs nest :class:`FitSettings` as ``train: FitSettings``, so a user changes it from
the command line with ``--set train.max_epochs=5``. This module imports pydantic only (no
torch, no Lightning): task configs import it, and ``physml list`` must stay fast.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["FitSettings", "GANSettings", "Precision"]

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


_Beta = Annotated[float, Field(ge=0, lt=1)]


class GANSettings(BaseModel):
    """How :func:`train_gan` trains: steps, optimiser, penalty and the failure detector.

    Example:
        >>> GANSettings(n_steps=500).betas
        (0.5, 0.9)
    """

    model_config = ConfigDict(extra="forbid")

    n_steps: int = Field(2000, ge=1, description="Generator updates.")
    batch_size: int = Field(128, ge=1, description="Real and fake samples per update.")
    lr_generator: float = Field(2e-4, gt=0, description="Adam learning rate of G.")
    lr_discriminator: float = Field(2e-4, gt=0, description="Adam learning rate of D.")
    betas: tuple[_Beta, _Beta] = Field(
        (0.5, 0.9), description="Adam betas of both players; a low beta1 damps oscillation."
    )
    r1_gamma: float = Field(
        10.0,
        ge=0,
        description=(
            "Weight gamma of the R1 penalty (0: off); 10 is Mescheder et al.'s choice for data "
            "of unit scale (gamma scales with the data variance)."
        ),
    )
    n_disc_steps: int = Field(1, ge=1, description="D updates per G update.")
    window: int = Field(100, ge=1, description="Steps over which collapse is judged.")
    collapse_accuracy: float = Field(
        0.99,
        gt=0.5,
        le=1.0,
        description="Mean D accuracy over the window that counts as D winning.",
    )
    collapse_gen_loss: float = Field(
        5.0,
        gt=0,
        description="Generator loss (nats) that, exceeded throughout the window, means collapse.",
    )
    snapshot_every: int = Field(50, ge=1, description="Steps between snapshots of good states.")
    log_every: int = Field(10, ge=1, description="Steps between history records and on_step calls.")
