"""Settings of the inference loops that task configs nest (pydantic only, no torch, so
``physml list`` stays fast): :class:`VANSettings` for :func:`physml.infer.van.train_van`."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["VANSettings"]


class VANSettings(BaseModel):
    """How :func:`train_van` trains: batch, Adam, annealing, seed, clipping.

    Example:
        >>> VANSettings(batch_size=500).batch_size
        500
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    batch_size: int = Field(1000, ge=2, description="Samples of q per step (and baseline).")
    lr: float = Field(1e-3, gt=0, description="Adam learning rate.")
    n_steps: int = Field(1000, ge=1, description="Number of optimisation steps.")
    beta_anneal: float = Field(
        0.998,
        ge=0,
        lt=1,
        description="a in beta_t = beta (1 - a^t), t = 1..n_steps; 0 disables annealing.",
    )
    seed: int = Field(0, ge=0, description="Seed of the sampling generator.")
    clip: float | None = Field(
        None, gt=0, description="Maximum gradient norm (clip_grad_norm_); None: no clipping."
    )
    lr_decay: bool = Field(
        False,
        description="Cosine-decay the learning rate to 0 over n_steps (sharpens the end).",
    )
