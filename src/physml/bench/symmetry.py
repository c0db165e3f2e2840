"""``physml bench symmetry``: the symmetry issue's timings in one table.

Rows (medians over repeats, all in this process):

- lensing simulation: images per second of :class:`physml.sim.lensing.substructure.
  LensImages` (batched torch ray shooting, noise-free render of the same drawn
  parameters) against :func:`numpy_lens_image`, the per-image numpy loop a user would
  write (the same images: tested);
- lensing training: images per second of one AdamW step (forward, cross-entropy,
  backward, update; batches of 64 random 64 x 64 images: the cost does not depend on the
  content) of the ``lensing-substructure`` group CNNs (D4 and D8) against its
  ResNet-18-style CNN at equal parameter count (:func:`matched_networks`: within a few
  per cent);
- then the particle-tracking rows of :mod:`physml.bench.symmetry_graphs`.
"""

from __future__ import annotations

import math

import numpy as np

from physml.bench.timing import median_time
from physml.tasks.seeds import Stream, generator

__all__ = ["matched_networks", "numpy_lens_image", "run"]


def _rotate(x, y, angle):
    c, s = math.cos(angle), math.sin(angle)
    return c * x + s * y, -s * x + c * y


def numpy_lens_image(sim, p: dict, i: int) -> np.ndarray:
    """Baseline: image ``i`` (H, W) of parameters ``p`` from ``sim.draw``, in plain numpy,
    one point mass at a time (the formulas of :mod:`physml.sim.lensing.profiles`)."""
    from scipy.signal import convolve2d

    v = {k: t[i].numpy().ravel() if t.ndim == 2 else float(t[i]) for k, t in p.items()}
    n = sim.n_pixels * sim.supersample
    axis = (np.arange(n) - (n - 1) / 2) * sim.pixel_scale / sim.supersample
    y, x = np.meshgrid(-axis, axis, indexing="ij")
    xr, yr = _rotate(x, y, v["angle"])
    q = min(v["q"], 1 - 1e-7)
    e = math.sqrt(1 - q * q)
    psi = np.maximum(np.sqrt(q * q * xr**2 + yr**2), 1e-12)
    scale = v["radius"] * math.sqrt(q) / e
    axr, ayr = scale * np.arctan(e * xr / psi), scale * np.arctanh(e * yr / psi)
    c, s = math.cos(v["angle"]), math.sin(v["angle"])
    ax = c * axr - s * ayr + v["gamma1"] * x + v["gamma2"] * y
    ay = s * axr + c * ayr + v["gamma2"] * x - v["gamma1"] * y
    for theta, x0, y0, on in zip(v["theta"], v["x0"], v["y0"], v["mask"], strict=True):
        if on:
            dx, dy = x - x0, y - y0
            w = theta**2 / np.maximum(dx**2 + dy**2, 1e-24)
            ax, ay = ax + w * dx, ay + w * dy
    sxr, syr = _rotate(x - ax - v["source_x"], y - ay - v["source_y"], v["source_angle"])
    qs, ns = v["source_q"], v["source_index"]
    r = np.sqrt(qs * sxr**2 + syr**2 / qs + 1e-24)
    b = 2 * ns - 1 / 3 + 4 / (405 * ns)
    image = np.exp(-b * ((r / v["source_radius"]) ** (1 / ns) - 1))
    k = sim.supersample
    image = image.reshape(sim.n_pixels, k, sim.n_pixels, k).mean((1, 3))
    return convolve2d(image, sim.psf_kernel().numpy(), mode="same")


def _lensing_rows(quick: bool) -> list[dict]:
    import torch

    from physml.sim.lensing.substructure import LensImages

    sim, n = LensImages(), 12 if quick else 60
    labels = torch.arange(n) % 3
    seed = int(generator(0, Stream.SYMMETRY_BENCH).integers(2**31))
    p = sim.draw(labels, torch.Generator().manual_seed(seed))
    repeats = 3 if quick else 5
    batched = n / median_time(lambda: sim.render(p), repeats)
    loop = n / median_time(lambda: [numpy_lens_image(sim, p, i) for i in range(n)], repeats)
    case = (
        f"lensing simulation: batched torch vs per-image numpy loop ({n} images of "
        f"{sim.n_pixels}x{sim.n_pixels}, {sim.supersample}^2 rays/pixel, a third of each class)"
    )
    return [
        {
            "benchmark": "lensing simulation",
            "case: physml vs baseline": case,
            "physml": f"{batched:.3g} images/s",
            "baseline": f"{loop:.3g} images/s",
            "ratio": f"{batched / loop:.3g}",
        }
    ]


def matched_networks() -> list[tuple[str, object, object]]:
    """(name, group CNN, ResNet) pairs of nearly equal parameter count: D4 and D8 networks
    of channels (c, 2c, 2c) against the ResNet-18 layout of width 4 (44 k parameters)."""
    from physml.models.equivariant import GroupCNN
    from physml.models.vision import ResNet

    return [
        (f"{group} {list(channels)}", GroupCNN(1, channels, 3, group, 5, 3), ResNet(1, 3, 4))
        for group, channels in (("D4", (10, 20, 20)), ("D8", (7, 14, 14)))
    ]


def _parameters(model) -> int:
    return sum(p.numel() for p in model.parameters())


def _training_rows(quick: bool) -> list[dict]:
    import torch

    seed = int(generator(0, Stream.LENSING_BENCH).integers(2**31))
    gen = torch.Generator().manual_seed(seed)
    x = torch.randn(64, 1, 64, 64, generator=gen)
    y = torch.randint(0, 3, (64,), generator=gen)
    repeats = 3 if quick else 7

    def rate(model) -> float:
        optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3)

        def step() -> None:
            optimizer.zero_grad()
            torch.nn.functional.cross_entropy(model(x), y).backward()
            optimizer.step()

        step()  # warm-up
        return len(x) / median_time(step, repeats)

    rows = []
    for name, gcnn, resnet in matched_networks():
        a, b = rate(gcnn), rate(resnet)
        rows.append(
            {
                "benchmark": "lensing training",
                "case: physml vs baseline": (
                    f"group CNN {name} ({_parameters(gcnn)} parameters) vs ResNet-18-style "
                    f"width 4 ({_parameters(resnet)}), AdamW steps on 64 images of 64x64"
                ),
                "physml": f"{a:.3g} images/s",
                "baseline": f"{b:.3g} images/s",
                "ratio": f"{a / b:.3g}",
            }
        )
    return rows


def run(quick: bool = False) -> list[dict]:
    """This module's rows, then :mod:`physml.bench.symmetry_graphs`'s."""
    from physml.bench import symmetry_graphs

    return _lensing_rows(quick) + _training_rows(quick) + symmetry_graphs.run(quick)
