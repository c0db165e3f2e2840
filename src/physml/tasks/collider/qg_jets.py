"""``qg-jets``: quark vs gluon jets, measured against the simulator's optimal classifier.

Jets come from :mod:`physml.sim.collider.jets`, a toy shower whose emissions off the hard parton
are an independent Poisson process with the leading-order splitting functions and colour
factors C_F (quark) or C_A (gluon). Its per-jet log-likelihood ratio log p_q/p_g is exact,
so by the Neyman–Pearson lemma it is the best possible classifier: every method's AUC,
background rejection 1/eps_B at eps_S = 0.5 and accuracy are reported against those of the
exact ratio on the same test jets (Frye, Larkoski, Thaler & Zhou, arXiv:1704.06266, for
what the optimum looks like; Komiske, Metodiev & Thaler, arXiv:1810.05165, for the
networks). Quarks are the signal (label 1).

With ``--data PATH`` (energyflow's quark/gluon NPZ files, :mod:`physml.data.loaders`) the
methods train on real jets instead; there is no optimum then, and the AUC is shown beside
a published one, labelled as literature.
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, model_validator

from physml.metrics import Metric
from physml.tasks.base import (
    MAX_WIDTH,
    BuiltSettings,
    Method,
    Reference,
    RunContext,
    Task,
    Widths,
)
from physml.tasks.seeds import Stream, seed_sequence
from physml.tasks.tagging import JET_TAGGER_TRAINING, TEST, Anchor

__all__ = ["QGJets", "QGJetsSettings"]

_WORKING_POINT = 0.5  # signal (quark) efficiency of the quoted background rejection
_LITERATURE = Anchor(
    0.8911,
    None,
    "PFN (no particle ID) on the Pythia 8 quark/gluon jets of Komiske, Metodiev & Thaler "
    "(arXiv:1810.05165), as tabulated by Qu & Gouskos (arXiv:1902.08570)",
)


class ShowerSettings(BuiltSettings):
    """Parameters of :class:`physml.sim.collider.jets.Shower` (the simulator's cut-offs)."""

    alpha_s: float = Field(0.12, gt=0, lt=1, description="fixed strong coupling")
    radius: float = Field(0.4, gt=0, le=1, description="jet radius R")
    z_cut: float = Field(0.01, gt=0, lt=0.5, description="soft cut-off on momentum fraction")
    theta_min: float = Field(0.01, gt=0, description="collinear cut-off on emission angle")
    shape: Literal["splitting", "soft"] = Field(
        "splitting", description="splitting functions, or 2C/z (multiplicity-only optimum)"
    )

    def build(self) -> Any:
        from physml.sim.collider import jets

        return jets.Shower(**self.model_dump())


class QGJetsSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")
    n_jets: int = Field(40_000, ge=200, description="jets per flavour")
    test_fraction: float = Field(0.25, gt=0, lt=0.9, description="held-out share")
    val_fraction: float = Field(0.2, gt=0, lt=0.5, description="validation share of the rest")
    n_members: int = Field(1, ge=1, description="independently seeded ensemble members")
    shower: ShowerSettings = ShowerSettings()
    data: list[str] | None = Field(
        None, description="energyflow quark/gluon NPZ file(s) to use instead of the simulator"
    )


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
    phi_hidden: Widths = Field([64, 64], description="widths of Phi")
    latent: int = Field(64, ge=1, le=MAX_WIDTH, description="latent dimension")
    f_hidden: Widths = Field([64, 64], description="widths of F")


class EFNSettings(PFNSettings):
    """Energy Flow Network: F(sum_i z_i Phi(d_eta_i, d_phi_i)), IRC safe."""


class CNNSettings(BaseModel):
    """CNN on pT-fraction jet images (eta-phi pixels around the hard parton)."""

    model_config = ConfigDict(extra="forbid")
    n_pixels: int = Field(17, ge=5, le=65, description="pixels per side (covering +-R)")
    channels: Widths = Field([8, 16], min_length=1, description="conv channels per block")
    head_hidden: Widths = Field([32], description="widths of the MLP head")


class TransformerSettings(BaseModel):
    """Self-attention over constituents (no positional encoding), class-token readout."""

    model_config = ConfigDict(extra="forbid")
    dim: int = Field(32, ge=1, le=MAX_WIDTH, description="embedding width")
    n_heads: int = Field(4, ge=1, description="attention heads (must divide dim)")
    n_layers: int = Field(2, ge=1, le=64, description="encoder layers")
    ff_hidden: int = Field(64, ge=1, le=MAX_WIDTH, description="feed-forward width")

    @model_validator(mode="after")
    def _heads_divide_dim(self) -> TransformerSettings:
        if self.dim % self.n_heads:
            raise ValueError(
                f"n_heads={self.n_heads} does not divide dim={self.dim}: each head reads "
                "dim / n_heads of the embedding"
            )
        return self


class QGJets(Task):
    name = "qg-jets"
    summary = "quark vs gluon jets against the simulator's exact likelihood-ratio optimum"
    reference = Reference(
        "AUC_opt", None, "", "Neyman–Pearson: the exact log p_q/p_g of the toy shower"
    )
    settings = QGJetsSettings
    methods = {
        "pfn": Method(
            "pfn", "Particle Flow Network (deep set)", PFNSettings, presets=JET_TAGGER_TRAINING
        ),
        "efn": Method(
            "efn",
            "Energy Flow Network (IRC-safe deep set)",
            EFNSettings,
            presets=JET_TAGGER_TRAINING,
        ),
        "cnn": Method(
            "cnn",
            "CNN on jet images",
            CNNSettings,
            presets={
                "quick": {"train": {"max_epochs": 12, "batch_size": 256, "patience": 3}},
                "full": {
                    "train": JET_TAGGER_TRAINING["full"]["train"],
                    "model": {"n_pixels": 33, "channels": [16, 32, 32], "head_hidden": [64]},
                },
            },
        ),
        "transformer": Method(
            "transformer",
            "particle transformer (self-attention, no positions)",
            TransformerSettings,
            presets=JET_TAGGER_TRAINING,
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

    def check(self, config: Any) -> None:
        if config.data:  # the files' layout and labels, before anything is simulated
            from physml.data.loaders import read_energyflow_qg_labels, require_both_classes

            labels = read_energyflow_qg_labels(config.data, max_jets=2 * config.n_jets)
            require_both_classes(labels, ", ".join(config.data))

    def memory_estimate(self, config: Any) -> dict[str, float]:
        # at least 32 constituents (pT, eta, phi in float64, a mask, a PDG id) per jet
        jets = 2 * config.n_jets
        estimate = {"jets: 2 x n_jets x >= 32 constituents": jets * 32 * 29.0}
        if hasattr(config.model, "n_pixels"):
            estimate["images: 2 x n_jets x n_pixels^2"] = jets * config.model.n_pixels**2 * 4.0
        return estimate

    def _data(self, config: Any, ctx: RunContext) -> dict[str, np.ndarray]:
        """Constituents, mask, labels and (simulated jets only) the exact log p_q/p_g."""
        if config.data:
            from physml.data.loaders import load_energyflow_qg
            from physml.tasks.collider.jet_inputs import sort_by_pt

            real = load_energyflow_qg(config.data, max_jets=2 * config.n_jets)
            constituents, mask = sort_by_pt(real.constituents, real.mask)
            ctx.log(f"{len(mask)} real jets from {', '.join(config.data)}")
            return {"constituents": constituents, "mask": mask, "label": real.label}

        from physml.data import cached
        from physml.sim.collider import jets

        shower = jets.Shower(**config.shower.model_dump())
        params = {"n_jets": config.n_jets, **config.shower.model_dump()}

        def simulate() -> dict[str, np.ndarray]:
            seeds = seed_sequence(ctx.seed, Stream.JETS).generate_state(2)
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

    def run(self, config: Any, ctx: RunContext) -> dict[str, Metric]:
        from physml.tasks.tagging import measure, split_labels

        data = self._data(config, ctx)
        y_all = data["label"]
        split = split_labels(len(y_all), config.test_fraction, config.val_fraction, ctx.seed)
        method = self.method_of(config)
        scores, history = self._scores(method, config, data, split, ctx)
        test = split == TEST
        y, optimum = y_all[test], data["llr"][test] if "llr" in data else None
        return measure(
            ctx,
            task=self.name,
            method=method,
            y=y,
            scores=[s[test] for s in scores],
            history=history,
            working_point=_WORKING_POINT,
            optimum=optimum,
            anchor=None if optimum is not None else _LITERATURE,
            probabilities=method != "multiplicity",
            signal="quark",
            background="gluon",
        )

    def _scores(
        self, method: str, config: Any, data: dict, split: np.ndarray, ctx: RunContext
    ) -> tuple[list[np.ndarray], list[dict]]:
        """Quark-likeness of every jet, one array per ensemble member, and training logs."""
        from physml.tasks.collider import jet_inputs
        from physml.tasks.tagging import fit_networks, fit_trees

        constituents, mask, label = data["constituents"], data["mask"], data["label"]
        if method == "multiplicity":
            return [-mask.sum(axis=1).astype(np.float64)], []
        if method == "bdt":
            x = jet_inputs.observables(
                constituents, mask, substructure=False, radius=config.shower.radius
            )
            return fit_trees(
                x, label, split, settings=config.model, n_members=config.n_members, ctx=ctx
            ), []
        m = config.model
        if method == "cnn":
            x = jet_inputs.images(
                constituents, mask, n_pixels=m.n_pixels, extent=config.shower.radius
            )
        else:
            x = jet_inputs.relative_coordinates(constituents, mask)

        def make_model() -> Any:
            from physml.models import EFN, PFN, JetImageCNN, ParticleTransformer

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

        return fit_networks(make_model, x, label, split, config=config, ctx=ctx, name=method)
