"""The classifiers of ``ising-phase``: each maps Ising configurations to P(ordered).

Scikit-learn methods (``logistic``, ``forest``, ``svm``) read the spins flattened to (n,
L*L) after fixing the Z2 gauge (global sign chosen so that m >= 0, an exact symmetry of
H): a linear model cannot represent a Z2-symmetric order parameter such as |m|, but m is
linear once the sign is fixed. Torch methods (``mlp``, ``cnn``) read the raw spins and
are trained by :func:`physml.tasks.classify.fit_binary_ensemble`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, field_validator

from physml.tasks.base import RunContext, Widths
from physml.tasks.seeds import member_seeds

__all__ = [
    "SKLEARN_METHODS",
    "CNNSettings",
    "ForestSettings",
    "LogisticSettings",
    "MLPSettings",
    "Predictor",
    "SVMSettings",
    "gauge_fixed",
    "train",
]

Predictor = Callable[[np.ndarray], np.ndarray]
"""Maps spins (n, L, L) int8 to P(ordered), shape (n,)."""


class LogisticSettings(BaseModel):
    """Logistic regression on Z2-gauge-fixed spins (scikit-learn)."""

    model_config = ConfigDict(extra="forbid")
    inverse_regularization: float = Field(1.0, gt=0, description="C of scikit-learn")
    max_iter: int = Field(500, ge=10)


class ForestSettings(BaseModel):
    """Random forest on Z2-gauge-fixed spins (scikit-learn), as in Mehta et al.,
    Phys. Rep. 810, 1 (2019), arXiv:1803.08823, section VIII."""

    model_config = ConfigDict(extra="forbid")
    n_estimators: int = Field(100, ge=1, le=5000, description="trees in the forest")
    max_depth: int | None = Field(None, ge=1, le=200, description="None: grow to purity")
    min_samples_leaf: int = Field(1, ge=1, le=10_000)


class SVMSettings(BaseModel):
    """Support-vector machine with an RBF kernel on Z2-gauge-fixed spins (scikit-learn);
    P(ordered) from Platt scaling."""

    model_config = ConfigDict(extra="forbid")
    inverse_regularization: float = Field(1.0, gt=0, description="C of scikit-learn")
    kernel: Literal["rbf", "linear", "poly"] = "rbf"


class MLPSettings(BaseModel):
    """Fully connected network on the L*L spins (Carrasquilla & Melko's architecture)."""

    model_config = ConfigDict(extra="forbid")
    hidden: Widths = Field([64], description="hidden layer widths")
    activation: Literal["relu", "tanh", "gelu", "silu", "sigmoid"] = "relu"
    init: Literal["default", "he", "xavier", "lecun"] = "he"


class CNNSettings(BaseModel):
    """Periodic, translation-invariant CNN (any L) with an MLP head after pooling."""

    model_config = ConfigDict(extra="forbid")
    channels: Widths = Field([8, 16], min_length=1)
    kernel_size: int = Field(
        3, ge=1, le=9, description="odd; at most 9, the widest a 4 x 4 periodic lattice allows"
    )
    head_hidden: Widths = Field([16])
    z2_symmetric: bool = Field(False, description="average the network over s -> -s")
    shared: bool = Field(
        True,
        description="train one network on the largest lattice and apply it to every size "
        "(a fixed observable, so T_c(L) is a clean finite-size sequence); False trains one "
        "network per size as Carrasquilla & Melko did",
    )

    @field_validator("kernel_size")
    @classmethod
    def _odd(cls, kernel_size: int) -> int:
        if kernel_size % 2 != 1:
            raise ValueError(f"kernel_size={kernel_size} must be odd (3 couples neighbours)")
        return kernel_size


SKLEARN_METHODS = ("logistic", "forest", "svm")


def gauge_fixed(spins: np.ndarray) -> np.ndarray:
    """Flatten (n, L, L) spins to (n, L*L) float32 with the global sign chosen so m >= 0."""
    flat = spins.reshape(len(spins), -1)
    sign = np.where(flat.sum(axis=1, dtype=np.int64) >= 0, 1, -1).astype(np.float32)
    return flat.astype(np.float32) * sign[:, None]


def _sklearn_classifier(method: str, settings: Any, seed: int) -> Any:
    if method == "logistic":
        from sklearn.linear_model import LogisticRegression

        return LogisticRegression(C=settings.inverse_regularization, max_iter=settings.max_iter)
    if method == "forest":
        from sklearn.ensemble import RandomForestClassifier

        return RandomForestClassifier(
            n_estimators=settings.n_estimators,
            max_depth=settings.max_depth,
            min_samples_leaf=settings.min_samples_leaf,
            random_state=seed % 2**32,
        )
    from sklearn.svm import SVC

    return SVC(
        C=settings.inverse_regularization,
        kernel=settings.kernel,
        probability=True,
        random_state=seed % 2**32,
    )


def train(
    method: str,
    config: Any,
    spins: np.ndarray,
    label: np.ndarray,
    train_rows: np.ndarray,
    val_rows: np.ndarray,
    tag: str,
    ctx: RunContext,
    bar: Any,
) -> tuple[list[Predictor], list[dict]]:
    """Fit the ensemble on ``spins[train_rows]`` (early-stopped on ``val_rows``; the
    scikit-learn methods fit both); return one predictor per member and the training log
    rows (tagged with ``tag``). Shapes: spins (n, L, L) int8, label (n,) 0/1, rows boolean
    (n,)."""
    seeds = member_seeds(ctx.seed, config.n_members)
    if method in SKLEARN_METHODS:
        rows = np.flatnonzero(train_rows | val_rows)
        x = gauge_fixed(spins[rows])
        predictors: list[Predictor] = []
        for member_seed in seeds:
            pick = np.arange(rows.size)
            if config.n_members > 1:  # members differ by a bootstrap resample
                pick = np.random.default_rng(int(member_seed)).choice(pick, pick.size)
            classifier = _sklearn_classifier(method, config.model, int(member_seed))
            classifier.fit(x[pick], label[rows][pick])
            predictors.append(lambda s, c=classifier: c.predict_proba(gauge_fixed(s))[:, 1])
            bar.advance()
        return predictors, []

    from physml.models import MLP, LatticeCNN
    from physml.tasks.classify import fit_binary_ensemble, predict_proba

    settings, size = config.model, spins.shape[-1]
    if method == "mlp":

        def make_model() -> Any:
            return MLP(
                size * size, settings.hidden, 1, activation=settings.activation, init=settings.init
            )

        def inputs(s: np.ndarray) -> np.ndarray:
            return s.reshape(len(s), -1)
    else:

        def make_model() -> Any:
            return LatticeCNN(
                settings.channels,
                settings.kernel_size,
                settings.head_hidden,
                1,
                z2_symmetric=settings.z2_symmetric,
            )

        def inputs(s: np.ndarray) -> np.ndarray:
            return s

    results = fit_binary_ensemble(
        make_model,
        inputs(spins[train_rows]),
        label[train_rows],
        inputs(spins[val_rows]),
        label[val_rows],
        n_members=config.n_members,
        settings=config.train,
        seed=int(seeds[0]),
        device=ctx.device,
        checkpoint_dir=ctx.checkpoint_dir / tag,
        on_epoch=lambda record: bar.advance(),
    )
    log_rows = []
    for member, result in enumerate(results):
        log_rows += [{"trained_on": tag, "member": member, **row} for row in result.history]
        bar.advance(config.train.max_epochs - len(result.history))  # epochs early stopping saved
    predictors = [
        lambda s, m=r.model: predict_proba(m, inputs(s), device=ctx.device) for r in results
    ]
    return predictors, log_rows
