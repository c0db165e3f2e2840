"""Learning by confusion (van Nieuwenburg, Liu & Huber, Nat. Phys. 13, 435 (2017)),
with the K trial classifiers trained as one batched model.

For each trial temperature T'_k the configurations with T < T'_k are labelled 1 and the
others 0, and a classifier is trained on those labels; its test accuracy a(T'_k) is 1 at
both ends of the range (one class only), dips on either side, and peaks again where the
trial split matches the true transition: the middle peak of the W locates T_c(L) without
any label telling it.

The K classifiers are one module whose parameters carry a leading K dimension, trained on
the summed loss. Each member's loss depends only on its own parameters and Adam is
elementwise, so the batched fit gives the same parameters as K sequential fits on the
same mini-batches (:func:`train_sequential`, the baseline of ``physml bench learn``).
Imports torch: the task imports this module inside its ``run``.
"""

from __future__ import annotations

import math

import numpy as np
import torch

__all__ = [
    "BatchedMLP",
    "confusion_labels",
    "middle_peak",
    "predict",
    "train_batched",
    "train_sequential",
]


class BatchedMLP(torch.nn.Module):
    """K independent networks d -> hidden (tanh) -> 1, evaluated at once; ``hidden = 0``
    makes each a logistic regression (d -> 1: convex, so every trial converges alike).

    Shapes: input (n, d), shared by all K; output logits (K, n). Initialised like
    ``torch.nn.Linear`` (uniform within 1/sqrt(fan_in)) from ``generator``.
    """

    def __init__(self, n_models: int, n_inputs: int, hidden: int, generator: torch.Generator):
        super().__init__()

        def uniform(*shape: int, fan_in: int) -> torch.nn.Parameter:
            draw = torch.rand(*shape, generator=generator)
            return torch.nn.Parameter((2 * draw - 1) / math.sqrt(fan_in))

        width = hidden or 1
        self.hidden = hidden
        self.w1 = uniform(n_models, n_inputs, width, fan_in=n_inputs)
        self.b1 = uniform(n_models, 1, width, fan_in=n_inputs)
        if hidden:
            self.w2 = uniform(n_models, hidden, 1, fan_in=hidden)
            self.b2 = uniform(n_models, 1, 1, fan_in=hidden)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        k, d, width = self.w1.shape
        # one (n, d) x (d, K * width) product for all members, not K small ones
        w1 = self.w1.permute(1, 0, 2).reshape(d, k * width)
        z = (x @ w1).view(-1, k, width).transpose(0, 1) + self.b1  # (K, n, width)
        if not self.hidden:
            return z.squeeze(-1)
        return (torch.matmul(torch.tanh(z), self.w2) + self.b2).squeeze(-1)

    def member(self, k: int) -> BatchedMLP:
        """A copy of member ``k`` alone (K = 1)."""
        one = BatchedMLP(1, self.w1.shape[1], self.hidden, torch.Generator())
        with torch.no_grad():
            for name, value in self.named_parameters():
                getattr(one, name).copy_(value[k : k + 1])
        return one


def confusion_labels(temperature: np.ndarray, trials: np.ndarray) -> np.ndarray:
    """Labels of the confusion scheme: 1 where T < T'_k. Shapes: (n,), (K,) -> (K, n)."""
    return (temperature[None, :] < trials[:, None]).astype(np.float32)


def _fit(
    model: BatchedMLP,
    x: torch.Tensor,
    y: torch.Tensor,
    *,
    epochs: int,
    batch_size: int,
    learning_rate: float,
    seed: int,
) -> BatchedMLP:
    """Adam on the summed binary cross-entropy of the K members; the mini-batches are the
    same permutation for every member (drawn from ``seed``). Shapes: x (n, d), y (K, n)."""
    optimizer = torch.optim.Adam(model.parameters(), lr=learning_rate)
    order = torch.Generator().manual_seed(seed)
    for _ in range(epochs):
        for batch in torch.randperm(x.shape[0], generator=order).split(batch_size):
            logits = model(x[batch])
            loss = torch.nn.functional.binary_cross_entropy_with_logits(
                logits, y[:, batch], reduction="none"
            )
            optimizer.zero_grad()
            loss.mean(dim=1).sum().backward()
            optimizer.step()
    return model


def train_batched(
    x: np.ndarray,
    y: np.ndarray,
    *,
    hidden: int,
    epochs: int,
    batch_size: int,
    learning_rate: float,
    seed: int,
) -> BatchedMLP:
    """Train the K confusion classifiers as one model. Shapes: x (n, d), y (K, n)."""
    init = torch.Generator().manual_seed(seed)
    model = BatchedMLP(y.shape[0], x.shape[1], hidden, init)
    return _fit(
        model,
        torch.from_numpy(np.ascontiguousarray(x, dtype=np.float32)),
        torch.from_numpy(y),
        epochs=epochs,
        batch_size=batch_size,
        learning_rate=learning_rate,
        seed=seed,
    )


def train_sequential(
    x: np.ndarray,
    y: np.ndarray,
    *,
    hidden: int,
    epochs: int,
    batch_size: int,
    learning_rate: float,
    seed: int,
) -> list[BatchedMLP]:
    """The baseline: the same K classifiers (same initial weights, same mini-batches),
    each fitted on its own, one after another."""
    init = torch.Generator().manual_seed(seed)
    start = BatchedMLP(y.shape[0], x.shape[1], hidden, init)
    inputs = torch.from_numpy(np.ascontiguousarray(x, dtype=np.float32))
    labels = torch.from_numpy(y)
    return [
        _fit(
            start.member(k),
            inputs,
            labels[k : k + 1],
            epochs=epochs,
            batch_size=batch_size,
            learning_rate=learning_rate,
            seed=seed,
        )
        for k in range(y.shape[0])
    ]


@torch.no_grad()
def predict(model: BatchedMLP, x: np.ndarray) -> np.ndarray:
    """Predicted class (logit > 0) of every member, shape (K, n) bool, for x (n, d)."""
    return (model(torch.from_numpy(np.ascontiguousarray(x, dtype=np.float32))) > 0).numpy()


def middle_peak(trials: np.ndarray, accuracy: np.ndarray) -> float:
    """The middle peak of a W-shaped accuracy curve: between its two deepest dips (the
    lowest points left and right of the curve's centre), the maximum of the three-point
    running mean (one noisy trial cannot make the peak), refined by the vertex of the
    least-squares parabola through the five points around it (kept within them).
    Shapes: trials (K,), accuracy (K,), trials evenly spaced."""
    centre = trials.size // 2
    left = int(np.argmin(accuracy[: centre + 1]))
    right = centre + int(np.argmin(accuracy[centre:]))
    if right - left < 2:
        return float(trials[centre])
    smooth = np.convolve(accuracy, np.ones(3) / 3, mode="same")
    i = left + 1 + int(np.argmax(smooth[left + 1 : right]))
    lo, hi = max(i - 2, 0), min(i + 3, trials.size)
    if hi - lo < 3:
        return float(trials[i])
    a, b, _ = np.polyfit(trials[lo:hi], accuracy[lo:hi], 2)
    if a >= 0:
        return float(trials[i])
    return float(np.clip(-b / (2 * a), trials[lo], trials[hi - 1]))
