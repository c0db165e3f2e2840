"""The textbook shower of ``physml bench jets`` samples the same jets as physml's shower.

Two-sample tests (seeded) on the multiplicity (chi^2 on its histogram), the jet mass and
the exact log-likelihood ratio (Kolmogorov-Smirnov), with 20 000 jets per sample: enough
to reject a shower with alpha_s 5 % off (checked below), in about a second each.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from physml.bench import textbook_shower
from physml.sim.collider import jets, phasespace, top

N_JETS = 20_000


def _padded(jet_list: list[list[tuple]]) -> tuple[np.ndarray, np.ndarray]:
    width = max(len(j) for j in jet_list)
    values = np.zeros((len(jet_list), width, len(jet_list[0][0])))
    mask = np.zeros((len(jet_list), width), dtype=bool)
    for i, jet in enumerate(jet_list):
        values[i, : len(jet)] = jet
        mask[i, : len(jet)] = True
    return values, mask


def _textbook(flavour: str, shower: jets.Shower, seed: int) -> jets.Jets:
    found = textbook_shower.quark_gluon_jets(N_JETS, flavour=flavour, seed=seed, shower=shower)
    return jets.from_constituents(*_padded(found), shower=shower)


def _mass(constituents: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Invariant mass (GeV) of massless (pT, eta, phi) constituents."""
    p4 = phasespace.from_ptetaphim(*np.moveaxis(constituents, -1, 0), 0.0)
    p4[~mask] = 0.0
    return phasespace.mass(p4.sum(axis=1))


def _multiplicity_p(a: np.ndarray, b: np.ndarray) -> float:
    """chi^2 p-value that two multiplicity samples share a distribution (tail merged so
    every expected count is at least 5)."""
    top_bin = int(min(a.max(), b.max()))
    while top_bin > 1:
        table = np.array(
            [np.bincount(np.minimum(x, top_bin), minlength=top_bin + 1) for x in (a, b)]
        )
        table = table[:, table.sum(axis=0) > 0]
        if stats.contingency.expected_freq(table).min() >= 5:
            break
        top_bin -= 1
    return float(stats.chi2_contingency(table).pvalue)


def _same_distribution_p(ours: jets.Jets, theirs: jets.Jets) -> dict[str, float]:
    return {
        "multiplicity": _multiplicity_p(ours.multiplicity, theirs.multiplicity),
        "mass": stats.ks_2samp(
            _mass(ours.constituents, ours.mask), _mass(theirs.constituents, theirs.mask)
        ).pvalue,
        "llr": stats.ks_2samp(
            jets.log_likelihood_ratio(ours), jets.log_likelihood_ratio(theirs)
        ).pvalue,
    }


@pytest.mark.parametrize("shape", jets.SHAPES)
@pytest.mark.parametrize("flavour", jets.FLAVOURS)
def test_textbook_jets_match_physml(flavour: str, shape: str) -> None:
    shower = jets.Shower(shape=shape)
    ours = jets.sample(N_JETS, flavour=flavour, seed=11, shower=shower)
    theirs = _textbook(flavour, shower, seed=12)
    p_values = _same_distribution_p(ours, theirs)
    assert min(p_values.values()) > 1e-3, p_values
    # and the textbook's mean multiplicity is the exact Lambda within 4 standard errors
    mean = jets.mean_multiplicity(flavour, shower=shower)
    assert abs(theirs.multiplicity.mean() - mean) < 4 * math.sqrt(mean / N_JETS)
    # every textbook emission lies on the support (finite likelihood)
    assert np.isfinite(jets.log_likelihood(theirs, flavour)).all()


def test_the_comparison_rejects_a_shower_with_another_coupling() -> None:
    ours = jets.sample(N_JETS, flavour="quark", seed=11)
    theirs = _textbook("quark", jets.Shower(alpha_s=0.126), seed=12)
    theirs = jets.from_constituents(theirs.constituents, theirs.mask)  # judged as alpha_s 0.12
    assert _same_distribution_p(ours, theirs)["multiplicity"] < 1e-3


def test_textbook_qcd_jets_match_physml() -> None:
    settings = top.TopShower()
    ours = top.sample(N_JETS, kind="qcd", seed=13, settings=settings)
    p4, mask = _padded(textbook_shower.qcd_jets(N_JETS, seed=14, settings=settings))
    # each textbook jet has exactly the drawn pT, in the window
    pt = phasespace.pt(p4.sum(axis=1))
    assert np.all((pt >= settings.pt_min - 1e-9) & (pt <= settings.pt_max + 1e-9))
    assert _multiplicity_p(ours.multiplicity, mask.sum(axis=1)) > 1e-3
    mass_p = stats.ks_2samp(phasespace.mass(ours.jet), phasespace.mass(p4.sum(axis=1))).pvalue
    assert mass_p > 1e-3
