"""``bump-hunt``: a weakly supervised resonance search in the style of the LHC Olympics 2020
R&D set (seed 000; seed 004: density estimation beat the rest).

Data (:mod:`physml.sim.collider.dijets`): ``n_background`` QCD dijets with a falling m_jj
spectrum and ``fraction x n_background`` injected W' -> X Y -> (qq)(qq) events, for each
injected fraction (the signal events of a smaller fraction are a subset of those of a
larger one; the background is the same). Features x = (m_J1, Delta m_J, tau21_J1,
tau21_J2), TeV for masses; the signal region (SR) is ``signal_region`` in m_jj, the
sidebands (SB) the rest of ``sidebands``.

Methods (``--method``), each giving an anomaly score in the SR:
``autoencoder`` (reconstruction error of autoencoders trained on SR data: the baseline
that fails, seed 004), ``cwola`` (a classifier of SR against SB data, Metodiev, Nachman &
Thaler, arXiv:1708.02949; Collins, Howe & Nachman, arXiv:1805.02664), ``anode``
(conditional flows p(x | m_jj) in SR and SB, their ratio; Nachman & Shih,
arXiv:2001.04990), ``cathode`` (the SB flow interpolated into the SR and sampled, then a
classifier of SR data against samples; Hallin et al., arXiv:2109.00546), and the two
bounds, ``idealised`` (SR data against a perfect SR background sample) and ``supervised``
(labelled signal against background).

Reported per fraction, with errors over ``n_seeds`` seeds (classifiers, flows, folds):
the maximum SIC = eps_S / sqrt(eps_B) on a separate SR test set (thresholds keeping at
least ``min_test_background`` test background events), its reference the fully
supervised classifier's maximum (the optimal-classifier bound of this simulator, measured
in the same run), and the significance S / sqrt(B) of the SR data after the cut that keeps
``keep_fraction`` of it, against the injected S / sqrt(B) in the SR. Literature anchors
on the real R&D set (Hallin et al., arXiv:2109.00546, at S/B ~ 0.6 % in the SR): CATHODE
about 14 at max SIC, idealised 14-16, ANODE 7-8, CWoLa 10-12; they are labelled, not
references: this simulator is not Pythia + Delphes.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, field_validator

from physml.config import ConfigError
from physml.metrics import Metric, ensemble_std
from physml.tasks.base import Method, Reference, RunContext, Task, Widths

__all__ = ["LITERATURE", "MIN_SIDEBAND_EVENTS", "BumpHunt"]

#: Max SIC on the R&D set, Hallin et al. arXiv:2109.00546 (labelled anchors, not references).
LITERATURE = {
    "cathode": "~14",
    "idealised": "14-16",
    "anode": "7-8",
    "cwola": "10-12",
    "supervised": "above the idealised",
    "autoencoder": "well below CWoLa",
}
#: Expected sideband events (from the exact m_jj density) a method needs at least.
MIN_SIDEBAND_EVENTS = {"cwola": 500, "anode": 2000, "cathode": 2000}
_FLOW_PRESETS = {
    "quick": {
        "train": {"max_epochs": 20, "batch_size": 1024, "learning_rate": 3e-3, "patience": 5}
    },
    "full": {
        "model": {"n_folds": 5},
        "train": {"max_epochs": 100, "batch_size": 512, "learning_rate": 1e-3, "patience": 10},
    },
}


class BumpHuntSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")
    n_background: int = Field(150_000, ge=1000, le=10**7, description="QCD dijet events")
    fractions: list[float] = Field(
        [0.001, 0.002, 0.004],
        min_length=1,
        max_length=12,
        description="injected signal events per background event",
    )
    signal_region: tuple[float, float] = Field((3.3, 3.7), description="m_jj window (TeV)")
    sidebands: tuple[float, float] = Field((2.8, 4.6), description="outer SB edges (TeV)")
    m_wprime: float = Field(3500.0, gt=0, le=12000, description="W' mass (GeV)")
    m_x: float = Field(500.0, gt=0, description="X mass (GeV)")
    m_y: float = Field(100.0, gt=0, description="Y mass (GeV)")
    n_test_signal: int = Field(10_000, ge=100, le=10**6, description="SR test signal events")
    n_test_background: int = Field(25_000, ge=100, le=10**7, description="SR test background")
    min_test_background: int = Field(25, ge=1, description="test background kept by any cut")
    keep_fraction: float = Field(0.02, gt=0, le=1, description="SR data kept by the cut")
    n_seeds: int = Field(3, ge=2, le=64, description="trainings per fraction")

    @field_validator("fractions")
    @classmethod
    def _fractions(cls, value: list[float]) -> list[float]:
        for f in value:
            if not (math.isfinite(f) and 0 < f <= 0.1):
                raise ValueError(f"fractions: {f!r} is not allowed; expected values in (0, 0.1]")
        if len(set(value)) != len(value):
            raise ValueError(f"fractions={value!r} is not allowed: expected distinct values")
        return sorted(value)


class ClassifierSettings(BaseModel):
    """Histogram gradient boosting (scikit-learn), k-fold cross-prediction."""

    model_config = ConfigDict(extra="forbid")
    max_iter: int = Field(100, ge=1, le=10_000)
    learning_rate: float = Field(0.1, gt=0, le=1)
    max_leaf_nodes: int = Field(31, ge=2, le=4096)
    n_folds: int = Field(3, ge=2, le=20)


class FlowClassifierSettings(ClassifierSettings):
    """A conditional MAF p(x | m_jj) (zuko), then (CATHODE) the classifier."""

    transforms: int = Field(4, ge=1, le=32)
    hidden: Widths = Field([64, 64], min_length=1)
    oversampling: float = Field(4.0, gt=0, le=100, description="CATHODE samples per SR event")


class CathodeSettings(FlowClassifierSettings):
    """CATHODE: the sideband flow, its samples in the SR, the classifier."""


class AnodeSettings(FlowClassifierSettings):
    """ANODE: the SR and SB flows (the classifier settings are unused)."""


class CwolaSettings(ClassifierSettings):
    """CWoLa hunting: SR against SB data."""


class IdealisedSettings(ClassifierSettings):
    """The idealised detector: SR data against a perfect SR background sample."""


class SupervisedSettings(ClassifierSettings):
    """The fully supervised bound (the run's bound itself; these settings are unused)."""


class AutoencoderSettings(BaseModel):
    """MLP autoencoders on the standardised SR features, one per seed."""

    model_config = ConfigDict(extra="forbid")
    latent: int = Field(2, ge=1, le=3)
    hidden: Widths = Field([32, 32], min_length=1)


def _classifier_method(name: str, summary: str, settings: type) -> Method:
    return Method(
        name,
        summary,
        settings,
        trained=False,
        presets={"full": {"model": {"n_folds": 5}}},
    )


def _flow_method(name: str, summary: str, settings: type) -> Method:
    return Method(name, summary, settings, presets=_FLOW_PRESETS)


class BumpHunt(Task):
    name = "bump-hunt"
    summary = "weakly supervised dijet bump hunt: CATHODE, ANODE, CWoLa vs the supervised bound"
    reference = Reference(
        "max SIC",
        None,
        "",
        "fully supervised classifier of this simulator (optimal-classifier bound)",
    )
    settings = BumpHuntSettings
    methods = {
        "cathode": _flow_method(
            "cathode", "SB flow sampled into the SR, classifier vs data", CathodeSettings
        ),
        "anode": _flow_method("anode", "SR / SB conditional flow density ratio", AnodeSettings),
        "cwola": _classifier_method("cwola", "classifier of SR against SB data", CwolaSettings),
        "idealised": _classifier_method(
            "idealised", "SR data against perfect background", IdealisedSettings
        ),
        "supervised": _classifier_method(
            "supervised", "labelled signal vs background", SupervisedSettings
        ),
        "autoencoder": Method(
            "autoencoder",
            "reconstruction error of SR-trained autoencoders (fails)",
            AutoencoderSettings,
            presets={
                "quick": {"train": {"max_epochs": 20, "batch_size": 256, "learning_rate": 3e-3}},
                "full": {"train": {"max_epochs": 60, "batch_size": 256, "learning_rate": 1e-3}},
            },
        ),
    }
    default_method = "cathode"
    presets = {
        "quick": {},
        "full": {
            "n_background": 1_000_000,
            "fractions": [0.0005, 0.001, 0.002, 0.003, 0.005],
            "n_test_signal": 50_000,
            "n_test_background": 200_000,
            "n_seeds": 10,
        },
    }

    def check(self, config: Any) -> None:
        from physml.sim.collider import dijets

        try:
            model = _model(config)
        except ValueError as err:
            raise ConfigError(str(err)) from None
        lo, hi = (m / 1000.0 for m in (model.m_min, model.m_max))
        (sr_lo, sr_hi), (sb_lo, sb_hi) = config.signal_region, config.sidebands
        if not lo <= sr_lo < sr_hi <= hi:
            raise ConfigError(
                f"signal_region={list(config.signal_region)} is not allowed: expected "
                f"lo < hi inside the simulated m_jj range [{lo}, {hi}] TeV"
            )
        if not lo <= sb_lo < sr_lo or not sr_hi < sb_hi <= hi:
            raise ConfigError(
                f"sidebands={list(config.sidebands)} is not allowed: expected edges around "
                f"the signal region {list(config.signal_region)} inside [{lo}, {hi}] TeV"
            )
        need = MIN_SIDEBAND_EVENTS.get(self.method_of(config), 0)
        grid = np.linspace(sb_lo * 1000, sb_hi * 1000, 2001)
        dens = dijets.background_mass_density(grid, model)
        dens[(grid > sr_lo * 1000) & (grid < sr_hi * 1000)] = 0.0
        expected = config.n_background * float(np.trapezoid(dens, grid))
        if expected < need:
            raise ConfigError(
                f"n_background={config.n_background} is not allowed for "
                f"{self.method_of(config)}: the sidebands hold about {expected:.0f} events, "
                f"fewer than the {need} it needs; add events or widen the sidebands"
            )

    def run(self, config: Any, ctx: RunContext) -> dict[str, Metric]:
        from physml.tasks.anomaly import bump_hunt_data as data

        method = self.method_of(config)
        sample = data.make(config, method, _model(config), ctx)
        bound = data.supervised_bound(config, sample, ctx)
        metrics: dict[str, Metric] = {
            "max SIC supervised bound": _over_seeds(
                bound.max_sic, None, "fully supervised classifier, same test set"
            )
        }
        curves, significances = {}, {}
        for key, fraction in enumerate(config.fractions):
            result = data.evaluate(method, config, sample, fraction, key, ctx, bound)
            injected = result.injected
            tag = f"f={fraction:g} (S/B_SR={injected.s_over_b:.2%}, S/sqrt(B)={injected.z:.2f})"
            ref = bound.max_sic.mean()
            metrics[f"max SIC {tag}"] = _over_seeds(
                result.max_sic,
                float(ref),
                f"reference: supervised bound; literature ({method}, R&D set, "
                f"arXiv:2109.00546): {LITERATURE[method]}",
            )
            metrics[f"significance after cut {tag}"] = _over_seeds(
                result.significance,
                injected.z,
                f"S/sqrt(B) keeping {config.keep_fraction:g} of the SR data; reference: "
                "injected S/sqrt(B) in the SR (truth counts)",
            )
            curves[fraction] = result.curves
            significances[fraction] = (injected.z, result.significance)
            ctx.log(
                f"f={fraction:g}: max SIC {result.max_sic.mean():.2f} +- "
                f"{result.max_sic.std(ddof=1) / math.sqrt(len(result.max_sic)):.2f} "
                f"(supervised {ref:.2f})"
            )
        data.plot(ctx, method, sample, curves, bound.curves, significances, config)
        return metrics


def _model(config: Any):
    """The simulator of these settings (raises ValueError where it refuses them)."""
    from physml.sim.collider.dijets import DijetModel

    return DijetModel(m_wprime=config.m_wprime, m_x=config.m_x, m_y=config.m_y)


def _over_seeds(values: np.ndarray, reference, source: str) -> Metric:
    """Mean over seeds, its standard error, their spread."""
    return Metric(
        float(values.mean()),
        reference,
        "",
        source,
        ensemble_std(values),
        error=float(values.std(ddof=1) / math.sqrt(len(values))),
    )
