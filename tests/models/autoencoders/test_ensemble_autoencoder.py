"""EnsembleAutoencoder: shapes, member independence, and batched training equal to
separate training of each member."""

from __future__ import annotations

import pytest
import torch

from physml.models.autoencoders import EnsembleAutoencoder


def test_shapes_and_refusal() -> None:
    net = EnsembleAutoencoder(3, 5, 2, (8,))
    x = torch.randn(7, 5)
    assert net(x).shape == (3, 7, 5) and net.encode(x).shape == (3, 7, 2)
    with pytest.raises(ValueError, match="latent=6 is not allowed"):
        EnsembleAutoencoder(2, 5, 6)


def test_members_are_independent() -> None:
    net = EnsembleAutoencoder(3, 4, 2, (8,), generator=torch.Generator().manual_seed(1))
    x = torch.randn(6, 4)
    loss = ((net(x) - x) ** 2).sum(dim=(1, 2))
    loss[1].backward()
    grads = [p.grad for p in net.parameters()]
    # only member 1's weights receive a gradient from member 1's loss
    assert all(g[0].abs().max() == 0 and g[2].abs().max() == 0 for g in grads)
    assert any(g[1].abs().max() > 0 for g in grads)


def test_batched_adam_equals_separate_training() -> None:
    x = torch.randn(32, 3, generator=torch.Generator().manual_seed(0))
    both = EnsembleAutoencoder(2, 3, 1, (6,), generator=torch.Generator().manual_seed(2))
    single = EnsembleAutoencoder(1, 3, 1, (6,))
    with torch.no_grad():
        for p, q in zip(single.parameters(), both.parameters(), strict=True):
            p.copy_(q[1:2])
    for net in (both, single):
        optimizer = torch.optim.Adam(net.parameters(), lr=1e-2)
        for _ in range(20):
            optimizer.zero_grad()
            ((net(x) - x) ** 2).sum(dim=-1).mean(dim=1).sum().backward()
            optimizer.step()
    for p, q in zip(single.parameters(), both.parameters(), strict=True):
        torch.testing.assert_close(p[0], q[1], atol=1e-6, rtol=1e-5)
