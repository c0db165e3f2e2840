"""What the time-series tasks share: the networks' settings and training, and detection
figures of merit with their errors.

A detector gives one score per test segment (larger: more signal-like); label 1 marks a
segment with a signal, 0 noise alone. ``groups`` label the test segments: 0 noise, g >= 1
the signals of SNR class g (a fixed SNR, or a bin of it). Every figure of merit (the AUC
of all signals against the noise, and the detection probability P_D of each group at a
false-alarm probability P_FA, the threshold set on the same noise) comes from one
bootstrap of the test segments stratified by group, shared by all detectors, so that a
difference between two detectors on the same data has its paired error.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, field_validator

from physml.metrics import Resamples, bootstrap
from physml.tasks.base import Method, RunContext, Widths
from physml.tasks.seeds import N_RESAMPLES

__all__ = [
    "NETWORK_SUMMARIES",
    "CnnSettings",
    "DetectionStatistics",
    "RecurrentSettings",
    "TransformerSettings",
    "detection_statistics",
    "network_methods",
    "predict",
    "train_network",
]


class CnnSettings(BaseModel):
    """:class:`~physml.models.sequences.ConvNet1d`."""

    model_config = ConfigDict(extra="forbid")
    channels: Widths = Field([16, 32, 32], min_length=1, max_length=8)
    kernel_size: int = Field(9, ge=1, le=129, description="odd kernel length")
    pool: int = Field(4, ge=1, le=16)
    hidden: Widths = [32]

    @field_validator("kernel_size")
    @classmethod
    def _odd(cls, value: int) -> int:
        if value % 2 == 0:
            raise ValueError(f"{value}: expected an odd kernel length")
        return value

    def build(self, in_channels: int, n_outputs: int) -> Any:
        from physml.models.sequences import ConvNet1d

        return ConvNet1d(
            in_channels,
            self.channels,
            n_outputs,
            kernel_size=self.kernel_size,
            pool=self.pool,
            hidden=self.hidden,
        )

    def min_length(self) -> int:
        return self.pool ** len(self.channels)


class RecurrentSettings(BaseModel):
    """:class:`~physml.models.sequences.RecurrentNet`."""

    model_config = ConfigDict(extra="forbid")
    cell: Literal["gru", "lstm"] = "gru"
    hidden_size: int = Field(32, ge=1, le=1024)
    n_layers: int = Field(1, ge=1, le=4)
    stride: int = Field(8, ge=1, le=256)
    hidden: Widths = [32]

    def build(self, in_channels: int, n_outputs: int) -> Any:
        from physml.models.sequences import RecurrentNet

        return RecurrentNet(
            in_channels,
            self.hidden_size,
            n_outputs,
            cell=self.cell,
            n_layers=self.n_layers,
            stride=self.stride,
            hidden=self.hidden,
        )

    def min_length(self) -> int:
        return self.stride


class TransformerSettings(BaseModel):
    """:class:`~physml.models.sequences.TimeTransformer`."""

    model_config = ConfigDict(extra="forbid")
    d_model: int = Field(32, ge=2, le=512, multiple_of=2)
    n_heads: Literal[1, 2, 4, 8] = 4
    n_layers: int = Field(2, ge=1, le=8)
    patch: int = Field(16, ge=1, le=256)
    hidden: Widths = [32]

    def build(self, in_channels: int, n_outputs: int) -> Any:
        from physml.models.sequences import TimeTransformer

        return TimeTransformer(
            in_channels,
            self.d_model,
            n_outputs,
            n_heads=self.n_heads,
            n_layers=self.n_layers,
            patch=self.patch,
            hidden=self.hidden,
        )

    def min_length(self) -> int:
        return self.patch


NETWORK_SUMMARIES = {
    "cnn": (CnnSettings, "1D CNN (circular convolutions, global max over time)"),
    "gru": (RecurrentSettings, "recurrent network (GRU, or LSTM with model.cell=lstm)"),
    "transformer": (TransformerSettings, "transformer encoder over patches of the series"),
}


def network_methods(training: dict[str, Any]) -> dict[str, Method]:
    """The three network methods, each with the training presets ``training``."""
    return {
        name: Method(name, summary, settings, presets=training)
        for name, (settings, summary) in NETWORK_SUMMARIES.items()
    }


def train_network(
    config: Any,
    x: np.ndarray,
    label: np.ndarray,
    target: np.ndarray | None,
    *,
    seed: int,
    ctx: RunContext,
    n_validation: int,
) -> Any:
    """Fit ``config.model``'s network on (n, channels, length) inputs ``x``: binary cross
    entropy of output 0 against ``label`` plus, with ``target`` (standardised, one column
    per further output), its squared error on the signals. The first ``n_validation``
    rows are held out for early stopping. Returns the trained module (eval mode)."""
    import torch

    from physml.tasks.training import fit_arrays

    n_targets = 0 if target is None else target.shape[1]
    torch.manual_seed(seed)
    model = config.model.build(x.shape[1], 1 + n_targets)
    arrays = [x, label[:, None]] + ([] if target is None else [np.nan_to_num(target)])

    def loss(net, batch):
        out = net(batch[0])
        bce = torch.nn.functional.binary_cross_entropy_with_logits(out[:, :1], batch[1])
        if not n_targets:
            return bce
        squared = ((out[:, 1:] - batch[2]) ** 2).sum(dim=1)
        return bce + (squared * batch[1][:, 0]).sum() / batch[1].sum().clamp(min=1)

    result = fit_arrays(
        model,
        loss,
        arrays,
        settings=config.train,
        seed=seed,
        ctx=ctx,
        name=_network_name(config),
        n_validation=n_validation,
    )
    ctx.write_log(result.history)
    return result.model


def _network_name(config: Any) -> str:
    """The checkpoint and progress name of the network a configuration trains."""
    return type(config.model).__name__.removesuffix("Settings").lower()


def predict(model: Any, x: np.ndarray, device: str, batch: int = 512) -> np.ndarray:
    """The network's outputs on ``x`` (n, channels, length) -> (n, n_outputs), float64."""
    import torch

    model.eval()
    out = []
    with torch.no_grad():
        for start in range(0, len(x), batch):
            chunk = torch.as_tensor(np.asarray(x[start : start + batch], np.float32), device=device)
            out.append(model(chunk).double().cpu().numpy())
    return np.concatenate(out)


class DetectionStatistics:
    """Bootstrap of every detector's AUC and P_D per group and false-alarm probability.

    Attributes:
        resamples: :class:`~physml.metrics.Resamples` of the statistics, laid out by
            :meth:`index`.
        alphas: the false-alarm probabilities.
        n_groups: signal groups (1 .. n_groups).
    """

    def __init__(self, resamples: Resamples, n_detectors: int, n_groups: int, alphas) -> None:
        self.resamples, self.n_detectors, self.n_groups = resamples, n_detectors, n_groups
        self.alphas = tuple(alphas)

    def index(self, detector: int, what: str, group: int = 0, alpha: int = 0) -> int:
        """Column of ``what`` = "auc" or "pd" (group 1.., alpha index) of ``detector``."""
        per = 1 + self.n_groups * len(self.alphas)
        if what == "auc":
            return detector * per
        return detector * per + 1 + (group - 1) * len(self.alphas) + alpha

    def estimate(self, detector: int, what: str, group: int = 0, alpha: int = 0):
        return self.resamples.estimate(self.index(detector, what, group, alpha))

    def difference(self, a: tuple, b: tuple):
        """Statistic ``a`` minus ``b`` (each the arguments of :meth:`index`), paired."""
        c = np.zeros(self.resamples.value.size)
        c[self.index(*a)] += 1.0
        c[self.index(*b)] -= 1.0
        return self.resamples.combine(c)


def detection_statistics(
    groups: np.ndarray, scores: Sequence[np.ndarray], alphas: Sequence[float], seed: Any
) -> DetectionStatistics:
    """One stratified bootstrap of the AUC and of P_D(group, P_FA) of each detector.

    P_D at P_FA = alpha counts the signals scoring above the highest noise scores whose
    total weight is at most alpha of the noise's (the ROC's step below alpha).

    Shapes: groups (n,) ints (0 noise), scores: detectors x (n,).
    """
    from physml.metrics.classification import SortedScores

    groups = np.asarray(groups)
    n_groups = int(groups.max())
    label = (groups > 0).astype(np.int8)
    ranked = [SortedScores(label, s) for s in scores]
    orders = [np.argsort(-np.asarray(s), kind="stable") for s in scores]
    alphas = np.asarray(alphas, float)

    def statistic(w: np.ndarray) -> np.ndarray:
        columns = []
        noise = w * (groups == 0)
        for r, order in zip(ranked, orders, strict=True):
            columns.append(r.auc(w))
            noise_above = np.cumsum(noise[:, order], axis=1)
            # number of top events whose noise weight stays within alpha of the noise's
            count = noise_above[:, :, None] <= alphas * noise.sum(axis=1)[:, None, None]
            count = count.sum(axis=1)  # (b, n_alpha)
            for g in range(1, n_groups + 1):
                signal = np.cumsum((w * (groups == g))[:, order], axis=1)
                signal = np.concatenate([np.zeros((len(w), 1)), signal], axis=1)
                total = signal[:, -1:]
                rows = np.arange(len(w))[:, None]
                columns.extend((signal[rows, count] / total).T)
        return np.stack(columns, axis=1)

    resamples = bootstrap(statistic, groups.size, n_resamples=N_RESAMPLES, seed=seed, strata=groups)
    return DetectionStatistics(resamples, len(scores), n_groups, alphas)
