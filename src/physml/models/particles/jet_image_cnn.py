r"""Convolutional network for jet images: pT-weighted pixel grids centred on the jet axis.

Conventions. A jet image is a float tensor of shape (batch, n_pixels, n_pixels) or
(batch, 1, n_pixels, n_pixels): pixel (i, j) holds the summed transverse momentum of the
constituents in the (i-th :math:`\Delta\eta`, j-th :math:`\Delta\phi`) bin around the jet
axis, which sits at the **centre pixel** (i, j) = ((n_pixels - 1) / 2, (n_pixels - 1) / 2)
for the usual odd sizes (25 in de Oliveira et al., 33 in Komiske et al.). Intensities are
>= 0. The image is a small window (|Δη|, |Δφ| <~ R), not the whole detector, so it is
**not periodic**: convolutions use zero padding ('same' size), unlike the circular padding
of :class:`~physml.models.lattice.lattice_cnn.LatticeCNN`.

Architecture. Each block is a convolution (``kernel_size``, zero padding, same size), the
activation, then a 2x2 max-pool with stride 2 while the map is at least 2 pixels wide. The
pool uses ``ceil_mode``: an odd-sized map keeps its last row and column (a window that
runs past the edge takes the max of the pixels it has), so a map of size s becomes
ceil(s / 2). For n_pixels = 2^k + 1 (9, 17, 33, ...) the centre pixel then stays the
centre pixel of every pooled map (33 -> 17 -> 9 -> 5).

The final map is **flattened**, not globally averaged: global average pooling would make
the network translation invariant and throw away where radiation sits relative to the jet
axis (the centre), which is the physics (prong separation, radiation pattern) a jet-image
classifier reads. The MLP head (:class:`~physml.models.mlp.MLP`) on the flattened map ends
linear: its outputs are logits.

Normalisation. With ``normalize=True`` (the default) each image is divided by its total
intensity, so the network sees the pT-fraction image :math:`z_{ij} = p_{T,ij} / \sum p_T`
and its output is exactly invariant under rescaling the image (overall jet pT, energy
scale); an all-zero image is left as zeros. With ``normalize=False`` the raw intensities
go in (normalise or standardise them yourself).

The model computes in its parameter dtype (``.double()`` for float64); inputs of another
dtype are cast, and the output has the parameter dtype.

References:
    L. de Oliveira, M. Kagan, L. Mackey, B. Nachman, A. Schwartzman, "Jet-images — deep
    learning edition", JHEP 07 (2016) 069, arXiv:1511.05190; P. T. Komiske,
    E. M. Metodiev, M. D. Schwartz, "Deep learning in color: towards automated
    quark/gluon jet discrimination", JHEP 01 (2017) 110, arXiv:1612.01551.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from physml.checks import check_choice, check_int, check_widths
from physml.models.mlp import ACTIVATIONS, MLP

__all__ = ["JetImageCNN"]


class JetImageCNN(nn.Module):
    r"""CNN classifier for jet images: conv blocks, flatten, MLP head -> logits.

    Block :math:`b` maps :math:`h \mapsto \mathrm{maxpool}_{2\times2}(\sigma(W_b * h + c_b))`
    (the pool is skipped once the map is 1 pixel wide); the last map, of size
    ``map_size`` x ``map_size`` with ``channels[-1]`` channels, is flattened and fed to
    the head. See the module docstring for the image conventions and design choices.

    Args:
        n_pixels: image side (pixels per row and column); fixes the head's input width.
        channels: output channels of each convolution block (at least one).
        kernel_size: odd convolution kernel size (zero padding keeps the map size).
        head_hidden: hidden widths of the MLP head (may be empty: a linear readout).
        out_features: number of output logits.
        activation: one of :data:`~physml.models.mlp.ACTIVATIONS`, used after every
            convolution and in the head's hidden layers.
        normalize: divide each image by its total intensity (pT-fraction image), making
            the output invariant under rescaling the image.

    Attributes:
        map_sizes: spatial size of the map after each block.
        map_size: spatial size of the final map (``map_sizes[-1]``).

    Shapes:
        x (batch, n_pixels, n_pixels) or (batch, 1, n_pixels, n_pixels) -> logits
        (batch, out_features).

    References:
        L. de Oliveira et al., JHEP 07 (2016) 069, arXiv:1511.05190; P. T. Komiske,
        E. M. Metodiev, M. D. Schwartz, JHEP 01 (2017) 110, arXiv:1612.01551.

    Example:
        >>> import torch
        >>> model = JetImageCNN(33, (8, 16, 16), 3, (32,), 2)
        >>> model.map_sizes
        (17, 9, 5)
        >>> x = torch.rand(4, 33, 33)
        >>> model(x).shape, model(x.unsqueeze(1)).shape
        (torch.Size([4, 2]), torch.Size([4, 2]))
    """

    def __init__(
        self,
        n_pixels: int = 33,
        channels: Sequence[int] = (16, 32, 32),
        kernel_size: int = 3,
        head_hidden: Sequence[int] = (64,),
        out_features: int = 1,
        *,
        activation: str = "relu",
        normalize: bool = True,
    ) -> None:
        super().__init__()
        self.n_pixels = check_int("n_pixels", n_pixels, minimum=1)
        self.channels = check_widths("channels", channels, allow_empty=False)
        self.kernel_size = check_int("kernel_size", kernel_size, minimum=1)
        if self.kernel_size % 2 != 1:
            raise ValueError(
                f"kernel_size={kernel_size!r} is not allowed: expected an odd int >= 1"
            )
        self.head_hidden = check_widths("head_hidden", head_hidden, allow_empty=True)
        self.out_features = check_int("out_features", out_features, minimum=1)
        self.activation = check_choice("activation", activation, tuple(ACTIVATIONS))
        if not isinstance(normalize, bool):
            raise ValueError(f"normalize={normalize!r} is not allowed: expected a bool")
        self.normalize = normalize

        layers: list[nn.Module] = []
        sizes: list[int] = []
        c_in, size = 1, self.n_pixels
        for c_out in self.channels:
            layers.append(nn.Conv2d(c_in, c_out, self.kernel_size, padding=self.kernel_size // 2))
            layers.append(ACTIVATIONS[activation]())
            if size >= 2:
                layers.append(nn.MaxPool2d(2, stride=2, ceil_mode=True))
                size = (size + 1) // 2
            sizes.append(size)
            c_in = c_out
        self.features = nn.Sequential(*layers)
        self.map_sizes = tuple(sizes)
        self.map_size = size
        self.head = MLP(
            c_in * size * size, self.head_hidden, self.out_features, activation=activation
        )
        self.reset_parameters()

    def reset_parameters(self) -> None:
        for module in self.features:
            if isinstance(module, nn.Conv2d):
                module.reset_parameters()
        self.head.reset_parameters()

    def _images(self, x: torch.Tensor) -> torch.Tensor:
        """Checked input as (batch, 1, n_pixels, n_pixels) in the parameter dtype."""
        n = self.n_pixels
        if x.ndim == 3 and x.shape[1:] == (n, n):
            x = x.unsqueeze(1)
        elif not (x.ndim == 4 and x.shape[1:] == (1, n, n)):
            raise ValueError(
                f"x.shape={tuple(x.shape)} is not allowed: expected (batch, {n}, {n}) "
                f"or (batch, 1, {n}, {n})"
            )
        x = x.to(self.features[0].weight.dtype)
        if self.normalize:
            total = x.sum(dim=(-2, -1), keepdim=True)
            x = x / torch.where(total == 0, torch.ones_like(total), total)
        return x

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(self._images(x)).flatten(start_dim=1))

    def extra_repr(self) -> str:
        return (
            f"n_pixels={self.n_pixels}, channels={self.channels}, "
            f"kernel_size={self.kernel_size}, head_hidden={self.head_hidden}, "
            f"out_features={self.out_features}, activation={self.activation!r}, "
            f"normalize={self.normalize}, map_sizes={self.map_sizes}"
        )
