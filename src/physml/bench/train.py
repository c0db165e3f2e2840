"""Benchmark of the fitting engine (``physml bench train``): ``fit`` against a plain torch loop.

Every gradient-trained method in physml runs through :func:`physml.train.fit`, so its
overhead multiplies almost every task's time. Each row trains one model twice from the
same initial weights, on the same in-memory tensors, with the same data order, optimizer
(AdamW, lr 1e-3, no weight decay), batch size and number of epochs: once with ``fit``
(as the tasks call it, without a validation set or checkpoints) and once with
:func:`plain_loop`, the loop a user writes by hand (a permutation per epoch, index
batches of the tensors, ``zero_grad`` / ``backward`` / ``step``). ``ratio`` is fit's wall
time over the plain loop's (1 = no overhead; the issue's target is at most 1.15 on CPU),
each the median of interleaved runs (plain, fit, plain, fit, ...; 5 of each, 3 with
``--quick``), model construction and data generation excluded, ``fit``'s own set-up
(Lightning Fabric) included.

Cases (random inputs of the right shape and type; the speed does not depend on the values):

* MLP 32-64-64-1 (ReLU), mean squared error, 60 000 samples of 32 features, 3 epochs;
* :class:`~physml.models.LatticeCNN` (channels (16, 32), head (32,)) on 16 x 16 Ising
  configurations (int8 spins), binary cross entropy, 4 000 samples, 1 epoch;
* :class:`~physml.models.PFN` (task defaults) on padded particle sets (30 slots of
  (z, delta eta, delta phi), a random number of real particles per set, zero rows as
  padding), binary cross entropy, 8 000 samples, 1 epoch;

each at batch 256 and 2048 (``--quick``: 6 000, 256 and 512 samples, one epoch each). On a GPU
(only when ``torch.cuda.is_available()``; otherwise one row says "no GPU") the same
cases run with the data resident on the GPU, and one row gives the GPU's speed-up over
the CPU for :class:`~physml.models.LoLa` (20 + 10 vectors, hidden (100, 50)) trained by
``fit`` at batch 1024 (CPU time / GPU time; the issue's target is 10 or more).

Run with ``physml bench train`` or ``python -m physml.bench.train``.
"""

from __future__ import annotations

import copy
import statistics
import time
from collections.abc import Callable
from typing import Any

__all__ = ["plain_loop", "run"]

_LR = 1e-3
_BATCHES = (256, 2048)


def plain_loop(
    model: Any,
    loss_fn: Callable[[Any, list], Any],
    tensors: list,
    *,
    epochs: int,
    batch_size: int,
    lr: float,
    seed: int,
) -> Any:
    """Train ``model`` in place with the loop a user writes; returns the model.

    AdamW (no weight decay) on index batches of in-memory tensors, in the order
    :func:`physml.train.epoch_permutation` draws from a generator seeded with ``seed``
    (the order :func:`physml.train.fit` uses); ``loss_fn(model, batch)`` with ``batch``
    a list of the tensors' rows. The tensors stay where they are (CPU or GPU).
    """
    import torch

    from physml.train import epoch_permutation

    optimizer = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=0.0)
    order = torch.Generator().manual_seed(seed)
    n = tensors[0].shape[0]
    model.train()
    for _ in range(epochs):
        for index in epoch_permutation(n, order).to(tensors[0].device).split(batch_size):
            optimizer.zero_grad()
            loss_fn(model, [t[index] for t in tensors]).backward()
            optimizer.step()
    return model


def _mse(model, batch):
    x, y = batch
    return ((model(x).squeeze(-1) - y) ** 2).mean()


def _bce(model, batch):
    import torch.nn.functional as F

    x, y = batch
    return F.binary_cross_entropy_with_logits(model(x).squeeze(-1), y)


def _cases(quick: bool) -> dict[str, tuple[Callable[[], Any], Callable, list, int]]:
    """name -> (make_model, loss_fn, tensors, epochs); inputs drawn from a fixed seed."""
    import torch

    from physml.models import MLP, PFN, LatticeCNN

    g = torch.Generator().manual_seed(0)
    n_mlp, n_cnn, n_pfn, epochs_mlp = (6_000, 256, 512, 1) if quick else (60_000, 4_000, 8_000, 3)

    x = torch.randn(n_mlp, 32, generator=g)
    mlp_data = [x, x[:, :4].sum(dim=1) + 0.1 * torch.randn(n_mlp, generator=g)]

    spins = (2 * torch.randint(0, 2, (n_cnn, 16, 16), generator=g) - 1).to(torch.int8)
    cnn_data = [spins, (spins.float().mean(dim=(1, 2)).abs() > 0.05).float()]

    n_real = torch.randint(5, 31, (n_pfn, 1), generator=g)
    real = torch.arange(30).expand(n_pfn, 30) < n_real
    sets = torch.rand(n_pfn, 30, 3, generator=g) * real.unsqueeze(-1)
    sets[..., 0] /= sets[..., 0].sum(dim=1, keepdim=True)  # momentum fractions sum to 1
    pfn_data = [sets, (n_real.squeeze(-1) > 17).float()]

    return {
        "MLP 32-64-64-1": (lambda: MLP(32, (64, 64), 1), _mse, mlp_data, epochs_mlp),
        "LatticeCNN, 16x16 spins": (LatticeCNN, _bce, cnn_data, 1),
        "PFN, 30-particle sets": (PFN, _bce, pfn_data, 1),
    }


def _lola_case(quick: bool) -> tuple[Callable[[], Any], Callable, list, int]:
    """LoLa on massless four-momenta (E, px, py, pz) in GeV of 20 constituents."""
    import torch

    from physml.models import LoLa

    g = torch.Generator().manual_seed(1)
    n = 4_096 if quick else 32_768
    pt = 500 * torch.rand(n, 20, generator=g)
    eta, phi = torch.randn(n, 20, generator=g), 6.283 * torch.rand(n, 20, generator=g)
    p4 = torch.stack(
        [pt * torch.cosh(eta), pt * torch.cos(phi), pt * torch.sin(phi), pt * torch.sinh(eta)],
        dim=-1,
    )
    label = (torch.rand(n, generator=g) < 0.5).float()
    return (lambda: LoLa(20, 10, (100, 50)), _bce, [p4, label], 1)


def _seconds(train: Callable[[], Any], device: str) -> float:
    import torch

    start = time.perf_counter()
    train()
    if device == "cuda":
        torch.cuda.synchronize()
    return time.perf_counter() - start


def _race(case, batch_size: int, device: str, repeats: int) -> tuple[float, float]:
    """Median seconds of (fit, plain loop) on one case, runs interleaved after a warm-up."""
    import torch
    from torch.utils.data import TensorDataset

    from physml.train import FitSettings, fit

    make_model, loss_fn, tensors, epochs = case
    tensors = [t.to(device) for t in tensors]
    torch.manual_seed(0)
    initial = make_model()
    settings = FitSettings(
        max_epochs=epochs, batch_size=batch_size, learning_rate=_LR, patience=None
    )

    def with_fit() -> None:
        model = copy.deepcopy(initial)
        fit(model, loss_fn, TensorDataset(*tensors), settings=settings, seed=0, device=device)

    def with_plain() -> None:
        model = copy.deepcopy(initial).to(device)
        plain_loop(model, loss_fn, tensors, epochs=epochs, batch_size=batch_size, lr=_LR, seed=0)

    with_fit(), with_plain()  # warm-up: first calls, allocator, Fabric imports
    times: dict[str, list[float]] = {"fit": [], "plain": []}
    for _ in range(repeats):
        times["plain"].append(_seconds(with_plain, device))
        times["fit"].append(_seconds(with_fit, device))
    return statistics.median(times["fit"]), statistics.median(times["plain"])


def _row(kind: str, case: str, fit_s: float, plain_s: float) -> dict:
    return {
        "benchmark": kind,
        "case: fit vs plain loop": case,
        "physml": f"{fit_s:.3g} s",
        "baseline": f"{plain_s:.3g} s",
        "ratio": f"{fit_s / plain_s:.3g}",
    }


def _ratio_rows(device: str, quick: bool, repeats: int) -> list[dict]:
    rows = []
    for name, case in _cases(quick).items():
        n, epochs = case[2][0].shape[0], case[3]
        for batch_size in _BATCHES:
            fit_s, plain_s = _race(case, batch_size, device, repeats)
            what = f"{name}: {n} samples x {epochs} epochs, batch {batch_size}"
            rows.append(_row(f"fit / plain ({device.upper()})", what, fit_s, plain_s))
    return rows


def _gpu_rows(quick: bool, repeats: int) -> list[dict]:
    import torch

    if not torch.cuda.is_available():
        return [
            {
                "benchmark": "fit / plain (GPU)",
                "case: fit vs plain loop": "no GPU",
                "physml": "-",
                "baseline": "-",
                "ratio": "-",
            }
        ]
    rows = _ratio_rows("cuda", quick, repeats)
    lola = _lola_case(quick)
    gpu_s, _ = _race(lola, 1024, "cuda", repeats)
    cpu_s, _ = _race(lola, 1024, "cpu", max(1, repeats // 2))
    n = lola[2][0].shape[0]
    rows.append(
        {
            "benchmark": "GPU speed-up",
            "case: fit vs plain loop": f"LoLa 20+10, {n} jets, batch 1024: fit on CPU vs GPU",
            "physml": f"{gpu_s:.3g} s (GPU)",
            "baseline": f"{cpu_s:.3g} s (CPU)",
            "ratio": f"{cpu_s / gpu_s:.3g}",
        }
    )
    return rows


def run(*, quick: bool = False) -> list[dict]:
    """All rows of the benchmark table (see the module docstring)."""
    repeats = 3 if quick else 5
    return _ratio_rows("cpu", quick, repeats) + _gpu_rows(quick, repeats)


if __name__ == "__main__":  # pragma: no cover
    for row in run():
        print(row)
