"""Benchmark of the generative models' sampling speed (``physml bench generative``).

A generator that is slower than the physics simulator at equal fidelity is worth
knowing. Each row times one generator drawing a batch of independent samples on CPU
(untrained networks: the cost of sampling does not depend on the weights) against the
exact sampler of the same physics, run in the same process; medians over repeats.

* 16 x 16 Ising configurations at T = 2.5: :func:`physml.sim.ising.sample` (Metropolis
  or Wolff with its decorrelation sweeps, the baseline) against a MADE (one pass per
  batch), a Bernoulli RBM (100 block-Gibbs sweeps), a lattice VAE decoder, an MLP GAN
  generator and a lattice DDPM with 50 DDIM steps.
* Plummer-sphere stars (6D phase space): :func:`physml.sim.plummer.sample` (the exact
  Aarseth–Hénon–Wielen sampler) against the MAF and NSF flows of ``plummer-flow``.

Not yet measured here: the quality reached per unit of training time (the other half of
the issue's benchmark). Run with ``physml bench generative`` (``--quick``: fewer repeats).
"""

from __future__ import annotations

import statistics
import time

__all__ = ["run"]


def _rate(draw, n: int, repeats: int) -> float:
    """Samples per second of ``draw()`` producing ``n`` samples (median of repeats)."""
    draw()  # warm-up
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        draw()
        times.append(time.perf_counter() - start)
    return n / statistics.median(times)


def _row(case: str, rate: float, baseline: float, base: str) -> dict:
    return {
        "samples": case,
        "physml": f"{rate:.3g} /s",
        "baseline": f"{baseline:.3g} /s ({base})",
        "ratio": f"{rate / baseline:.3g}",
    }


def _ising(repeats: int, n: int) -> list[dict]:
    import torch

    from physml.models import DDPM, MADE, VAE, BernoulliRBM, MLPGenerator
    from physml.models.diffusion import LatticeNoisePredictor
    from physml.sim import ising

    L, T = 16, 2.5
    baseline = _rate(lambda: ising.sample(L, T, n, seed=0), n, repeats)
    g = torch.Generator().manual_seed(0)
    torch.manual_seed(0)
    made, rbm = MADE(L * L, 512, n_layers=1, z2=True), BernoulliRBM(L * L, 64)
    vae, gan = VAE.lattice(L, 16), MLPGenerator(32, (L, L), (256, 256), output="tanh")
    ddpm, unet = DDPM.linear(1000), LatticeNoisePredictor((16, 32))
    generators = {
        "MADE (exact, one pass)": lambda: made.sample(n, g),
        "RBM, 100 Gibbs sweeps": lambda: rbm.sample(n, 100, g),
        "VAE decoder": lambda: vae.sample(n, generator=g),
        "GAN generator": lambda: gan(torch.randn(n, 32, generator=g)),
        "DDPM, 50 DDIM steps": lambda: ddpm.sample(
            unet, (n, 1, L, L), n_steps=50, eta=0.0, generator=g
        ),
    }
    rows = []
    with torch.no_grad():
        for name, draw in generators.items():
            rate = _rate(draw, n, repeats)
            rows.append(_row(f"Ising 16x16, T = 2.5: {name}", rate, baseline, "Monte Carlo"))
    return rows


def _plummer(repeats: int, n: int) -> list[dict]:
    import torch

    from physml.models import make_flow
    from physml.sim import plummer

    baseline = _rate(lambda: plummer.sample(n, seed=0), n, repeats)
    rows = []
    torch.manual_seed(0)
    for kind in ("maf", "nsf"):
        flow = make_flow(kind, 6, transforms=4)
        with torch.no_grad():
            rate = _rate(lambda flow=flow: flow().sample((n,)), n, repeats)
        rows.append(_row(f"Plummer stars: {kind.upper()}", rate, baseline, "exact sampler"))
    return rows


def run(*, quick: bool = False) -> list[dict]:
    """All rows of the benchmark table (see the module docstring)."""
    repeats = 2 if quick else 5
    return _ising(repeats, 256 if quick else 1024) + _plummer(repeats, 10_000)


if __name__ == "__main__":  # pragma: no cover
    for row in run():
        print(row)
