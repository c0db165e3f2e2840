r"""LoLa: a top tagger on four-momenta with a combination and a Lorentz layer.

Conventions. A batch of jets is a float tensor ``x`` of shape (batch, n_constituents, 4),
one row per constituent with its four-momentum (E, px, py, pz) in GeV, sorted by
decreasing pT and zero-padded at the end to the fixed ``n_constituents`` the model was
built for (:func:`lola_inputs` prepares it). **Padding rows are all zero.** The Minkowski
metric is (+, -, -, -): :math:`k^2 = E^2 - |\vec k|^2`.

The model (Butter, Kasieczka, Plehn, Russell 2017):

1. *Input scale.* Four-momenta are divided by ``momentum_scale`` (default 100 GeV), so
   every feature below is in units of powers of it: energies and pT in units of
   ``momentum_scale``, squared masses and distances in units of ``momentum_scale**2``.

2. *CoLa* (:class:`CombinationLayer`) forms :math:`N + M` vectors from the
   :math:`N` = ``n_constituents`` inputs, the inputs themselves and :math:`M` =
   ``n_combined`` trainable linear combinations of them,

   .. math::
       \tilde k_j = \sum_i k_i C_{ij}, \qquad
       C = \big(\mathbb{1}_N \,\big|\, C'\big) \in \mathbb{R}^{N \times (N + M)}.

   A linear map of the four-vectors commutes with every Lorentz transformation, so the
   :math:`\tilde k_j` are four-vectors again. :math:`C'` starts with a column of ones
   (the jet four-momentum, whose mass is the most useful single tagging variable) and
   further columns uniform in [0, 1].

3. *LoLa* (:class:`LorentzLayer`) maps every :math:`\tilde k_j` to features

   .. math::
       \hat k_j = \Big(m^2(\tilde k_j),\; p_T(\tilde k_j),\;
       \sum_m w^{(E)}_{jm} E(\tilde k_m),\;
       \Big\{\sum_m w^{(d,s)}_{jm} d^2_{jm}\Big\}_{s},\;
       \Big\{\min_{m \ne j} w^{(\min,s)}_{jm} d^2_{jm}\Big\}_{s}\Big),
       \qquad d^2_{jm} = (\tilde k_j - \tilde k_m)^2,

   with ``n_distance_sums`` copies of the weighted sum of Minkowski distances and
   ``n_distance_mins`` copies of the weighted minimum (the paper's tagger uses several
   weighted sums and a minimum; how many is an argument here; the minimum runs over
   the other vectors, m != j, since d^2_jj = 0). :math:`w^{(E)}` starts as the identity
   (the energy of the vector itself), the sum weights uniform in [0, 2 / (N + M)] (about
   an average distance), the minimum weights uniform in [0.5, 1.5]. :math:`m^2` and all
   :math:`d^2` terms are Lorentz invariant; :math:`p_T` is invariant only under rotations
   about and boosts along the beam (z) axis, the energy mix under rotations only. For
   massless constituents :math:`d^2_{jm} = -2\, k_j \cdot k_m = -m_{jm}^2 \le 0`, so
   the minimum picks the partner with the largest pair mass.

4. *Head.* Each feature f goes through :math:`\mathrm{sign}(f)\log(1 + |f|)`
   (``log_features``; squared masses span orders of magnitude, this keeps training
   stable and is a function of each invariant alone, so invariance is untouched); the
   :math:`(N + M) \times F` features are flattened and an
   :class:`~physml.models.mlp.MLP` with hidden widths ``hidden`` returns the logits.

Padding. A vector :math:`\tilde k_j` that is exactly zero (a padding slot, or a
combination of padding slots only) is *absent*: all its features are zero and it enters
no other vector's energy mix, distance sum or minimum. So padding rows contribute nothing
to the combinations or to the features of the real vectors (the paper feeds zero vectors
through the same formulas; there a padding slot still collects :math:`w^{(E)}` and
:math:`w^{(d)}` terms from the others).

Not permutation invariant. :math:`C'`, :math:`w^{(E)}` and the :math:`w^{(d)}` are
indexed by the *slot* (the i-th hardest constituent), so the model depends on the pT
ordering of its input, as in the paper: reorder constituents and the output changes. Sort
by decreasing pT (:func:`lola_inputs` does) and keep the same ``n_constituents``.

The model computes in its parameter dtype (``.double()`` for float64); inputs of
another dtype are cast, and the output has the parameter dtype.

References:
    A. Butter, G. Kasieczka, T. Plehn, M. Russell, "Deep-learned Top Tagging with a
    Lorentz Layer", SciPost Phys. 5, 028 (2018), arXiv:1707.08966, section 2.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
from torch import nn

from physml.checks import check_choice, check_int, check_real, check_widths
from physml.models.mlp import ACTIVATIONS, MLP

__all__ = ["CombinationLayer", "LoLa", "LorentzLayer", "lola_inputs", "minkowski_square"]

_METRIC = (1.0, -1.0, -1.0, -1.0)


def minkowski_square(k: torch.Tensor) -> torch.Tensor:
    """k^2 = E^2 - px^2 - py^2 - pz^2 of four-vectors (..., 4) -> (...)."""
    metric = k.new_tensor(_METRIC)
    return (k * k * metric).sum(dim=-1)


def _check_vectors(name: str, x: torch.Tensor, n: int) -> None:
    if x.ndim != 3 or x.shape[1] != n or x.shape[2] != 4:
        raise ValueError(
            f"{name}.shape={tuple(x.shape)} is not allowed: expected (batch, {n}, 4) "
            "four-momenta (E, px, py, pz)"
        )


class CombinationLayer(nn.Module):
    r"""CoLa: the inputs and ``n_combined`` trainable linear combinations of them.

    :math:`\tilde k_j = \sum_i k_i C_{ij}` with :math:`C = (\mathbb{1} | C')`; see the module
    docstring for the initialisation of :math:`C'` (``weight``).

    Args:
        n_constituents: N, the number of input four-vectors (slots).
        n_combined: M, the number of trainable combinations (0: the identity map).

    Shapes:
        k (batch, N, 4) -> (batch, N + M, 4): rows 0..N-1 are the inputs, N.. the
        combinations.
    """

    def __init__(self, n_constituents: int, n_combined: int = 15) -> None:
        super().__init__()
        self.n_constituents = check_int("n_constituents", n_constituents, minimum=1)
        self.n_combined = check_int("n_combined", n_combined, minimum=0)
        self.weight = nn.Parameter(torch.empty(self.n_constituents, self.n_combined))
        self.reset_parameters()

    @property
    def n_out(self) -> int:
        """N + M, the number of output four-vectors."""
        return self.n_constituents + self.n_combined

    def reset_parameters(self) -> None:
        with torch.no_grad():
            self.weight.uniform_(0.0, 1.0)
            if self.n_combined:
                self.weight[:, 0] = 1.0  # the jet four-momentum

    def forward(self, k: torch.Tensor) -> torch.Tensor:
        _check_vectors("k", k, self.n_constituents)
        k = k.to(self.weight.dtype)
        combined = torch.einsum("bic,ij->bjc", k, self.weight)
        return torch.cat([k, combined], dim=1)

    def extra_repr(self) -> str:
        return f"n_constituents={self.n_constituents}, n_combined={self.n_combined}"


class LorentzLayer(nn.Module):
    r"""LoLa: per-vector features from masses, pT, energies and Minkowski distances.

    Feature order along the last axis (``feature_names``): ``m2``, ``pt``, ``energy``
    (the trainable energy mix), ``d2_sum_0 ..``, ``d2_min_0 ..``; the update rule is in the
    module docstring. ``invariant_features`` lists the indices of the Lorentz-invariant
    ones (``m2`` and every distance feature).

    Args:
        n_vectors: number of input four-vectors (N + M after a :class:`CombinationLayer`).
        n_distance_sums: copies of the weighted sum of Minkowski distances.
        n_distance_mins: copies of the weighted minimum of Minkowski distances.

    Shapes:
        k (batch, n_vectors, 4) -> (batch, n_vectors, 3 + n_distance_sums + n_distance_mins).
    """

    def __init__(self, n_vectors: int, n_distance_sums: int = 2, n_distance_mins: int = 1) -> None:
        super().__init__()
        self.n_vectors = check_int("n_vectors", n_vectors, minimum=1)
        self.n_distance_sums = check_int("n_distance_sums", n_distance_sums, minimum=0)
        self.n_distance_mins = check_int("n_distance_mins", n_distance_mins, minimum=0)
        v = self.n_vectors
        self.energy_weight = nn.Parameter(torch.empty(v, v))
        self.distance_sum_weight = nn.Parameter(torch.empty(self.n_distance_sums, v, v))
        self.distance_min_weight = nn.Parameter(torch.empty(self.n_distance_mins, v, v))
        self.reset_parameters()

    @property
    def feature_names(self) -> tuple[str, ...]:
        sums = tuple(f"d2_sum_{s}" for s in range(self.n_distance_sums))
        mins = tuple(f"d2_min_{s}" for s in range(self.n_distance_mins))
        return ("m2", "pt", "energy", *sums, *mins)

    @property
    def n_features(self) -> int:
        return 3 + self.n_distance_sums + self.n_distance_mins

    @property
    def invariant_features(self) -> tuple[int, ...]:
        """Indices of the Lorentz-invariant features: m2 and every d2 feature."""
        return (0, *range(3, self.n_features))

    def reset_parameters(self) -> None:
        with torch.no_grad():
            nn.init.eye_(self.energy_weight)
            self.distance_sum_weight.uniform_(0.0, 2.0 / self.n_vectors)
            self.distance_min_weight.uniform_(0.5, 1.5)

    def forward(self, k: torch.Tensor) -> torch.Tensor:
        _check_vectors("k", k, self.n_vectors)
        k = k.to(self.energy_weight.dtype)
        present = (k != 0).any(dim=-1)  # (batch, V): exactly-zero vectors are padding
        pair = present.unsqueeze(-1) & present.unsqueeze(-2)  # (batch, V, V)

        m2 = minkowski_square(k)
        pt2 = k[..., 1] ** 2 + k[..., 2] ** 2
        # sqrt has an infinite derivative at 0: keep it (and the NaN it would give) away
        pt = torch.where(pt2 > 0, torch.sqrt(torch.where(pt2 > 0, pt2, 1.0)), 0.0)
        energy = k[..., 0].masked_fill(~present, 0.0) @ self.energy_weight.T

        # d^2_jm from the difference vectors: no cancellation between m_j^2, m_m^2, k_j.k_m
        d2 = minkowski_square(k.unsqueeze(2) - k.unsqueeze(1)).masked_fill(~pair, 0.0)
        features = [m2, pt, energy]
        for w in self.distance_sum_weight:
            features.append((w * d2).sum(dim=-1))
        if self.n_distance_mins:
            eye = torch.eye(self.n_vectors, dtype=torch.bool, device=k.device)
            usable = pair & ~eye
            inf = torch.tensor(float("inf"), dtype=d2.dtype, device=d2.device)
            for w in self.distance_min_weight:
                smallest = torch.where(usable, w * d2, inf).amin(dim=-1)
                features.append(torch.where(usable.any(dim=-1), smallest, 0.0))
        out = torch.stack(features, dim=-1)
        return out.masked_fill(~present.unsqueeze(-1), 0.0)

    def extra_repr(self) -> str:
        return (
            f"n_vectors={self.n_vectors}, n_distance_sums={self.n_distance_sums}, "
            f"n_distance_mins={self.n_distance_mins}"
        )


class LoLa(nn.Module):
    r"""The LoLa top tagger: input scale, CoLa, LoLa, sign-log, flatten, MLP to logits.

    See the module docstring for the layers, units, padding and why the model is not
    permutation invariant (it reads pT-ordered slots).

    Args:
        n_constituents: N, the fixed number of constituent slots of the input.
        n_combined: M, trainable combinations in the :class:`CombinationLayer`.
        hidden: hidden widths of the MLP head.
        out_features: number of output logits.
        n_distance_sums: copies of the weighted Minkowski-distance sum in the
            :class:`LorentzLayer`.
        n_distance_mins: copies of the weighted Minkowski-distance minimum.
        momentum_scale: GeV; the four-momenta are divided by it first.
        log_features: apply sign(f) log(1 + |f|) to the Lorentz-layer features.
        activation: one of :data:`~physml.models.mlp.ACTIVATIONS` for the head.

    Shapes:
        x (batch, n_constituents, 4) -> logits (batch, out_features).

    References:
        A. Butter, G. Kasieczka, T. Plehn, M. Russell, SciPost Phys. 5, 028 (2018),
        arXiv:1707.08966.

    Example:
        >>> import torch
        >>> model = LoLa(4, 2, (16,)).double()
        >>> x = torch.tensor([[[400.0, 300.0, 0.0, 260.0], [100.0, 80.0, 10.0, 59.0],
        ...                    [0.0, 0.0, 0.0, 0.0], [0.0, 0.0, 0.0, 0.0]]],
        ...                  dtype=torch.float64)
        >>> model(x).shape, model.features(x).shape
        (torch.Size([1, 1]), torch.Size([1, 6, 6]))
    """

    def __init__(
        self,
        n_constituents: int = 40,
        n_combined: int = 15,
        hidden: Sequence[int] = (100, 50),
        out_features: int = 1,
        *,
        n_distance_sums: int = 2,
        n_distance_mins: int = 1,
        momentum_scale: float = 100.0,
        log_features: bool = True,
        activation: str = "relu",
    ) -> None:
        super().__init__()
        self.hidden = check_widths("hidden", hidden)
        self.out_features = check_int("out_features", out_features, minimum=1)
        self.momentum_scale = check_real("momentum_scale", momentum_scale, positive=True)
        if not isinstance(log_features, bool):
            raise ValueError(f"log_features={log_features!r} is not allowed: expected a bool")
        self.log_features = log_features
        self.activation = check_choice("activation", activation, tuple(ACTIVATIONS))
        self.cola = CombinationLayer(n_constituents, n_combined)
        self.lola = LorentzLayer(self.cola.n_out, n_distance_sums, n_distance_mins)
        self.head = MLP(
            self.cola.n_out * self.lola.n_features,
            self.hidden,
            self.out_features,
            activation=activation,
        )

    @property
    def n_constituents(self) -> int:
        return self.cola.n_constituents

    def reset_parameters(self) -> None:
        self.cola.reset_parameters()
        self.lola.reset_parameters()
        self.head.reset_parameters()

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """Lorentz-layer features of the combined vectors, before the sign-log.

        Shapes:
            x (batch, n_constituents, 4) -> (batch, N + M, n_features).
        """
        _check_vectors("x", x, self.n_constituents)
        k = x.to(self.cola.weight.dtype) / self.momentum_scale
        return self.lola(self.cola(k))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        f = self.features(x)
        if self.log_features:
            f = torch.sign(f) * torch.log1p(torch.abs(f))
        return self.head(f.flatten(start_dim=1))

    def extra_repr(self) -> str:
        return (
            f"hidden={self.hidden}, out_features={self.out_features}, "
            f"momentum_scale={self.momentum_scale}, log_features={self.log_features}, "
            f"activation={self.activation!r}"
        )


def lola_inputs(constituents4, mask, n_constituents: int) -> np.ndarray:
    """LoLa input from padded four-momenta: sorted by decreasing pT, truncated or padded.

    Masked rows are dropped (whatever they hold), the rest sorted by decreasing
    pT = sqrt(px^2 + py^2) (stable), the hardest ``n_constituents`` kept and the remainder
    zero-filled. Jets given as (pT, eta, phi) become four-momenta with
    :func:`physml.sim.collider.phasespace.from_ptetaphim` (mass 0).

    Args:
        constituents4: four-momenta (E, px, py, pz) in GeV.
        mask: True for real constituents.
        n_constituents: slots of the output.

    Returns:
        float32 array of zero-padded four-momenta.

    Shapes:
        constituents4 (n_jets, width, 4), mask (n_jets, width) ->
        (n_jets, n_constituents, 4).

    Raises:
        ValueError: for bad shapes, a non-bool mask or non-finite real constituents.
    """
    n_constituents = check_int("n_constituents", n_constituents, minimum=1)
    p = np.asarray(constituents4)
    m = np.asarray(mask)
    if p.ndim != 3 or p.shape[2] != 4 or not np.issubdtype(p.dtype, np.number):
        raise ValueError(
            f"constituents4 has shape {p.shape}, dtype {p.dtype}: expected real "
            "(n_jets, width, 4) four-momenta (E, px, py, pz)"
        )
    if m.shape != p.shape[:2] or m.dtype != bool:
        raise ValueError(f"mask has shape {m.shape}, dtype {m.dtype}: expected bool {p.shape[:2]}")
    p = np.where(m[..., None], p.astype(np.float64), 0.0)
    if not np.isfinite(p).all():
        raise ValueError("constituents4 must be finite where mask is True")
    pt = np.hypot(p[..., 1], p[..., 2])
    order = np.argsort(np.where(m, -pt, np.inf), axis=1, kind="stable")[:, :n_constituents]
    p = np.take_along_axis(p, order[..., None], axis=1)
    out = np.zeros((p.shape[0], n_constituents, 4), dtype=np.float32)
    out[:, : p.shape[1]] = p
    return out
