"""What ``lensing-substructure`` measures: class AUCs, accuracy, rotation errors, figures.

Classification: each member's softmax probabilities on the test images give the
one-vs-rest AUC of each class (the class's probability as its score), the micro-averaged
AUC (every (image, class) pair one binary event, as scikit-learn's ``average="micro"``)
and the accuracy (arg max). Values are the members' mean with their spread (``std``) and
the bootstrap error over the test images, stratified by class, with
:data:`~physml.tasks.seeds.N_RESAMPLES` resamples shared by all members.

Rotations: the invariance error of a network at a rotation g is the total-variation
distance between its class probabilities on g.x and on x, 1/2 sum_c |p_c(g.x) - p_c(x)|
(0: unchanged, 1: disjoint), averaged over ``n_rotation_images`` test images with its
standard error over them. Exact rotations (multiples of 360/``exact_order`` degrees,
``torch.rot90``) change no pixel value, so an invariant network's error is rounding
(reference 0 for the group CNN and the group ResNet: their C4 / D4 subgroup acts
exactly); rotations by
random angles are bilinear interpolations of the image, which no network on a pixel grid
can be exactly invariant under.

Detectability: :func:`substructure_snr` is the signal-to-noise ratio of the substructure
itself, sqrt(sum over pixels of (I - I_smooth)^2 / var), I and I_smooth the noise-free
images of the same lens with and without its subhalos (or vortex) and var the Poisson
variance (I_smooth + background) / exposure: what an observer who knew every other
parameter could see. Where it is ~1 no classifier can find the class.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from physml.metrics import Metric, ensemble_std, mean_with_error
from physml.tasks.base import RunContext
from physml.tasks.seeds import N_RESAMPLES, Stream, bootstrap_seed, generator

__all__ = [
    "GROUP_METHODS",
    "LITERATURE",
    "class_metrics",
    "evaluate",
    "probabilities",
    "rotation_errors",
    "substructure_snr",
]

_DEEPLENSE = (
    "literature: DeepLense GSoC 2021 (e2cnn equivariant networks), Model J, {what}: ResNet-18 "
    "{resnet}, D8-equivariant network {d8}; another simulator: compare orderings, not digits"
)
#: Literature anchors of the CDM-subhalo AUC and the micro-averaged AUC by method.
LITERATURE = {
    "resnet": {"CDM subhalos": 0.963, "micro": 0.985},
    "gcnn": {"CDM subhalos": 0.991, "micro": 0.996},
    "gresnet": {"CDM subhalos": 0.991, "micro": 0.996},
}
GROUP_METHODS = ("gcnn", "gresnet")
"""The methods whose networks are exactly invariant under the C4 / D4 (sub)group."""
_SOURCES = {
    "CDM subhalos": _DEEPLENSE.format(what="CDM-subhalo class", resnet=0.963, d8=0.991),
    "micro": _DEEPLENSE.format(what="micro-averaged AUC", resnet=0.985, d8=0.996),
}


def probabilities(model: Any, images: np.ndarray, batch_size: int = 256) -> np.ndarray:
    """Softmax class probabilities (n, 3) float64 of images (n, 1, H, W) on the CPU."""
    import torch

    model = model.cpu().float().eval()
    out = []
    with torch.no_grad():
        for start in range(0, len(images), batch_size):
            x = torch.as_tensor(images[start : start + batch_size], dtype=torch.float32)
            out.append(torch.softmax(model(x), dim=-1).double().numpy())
    return np.concatenate(out)


def class_metrics(
    labels: np.ndarray, probs: list[np.ndarray], classes: tuple[str, ...], seed: Any
) -> dict[str, Metric]:
    """One-vs-rest AUC per class, micro-averaged AUC and accuracy of each member's test
    probabilities (n, n_classes), with bootstrap errors (module docstring)."""
    from physml.metrics import bootstrap
    from physml.metrics.classification import SortedScores

    k, n_classes = len(probs), len(classes)
    onehot = np.eye(n_classes)[labels]
    ranked = [[SortedScores(onehot[:, c], p[:, c]) for c in range(n_classes)] for p in probs]
    micro = [SortedScores(onehot.ravel(), p.ravel()) for p in probs]
    correct = [np.argmax(p, axis=1) == labels for p in probs]

    def statistic(w: np.ndarray) -> np.ndarray:
        stats = [r.auc(w) for member in ranked for r in member]
        stats += [m.auc(np.repeat(w, n_classes, axis=1)) for m in micro]
        stats += [w @ c / w.sum(axis=1) for c in correct]
        return np.stack(stats, axis=1)

    resamples = bootstrap(statistic, labels.size, n_resamples=N_RESAMPLES, seed=seed, strata=labels)

    def mean_of(columns: list[int]) -> tuple[float, float, float | None]:
        weights = np.zeros(resamples.value.size)
        weights[columns] = 1.0 / k
        estimate = resamples.combine(weights)
        return estimate.value, estimate.error, ensemble_std(resamples.value[columns])

    out = {}
    for c, name in enumerate(classes):
        out[f"AUC ({name})"] = mean_of([m * n_classes + c for m in range(k)])
    out["AUC (micro)"] = mean_of([k * n_classes + m for m in range(k)])
    out["accuracy"] = mean_of([k * (n_classes + 1) + m for m in range(k)])
    return {
        name: Metric(value, None, "", "", std, error=error)
        for name, (value, error, std) in out.items()
    }


def substructure_snr(sim: Any, label: int, n: int, seed: int) -> np.ndarray:
    """S/N (n,) of the substructure of ``n`` fresh lenses of class ``label`` (1 CDM
    subhalos, 2 vortices) of simulator ``sim`` (module docstring)."""
    import torch

    params = sim.draw(torch.full((n,), label), torch.Generator().manual_seed(seed))
    image = sim.render(params)
    smooth = sim.render({**params, "mask": torch.zeros_like(params["mask"])})
    variance = (smooth.clamp_min(0) + sim.background) / sim.exposure
    return ((image - smooth) ** 2 / variance).sum((1, 2, 3)).sqrt().numpy()


def _total_variation(p: np.ndarray, q: np.ndarray) -> np.ndarray:
    return 0.5 * np.abs(p - q).sum(axis=1)


def rotation_errors(
    model: Any, images: np.ndarray, *, exact_order: int, angles: np.ndarray
) -> dict[str, np.ndarray]:
    """Per-image invariance errors (module docstring): ``"exact"`` averaged over the
    rotations by 360 k / exact_order degrees, k = 1..order-1 (absent for order 1), and
    ``"interpolated"`` over ``angles`` (radians). Shapes: images (n, 1, H, W) -> (n,)."""
    import torch

    from physml.models.equivariant.rotations import rotate_images

    base = probabilities(model, images)
    x = torch.as_tensor(images)
    out = {}
    if exact_order > 1:
        turns = [torch.rot90(x, 4 // exact_order * k, dims=(-2, -1)) for k in range(1, exact_order)]
        out["exact"] = np.mean(
            [_total_variation(probabilities(model, t.numpy()), base) for t in turns], axis=0
        )
    out["interpolated"] = np.mean(
        [
            _total_variation(probabilities(model, rotate_images(x, float(a)).numpy()), base)
            for a in angles
        ],
        axis=0,
    )
    return out


def evaluate(
    task: Any,
    config: Any,
    method: str,
    models: list[Any],
    data: list[dict],
    history: list[dict],
    ctx: RunContext,
) -> dict[str, Metric]:
    """The task's metrics (module docstring), its log and its figures."""
    from physml.sim.lensing.substructure import CLASSES

    test = data[2]
    labels = test["labels"]
    probs = [probabilities(m, test["images"]) for m in models]
    metrics = class_metrics(labels, probs, CLASSES, bootstrap_seed(ctx.seed))
    anchors = LITERATURE.get(method, {})
    for key, name in (("CDM subhalos", "AUC (CDM subhalos)"), ("micro", "AUC (micro)")):
        m = metrics[name]
        reference = anchors.get(key)
        source = _SOURCES[key] if reference is not None else "no published anchor for this method"
        metrics[name] = Metric(m.value, reference, "", source, m.std, error=m.error)
    rng = generator(ctx.seed, Stream.LENSING_ROTATIONS)
    chosen = rng.choice(len(labels), min(config.n_rotation_images, len(labels)), replace=False)
    angles = rng.uniform(0, 2 * math.pi, config.n_angles)
    errors = rotation_errors(
        models[0], test["images"][chosen], exact_order=config.exact_order, angles=angles
    )
    exact_source = (
        "exact: rotations by multiples of 90 degrees map the pixel grid onto itself and the "
        f"{config.model.group} network is invariant under them (its C4 / D4 subgroup)"
        if method in GROUP_METHODS
        else "no symmetry built in: the network learns whatever invariance it has"
    )
    if "exact" in errors:
        e = mean_with_error(errors["exact"])
        metrics[f"rotation error ({360 // config.exact_order} deg steps, exact)"] = Metric(
            e.value, 0.0 if method in GROUP_METHODS else None, "", exact_source, error=e.error
        )
    e = mean_with_error(errors["interpolated"])
    metrics[f"rotation error ({config.n_angles} random angles, interpolated)"] = Metric(
        e.value,
        None,
        "",
        "bilinear rotation of the image: exact invariance is impossible on a pixel grid",
        error=e.error,
    )
    sim = config.simulator.build()
    for label, name in ((1, "CDM subhalos"), (2, "vortices")):
        seed = int(generator(ctx.seed, Stream.LENSING_IMAGES, 3, label).integers(2**63))
        e = mean_with_error(substructure_snr(sim, label, 40, seed))
        metrics[f"substructure S/N ({name}, mean of 40 lenses)"] = Metric(
            e.value,
            None,
            "",
            "noise-free images with and without the substructure against the Poisson noise",
            error=e.error,
        )
    summary = ", ".join(f"{k} {v.value:.3f}" for k, v in metrics.items() if k.startswith("AUC"))
    ctx.log(f"{method}: {summary}; accuracy {metrics['accuracy'].value:.3f}")
    ctx.write_log(history)
    _plot(ctx, method, labels, probs[0], test["images"], CLASSES, history)
    return metrics


def _plot(ctx, method, labels, probs, images, classes, history) -> None:
    """``roc.png`` (one-vs-rest per class and micro, first member), ``examples.png`` (four
    test images per class) and ``learning_curves.png``."""
    from physml.metrics.classification import roc_curve
    from physml.tasks.figures import new_figure, save_figure

    fig, ax = new_figure()
    onehot = np.eye(len(classes))[labels]
    curves = [(f"{name} vs rest", onehot[:, c], probs[:, c]) for c, name in enumerate(classes)]
    curves.append(("micro-average", onehot.ravel(), probs.ravel()))
    for name, y, s in curves:
        tpr, fpr = roc_curve(y, s)
        ax.plot(fpr, tpr, label=name, lw=1)
    ax.plot([0, 1], [0, 1], color="gray", lw=0.5)
    ax.set(xlabel="false positive rate", ylabel="true positive rate", title=f"{method}: ROC")
    ax.legend(fontsize=8)
    save_figure(fig, ctx.plot_dir / "roc.png")

    fig, axes = new_figure(nrows=len(classes), ncols=4, figsize=(7, 5.4))
    for c, name in enumerate(classes):
        for j, i in enumerate(np.flatnonzero(labels == c)[:4]):
            axes[c, j].imshow(images[i, 0], cmap="magma", origin="upper")
            axes[c, j].set_axis_off()
        axes[c, 0].set_title(name, fontsize=8, loc="left")
    save_figure(fig, ctx.plot_dir / "examples.png")

    if history:
        fig, ax = new_figure()
        for key in ("train_loss", "val_loss"):
            rows = [r for r in history if r.get(key) not in (None, "") and r["member"] == 0]
            ax.plot([r["epoch"] for r in rows], [r[key] for r in rows], ".-", ms=3, label=key)
        ax.set(xlabel="epoch", ylabel="cross-entropy", title=f"{method}: learning curves")
        ax.legend(fontsize=8)
        save_figure(fig, ctx.plot_dir / "learning_curves.png")
