"""bench operators: its data are Burgers solutions, its plain training loop fits both FNOs,
and the neuraloperator baseline is a resolution-invariant operator of the same size."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from physml.bench import operators
from physml.models.operators import FNO

pytestmark = pytest.mark.usefixtures("one_torch_thread", "seeded_torch")


def test_pairs_are_burgers_solutions() -> None:
    from physml.sim.pde import spectral_burgers

    pairs = operators.burgers_pairs(3, 16)
    again = spectral_burgers.solve(torch.as_tensor(pairs[:, 0]), nu=0.1, times=[1.0], dt=1e-3)
    np.testing.assert_allclose(pairs[:, 1], again[:, 0].numpy(), rtol=0, atol=1e-9)


@pytest.mark.slow  # about 20 s on a loaded 2-core machine
def test_the_plain_loop_fits_physml_and_the_baseline() -> None:
    pairs = operators.burgers_pairs(48, 16)[..., ::2]
    nets = {"physml": FNO(1, modes=4, width=8, projection=16)}
    peer = operators.neuraloperator_fno(width=8)
    if peer is not None:
        nets["neuralop"] = peer
    for name, net in nets.items():
        forward, times, losses = operators.train_operator(net, pairs, epochs=10, batch=8)
        assert losses[-1] < 0.8 * losses[0], (name, losses)
        assert forward(pairs[:4, 0]).shape == (4, 16) and len(times) == 10


def test_the_baseline_is_resolution_invariant_like_ours() -> None:
    pytest.importorskip("neuralop")
    net = operators.neuraloperator_fno(width=8).eval()  # its complex weights stay float32
    x = torch.linspace(0, 1, 129)[:-1]
    u = torch.sin(2 * torch.pi * x) + 0.5 * torch.cos(6 * torch.pi * x)
    fine, coarse = net(u[None, None]), net(u[None, None, ::2])
    # pointwise nonlinearities alias differently on the two grids: close, not identical
    assert (fine[..., ::2] - coarse).abs().max() < 0.05 * fine.abs().max()


@pytest.mark.slow
def test_quick_table() -> None:
    rows = operators.run(quick=True)
    assert [row["benchmark"] for row in rows] == ["operators"] * 3
