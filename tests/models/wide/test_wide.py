"""Ensembles at initialisation against exact results: Haar orthogonality, the ReLU
closed forms, the recursions and the arc-cosine kernels."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from physml.models.wide import EnsembleMLP, layer_weights, preactivation_moments
from physml.models.wide.theory import (
    four_point_recursion,
    gaussian_expectation,
    kernel_recursion,
    relu_four_point,
    relu_kernels,
    trained_variance,
)
from physml.testing import assert_matches_exact


@pytest.mark.parametrize(("n_out", "n_in"), [(8, 8), (12, 5), (5, 12)])
def test_orthogonal_weights_are_scaled_isometries(n_out: int, n_in: int) -> None:
    w = layer_weights(3, n_out, n_in, "orthogonal", torch.Generator().manual_seed(0)).double()
    small = min(n_out, n_in)
    gram = w.transpose(1, 2) @ w if n_out >= n_in else w @ w.transpose(1, 2)
    expected = max(n_out, n_in) * torch.eye(small, dtype=torch.float64).expand(3, -1, -1)
    torch.testing.assert_close(gram, expected, atol=1e-4, rtol=1e-4)


def test_haar_first_row_is_uniform_on_the_sphere() -> None:
    # E[u_1^4] = 3 / (n (n + 2)) for u uniform on S^(n-1): the signs fix makes Q Haar
    n, draws = 6, 20_000
    w = layer_weights(draws, n, n, "orthogonal", torch.Generator().manual_seed(1)).double()
    u4 = (w[:, 0, 0] / math.sqrt(n)) ** 4
    assert_matches_exact(u4.mean(), u4.std() / math.sqrt(draws), 3 / (n * (n + 2)))


def test_gauss_hermite_moments() -> None:
    assert gaussian_expectation(lambda z: z**4, 2.0) == pytest.approx(12.0, rel=1e-12)
    assert gaussian_expectation(lambda z: np.maximum(z, 0) ** 2, 3.0) == pytest.approx(
        1.5, rel=1e-3
    )


def test_recursions_reduce_to_the_closed_forms() -> None:
    # ReLU: K constant at C_W = 2, leading-order r = 15 (l - 1)/n = first order of the exact
    # 3[(1 + 5/n)^(l-1) - 1]; deep linear networks: 6 (l - 1)/n
    np.testing.assert_allclose(kernel_recursion("relu", 2.0, 1.3, 5), 1.3, rtol=1e-3)
    np.testing.assert_allclose(
        kernel_recursion("relu", 1.6, 1.0, 4), 0.8 ** np.arange(4), rtol=1e-3
    )
    r = four_point_recursion("relu", 2.0, 1.0, 6, 50)
    np.testing.assert_allclose(r, 15 * np.arange(6) / 50, rtol=2e-3, atol=1e-12)
    exact = relu_four_point(10_000, 6, "gaussian")
    np.testing.assert_allclose(exact, 15 * np.arange(6) / 10_000, rtol=2e-3)
    np.testing.assert_allclose(
        four_point_recursion("linear", 1.0, 1.0, 5, 40), 6 * np.arange(5) / 40, rtol=1e-9
    )
    orthogonal = relu_four_point(10_000, 6, "orthogonal")
    np.testing.assert_allclose(np.diff(orthogonal), 9 / 10_000, rtol=2e-3)


@pytest.mark.parametrize("init", ["gaussian", "orthogonal"])
def test_relu_ensembles_meet_the_exact_four_point_function(init: str) -> None:
    n, depth, members = 16, 5, 6000
    m2, m4 = preactivation_moments(
        members,
        [8] + [n] * depth,
        torch.ones(8),
        activation="relu",
        c_w=2.0,
        init=init,
        generator=torch.Generator().manual_seed(3),
    )
    m2, m4 = m2.numpy(), m4.numpy()
    # kernel: K^(l) = C_W |x|^2 / n_0 = 2 at every depth (errors over members)
    assert_matches_exact(m2.mean(0), m2.std(0) / math.sqrt(members), 2.0)
    # <z^4> = (r + 3) K^2 exactly at this width (K known exactly: 2)
    assert_matches_exact(
        m4.mean(0), m4.std(0) / math.sqrt(members), 4 * (relu_four_point(n, depth, init) + 3)
    )


def test_arc_cosine_kernels_match_wide_networks() -> None:
    x = np.array([[1.0, 0.0], [0.6, 0.8], [-1.0, 0.0]])
    k, theta = relu_kernels(x, 3)
    net = EnsembleMLP(400, [2, 512, 512, 1], generator=torch.Generator().manual_seed(2))
    xt = torch.tensor(x, dtype=torch.float32)
    with torch.no_grad():
        f = net(xt)[..., 0]  # (M, 3)
    cov = (f.T @ f / len(f)).double().numpy()
    np.testing.assert_allclose(cov, k, atol=0.15)
    # the NTK: J J^T of one member, summed over parameters, ~ Theta at width 512
    one = EnsembleMLP(1, [2, 512, 512, 1], generator=torch.Generator().manual_seed(4))
    rows = []
    for i in range(3):
        one.zero_grad()
        one(xt[i : i + 1])[0, 0, 0].backward()
        rows.append(torch.cat([p.grad.ravel() for p in one.parameters()]))
    jac = torch.stack(rows).double()
    np.testing.assert_allclose((jac @ jac.T).numpy(), theta, rtol=0.1, atol=0.1)


def test_trained_variance_limits() -> None:
    x = np.stack([np.cos([0.0, 2.0, 4.0]), np.sin([0.0, 2.0, 4.0])], axis=1)
    k, _ = relu_kernels(x, 3)
    # no training: the prior variance; training on a point: zero variance there
    np.testing.assert_allclose(trained_variance(x, x, 3, 0.3, 0), np.diag(k), rtol=1e-12)
    np.testing.assert_allclose(trained_variance(x, x, 3, 0.3, 20_000), 0.0, atol=1e-8)
