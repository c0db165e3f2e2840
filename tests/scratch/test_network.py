"""Hand-written backpropagation against torch autograd, float64, to 1e-12."""

from __future__ import annotations

import numpy as np
import pytest

from physml.scratch.network import Network

torch = pytest.importorskip("torch")


@pytest.mark.parametrize("activation", ["tanh", "sigmoid"])
@pytest.mark.parametrize("widths", [[3, 1], [3, 5, 2], [4, 8, 6, 3]])
def test_gradients_equal_autograd(widths: list[int], activation: str) -> None:
    rng = np.random.default_rng(len(widths))
    net = Network.random(widths, seed=1, activation=activation)
    net.biases = [rng.normal(size=b.shape) for b in net.biases]
    X, Y = rng.normal(size=(17, widths[0])), rng.normal(size=(17, widths[-1]))
    grads = net.gradients(X, Y)

    weights = [torch.tensor(w, requires_grad=True) for w in net.weights]
    biases = [torch.tensor(b, requires_grad=True) for b in net.biases]
    f = torch.tanh if activation == "tanh" else torch.sigmoid
    a = torch.tensor(X)
    for layer, (W, b) in enumerate(zip(weights, biases, strict=True)):
        a = a @ W + b
        if layer < len(weights) - 1:
            a = f(a)
    loss = ((a - torch.tensor(Y)) ** 2).sum() / (2 * len(X))
    loss.backward()

    assert loss.item() == pytest.approx(net.loss(X, Y), rel=1e-14)
    for mine, theirs in zip(grads.weights + grads.biases, weights + biases, strict=True):
        assert theirs.grad.dtype == torch.float64
        np.testing.assert_allclose(mine, theirs.grad.numpy(), rtol=0, atol=1e-12)


def test_gradient_step_lowers_the_loss() -> None:
    rng = np.random.default_rng(0)
    net = Network.random([2, 6, 1], seed=0)
    X = rng.normal(size=(40, 2))
    Y = np.sin(X[:, :1]) + X[:, 1:] ** 2
    before = net.loss(X, Y)
    for _ in range(200):
        g = net.gradients(X, Y)
        net.weights = [w - 0.1 * dw for w, dw in zip(net.weights, g.weights, strict=True)]
        net.biases = [b - 0.1 * db for b, db in zip(net.biases, g.biases, strict=True)]
    assert net.loss(X, Y) < 0.5 * before
