"""bench symmetry: the per-image numpy baseline renders the simulator's images."""

from __future__ import annotations

import numpy as np
import torch

from physml.bench.symmetry import numpy_lens_image
from physml.sim.lensing.substructure import LensImages


def test_numpy_baseline_renders_the_same_images() -> None:
    sim = LensImages(n_pixels=24, supersample=2)
    p = sim.draw(torch.tensor([0, 1, 2]), torch.Generator().manual_seed(0))
    images = sim.render(p)[:, 0].numpy()
    for i in range(3):
        np.testing.assert_allclose(numpy_lens_image(sim, p, i), images[i], rtol=1e-9, atol=1e-12)
    assert p["mask"][0].sum() == 0 and p["mask"][1].sum() > 0 and p["mask"][2].sum() > 0


def test_training_rows_compare_equal_parameter_counts() -> None:
    from physml.bench.symmetry import matched_networks

    for _, gcnn, resnet in matched_networks():
        a, b = (sum(p.numel() for p in m.parameters()) for m in (gcnn, resnet))
        assert abs(a - b) / b < 0.05
        assert gcnn(torch.zeros(2, 1, 16, 16)).shape == resnet(torch.zeros(2, 1, 16, 16)).shape
