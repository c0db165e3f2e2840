"""``lensing-substructure``: dark-matter substructure in strong lenses, with and without
the symmetry built in.

Images come from :mod:`physml.sim.lensing.substructure` (a Sérsic source behind an SIE
with shear; settings resembling DeepLense Model I, arXiv:1909.07346) in three classes: no
substructure, CDM subhalos, axion vortices. The substructure is enhanced: subhalos of
1e9-1e11 solar masses (the issue's DeepLense-like range is 1e6-1e10) and vortices of
1e11-3e11 in total (the simulator's default 3e9-3e10), at which no network here learned
the classes (docs/tasks/lensing-substructure.md). Quick images are 32 x 32 pixels of
0.2 arcsec, full ones 64 x 64 of 0.1 arcsec. The physics of a lens does not care how the
camera is turned, so the class is invariant under rotations and reflections of the image.
Methods: a ResNet-18-style CNN (no symmetry), a group-equivariant CNN (C4 / D4 exactly,
C8 / D8 with interpolated 45-degree filter turns), a group-equivariant ResNet (the same
groups, with group batch normalisation and residual blocks; the default), a vision
transformer and a LensFormer-style transformer that reads the image beside its SIS
source-plane back-projection. All train with :func:`physml.train.fit` on the cross-entropy.

Reported (:mod:`~physml.tasks.symmetry.lensing_substructure_eval`): one-vs-rest AUC of
each class, the micro-averaged AUC and the accuracy, with bootstrap errors over the test
images, beside the labelled literature anchors (DeepLense GSoC 2021 with e2cnn, Model J:
ResNet-18 0.963 and D8 0.991 on the CDM-subhalo class; micro-averaged 0.985 and 0.996);
and each network's invariance error under exact 90-degree rotations (reference 0 for the
group CNN: exact) and under arbitrary, interpolated rotations.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, field_validator

from physml.config import ConfigError
from physml.metrics import Metric
from physml.tasks.base import BuiltSettings, Method, Reference, RunContext, Task, Widths
from physml.tasks.seeds import Stream, generator, seed_sequence

__all__ = ["LensingSubstructure", "LensingSubstructureSettings"]

_Fraction = Annotated[float, Field(gt=0, lt=1)]
_Odd = Annotated[int, Field(ge=1, le=15)]
_GROUPS = ("C4", "D4", "C8", "D8")  # physml.models.equivariant.GROUPS, without torch


class LensSimulatorSettings(BuiltSettings):
    """Parameters of :class:`physml.sim.lensing.substructure.LensImages` (arcsec, solar
    masses)."""

    n_pixels: int = Field(32, ge=8, le=256, description="image side in pixels")
    pixel_scale: float = Field(0.2, gt=0, le=1, description="arcsec per pixel")
    supersample: int = Field(1, ge=1, le=8, description="rays per pixel side")
    psf_fwhm: float = Field(0.2, gt=0, le=2, description="Gaussian PSF FWHM, arcsec")
    background: float = Field(0.05, ge=0, le=100, description="sky level, source units")
    exposure: float = Field(300.0, gt=0, le=1e8, description="counts per unit brightness")
    n_subhalos: float = Field(25.0, ge=0, le=1000, description="mean CDM subhalos per lens")
    subhalo_masses: tuple[float, float] = Field(
        (1e9, 1e11),
        description="subhalo mass range, solar masses (enhanced: the issue's 1e6-1e10 is "
        "at chance)",
    )
    subhalo_slope: float = Field(1.9, gt=1, le=3, description="dN/dM ~ M^-slope")
    vortex_points: int = Field(40, ge=2, le=1000, description="point masses per vortex")
    vortex_mass: tuple[float, float] = Field(
        (1e11, 3e11),
        description="total vortex mass range, solar masses (enhanced: 3e9-3e10 is at chance)",
    )

    @field_validator("vortex_mass", "subhalo_masses")
    @classmethod
    def _mass_range(cls, value: tuple[float, float]) -> tuple[float, float]:
        if not 0 < value[0] < value[1] <= 1e13:
            raise ValueError(f"{list(value)} is not allowed: masses 0 < low < high <= 1e13")
        return value

    def build(self) -> Any:
        from physml.sim.lensing.substructure import LensImages

        return LensImages(**self.model_dump())


class LensingSubstructureSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")
    n_train: int = Field(6000, ge=30, le=1_000_000, description="training images")
    n_val: int = Field(600, ge=3, le=1_000_000, description="validation images (early stop)")
    n_test: int = Field(1500, ge=30, le=1_000_000, description="test images")
    class_fractions: list[_Fraction] = Field(
        [1 / 3, 1 / 3, 1 / 3],
        min_length=3,
        max_length=3,
        description="shares of no substructure, CDM subhalos, vortices (sum 1)",
    )
    n_members: int = Field(1, ge=1, le=16, description="independently seeded networks")
    exact_order: int = Field(
        4, ge=1, le=64, description="rotations by 360/order degrees of the exact test (1, 2, 4)"
    )
    n_angles: int = Field(8, ge=1, le=360, description="random angles of the interpolated test")
    n_rotation_images: int = Field(
        64, ge=2, le=100_000, description="test images the rotation errors are measured on"
    )
    simulator: LensSimulatorSettings = Field(
        default_factory=LensSimulatorSettings,
        description="the simulator (built, so validated, when a run is configured: torch)",
    )


class GroupCNNSettings(BaseModel):
    """Lifting and group convolutions (Cohen & Welling), pooled over group and pixels."""

    model_config = ConfigDict(extra="forbid")
    group: str = Field("D4", description="C4, D4 (exact), C8 or D8 (45 degrees interpolated)")
    channels: Widths = Field([4, 8, 8], min_length=1, description="channels per group element")
    kernel_size: _Odd = Field(5, description="lifting filter side (odd)")
    group_kernel_size: _Odd = Field(3, description="group filter side (odd)")

    @field_validator("group")
    @classmethod
    def _group(cls, value: str) -> str:
        if value not in _GROUPS:
            raise ValueError(
                f"group={value!r} is not allowed: C4 or D4 (exact on the square pixel grid), "
                "C8 or D8 (45-degree turns interpolated); other rotation orders do not "
                "divide the grid's 90-degree symmetry"
            )
        return value

    @field_validator("kernel_size", "group_kernel_size")
    @classmethod
    def _odd(cls, value: int) -> int:
        if value % 2 == 0:
            raise ValueError(f"{value} is not allowed: an odd filter side (centred filters)")
        return value


class GroupResNetSettings(GroupCNNSettings):
    """Group ResNet: lifting convolution, group batch normalisation (per channel, shared
    over the group axis and the pixels), residual group-conv blocks after 2 x 2 poolings,
    the max (or mean) over the group and the pixels."""

    channels: Widths = Field(
        [6, 6, 10, 15],
        min_length=2,
        description="lifting channels, then one stage of blocks per entry (per group element)",
    )
    blocks: Annotated[int, Field(ge=1, le=16)] = Field(1, description="residual blocks per stage")
    group_pool: Literal["max", "mean"] = Field("max", description="pooling over the group axis")


class ResNetSettings(BaseModel):
    """ResNet-18 layout (four stages of two basic blocks), widths w, 2w, 4w, 8w."""

    model_config = ConfigDict(extra="forbid")
    width: int = Field(4, ge=1, le=512, description="channels of the first stage")
    blocks: list[Annotated[int, Field(ge=1, le=16)]] = Field(
        [2, 2, 2, 2], min_length=1, max_length=8, description="basic blocks per stage"
    )
    augment: Literal["none", "D4"] = Field(
        "none",
        description="D4: each training image turned by a random multiple of 90 degrees "
        "and reflected at random (the symmetry taught by data instead of built in)",
    )


class ViTSettings(BaseModel):
    """Patch tokens, learned positions and a class token, pre-norm encoder layers."""

    model_config = ConfigDict(extra="forbid")
    patch: int = Field(8, ge=1, le=256, description="patch side in pixels (divides n_pixels)")
    dim: int = Field(64, ge=1, le=4096)
    n_heads: int = Field(4, ge=1, le=64)
    n_layers: int = Field(3, ge=1, le=24)
    ff_hidden: int = Field(128, ge=1, le=16384)


class LensFormerSettings(ViTSettings):
    """ViT tokens of the image and of its SIS source-plane back-projection."""

    n_source: int = Field(32, ge=4, le=256, description="source-plane pixels per side")
    source_patch: int = Field(4, ge=1, le=256, description="source patch side (divides it)")
    source_extent: float = Field(1.6, gt=0, le=20, description="source half-width, arcsec")


def _training(epochs: int, learning_rate: float = 2e-3) -> dict[str, Any]:
    return {
        "train": {
            "max_epochs": epochs,
            "batch_size": 32,
            "learning_rate": learning_rate,
            "weight_decay": 1e-4,
            "patience": 4,
        }
    }


_PRESETS = {"quick": _training(12), "full": _training(40)}


class LensingSubstructure(Task):
    name = "lensing-substructure"
    summary = (
        "CDM subhalos vs vortices vs none in lens images: group ResNet, group CNN, ResNet, ViT, "
        "LensFormer"
    )
    reference = Reference(
        "AUC, CDM-subhalo class (literature)",
        0.991,
        "",
        "DeepLense GSoC 2021, e2cnn D8 network on Model J (ResNet-18: 0.963)",
    )
    settings = LensingSubstructureSettings
    methods = {
        "gcnn": Method(
            "gcnn",
            "group-equivariant CNN (C4 / D4 exact, C8 / D8 interpolated)",
            GroupCNNSettings,
            presets={
                "quick": _training(12, 5e-3),  # 7 k parameters learn slower than the ResNet
                "full": {
                    **_PRESETS["full"],
                    "model": {"group": "D8", "channels": [8, 16, 32, 32]},
                },
            },
        ),
        "gresnet": Method(
            "gresnet",
            "group-equivariant ResNet: group BatchNorm, residual group-conv blocks",
            GroupResNetSettings,
            presets={
                "quick": _training(12),
                "full": {
                    **_PRESETS["full"],
                    "model": {"group": "D8", "channels": [8, 8, 16, 24, 32]},
                },
            },
        ),
        "resnet": Method(
            "resnet",
            "ResNet-18-style CNN (no symmetry built in)",
            ResNetSettings,
            presets={
                "quick": _training(8),  # its validation loss is flat after ~5 epochs
                "full": {**_PRESETS["full"], "model": {"width": 16}},
            },
        ),
        "vit": Method("vit", "vision transformer on 8 x 8 patches", ViTSettings, presets=_PRESETS),
        "lensformer": Method(
            "lensformer",
            "LensFormer-style transformer with the SIS lens equation inside",
            LensFormerSettings,
            presets=_PRESETS,
        ),
    }
    default_method = "gresnet"  # beats the ResNet at quick (docs/tasks/lensing-substructure.md)
    presets = {
        "quick": {},
        "full": {
            "n_train": 30_000,
            "n_val": 3_000,
            "n_test": 7_500,
            "n_rotation_images": 512,
            "simulator": {"n_pixels": 64, "pixel_scale": 0.1, "supersample": 2},
        },
    }

    def check(self, config: Any) -> None:
        fractions = config.class_fractions
        if abs(sum(fractions) - 1) > 1e-6:
            raise ConfigError(
                f"class_fractions={fractions} is not allowed: three positive shares summing to 1"
            )
        for part, n in (("n_train", config.n_train), ("n_val", config.n_val)):
            if min(_counts(n, fractions)) < 1:
                raise ConfigError(
                    f"{part}={n} with class_fractions={fractions} leaves a class without images"
                )
        if 4 % config.exact_order:
            raise ConfigError(
                f"exact_order={config.exact_order} is not allowed: 1, 2 or 4 (only rotations by "
                "multiples of 90 degrees map the square pixel grid onto itself)"
            )
        from physml.tasks.symmetry.lensing_substructure_eval import GROUP_METHODS

        n, m = config.simulator.n_pixels, config.model
        method = self.method_of(config)
        if method in GROUP_METHODS:
            factor = 2 ** (len(m.channels) - 1)
            if n % factor:
                raise ConfigError(
                    f"simulator.n_pixels={n} is not allowed with model.channels={m.channels}: the "
                    f"group network's 2x2 poolings need n_pixels divisible by {factor}, so that "
                    "rotations map pooled blocks onto blocks"
                )
        if method in ("vit", "lensformer") and n % m.patch:
            raise ConfigError(
                f"simulator.n_pixels={n} is not allowed with model.patch={m.patch}: the patches "
                "must tile the image (a divisor of n_pixels)"
            )
        if method in ("vit", "lensformer") and m.dim % m.n_heads:
            raise ConfigError(f"model.dim={m.dim} is not allowed: a multiple of model.n_heads")
        if method == "lensformer" and m.n_source % m.source_patch:
            raise ConfigError(
                f"model.n_source={m.n_source} is not allowed with model.source_patch="
                f"{m.source_patch}: a multiple of it"
            )

    def memory_estimate(self, config: Any) -> dict[str, float]:
        n = config.n_train + config.n_val + config.n_test
        side = config.simulator.n_pixels
        rays = 100 * (side * config.simulator.supersample) ** 2 * 8.0 * 6
        return {
            "images: (n_train + n_val + n_test) x n_pixels^2 x 4 B": n * side**2 * 4.0,
            "ray shooting: 100 images x (n_pixels supersample)^2 x 6 float64": rays,
        }

    def run(self, config: Any, ctx: RunContext) -> dict[str, Metric]:
        from physml.tasks.symmetry.lensing_substructure_eval import evaluate

        method = self.method_of(config)
        data = [_images(config, ctx, part, n) for part, n in enumerate(_sizes(config))]
        scale = float(data[0]["images"].std())  # a positive scale: keeps every symmetry
        for part in data:
            part["images"] = (part["images"] / scale).astype(np.float32)
        models, history = _fit_members(config, method, data, ctx)
        return evaluate(self, config, method, models, data, history, ctx)


def _sizes(config: Any) -> tuple[int, int, int]:
    return config.n_train, config.n_val, config.n_test


def _counts(n: int, fractions: list[float]) -> list[int]:
    """Images per class: floor(n f_c), the remainder to the largest shares."""
    exact = np.asarray(fractions) * n
    counts = np.floor(exact).astype(int)
    for c in np.argsort(-(exact - counts))[: n - counts.sum()]:
        counts[c] += 1
    return counts.tolist()


def _images(config: Any, ctx: RunContext, part: int, n: int) -> dict[str, np.ndarray]:
    """Images (n, 1, H, W) float32 and labels (n,) int64 of one part (0 train, 1 val,
    2 test), from the cache or the simulator, in batches of 100."""
    from physml.data import cached
    from physml.sim.lensing.substructure import VERSION

    fractions = config.class_fractions
    params = {"part": part, "n": n, "fractions": fractions, **config.simulator.model_dump()}
    what = ("training", "validation", "test")[part]

    def simulate() -> dict[str, np.ndarray]:
        import torch

        sim = config.simulator.build()
        rng = generator(ctx.seed, Stream.LENSING_IMAGES, part)
        labels = rng.permutation(np.repeat(np.arange(3), _counts(n, fractions)))
        gen = torch.Generator().manual_seed(int(rng.integers(2**63)))
        images = np.empty((n, 1, sim.n_pixels, sim.n_pixels), np.float32)
        with ctx.progress(f"simulating {what} lenses", n) as bar:
            for start in range(0, n, 100):
                chunk = torch.as_tensor(labels[start : start + 100])
                images[start : start + len(chunk)] = sim.simulate(chunk, gen).float().numpy()
                bar.advance(len(chunk))
        return {"images": images, "labels": labels.astype(np.int64)}

    events: list[str] = []
    data = cached(
        "lensing.substructure", VERSION, params, ctx.seed, simulate, on_event=events.append
    )
    ctx.log(f"{n} {what} lenses: {events[-1].split(':')[0] if events else 'made'}")
    return data


def make_network(method: str, m: Any, sim: Any) -> Any:
    """The untrained network of ``method`` with settings ``m`` for images of ``sim``."""
    if method == "gcnn":
        from physml.models.equivariant import GroupCNN

        return GroupCNN(1, tuple(m.channels), 3, m.group, m.kernel_size, m.group_kernel_size)
    if method == "gresnet":
        from physml.models.equivariant import GroupResNet

        return GroupResNet(
            1,
            tuple(m.channels),
            3,
            m.group,
            m.kernel_size,
            m.group_kernel_size,
            m.blocks,
            m.group_pool,
        )
    if method == "resnet":
        from physml.models.vision import ResNet

        return ResNet(1, 3, m.width, tuple(m.blocks))
    sizes = {"dim": m.dim, "n_heads": m.n_heads, "n_layers": m.n_layers, "ff_hidden": m.ff_hidden}
    if method == "vit":
        from physml.models.vision import VisionTransformer

        return VisionTransformer(sim.n_pixels, m.patch, **sizes)
    from physml.models.vision import LensFormer

    return LensFormer(
        sim.n_pixels,
        sim.pixel_scale,
        m.patch,
        m.n_source,
        m.source_patch,
        m.source_extent,
        **sizes,
    )


def _cross_entropy(model: Any, batch: Any) -> Any:
    import torch.nn.functional as F

    x, y = batch
    return F.cross_entropy(model(x), y)


def _d4_augmented_cross_entropy(model: Any, batch: Any) -> Any:
    """Cross entropy on training images each mapped by a random element of D4 (exact
    90-degree turns and reflections of the pixel grid); validation images unchanged. The
    elements come from torch's global generator, which :func:`physml.train.fit` seeds."""
    import torch

    from physml.models.equivariant.group_conv import act, planar_group

    x, y = batch
    if model.training:
        elements = planar_group("D4")[0]
        element = torch.randint(len(elements), (len(x),), device=x.device)
        turned = x.clone()
        for e, g in enumerate(elements):
            pick = element == e
            turned[pick] = act(g, x[pick])
        x = turned
    return _cross_entropy(model, (x, y))


def _fit_members(config: Any, method: str, data: list[dict], ctx: RunContext):
    """``config.n_members`` networks fitted with :func:`physml.train.fit`, each initialised
    from its own seed; and the per-epoch log of all members."""
    import torch
    from torch.utils.data import TensorDataset

    from physml.train import fit

    def dataset(part: dict) -> TensorDataset:
        return TensorDataset(torch.from_numpy(part["images"]), torch.from_numpy(part["labels"]))

    train, val = dataset(data[0]), dataset(data[1])
    sim = config.simulator.build()
    models, rows = [], []
    total = config.train.max_epochs * config.n_members
    with ctx.progress(f"training {method}", total) as bar:
        for k in range(config.n_members):
            seed = int(seed_sequence(ctx.seed, Stream.LENSING_MEMBERS, k).generate_state(1)[0])
            with torch.random.fork_rng(devices=[]):
                torch.manual_seed(seed)
                model = make_network(method, config.model, sim)
            if k == 0:
                ctx.log(f"{method}: {sum(p.numel() for p in model.parameters())} parameters")

            def on_epoch(row: dict, k: int = k) -> None:
                rows.append(
                    {"member": k, **{c: row.get(c) for c in ("epoch", "train_loss", "val_loss")}}
                )
                bar.advance()

            augment = method == "resnet" and config.model.augment == "D4"
            result = fit(
                model,
                _d4_augmented_cross_entropy if augment else _cross_entropy,
                train,
                val,
                settings=config.train,
                seed=seed,
                device=ctx.device,
                checkpoint_dir=ctx.checkpoint_dir / f"member_{k}",
                on_epoch=on_epoch,
            )
            models.append(result.model.float().eval())
    return models, rows
