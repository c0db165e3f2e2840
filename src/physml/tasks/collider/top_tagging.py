"""``top-tagging``: boosted hadronic top jets vs QCD jets, beside the published taggers.

Jets come from :mod:`physml.sim.collider.top`: t -> b W -> b q q' decays boosted to pT in
550-650 GeV with every prong showered by the toy shower of :mod:`physml.sim.collider.jets`, and
QCD jets from the same shower in the same pT window, as in the top-tagging comparison
dataset (Kasieczka et al., arXiv:1902.09914: anti-kT R = 0.8, 550-650 GeV, up to 200
constituents). The likelihood of a top jet is a latent-variable integral that physml
does not evaluate, so there is no optimum here: each method's AUC and background
rejection 1/eps_B at eps_S = 0.3 are shown beside the value its architecture reached on
the real (Delphes) dataset, labelled as literature. The toy has no pile-up or
underlying event and far fewer constituents, and its detector is a smearing and an R = 0.8
acceptance, so compare trends, not digits. With ``--data PATH`` (the comparison's HDF5
files, :mod:`physml.data.loaders`) the methods train on the real jets instead. Tops are
the signal (label 1).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

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
from physml.tasks.collider.qg_jets import BDTSettings, CNNSettings, PFNSettings, TransformerSettings
from physml.tasks.seeds import Stream, generator, seed_sequence
from physml.tasks.tagging import JET_TAGGER_TRAINING, TEST, Anchor

__all__ = ["TopTagging", "TopTaggingSettings"]

_WORKING_POINT = 0.3  # top efficiency of the quoted QCD rejection, as in the comparison
_COMPARISON = "Kasieczka et al. (arXiv:1902.09914) Table 1, real top-tagging dataset"
#: Published AUC and 1/eps_B(eps_S = 0.3) of each method's architecture on the real data.
LITERATURE = {
    "lola": Anchor(0.980, 722.0, f"LoLa, {_COMPARISON}"),
    "pfn": Anchor(0.982, 891.0, f"Particle Flow Network, {_COMPARISON}"),
    "cnn": Anchor(0.981, 914.0, f"CNN on jet images, {_COMPARISON}"),
    "bdt": Anchor(0.979, 792.0, f"multi-body N-subjettiness, {_COMPARISON}"),
    "transformer": Anchor(
        0.9858, 1602.0, "Particle Transformer (Qu, Li & Qian, arXiv:2202.03772), same dataset"
    ),
}


class TopSimulatorSettings(BuiltSettings):
    """Parameters of :class:`physml.sim.collider.top.TopShower` (both classes share the pT window).

    Unlike the simulator, whose detector is off by default (exact masses), the task
    switches on what the real dataset has: R = 0.8 jets (constituents farther from the
    axis are lost), 10 % energy smearing and the physical top and W widths.
    """

    pt_min: float = Field(550.0, gt=0, description="GeV, lower end of the jet pT window")
    pt_max: float = Field(650.0, gt=0, description="GeV, upper end")
    quark_fraction: float = Field(0.5, ge=0, le=1, description="light-quark share of QCD jets")
    energy_resolution: float = Field(
        0.1, ge=0, lt=1, description="relative Gaussian smearing of constituent energies"
    )
    jet_radius: float | None = Field(
        0.8, gt=0, description="constituents beyond this Delta R from the axis are lost"
    )
    top_width: float = Field(1.4, ge=0, le=5, description="GeV, Breit-Wigner width of the top")
    w_width: float = Field(2.1, ge=0, le=5, description="GeV, Breit-Wigner width of the W")

    def build(self) -> Any:
        from physml.sim.collider import top

        return top.TopShower(**self.model_dump())


class TopTaggingSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")
    n_jets: int = Field(15_000, ge=200, description="training jets per class")
    n_eval: int = Field(
        50_000, ge=100, description="simulated test jets per class (1/eps_B up to ~10^4)"
    )
    test_fraction: float = Field(0.25, gt=0, lt=0.9, description="held-out share of real data")
    val_fraction: float = Field(0.2, gt=0, lt=0.5, description="validation share of the rest")
    n_members: int = Field(1, ge=1, description="independently seeded ensemble members")
    simulator: TopSimulatorSettings = TopSimulatorSettings()
    data: list[str] | None = Field(
        None, description="top-tagging comparison HDF5 file(s) to use instead of the simulator"
    )


class LoLaSettings(BaseModel):
    """Combination and Lorentz layers on four-momenta, then an MLP (Butter et al.)."""

    model_config = ConfigDict(extra="forbid")
    n_constituents: int = Field(
        20, ge=2, le=MAX_WIDTH, description="hardest constituents read (the toy's jets have <= ~18)"
    )
    n_combined: int = Field(10, ge=1, le=MAX_WIDTH, description="trainable combinations (CoLa)")
    hidden: Widths = Field([100, 50], description="widths of the MLP head")


class TopCNNSettings(CNNSettings):
    """CNN on pT jet images centred on the jet axis, covering +-R = 0.8."""

    n_pixels: int = Field(17, ge=5, le=65, description="pixels per side (covering +-0.8)")


_RADIUS = 0.8


class TopTagging(Task):
    name = "top-tagging"
    summary = "boosted top vs QCD jets beside the published taggers (LoLa, PFN, CNN)"
    reference = Reference("AUC (LoLa, literature)", 0.980, "", _COMPARISON)
    settings = TopTaggingSettings
    methods = {
        "lola": Method(
            "lola", "LoLa: combination + Lorentz layers", LoLaSettings, presets=JET_TAGGER_TRAINING
        ),
        "pfn": Method(
            "pfn", "Particle Flow Network (deep set)", PFNSettings, presets=JET_TAGGER_TRAINING
        ),
        "cnn": Method(
            "cnn",
            "CNN on jet images",
            TopCNNSettings,
            presets={
                "quick": JET_TAGGER_TRAINING["quick"],
                "full": {**JET_TAGGER_TRAINING["full"], "model": {"n_pixels": 33}},
            },
        ),
        "transformer": Method(
            "transformer",
            "particle transformer (self-attention, no positions)",
            TransformerSettings,
            presets=JET_TAGGER_TRAINING,
        ),
        "bdt": Method(
            "bdt",
            "boosted trees on mass, tau_21, tau_32, C_2, D_2 and more",
            BDTSettings,
            trained=False,
        ),
    }
    default_method = "lola"
    presets = {"quick": {}, "full": {"n_jets": 100_000, "n_eval": 200_000, "n_members": 3}}

    def check(self, config: Any) -> None:
        if config.data:  # the files' layout and labels, before anything is simulated
            from physml.data.loaders import read_top_tagging_labels, require_both_classes

            labels, remaining = [], 2 * config.n_jets
            for path in config.data:  # in order, as the run reads them
                if remaining > 0:
                    labels.append(read_top_tagging_labels(path, max_jets=remaining))
                    remaining -= len(labels[-1])
            require_both_classes(np.concatenate(labels), ", ".join(config.data))

    def memory_estimate(self, config: Any) -> dict[str, float]:
        # at least 20 constituents (E, px, py, pz in float64 and a mask) per jet
        jets = 2 * (config.n_jets + config.n_eval)
        estimate = {"jets: 2 x (n_jets + n_eval) x >= 20 constituents": jets * 20 * 33.0}
        if hasattr(config.model, "n_pixels"):
            estimate["images: 2 x (n_jets + n_eval) x n_pixels^2"] = (
                jets * config.model.n_pixels**2 * 4.0
            )
        return estimate

    def _data(self, config: Any, ctx: RunContext) -> dict[str, np.ndarray]:
        """Four-momenta (n, width, 4) pT-ordered, mask and labels."""
        if config.data:
            from physml.data.loaders import load_top_tagging

            parts, remaining = [], 2 * config.n_jets
            for path in config.data:  # in order, until 2 n_jets jets are read
                parts.append(load_top_tagging(path, max_jets=remaining))
                remaining -= len(parts[-1])
                if remaining == 0:
                    break
            width = max(p.constituents4.shape[1] for p in parts)
            momenta = np.concatenate(
                [
                    np.pad(p.constituents4, ((0, 0), (0, width - p.mask.shape[1]), (0, 0)))
                    for p in parts
                ]
            )
            label = np.concatenate([p.label for p in parts])
            ctx.log(f"{len(label)} real jets from {', '.join(config.data)}")
            u = generator(ctx.seed, Stream.TOP_EVALUATION).random(len(label))
            return {
                "momenta": momenta,
                "mask": momenta[..., 0] > 0,
                "label": label,
                "evaluation": u < config.test_fraction,
            }

        from physml.data import cached
        from physml.sim.collider import top

        params = {"n_jets": config.n_jets, "n_eval": config.n_eval}
        params |= config.simulator.model_dump()

        def simulate() -> dict[str, np.ndarray]:
            settings = top.TopShower(**config.simulator.model_dump())
            seeds = seed_sequence(ctx.seed, Stream.JETS).generate_state(2)
            n = config.n_jets + config.n_eval
            both = top.concatenate(
                [
                    top.sample(n, kind=kind, seed=int(s), settings=settings)
                    for kind, s in zip(("top", "qcd"), seeds, strict=True)
                ]
            )
            return {
                "momenta": both.constituents,
                "mask": both.mask,
                "label": both.is_top.astype(np.int8),
                "evaluation": np.tile(np.arange(n) >= config.n_jets, 2),
            }

        events: list[str] = []
        data = cached("jets.top", top.VERSION, params, ctx.seed, simulate, on_event=events.append)
        made = events[-1].split(":")[0] if events else "made"
        ctx.log(f"{2 * (config.n_jets + config.n_eval)} jets: {made}")
        return data

    def run(self, config: Any, ctx: RunContext) -> dict[str, Metric]:
        from physml.tasks.tagging import measure, split_with_evaluation

        data = self._data(config, ctx)
        split = split_with_evaluation(data["evaluation"], config.val_fraction, ctx.seed)
        method = self.method_of(config)
        scores, history = self._scores(method, config, data, split, ctx)
        test = split == TEST
        return measure(
            ctx,
            task=self.name,
            method=method,
            y=data["label"][test],
            scores=[s[test] for s in scores],
            history=history,
            working_point=_WORKING_POINT,
            anchor=LITERATURE[method],
            signal="top",
            background="QCD",
        )

    def _scores(
        self, method: str, config: Any, data: dict, split: np.ndarray, ctx: RunContext
    ) -> tuple[list[np.ndarray], list[dict]]:
        """Top-likeness of every jet, one array per ensemble member, and training logs."""
        from physml.tasks.collider import jet_inputs
        from physml.tasks.tagging import fit_networks, fit_trees

        momenta, mask, label = data["momenta"], data["mask"], data["label"]
        m = config.model
        if method == "lola":
            from physml.models.particles.lola import lola_inputs

            x = lola_inputs(momenta, mask, m.n_constituents)
        else:
            constituents = jet_inputs.ptetaphi(momenta, mask)
            axis = jet_inputs.jet_axis(constituents, mask)
            if method == "bdt":
                x = jet_inputs.observables(constituents, mask, substructure=True, radius=_RADIUS)
                return fit_trees(
                    x, label, split, settings=m, n_members=config.n_members, ctx=ctx
                ), []
            if method == "cnn":
                x = jet_inputs.images(
                    constituents, mask, n_pixels=m.n_pixels, extent=_RADIUS, centre=axis
                )
            else:
                x = jet_inputs.relative_coordinates(constituents, mask, centre=axis)

        def make_model() -> Any:
            from physml.models import PFN, JetImageCNN, LoLa, ParticleTransformer

            if method == "lola":
                return LoLa(m.n_constituents, m.n_combined, tuple(m.hidden))
            if method == "cnn":
                return JetImageCNN(
                    m.n_pixels, channels=tuple(m.channels), head_hidden=tuple(m.head_hidden)
                )
            if method == "transformer":
                return ParticleTransformer(
                    dim=m.dim, n_heads=m.n_heads, n_layers=m.n_layers, ff_hidden=m.ff_hidden
                )
            return PFN(phi_hidden=tuple(m.phi_hidden), latent=m.latent, f_hidden=tuple(m.f_hidden))

        return fit_networks(make_model, x, label, split, config=config, ctx=ctx, name=method)
