"""Physics and contract tests for the LoLa tagger (CoLa + Lorentz layer).

Symmetry: the Lorentz-layer invariants (m^2 and the Minkowski-distance features) are
unchanged by a random boost and rotation of all constituents to float64 rounding, while
the energy and pT features change; pT is unchanged by rotations about and boosts along
the beam axis. Padding rows contribute nothing. Gradients reach every parameter, bad
arguments raise the house-format ValueError, and a small model learns to tell a boosted
80 GeV two-body decay from a light pair.
"""

from __future__ import annotations

import io
import math

import numpy as np
import pytest
import torch

from physml.models.particles.lola import (
    CombinationLayer,
    LoLa,
    LorentzLayer,
    lola_inputs,
    minkowski_square,
)
from physml.sim.collider import phasespace
from physml.testing import assert_invariant

F64 = torch.float64


pytestmark = pytest.mark.usefixtures("one_torch_thread")


def random_jets(batch: int, n: int, *, seed: int, n_min: int = 1) -> torch.Tensor:
    """Massless constituents (E, px, py, pz) in units of 100 GeV, pT-ordered, zero-padded:
    n_min..n per jet, pT ~ Exp(0.5), eta ~ 0.5 + N(0, 0.3), phi ~ 1 + N(0, 0.3)."""
    g = torch.Generator().manual_seed(seed)
    count = torch.randint(n_min, n + 1, (batch,), generator=g)
    present = torch.arange(n) < count.unsqueeze(-1)
    pt = torch.empty(batch, n, dtype=F64).exponential_(2.0, generator=g)
    pt = torch.sort(pt, dim=1, descending=True).values * present
    eta = 0.5 + 0.3 * torch.randn(batch, n, generator=g, dtype=F64)
    phi = 1.0 + 0.3 * torch.randn(batch, n, generator=g, dtype=F64)
    k = torch.stack(
        [pt * torch.cosh(eta), pt * torch.cos(phi), pt * torch.sin(phi), pt * torch.sinh(eta)],
        dim=-1,
    )
    return k * present.unsqueeze(-1)


def rotation(g: torch.Generator) -> torch.Tensor:
    """A random proper rotation as a 4x4 Lorentz matrix."""
    q, r = torch.linalg.qr(torch.randn(3, 3, generator=g, dtype=F64))
    q = q * torch.sign(torch.diagonal(r))
    if torch.det(q) < 0:
        q[:, 0] = -q[:, 0]
    lam = torch.eye(4, dtype=F64)
    lam[1:, 1:] = q
    return lam


def boost(beta: torch.Tensor) -> torch.Tensor:
    """The 4x4 boost matrix of velocity beta (3,)."""
    b2 = float(beta @ beta)
    gamma = 1.0 / math.sqrt(1.0 - b2)
    lam = torch.eye(4, dtype=F64)
    lam[0, 0] = gamma
    lam[0, 1:] = lam[1:, 0] = gamma * beta
    lam[1:, 1:] += (gamma - 1.0) * torch.outer(beta, beta) / b2
    return lam


def transform(k: torch.Tensor, lam: torch.Tensor) -> torch.Tensor:
    return k @ lam.T


def layers(n: int, m: int, *, seed: int) -> tuple[CombinationLayer, LorentzLayer]:
    """CoLa + LoLa in float64 with generic weights (random signs, no identity)."""
    torch.manual_seed(seed)
    cola = CombinationLayer(n, m).double()
    lola = LorentzLayer(n + m, n_distance_sums=2, n_distance_mins=2).double()
    with torch.no_grad():
        cola.weight.normal_()
        lola.energy_weight.normal_()
        lola.distance_sum_weight.normal_()
    return cola, lola


def max_rel_diff(a: torch.Tensor, b: torch.Tensor) -> float:
    a, b = a.detach(), b.detach()
    return float((a - b).abs().max() / max(1.0, float(b.abs().max())))


def assert_features_invariant(cola, lola, lams: list, k: torch.Tensor, keep: list) -> None:
    """Features ``keep`` unchanged by each Lorentz matrix to 1e-9 of their largest size."""
    features = lola(cola(k))[..., keep]
    moves = [lambda v, lam=lam: transform(v, lam) for lam in lams]
    atol = 1e-9 * max(1.0, float(features.detach().abs().max()))
    assert_invariant(lambda v: lola(cola(v))[..., keep], moves, k, rtol=0.0, atol=atol)


# --------------------------------------------------------------------------- symmetry


def test_lorentz_matrices_preserve_the_metric() -> None:
    g = torch.Generator().manual_seed(0)
    metric = torch.diag(torch.tensor([1.0, -1.0, -1.0, -1.0], dtype=F64))
    lam = boost(torch.tensor([0.5, -0.3, 0.6], dtype=F64)) @ rotation(g)
    assert torch.allclose(lam.T @ metric @ lam, metric, rtol=0, atol=1e-14)


def test_invariant_features_are_invariant_under_boosts_and_rotations() -> None:
    cola, lola = layers(8, 4, seed=0)
    k = random_jets(32, 8, seed=0)
    features = lola(cola(k))
    g = torch.Generator().manual_seed(1)
    names = lola.feature_names
    assert [names[i] for i in lola.invariant_features] == [
        "m2",
        "d2_sum_0",
        "d2_sum_1",
        "d2_min_0",
        "d2_min_1",
    ]
    lams = []
    for _ in range(5):
        direction = torch.randn(3, generator=g, dtype=F64)
        speed = 0.2 + 0.7 * torch.rand((), generator=g, dtype=F64)
        lams.append(boost(speed * direction / direction.norm()) @ rotation(g))
    assert_features_invariant(cola, lola, lams, k, list(lola.invariant_features))
    for lam in lams:  # the frame-dependent features do change
        moved = lola(cola(transform(k, lam)))
        assert max_rel_diff(moved[..., 1], features[..., 1]) > 1e-2  # pT
        assert max_rel_diff(moved[..., 2], features[..., 2]) > 1e-2  # energy mix


def test_energy_is_rotation_invariant_but_pt_is_not() -> None:
    cola, lola = layers(6, 3, seed=1)
    k = random_jets(16, 6, seed=1)
    lam = rotation(torch.Generator().manual_seed(2))
    assert_features_invariant(cola, lola, [lam], k, [0, 2, 3, 4, 5, 6])
    assert max_rel_diff(lola(cola(transform(k, lam)))[..., 1], lola(cola(k))[..., 1]) > 1e-2


def test_pt_is_invariant_along_the_beam_axis() -> None:
    """Rotations about z and boosts along z leave pT (and the invariants) unchanged."""
    cola, lola = layers(6, 3, seed=2)
    k = random_jets(16, 6, seed=2)
    features = lola(cola(k))
    lams = []
    for angle, beta_z in [(0.7, 0.0), (0.0, 0.6), (-2.1, -0.85)]:
        lam = torch.eye(4, dtype=F64)
        lam[1:3, 1:3] = torch.tensor(
            [[math.cos(angle), -math.sin(angle)], [math.sin(angle), math.cos(angle)]],
            dtype=F64,
        )
        if beta_z:
            lam = boost(torch.tensor([0.0, 0.0, beta_z], dtype=F64)) @ lam
            moved = lola(cola(transform(k, lam)))
            assert max_rel_diff(moved[..., 2], features[..., 2]) > 1e-2  # E is not
        lams.append(lam)
    assert_features_invariant(cola, lola, lams, k, [0, 1, *range(3, lola.n_features)])


def test_features_against_direct_formulas() -> None:
    """m2, pT, E and the distance features of a tiny event, computed by hand."""
    torch.manual_seed(0)
    cola = CombinationLayer(3, 1).double()
    lola = LorentzLayer(4, n_distance_sums=1, n_distance_mins=1).double()
    k = random_jets(1, 3, seed=3, n_min=3)
    kt = cola(k)[0].detach()  # (4, 4): three constituents and their sum
    assert torch.allclose(kt[3], k[0].sum(0), rtol=0, atol=1e-14)
    f = lola(kt.unsqueeze(0))[0].detach()
    m2 = kt[:, 0] ** 2 - (kt[:, 1:] ** 2).sum(-1)
    assert torch.allclose(f[:, 0], m2, rtol=1e-13, atol=1e-13)
    assert torch.allclose(f[:, 1], torch.hypot(kt[:, 1], kt[:, 2]), rtol=1e-13, atol=0)
    assert torch.allclose(f[:, 2], kt[:, 0], rtol=1e-13, atol=0)  # w_E = identity at init
    d2 = torch.tensor([[float(minkowski_square(a - b)) for b in kt] for a in kt], dtype=F64)
    w_sum, w_min = lola.distance_sum_weight[0], lola.distance_min_weight[0]
    assert torch.allclose(f[:, 3], (w_sum * d2).sum(1), rtol=1e-12, atol=1e-13)
    off = (w_min * d2).masked_fill(torch.eye(4, dtype=torch.bool), float("inf"))
    assert torch.allclose(f[:, 4], off.amin(1), rtol=1e-12, atol=1e-13)
    # massless constituents: d^2 = -2 k_i.k_j <= 0
    assert (d2[:3, :3] <= 1e-12).all()


# --------------------------------------------------------------------------- padding


def test_padding_rows_contribute_nothing() -> None:
    """Three real constituents in 6 slots give the same combinations and features as the
    same layers restricted to the 3 real slots; the padding slots' features are zero."""
    n, m, real = 6, 3, 3
    cola, lola = layers(n, m, seed=4)
    k = random_jets(10, real, seed=4, n_min=real)
    padded = torch.cat([k, torch.zeros(10, n - real, 4, dtype=F64)], dim=1)
    out = lola(cola(padded))

    small_cola = CombinationLayer(real, m).double()
    small_lola = LorentzLayer(real + m, n_distance_sums=2, n_distance_mins=2).double()
    keep = [*range(real), *range(n, n + m)]
    with torch.no_grad():
        small_cola.weight.copy_(cola.weight[:real])
        small_lola.energy_weight.copy_(lola.energy_weight[keep][:, keep])
        small_lola.distance_sum_weight.copy_(lola.distance_sum_weight[:, keep][:, :, keep])
        small_lola.distance_min_weight.copy_(lola.distance_min_weight[:, keep][:, :, keep])
    assert torch.allclose(cola(padded)[:, keep], small_cola(k), rtol=0, atol=1e-14)
    assert torch.allclose(out[:, keep], small_lola(small_cola(k)), rtol=1e-13, atol=1e-13)
    assert (out[:, real:n] == 0).all()


def test_padding_slots_get_no_gradient_and_masked_rows_are_ignored() -> None:
    torch.manual_seed(5)
    model = LoLa(6, 3, (8,)).double()
    k = random_jets(4, 3, seed=5, n_min=3) * 100.0
    x = torch.cat([k, torch.zeros(4, 3, 4, dtype=F64)], dim=1)
    model(x).sum().backward()
    grad = model.cola.weight.grad
    assert (grad[3:] == 0).all() and (grad[:3] != 0).any()

    # masked garbage columns (and their position) never reach the model
    mask = np.zeros((4, 7), dtype=bool)
    mask[:, [0, 2, 5]] = True
    wide = np.full((4, 7, 4), 1e6)
    wide[:, [0, 2, 5]] = k.numpy()[:, [2, 0, 1]]  # shuffled: lola_inputs sorts by pT
    x_prepared = torch.from_numpy(lola_inputs(wide, mask, 6)).double()
    assert torch.allclose(x_prepared, x, rtol=1e-6, atol=1e-5)  # float32 round trip
    assert torch.allclose(model(x_prepared), model(x.float().double()), rtol=0, atol=1e-12)


def test_lola_inputs_sorts_truncates_and_pads() -> None:
    p = phasespace.from_ptetaphim(
        np.array([[10.0, 50.0, 30.0, 20.0]]), 0.1, np.array([[0.0, 1.0, 2.0, 3.0]]), 0.0
    )
    mask = np.array([[True, True, True, False]])
    out = lola_inputs(p, mask, 2)
    assert out.shape == (1, 2, 4) and out.dtype == np.float32
    np.testing.assert_allclose(out[0], p[0, [1, 2]], rtol=1e-6)
    out = lola_inputs(p, mask, 5)
    np.testing.assert_allclose(out[0, :3], p[0, [1, 2, 0]], rtol=1e-6)
    assert (out[0, 3:] == 0).all()
    with pytest.raises(ValueError, match="mask has shape"):
        lola_inputs(p, mask.astype(int), 2)
    with pytest.raises(ValueError, match="constituents4 has shape"):
        lola_inputs(p[..., :3], mask, 2)
    with pytest.raises(ValueError, match="n_constituents=0 is not allowed"):
        lola_inputs(p, mask, 0)


def test_not_permutation_invariant() -> None:
    """Documented: the combination weights are per slot, so reordering changes the output."""
    torch.manual_seed(6)
    model = LoLa(5, 2, (8,)).double()
    x = random_jets(3, 5, seed=6, n_min=5) * 100.0
    assert not torch.allclose(model(x), model(x[:, [1, 0, 2, 3, 4]]), rtol=0, atol=1e-9)


# --------------------------------------------------------------------------- contract


@pytest.mark.parametrize("dtype", [torch.float32, F64])
def test_shapes_dtypes_and_gradients(dtype: torch.dtype) -> None:
    torch.manual_seed(7)
    model = LoLa(6, 3, (16, 8)).to(dtype)
    x = (random_jets(5, 6, seed=7) * 100.0).to(dtype)
    out = model(x)
    assert out.shape == (5, 1) and out.dtype == dtype and torch.isfinite(out).all()
    assert model.features(x).shape == (5, 9, 6)
    out.sum().backward()
    for name, param in model.named_parameters():
        assert param.grad is not None and torch.isfinite(param.grad).all(), name
        assert (param.grad != 0).any(), name
    assert model(torch.zeros(2, 6, 4, dtype=dtype)).shape == (2, 1)  # empty jets: finite
    assert torch.isfinite(model(torch.zeros(2, 6, 4, dtype=dtype))).all()


def test_state_dict_round_trip_and_repr() -> None:
    torch.manual_seed(8)
    model = LoLa(4, 2, (8,), n_distance_sums=1, n_distance_mins=0)
    buffer = io.BytesIO()
    torch.save(model.state_dict(), buffer)
    buffer.seek(0)
    other = LoLa(4, 2, (8,), n_distance_sums=1, n_distance_mins=0)
    other.load_state_dict(torch.load(buffer, weights_only=True))
    x = random_jets(3, 4, seed=8).float() * 100.0
    assert torch.equal(model(x), other(x))
    text = repr(model)
    assert "n_constituents=4, n_combined=2" in text and "n_distance_sums=1" in text


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"n_constituents": 0}, "n_constituents=0 is not allowed: expected an int >= 1"),
        ({"n_constituents": 2.0}, "n_constituents=2.0 is not allowed"),
        ({"n_combined": -1}, "n_combined=-1 is not allowed: expected an int >= 0"),
        ({"hidden": (8, 0)}, r"hidden\[1\]=0 is not allowed"),
        ({"hidden": 8}, "hidden=8 is not allowed: expected a sequence"),
        ({"out_features": True}, "out_features=True is not allowed"),
        ({"n_distance_sums": -1}, "n_distance_sums=-1 is not allowed"),
        ({"n_distance_mins": 1.5}, "n_distance_mins=1.5 is not allowed"),
        ({"momentum_scale": 0.0}, "momentum_scale=0.0 is not allowed"),
        ({"log_features": 1}, "log_features=1 is not allowed"),
        ({"activation": "swish"}, "activation='swish' is not allowed"),
    ],
)
def test_bad_arguments(kwargs: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        LoLa(**{"n_constituents": 4, "n_combined": 2, **kwargs})


def test_bad_input_shape() -> None:
    model = LoLa(4, 2, (8,))
    with pytest.raises(ValueError, match=r"x.shape=\(2, 5, 4\) is not allowed"):
        model(torch.zeros(2, 5, 4))
    with pytest.raises(ValueError, match=r"x.shape=\(2, 4, 3\) is not allowed"):
        model(torch.zeros(2, 4, 3))


# --------------------------------------------------------------------------- learning


def two_body_jets(n_jets: int, mass: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Boosted isotropic decays X -> 2 massless particles, pT_X ~ U[300, 500] GeV."""
    cos_t = rng.uniform(-1.0, 1.0, n_jets)
    az = rng.uniform(0.0, 2.0 * np.pi, n_jets)
    sin_t = np.sqrt(1.0 - cos_t**2)
    n_hat = np.stack([sin_t * np.cos(az), sin_t * np.sin(az), cos_t], axis=-1)
    half = mass[:, None] / 2.0
    rest = np.stack(
        [
            np.concatenate([half, half * n_hat], axis=-1),
            np.concatenate([half, -half * n_hat], axis=-1),
        ],
        axis=1,
    )  # (n_jets, 2, 4)
    jet = phasespace.from_ptetaphim(
        rng.uniform(300.0, 500.0, n_jets),
        rng.uniform(-1.0, 1.0, n_jets),
        rng.uniform(-np.pi, np.pi, n_jets),
        mass,
    )
    beta = jet[:, 1:] / jet[:, :1]
    return phasespace.boost(rest, beta[:, None, :])


@pytest.mark.parametrize("n_combined", [0, 2])
def test_learns_massive_versus_light_pairs(n_combined: int) -> None:
    """W-like (80 GeV) pairs against light (5-30 GeV) pairs. The jet mass separates them
    perfectly; with combinations the jet sum carries it, without them (n_combined=0) only
    the Minkowski distance d^2 = -m_pair^2 of the two constituents does. Either way a small
    LoLa gets nearly every test jet right within 100 full-batch Adam steps."""
    rng = np.random.default_rng(0)

    def sample(n: int) -> tuple[torch.Tensor, torch.Tensor]:
        label = rng.integers(0, 2, n)
        mass = np.where(label == 1, 80.0, rng.uniform(5.0, 30.0, n))
        p = two_body_jets(n, mass, rng)
        x = lola_inputs(p, np.ones((n, 2), dtype=bool), 4)
        return torch.from_numpy(x), torch.from_numpy(label).float().unsqueeze(-1)

    x_train, y_train = sample(512)
    x_test, y_test = sample(512)
    torch.manual_seed(0)
    model = LoLa(4, n_combined, (16, 16))
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
    loss_fn = torch.nn.BCEWithLogitsLoss()
    for _ in range(100):
        optimizer.zero_grad()
        loss = loss_fn(model(x_train), y_train)
        loss.backward()
        optimizer.step()
    with torch.no_grad():
        accuracy = float(((model(x_test) > 0).float() == y_test).float().mean())
    assert accuracy > 0.95
