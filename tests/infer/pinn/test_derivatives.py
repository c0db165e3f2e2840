"""torch.func derivatives against closed forms and nested autograd.grad."""

from __future__ import annotations

import pytest
import torch

from physml.infer.pinn.derivatives import field_derivatives, nested_autograd_derivatives
from physml.models.pinn import PINNNetwork


def polynomial(z):  # u = (x^2 y, sin(x) + y^3)
    x, y = z[:, 0], z[:, 1]
    return torch.stack([x**2 * y, torch.sin(x) + y**3], 1)


def test_closed_form_jacobian_and_hessian():
    z = torch.rand(20, 2, dtype=torch.float64)
    x, y = z[:, 0], z[:, 1]
    u, jac, hess = field_derivatives(polynomial, z)
    assert torch.allclose(u, polynomial(z))
    assert torch.allclose(jac[:, 0], torch.stack([2 * x * y, x**2], 1), atol=1e-14)
    assert torch.allclose(jac[:, 1], torch.stack([torch.cos(x), 3 * y**2], 1), atol=1e-14)
    expected0 = torch.stack([torch.stack([2 * y, 2 * x], 1), torch.stack([2 * x, 0 * x], 1)], 1)
    assert torch.allclose(hess[:, 0], expected0, atol=1e-14)
    assert torch.allclose(hess[:, 1, 1, 1], 6 * y, atol=1e-14)
    _, _, column = field_derivatives(polynomial, z, second=1)  # d(du/dz_b)/dy
    assert torch.allclose(column, hess[..., 1], atol=1e-14)
    _, jac_only, none = field_derivatives(polynomial, z, second=False)
    assert none is None and torch.allclose(jac_only, jac)


def test_network_derivatives_equal_nested_autograd_with_parameter_gradients():
    torch.manual_seed(0)
    net = PINNNetwork(3, [16, 16], 2).double()
    z = torch.rand(50, 3, dtype=torch.float64)
    ours = field_derivatives(net, z)
    plain = nested_autograd_derivatives(net, z)
    for a, b in zip(ours, plain, strict=True):
        assert torch.allclose(a, b, atol=1e-13)
    grads = []
    for u, jac, hess in (ours, plain):
        loss = (hess.sum() + jac.sum() + u.sum()) ** 2
        grads.append(torch.autograd.grad(loss, list(net.parameters()), retain_graph=True))
    for a, b in zip(*grads, strict=True):
        assert torch.allclose(a, b, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("second", [0, 1, False])
def test_one_hessian_column_by_nested_autograd_equals_torch_func(second):
    """The column d(du/dz_b)/dz_a (Hessian symmetry: the gradient of du/dz_a) and the
    Jacobian alone, both paths, on a network with two outputs."""
    torch.manual_seed(1)
    net = PINNNetwork(2, [12, 12], 2).double()
    z = torch.rand(40, 2, dtype=torch.float64)
    ours = field_derivatives(net, z, second=second)
    plain = nested_autograd_derivatives(net, z, second=second)
    for a, b in zip(ours, plain, strict=True):
        assert (a is None and b is None) or torch.allclose(a, b, atol=1e-13)
    full = field_derivatives(net, z)[2]
    if second is not False:
        assert torch.allclose(plain[2], full[..., second], atol=1e-13)


@pytest.mark.parametrize("second", [1, True])
def test_scalar_field_reverse_over_reverse(second):
    """A scalar field (m = 1) takes the reverse-over-reverse path: closed form for
    u = x^2 y + sin(x) y^3, then a network against nested autograd, parameter gradients too."""
    z = torch.rand(30, 2, dtype=torch.float64)
    x, y = z[:, 0], z[:, 1]

    def scalar(p):
        return (p[:, 0] ** 2 * p[:, 1] + torch.sin(p[:, 0]) * p[:, 1] ** 3)[:, None]

    u, jac, hess = field_derivatives(scalar, z, second=second)
    assert torch.allclose(u, scalar(z), atol=1e-15)
    grad = torch.stack([2 * x * y + torch.cos(x) * y**3, x**2 + 3 * torch.sin(x) * y**2], 1)
    assert torch.allclose(jac[:, 0], grad, atol=1e-14)
    u_xy = 2 * x + 3 * torch.cos(x) * y**2
    full = torch.stack(
        [
            torch.stack([2 * y - torch.sin(x) * y**3, u_xy], 1),
            torch.stack([u_xy, 6 * torch.sin(x) * y], 1),
        ],
        1,
    )
    expected = full if second is True else full[..., second]
    assert hess.shape == (30, 1, *expected.shape[1:])
    assert torch.allclose(hess[:, 0], expected, atol=1e-14)

    torch.manual_seed(2)
    net = PINNNetwork(2, [12, 12], 1).double()
    ours = field_derivatives(net, z, second=second)
    plain = nested_autograd_derivatives(net, z, second=second)
    grads = []
    for (a, b), name in zip(zip(ours, plain, strict=True), "u jac hess".split(), strict=True):
        assert a.shape == b.shape and torch.allclose(a, b, atol=1e-13), name
    for u, jac, hess in (ours, plain):
        loss = (hess.sum() + (u[:, 0] * jac[:, 0, 1]).sum()) ** 2
        grads.append(torch.autograd.grad(loss, list(net.parameters())))
    for a, b in zip(*grads, strict=True):
        assert torch.allclose(a, b, rtol=1e-10, atol=1e-12)
