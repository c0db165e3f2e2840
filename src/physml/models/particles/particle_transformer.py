r"""Particle transformer: self-attention over jet constituents, no positional encoding.

Conventions are those of :mod:`physml.models.particles.deepsets`. A batch of jets is a float tensor
``x`` of shape (batch, n_particles, n_features), one row per constituent, zero-padded to a
common n_particles; feature 0 is the momentum fraction z, features 1, 2 the angles
relative to the jet axis, any further features follow. **Padding is z == 0**
(:func:`~physml.models.particles.deepsets.padding_mask`): a row with :math:`z_i \le 0` is absent
whatever its other features hold (they are zeroed before the embedding, so even NaN there
is harmless).

The model. Every particle is embedded by a small MLP :math:`E`; a learned class token
:math:`c` is prepended; :math:`L` pre-norm transformer encoder layers act on the
sequence, each particle and the class token attending to the class token and the real
particles only (padding rows are masked out as keys); the class token's final state,
layer-normed, goes through a small MLP head :math:`H` to the logits:

.. math::
    h^0 = (c, E(x_1), \dots, E(x_n)), \qquad
    h' = h^{l-1} + \mathrm{MHA}(\mathrm{LN}(h^{l-1})), \qquad
    h^{l} = h' + \mathrm{FF}(\mathrm{LN}(h')), \qquad
    \mathrm{out} = H(\mathrm{LN}(h^L_0)).

There is no positional encoding, so each layer is permutation equivariant in the
particles and the class-token readout is permutation invariant. Padding rows are never
keys: they are computed as queries but never read, so adding, removing or moving them
changes nothing (exactly, up to floating-point rounding).

Pooling by a class token rather than a masked mean has a second use: the class token is
never masked, so every softmax has at least one key and a jet with no particles at all
(every row padding, or n_particles = 0) gives a finite output, the same constant for
every empty jet, instead of the NaN of an all-masked attention row or a 0/0 mean.

Train and eval. In eval mode under ``torch.no_grad()`` torch may run its fused encoder
"fast path"; it gives the same class-token output as the plain path (the tests check this
to float64 rounding). Nested tensors are switched off (``enable_nested_tensor=False``),
so padded positions are never silently dropped or zero-filled inside the encoder; they
would not matter anyway, as only the class token is read.

The model computes in its parameter dtype (``.double()`` for float64); inputs of
another dtype are cast, and the output has the parameter dtype.

References:
    A. Vaswani et al., "Attention Is All You Need", NeurIPS 2017, arXiv:1706.03762;
    H. Qu, C. Li, S. Qian, "Particle Transformer for Jet Tagging", ICML 2022,
    arXiv:2202.03772. This is a small version of the latter *without* its pairwise
    interaction features (the attention-bias matrix built from particle pairs' kinematics)
    and with the class token inside the encoder (BERT/ViT style) rather than in separate
    class-attention blocks.
"""

from __future__ import annotations

import torch
from torch import nn

from physml.checks import check_int, check_real
from physml.models.mlp import MLP
from physml.models.particles.deepsets import padding_mask

__all__ = ["ParticleTransformer"]


class ParticleTransformer(nn.Module):
    r"""Transformer encoder over jet constituents with a class-token readout.

    See the module docstring for the update rule, the padding convention (z == 0) and why
    the output is invariant under permutations of the particles and under padding rows.
    The activation is GELU throughout (embedding, feed-forward blocks and head), as in
    the Particle Transformer paper.

    Args:
        n_features: features per particle (feature 0 is z, 1, 2 the angles).
        dim: width of the particle embeddings and of the attention (the model width).
        n_heads: attention heads; must divide ``dim``.
        n_layers: number of transformer encoder layers.
        ff_hidden: hidden width of each layer's feed-forward block.
        out_features: number of output logits.
        dropout: dropout probability inside the encoder layers (attention weights and
            residual branches), in [0, 1).

    Shapes:
        x (batch, n_particles, n_features) -> logits (batch, out_features).

    References:
        A. Vaswani et al., NeurIPS 2017, arXiv:1706.03762; H. Qu, C. Li, S. Qian,
        ICML 2022, arXiv:2202.03772 (without the pairwise interaction features).

    Example:
        >>> import torch
        >>> model = ParticleTransformer(3, dim=16, n_heads=2, n_layers=1, ff_hidden=32).double()
        >>> x = torch.tensor([[[0.7, 0.0, 0.0], [0.3, 0.1, -0.2], [0.0, 5.0, 5.0]]],
        ...                  dtype=torch.float64)
        >>> model(x).shape
        torch.Size([1, 1])
        >>> torch.allclose(model(x), model(x[:, [1, 0]]), rtol=0, atol=1e-12)
        True
    """

    def __init__(
        self,
        n_features: int = 3,
        dim: int = 32,
        n_heads: int = 4,
        n_layers: int = 2,
        ff_hidden: int = 64,
        out_features: int = 1,
        *,
        dropout: float = 0.0,
    ) -> None:
        super().__init__()
        self.n_features = check_int("n_features", n_features, minimum=1)
        self.dim = check_int("dim", dim, minimum=1)
        self.n_heads = check_int("n_heads", n_heads, minimum=1)
        if self.dim % self.n_heads:
            raise ValueError(
                f"dim={dim!r} is not allowed: expected a multiple of n_heads={self.n_heads}"
            )
        self.n_layers = check_int("n_layers", n_layers, minimum=1)
        self.ff_hidden = check_int("ff_hidden", ff_hidden, minimum=1)
        self.out_features = check_int("out_features", out_features, minimum=1)
        self.dropout = check_real("dropout", dropout, nonnegative=True)
        if self.dropout >= 1:
            raise ValueError(f"dropout={dropout!r} is not allowed: expected a number in [0, 1)")

        self.embed = MLP(self.n_features, (self.dim,), self.dim, activation="gelu")
        self.cls_token = nn.Parameter(torch.empty(1, 1, self.dim))
        layer = nn.TransformerEncoderLayer(
            self.dim,
            self.n_heads,
            dim_feedforward=self.ff_hidden,
            dropout=self.dropout,
            activation="gelu",
            batch_first=True,
            norm_first=True,
        )
        self.encoder = nn.TransformerEncoder(
            layer, self.n_layers, norm=nn.LayerNorm(self.dim), enable_nested_tensor=False
        )
        self.head = MLP(self.dim, (self.dim,), self.out_features, activation="gelu")
        # TransformerEncoder deep-copies ``layer``: without this every layer would start
        # with the same weights.
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Re-draw every parameter; each encoder layer gets its own independent draw."""
        self.embed.reset_parameters()
        nn.init.trunc_normal_(self.cls_token, std=0.02)
        for layer in self.encoder.layers:
            for module in (layer.linear1, layer.linear2, layer.norm1, layer.norm2):
                module.reset_parameters()
            # Draw out_proj's weight first; MultiheadAttention's own reset then draws the
            # input projection (Xavier) and zeroes both biases, as at construction.
            layer.self_attn.out_proj.reset_parameters()
            layer.self_attn._reset_parameters()
        self.encoder.norm.reset_parameters()
        self.head.reset_parameters()

    def _check_input(self, x: torch.Tensor) -> None:
        if x.ndim != 3 or x.shape[-1] != self.n_features:
            raise ValueError(
                f"x.shape={tuple(x.shape)} is not allowed: expected "
                f"(batch, n_particles, n_features) with n_features {self.n_features}"
            )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self._check_input(x)
        mask = padding_mask(x)
        x = x.to(self.cls_token.dtype).masked_fill(~mask.unsqueeze(-1), 0.0)
        batch = x.shape[0]
        tokens = torch.cat([self.cls_token.expand(batch, 1, self.dim), self.embed(x)], dim=1)
        # torch's key padding mask is True where a key is ignored; the class token never is.
        ignore = torch.cat([mask.new_zeros(batch, 1), ~mask], dim=1)
        hidden = self.encoder(tokens, src_key_padding_mask=ignore)
        return self.head(hidden[:, 0])

    def extra_repr(self) -> str:
        return (
            f"n_features={self.n_features}, dim={self.dim}, n_heads={self.n_heads}, "
            f"n_layers={self.n_layers}, ff_hidden={self.ff_hidden}, "
            f"out_features={self.out_features}, dropout={self.dropout}"
        )
