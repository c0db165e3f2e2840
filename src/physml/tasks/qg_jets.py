"""``qg-jets``: quark vs gluon jets, measured against the simulator's optimal classifier.

Jets come from :mod:`physml.sim.jets`, a toy shower whose emissions off the hard parton
are an independent Poisson process with the leading-order splitting functions and colour
factors C_F (quark) or C_A (gluon). Its per-jet log-likelihood ratio log p_q/p_g is exact,
so by the Neyman–Pearson lemma it is the best possible classifier: every method's AUC,
background rejection 1/eps_B at eps_S = 0.5 and accuracy are reported against those of the
exact ratio on the same test jets (Frye, Larkoski, Thaler & Zhou, arXiv:1704.06266, for
what the optimum looks like; Komiske, Metodiev & Thaler, arXiv:1810.05165, for the
networks). Quarks are the signal (label 1).
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from physml.metrics import Metric
from physml.tasks.base import Method, Reference, RunContext, Task

__all__ = ["QGJets", "QGJetsSettings"]

_WORKING_POINT = 0.5  # signal (quark) efficiency of the quoted background rejection


class ShowerSettings(BaseModel):
    """Parameters of :class:`physml.sim.jets.Shower` (the simulator's cut-offs)."""

    model_config = ConfigDict(extra="forbid")
    alpha_s: float = Field(0.12, gt=0, lt=1, description="fixed strong coupling")
    radius: float = Field(0.4, gt=0, le=1, description="jet radius R")
    z_cut: float = Field(0.01, gt=0, lt=0.5, description="soft cut-off on momentum fraction")
    theta_min: float = Field(0.01, gt=0, description="collinear cut-off on emission angle")
    shape: Literal["splitting", "soft"] = Field(
        "splitting", description="splitting functions, or 2C/z (multiplicity-only optimum)"
    )


class QGJetsSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")
    n_jets: int = Field(40_000, ge=200, description="jets per flavour")
    test_fraction: float = Field(0.25, gt=0, lt=0.9, description="held-out share")
    val_fraction: float = Field(0.2, gt=0, lt=0.5, description="validation share of the rest")
    n_members: int = Field(1, ge=1, description="independently seeded ensemble members")
    shower: ShowerSettings = ShowerSettings()


class MultiplicitySettings(BaseModel):
    """Count the constituents (the optimum in the soft, Casimir-scaling limit)."""

    model_config = ConfigDict(extra="forbid")


class BDTSettings(BaseModel):
    """Gradient-boosted trees on jet observables: multiplicity, girth, p_T^D, mass/p_T."""

    model_config = ConfigDict(extra="forbid")
    max_iter: int = Field(200, ge=1)
    learning_rate: float = Field(0.1, gt=0)
    max_leaf_nodes: int = Field(31, ge=2)


class PFNSettings(BaseModel):
    """Particle Flow Network: F(sum_i Phi(z_i, d_eta_i, d_phi_i))."""

    model_config = ConfigDict(extra="forbid")
    phi_hidden: list[int] = Field([64, 64], description="widths of Phi")
    latent: int = Field(64, ge=1, description="latent dimension")
    f_hidden: list[int] = Field([64, 64], description="widths of F")


class EFNSettings(PFNSettings):
    """Energy Flow Network: F(sum_i z_i Phi(d_eta_i, d_phi_i)), IRC safe."""


class CNNSettings(BaseModel):
    """CNN on pT-fraction jet images (eta-phi pixels around the hard parton)."""

    model_config = ConfigDict(extra="forbid")
    n_pixels: int = Field(17, ge=5, le=65, description="pixels per side (covering +-R)")
    channels: list[int] = Field([8, 16], min_length=1, description="conv channels per block")
    head_hidden: list[int] = Field([32], description="widths of the MLP head")


class TransformerSettings(BaseModel):
    """Self-attention over constituents (no positional encoding), class-token readout."""

    model_config = ConfigDict(extra="forbid")
    dim: int = Field(32, ge=1, description="embedding width")
    n_heads: int = Field(4, ge=1, description="attention heads (must divide dim)")
    n_layers: int = Field(2, ge=1, description="encoder layers")
    ff_hidden: int = Field(64, ge=1, description="feed-forward width")


_TRAIN_PRESETS = {
    "quick": {"train": {"max_epochs": 25, "batch_size": 256, "patience": 4, "min_delta": 1e-4}},
    "full": {"train": {"max_epochs": 60, "batch_size": 256, "patience": 6, "min_delta": 1e-4}},
}


def _features(constituents: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """(z, d_eta, d_phi) per constituent relative to the hard parton (row 0), float32,
    padded rows all zero."""
    pt, eta, phi = constituents[..., 0], constituents[..., 1], constituents[..., 2]
    z = pt / pt.sum(axis=1, keepdims=True)
    d_eta = eta - eta[:, :1]
    d_phi = np.mod(phi - phi[:, :1] + np.pi, 2 * np.pi) - np.pi
    out = np.stack([z, d_eta, d_phi], axis=-1) * mask[..., None]
    return out.astype(np.float32)


def _observables(constituents: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """High-level jet observables (n, 4): multiplicity, girth sum z_i theta_i,
    p_T^D = sqrt(sum z_i^2), and the jet mass over p_T (massless constituents)."""
    from physml.sim import phasespace

    x = _features(constituents, mask).astype(np.float64)
    z, theta = x[..., 0], np.hypot(x[..., 1], x[..., 2])
    p4 = (
        phasespace.from_ptetaphim(
            constituents[..., 0], constituents[..., 1], constituents[..., 2], 0.0
        )
        * mask[..., None]
    )
    mass = phasespace.invariant_mass(p4, axis=-2)
    jet_pt = constituents[..., 0].sum(axis=1)
    return np.stack(
        [mask.sum(axis=1), (z * theta).sum(axis=1), np.sqrt((z**2).sum(axis=1)), mass / jet_pt],
        axis=1,
    )


def _images(constituents: np.ndarray, mask: np.ndarray, config: Any, n_pixels: int) -> np.ndarray:
    """pT jet images (n, n_pixels, n_pixels) float32 centred on the hard parton."""
    from physml.sim import jets

    shower = jets.Shower(**config.shower.model_dump())
    out = np.empty((len(mask), n_pixels, n_pixels), dtype=np.float32)
    for start in range(0, len(mask), 10_000):  # bounded float64 temporaries
        block = slice(start, start + 10_000)
        jet = jets.from_constituents(constituents[block], mask[block], shower=shower)
        out[block] = jets.jet_image(jet, n_pixels=n_pixels)
    return out


class QGJets(Task):
    name = "qg-jets"
    summary = "quark vs gluon jets against the simulator's exact likelihood-ratio optimum"
    reference = Reference(
        "AUC_opt", None, "", "Neyman–Pearson: the exact log p_q/p_g of the toy shower"
    )
    settings = QGJetsSettings
    methods = {
        "pfn": Method(
            "pfn", "Particle Flow Network (deep set)", PFNSettings, presets=_TRAIN_PRESETS
        ),
        "efn": Method(
            "efn", "Energy Flow Network (IRC-safe deep set)", EFNSettings, presets=_TRAIN_PRESETS
        ),
        "cnn": Method(
            "cnn",
            "CNN on jet images",
            CNNSettings,
            presets={
                "quick": {"train": {"max_epochs": 12, "batch_size": 256, "patience": 3}},
                "full": {
                    "train": _TRAIN_PRESETS["full"]["train"],
                    "model": {"n_pixels": 33, "channels": [16, 32, 32], "head_hidden": [64]},
                },
            },
        ),
        "transformer": Method(
            "transformer",
            "particle transformer (self-attention, no positions)",
            TransformerSettings,
            presets=_TRAIN_PRESETS,
        ),
        "bdt": Method(
            "bdt", "boosted trees on multiplicity, girth, p_T^D, mass", BDTSettings, trained=False
        ),
        "multiplicity": Method(
            "multiplicity", "constituent count", MultiplicitySettings, trained=False
        ),
    }
    default_method = "pfn"
    presets = {"quick": {}, "full": {"n_jets": 200_000, "n_members": 3}}

    def _data(self, config: Any, ctx: RunContext) -> dict[str, np.ndarray]:
        from physml.data import cached
        from physml.sim import jets

        shower = jets.Shower(**config.shower.model_dump())
        params = {"n_jets": config.n_jets, **config.shower.model_dump()}

        def simulate() -> dict[str, np.ndarray]:
            seeds = np.random.SeedSequence([ctx.seed, 11]).generate_state(2)
            both = jets.concatenate(
                [
                    jets.sample(config.n_jets, flavour=f, seed=int(s), shower=shower)
                    for f, s in zip(("quark", "gluon"), seeds, strict=True)
                ]
            )
            return {
                "constituents": both.constituents,
                "mask": both.mask,
                "label": both.is_quark.astype(np.int8),
                "llr": jets.log_likelihood_ratio(both),
            }

        events: list[str] = []
        data = cached("jets.qg", jets.VERSION, params, ctx.seed, simulate, on_event=events.append)
        ctx.log(f"{2 * config.n_jets} jets: " + (events[-1].split(":")[0] if events else "made"))
        return data

    def _split(self, config: Any, n: int, seed: int) -> np.ndarray:
        """0 train, 1 validation, 2 test."""
        u = np.random.default_rng([seed, 12]).permutation(n) / n
        val_cut = config.test_fraction + config.val_fraction * (1 - config.test_fraction)
        return np.array([2, 1, 0])[np.digitize(u, [config.test_fraction, val_cut])]

    def run(self, config: Any, ctx: RunContext) -> dict[str, Metric]:
        from physml.metrics.classification import auc, background_rejection

        data = self._data(config, ctx)
        split = self._split(config, len(data["label"]), ctx.seed)
        method = self.method_of(config)
        scores, history = self._scores(method, config, data, split, ctx)
        test = split == 2
        y, optimum = data["label"][test], data["llr"][test]
        opt_auc = auc(y, optimum)
        opt_rej = background_rejection(y, optimum, _WORKING_POINT)
        opt_acc = float(np.mean((optimum > 0) == (y == 1)))
        aucs = np.array([auc(y, s[test]) for s in scores])
        rejs = np.array([background_rejection(y, s[test], _WORKING_POINT) for s in scores])
        source = f"exact likelihood ratio of the simulator on the same {test.sum()} test jets"
        metrics = {
            "AUC": Metric(float(aucs.mean()), opt_auc, "", source, _spread(aucs)),
            "AUC_opt - AUC": Metric(
                float(opt_auc - aucs.mean()), None, "", "distance to the Neyman–Pearson optimum"
            ),
            "1/eps_B(eps_S=0.5)": Metric(
                float(rejs.mean()), opt_rej, "", source + " (quark efficiency 0.5)", _spread(rejs)
            ),
        }
        if method != "multiplicity":  # scores are probabilities: threshold at 1/2
            acc = np.array([np.mean((s[test] > 0.5) == (y == 1)) for s in scores])
            metrics["accuracy"] = Metric(
                float(acc.mean()),
                opt_acc,
                "",
                source + " (threshold log p_q/p_g = 0)",
                _spread(acc),
            )
        ctx.log(f"{method}: AUC {aucs.mean():.4f}, optimum {opt_auc:.4f}")
        ctx.write_log(history)
        _plot(ctx, method, y, [s[test] for s in scores], optimum, history)
        return metrics

    def _scores(
        self, method: str, config: Any, data: dict, split: np.ndarray, ctx: RunContext
    ) -> tuple[list[np.ndarray], list[dict]]:
        """Quark-likeness of every jet, one array per ensemble member, and training logs."""
        constituents, mask, label = data["constituents"], data["mask"], data["label"]
        if method == "multiplicity":
            return [-mask.sum(axis=1).astype(np.float64)], []
        seeds = np.random.SeedSequence([ctx.seed, 13]).generate_state(config.n_members)
        if method == "bdt":
            from sklearn.ensemble import HistGradientBoostingClassifier

            x = _observables(constituents, mask)
            fit = split != 2  # trees use their own early stopping; train + validation
            out = []
            with ctx.progress("training bdt", config.n_members) as bar:
                for s in seeds:
                    m = config.model
                    clf = HistGradientBoostingClassifier(
                        max_iter=m.max_iter,
                        learning_rate=m.learning_rate,
                        max_leaf_nodes=m.max_leaf_nodes,
                        random_state=int(s % 2**31),
                    )
                    clf.fit(x[fit], label[fit])
                    out.append(clf.predict_proba(x)[:, 1])
                    bar.advance()
            return out, []
        return self._network(method, config, data, split, ctx)

    def _network(
        self, method: str, config: Any, data: dict, split: np.ndarray, ctx: RunContext
    ) -> tuple[list[np.ndarray], list[dict]]:
        from physml.models import EFN, PFN, JetImageCNN, ParticleTransformer
        from physml.tasks.classify import fit_binary_ensemble, predict_proba

        label, m = data["label"], config.model
        if method == "cnn":
            x = _images(data["constituents"], data["mask"], config, m.n_pixels)
        else:
            x = _features(data["constituents"], data["mask"])

        def make_model() -> Any:
            if method == "cnn":
                return JetImageCNN(
                    m.n_pixels, channels=tuple(m.channels), head_hidden=tuple(m.head_hidden)
                )
            if method == "transformer":
                return ParticleTransformer(
                    dim=m.dim, n_heads=m.n_heads, n_layers=m.n_layers, ff_hidden=m.ff_hidden
                )
            cls = PFN if method == "pfn" else EFN
            return cls(phi_hidden=tuple(m.phi_hidden), latent=m.latent, f_hidden=tuple(m.f_hidden))

        rows: list[dict] = []
        total = config.train.max_epochs * config.n_members
        with ctx.progress(f"training {method}", total) as bar:

            def on_epoch(row: dict) -> None:
                rows.append(row)
                bar.advance()

            results = fit_binary_ensemble(
                make_model,
                x[split == 0],
                label[split == 0],
                x[split == 1],
                label[split == 1],
                n_members=config.n_members,
                settings=config.train,
                seed=ctx.seed,
                device=ctx.device,
                checkpoint_dir=ctx.checkpoint_dir,
                on_epoch=on_epoch,
            )
        return [predict_proba(r.model, x, device=ctx.device) for r in results], rows


def _spread(values: np.ndarray) -> float | None:
    return float(np.std(values, ddof=1)) if values.size > 1 else None


def _plot(
    ctx: RunContext,
    method: str,
    y: np.ndarray,
    scores: list[np.ndarray],
    optimum: np.ndarray,
    history: list[dict],
) -> None:
    from physml.metrics.classification import roc_curve
    from physml.tasks.figures import new_figure, save_figure

    fig, ax = new_figure()
    for name, s in [("exact likelihood ratio (optimum)", optimum), (method, scores[0])]:
        eps_s, eps_b = roc_curve(y, s)
        keep = eps_b > 0
        ax.semilogy(eps_s[keep], 1 / eps_b[keep], label=name)
    ax.axvline(_WORKING_POINT, color="gray", lw=0.5)
    ax.set(xlabel="quark efficiency eps_S", ylabel="gluon rejection 1/eps_B", title="qg-jets: ROC")
    ax.legend(fontsize=8)
    save_figure(fig, ctx.plot_dir / "roc.png")

    fig, ax = new_figure()
    for value, name in ((1, "quark"), (0, "gluon")):
        ax.hist(scores[0][y == value], bins=50, histtype="step", density=True, label=name)
    ax.set(xlabel=f"{method} score", ylabel="density", title="qg-jets: score distributions")
    ax.legend(fontsize=8)
    save_figure(fig, ctx.plot_dir / "scores.png")

    if history:
        fig, ax = new_figure()
        for key in ("train_loss", "val_loss"):
            epochs = [row["epoch"] for row in history if row.get(key) not in (None, "")]
            ax.plot(
                epochs,
                [row[key] for row in history if row.get(key) not in (None, "")],
                ".",
                ms=3,
                label=key,
            )
        ax.set(xlabel="epoch", ylabel="binary cross-entropy", title="qg-jets: learning curves")
        ax.legend(fontsize=8)
        save_figure(fig, ctx.plot_dir / "learning_curves.png")
