"""Benchmark of physml's Fourier neural operator against the ``neuraloperator`` library's
(``physml bench operators``).

Both networks learn the ``burgers-operator`` map u(0) -> u(T) (nu = 0.1, T = 1, Li et
al.'s random field) on the same training pairs at s points, with the same plain loop: Adam
(learning rate 1e-3), batches of 32, Li et al.'s relative L2 loss, inputs and targets in
units of their training standard deviations (:class:`~physml.models.operators.Rescaled`),
the same number of epochs and the same initial seed. Sizes are matched: physml's
``modes=16`` keeps the rfft coefficients 0..15, ``neuralop.models.FNO(n_modes=(32,))``
keeps 0..16; width 32, four Fourier layers each.

Rows: the median wall time of a training epoch (``ratio`` = neuraloperator's / physml's),
and the relative L2 on held-out initial conditions at s and, zero-shot, at 2s after the
last epoch (``ratio`` = neuraloperator's / physml's error), each with its standard error
over the test samples. ``neuraloperator`` is the ``operators``
extra; without it the rows say so. Quick: 256 training pairs, 64 test, s = 64, 15 epochs;
full: 1000, 200, s = 128, 100 epochs.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable

import numpy as np

from physml.tasks.seeds import Stream, generator

__all__ = ["burgers_pairs", "neuraloperator_fno", "run", "train_operator"]


def burgers_pairs(n: int, size: int, seed: int = 0) -> np.ndarray:
    """``n`` pairs (u0, u(1)) of 1D Burgers (nu = 0.1) on 2 ``size`` points: (n, 2, 2 size),
    float64, from the spectral solver; subsample [..., ::2] for ``size`` points."""
    from physml.sim.pde import spectral_burgers
    from physml.sim.pde.spectral_stepping import gaussian_random_field

    rng = generator(seed, Stream.OPERATORS_BENCH)
    u0 = gaussian_random_field(n, 2 * size, dim=1, alpha=2.0, tau=5.0, sigma=25.0, seed=rng)
    dt = 0.5 / (2 * size * 6 * 0.6)  # a Courant number of 0.5 for 6 sigma of the field
    u1 = spectral_burgers.solve(u0, nu=0.1, times=[1.0], dt=dt)[:, 0]
    return np.stack([u0.numpy(), u1.numpy()], axis=1)


def neuraloperator_fno(width: int = 32):
    """``neuralop.models.FNO`` sized like physml's benchmark FNO, or None if not installed."""
    try:
        from neuralop.models import FNO
    except ImportError:
        return None
    return FNO(n_modes=(32,), in_channels=1, out_channels=1, hidden_channels=width, n_layers=4)


def train_operator(
    net, train: np.ndarray, epochs: int, *, seed: int = 0, batch: int = 32
) -> tuple[Callable, list[float], list[float]]:
    """Fit ``net`` ((b, 1, s) -> (b, 1, s)) to pairs ``train`` (n, 2, s) with the plain loop
    described above; returns its forward on (b, s) arrays, the epoch times and losses."""
    import torch

    from physml.models.operators import Rescaled

    x = torch.as_tensor(train[:, 0:1], dtype=torch.float32)
    y = torch.as_tensor(train[:, 1:2], dtype=torch.float32)
    model = Rescaled(net, float(x.std()), float(y.std()))
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    order = torch.Generator().manual_seed(seed)
    times, losses = [], []
    for _ in range(epochs):
        start, total = time.perf_counter(), 0.0
        for index in torch.randperm(len(x), generator=order).split(batch):
            optimizer.zero_grad()
            prediction, target = model(x[index]), y[index]
            loss = (prediction - target).flatten(1).norm(dim=1) / target.flatten(1).norm(dim=1)
            loss = loss.mean()
            loss.backward()
            optimizer.step()
            total += float(loss) * len(index)
        times.append(time.perf_counter() - start)
        losses.append(total / len(x))

    def forward(u: np.ndarray) -> np.ndarray:
        with torch.no_grad():
            return model(torch.as_tensor(u[:, None], dtype=torch.float32))[:, 0].double().numpy()

    return forward, times, losses


def _errors(forward: Callable, test: np.ndarray) -> tuple[float, float]:
    from physml.tasks.pde.operator_learning import relative_l2

    e = relative_l2(forward(test[:, 0]), test[:, 1])
    return float(e.mean()), float(e.std(ddof=1) / np.sqrt(len(e)))


def run(quick: bool = False) -> list[dict]:
    import torch

    from physml.models.operators import FNO

    n_train, n_test, size, epochs = (256, 64, 64, 15) if quick else (1000, 200, 128, 100)
    pairs = burgers_pairs(n_train + n_test, size)
    train, test_fine = pairs[:n_train, :, ::2], pairs[n_train:]
    test = test_fine[..., ::2]
    with torch.random.fork_rng():
        torch.manual_seed(0)
        ours = FNO(1, modes=16, width=32, n_layers=4, projection=64)
        theirs = neuraloperator_fno()
    results = {}
    for name, net in (("physml FNO", ours), ("neuralop FNO", theirs)):
        if net is None:
            continue
        forward, times, _ = train_operator(net, train, epochs)
        results[name] = {
            "epoch_s": statistics.median(times),
            "params": sum(p.numel() for p in net.parameters()),
            f"s={size}": _errors(forward, test),
            f"s={2 * size}": _errors(forward, test_fine),
        }
    mine = results["physml FNO"]
    peer = results.get("neuralop FNO")
    missing = "neuraloperator not installed (pip install 'physml[operators]')"
    rows = [
        {
            "benchmark": "operators",
            "case": f"training epoch, {n_train} pairs at s={size}",
            "physml": f"{mine['epoch_s']:.3g} s",
            "baseline": f"{peer['epoch_s']:.3g} s" if peer else "-",
            "ratio": f"{peer['epoch_s'] / mine['epoch_s']:.3g}" if peer else "-",
            "check": (f"parameters {mine['params']} vs {peer['params']}" if peer else missing),
        }
    ]
    for key in (f"s={size}", f"s={2 * size}"):
        (value, error) = mine[key]
        rows.append(
            {
                "benchmark": "operators",
                "case": f"relative L2 after {epochs} epochs, {key}"
                + (" (zero-shot)" if key != f"s={size}" else ""),
                "physml": f"{value:.3g} +- {error:.2g}",
                "baseline": f"{peer[key][0]:.3g} +- {peer[key][1]:.2g}" if peer else "-",
                "ratio": f"{peer[key][0] / value:.3g}" if peer else "-",
                "check": f"{n_test} test initial conditions" if peer else missing,
            }
        )
    return rows
