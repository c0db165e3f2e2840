r"""A textbook parton shower, one emission at a time: the baseline of ``physml bench jets``.

The physics is that of :mod:`physml.sim.collider.jets` (read its module docstring): a hard
parton (pT_J, eta_J, phi_J) with pT_J ~ U[pt_min, pt_max], eta_J ~ U[-eta_max, eta_max],
phi_J ~ U[-pi, pi), and emissions off it with the fixed-coupling leading-order density

.. math::
    dN = \frac{\alpha_s}{\pi}\, P_i(z)\, dz\, \frac{d\theta}{\theta}\, \frac{d\psi}{2\pi},
    \qquad z_{cut} \le z \le \tfrac12,\quad \theta_{min} \le \theta \le R,

with the splitting functions for the softer daughter written out here again from
Altarelli-Parisi (C_F = 4/3, C_A = 3, T_R = 1/2): P_q = C_F (1 + (1 - z)^2) / z,
P_g = 2 C_A [z / (1 - z) + (1 - z) / z + z (1 - z)] + 2 n_f T_R [z^2 + (1 - z)^2], or
their soft limit 2 C_i / z (``shape="soft"``).

The algorithm is the one a textbook writes, in plain Python with the standard library's
:class:`random.Random`, one jet and one emission at a time, sharing no code with physml's
vectorised sampler: the emissions are generated in decreasing angle, evolving
t = ln(R / theta) from 0 to ln(R / theta_min), by the veto algorithm with the overestimate
Phat_i(z) = M_i / z >= P_i(z) (Sjoestrand, Mrenna, Skands, JHEP 05 (2006) 026, sec. 4.1;
Buckley et al., Phys. Rept. 504 (2011) 145, sec. 3.2): the next trial is at
t + Exp(Gamma) with Gamma = (alpha_s / pi) M_i ln(1 / (2 z_cut)), its z from M_i / z, and it
is kept with probability z P_i(z) / M_i. Without a running coupling or recoil the
no-emission probability factorises, so this produces exactly the Poisson process of
:func:`physml.sim.collider.jets.sample` (the tests compare the two distributions).

QCD jets (:func:`qcd_jet`) follow :mod:`physml.sim.collider.top`: a light quark with
probability ``quark_fraction``, else a gluon, showered with radius ``radius``; the massless
four-momenta (E, px, py, pz) in GeV of the constituents are scaled by one factor so that
their sum has transverse momentum pT_J, and ordered by decreasing pT.

Conventions as in :mod:`physml.sim.collider.jets`: GeV, radians, (pT, eta, phi) with phi in
[-pi, pi); the hard parton is the first constituent, emissions follow by decreasing pT.
"""

from __future__ import annotations

import math
import random

from physml.sim.collider.jets import Shower
from physml.sim.collider.top import TopShower

__all__ = ["qcd_jet", "qcd_jets", "quark_gluon_jet", "quark_gluon_jets"]

C_F, C_A, T_R = 4.0 / 3.0, 3.0, 0.5


def _splitting(z: float, flavour: str, shower: Shower) -> float:
    """P_i(z) of the softer daughter, colour factor included."""
    if shower.shape == "soft":
        return 2.0 * (C_F if flavour == "quark" else C_A) / z
    if flavour == "quark":
        return C_F * (1.0 + (1.0 - z) ** 2) / z
    gluon = 2.0 * C_A * (z / (1.0 - z) + (1.0 - z) / z + z * (1.0 - z))
    return gluon + 2.0 * shower.n_flavours * T_R * (z * z + (1.0 - z) ** 2)


def _overestimate(flavour: str, shower: Shower) -> float:
    """M_i with M_i / z >= P_i(z) on (0, 1/2]: z P_q <= 2 C_F; z P_g <= 2 C_A * 2 + n_f T_R
    (each bracket of z P_g is below 2 and 1/2 there: loose, but the veto makes it exact)."""
    if shower.shape == "soft":
        return 2.0 * (C_F if flavour == "quark" else C_A)
    if flavour == "quark":
        return 2.0 * C_F
    return 4.0 * C_A + shower.n_flavours * T_R


def _wrap(phi: float) -> float:
    return (phi + math.pi) % (2.0 * math.pi) - math.pi


def quark_gluon_jet(
    rng: random.Random, flavour: str, shower: Shower
) -> list[tuple[float, float, float]]:
    """One jet: its constituents (pT [GeV], eta, phi), the hard parton first.

    Args:
        rng: the random stream.
        flavour: ``"quark"`` or ``"gluon"``.
        shower: the parameters, as for :func:`physml.sim.collider.jets.sample`.

    Returns:
        list of (pT, eta, phi) tuples, the hard parton then the emissions by decreasing pT.
    """
    pt = rng.uniform(shower.pt_min, shower.pt_max)
    eta = rng.uniform(-shower.eta_max, shower.eta_max)
    phi = rng.uniform(-math.pi, math.pi)
    big_m = _overestimate(flavour, shower)
    rate = shower.alpha_s / math.pi * big_m * math.log(0.5 / shower.z_cut)  # per unit t
    t_max = math.log(shower.radius / shower.theta_min)
    emissions = []
    t = 0.0
    while True:
        t -= math.log(1.0 - rng.random()) / rate  # next trial angle
        if t > t_max:
            break
        z = shower.z_cut * (0.5 / shower.z_cut) ** rng.random()  # from M / z
        if rng.random() * big_m > z * _splitting(z, flavour, shower):
            continue  # vetoed
        theta = shower.radius * math.exp(-t)
        psi = 2.0 * math.pi * rng.random()
        emissions.append((z * pt, eta + theta * math.cos(psi), _wrap(phi + theta * math.sin(psi))))
    emissions.sort(key=lambda c: -c[0])
    return [(pt, eta, phi), *emissions]


def quark_gluon_jets(
    n_jets: int, *, flavour: str, seed: int, shower: Shower | None = None
) -> list[list[tuple[float, float, float]]]:
    """``n_jets`` jets of one flavour from :func:`quark_gluon_jet` (seeded)."""
    rng = random.Random(seed)
    shower = Shower() if shower is None else shower
    return [quark_gluon_jet(rng, flavour, shower) for _ in range(n_jets)]


def qcd_jet(rng: random.Random, settings: TopShower) -> list[tuple[float, float, float, float]]:
    """One QCD jet of :mod:`physml.sim.collider.top`: massless four-momenta (E, px, py, pz)
    in GeV, scaled so that the jet has the hard parton's pT, by decreasing pT."""
    flavour = "quark" if rng.random() < settings.quark_fraction else "gluon"
    constituents = quark_gluon_jet(rng, flavour, settings.qcd_shower)
    p4 = [
        (pt * math.cosh(eta), pt * math.cos(phi), pt * math.sin(phi), pt * math.sinh(eta))
        for pt, eta, phi in constituents
    ]
    scale = constituents[0][0] / math.hypot(sum(p[1] for p in p4), sum(p[2] for p in p4))
    p4 = [tuple(scale * x for x in p) for p in p4]
    p4.sort(key=lambda p: -math.hypot(p[1], p[2]))
    return p4


def qcd_jets(
    n_jets: int, *, seed: int, settings: TopShower | None = None
) -> list[list[tuple[float, float, float, float]]]:
    """``n_jets`` QCD jets from :func:`qcd_jet` (seeded)."""
    rng = random.Random(seed)
    settings = TopShower() if settings is None else settings
    return [qcd_jet(rng, settings) for _ in range(n_jets)]
