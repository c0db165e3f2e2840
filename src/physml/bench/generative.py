"""Benchmark of the generative models (``physml bench generative``): speed and quality.

A generator that is slower than the physics simulator at equal fidelity is worth
knowing. Every row compares a generator ("physml") with a baseline run in the same
process, and its case says what is measured. ``ratio`` is oriented so that above 1 favours
the generator: the generator's value over the baseline's for rates, the baseline's over
the generator's for errors, divergences and times. The quality-per-time rows come first;
the sampling-cost rows after them say nothing about quality.

Sampling cost (the last rows of the table). Each row times one *untrained* generator
drawing a batch on CPU (the cost of a pass does not depend on the weights, so the rows
measure the price of a sample, not whether it is right) against the exact sampler of the
same physics, which returns decorrelated equilibrium samples; medians over repeats.

* 16 x 16 Ising configurations at T = 2.5: :func:`physml.sim.statmech.ising.sample` (Metropolis
  or Wolff with its decorrelation sweeps, the baseline) against a MADE (one pass per
  batch), a Bernoulli RBM (100 block-Gibbs sweeps), a lattice VAE decoder, an MLP GAN
  generator and a lattice DDPM with 50 DDIM steps.
* Plummer-sphere stars (6D phase space): :func:`physml.sim.astro.plummer.sample` (the exact
  Aarseth–Hénon–Wielen sampler) against the MAF and NSF flows of ``plummer-flow``.

Quality per unit of training time (wall-clock seconds on this machine).

* Plummer stars: one MAF (4 affine transforms, hidden (64, 64)) trained on the same stars
  with physml's recipe (:func:`physml.train.fit_flow` on
  :class:`~physml.models.generative.flows.Standardized` coordinates for heavy tails (stars
  standardised by the median and the robust standard deviation, then 4 asinh(y / 4)): 10 %
  validation split, early stopping with patience 10, best weights, batch 512, lr 1e-3,
  as in ``plummer-flow``)
  and with zuko's example recipe (Adam, lr 1e-3, minimise ``-flow().log_prob(x).mean()``
  over shuffled minibatches of 512 raw stars, no validation) for the training time
  physml's recipe took. Quality is KL(f || q) = E_f[log f - log q] in nats per star on
  held-out stars against the exact distribution function, measured after every epoch
  (evaluation time excluded from the training time). Rows: the KL of each at equal
  training time (physml: its returned best weights; zuko: its last epoch within that
  time) and the training time each took to reach the worse of those two KLs; medians
  over 5 seeds (of each value and of the per-seed ratios; 1 seed with ``--quick``, on
  fewer stars and epochs). Seeds differ a lot: the held-out KL is dominated by stars in
  the Plummer sphere's heavy tails.
* Ising at T = 2.5 (16 x 16; 8 x 8 with ``--quick``; exact references of Kaufman's
  finite lattice): a variational autoregressive network (:class:`~physml.models.MADE`,
  one hidden layer of 64, Z2-symmetric) trained by :func:`physml.infer.van.train_van`
  (batch 256, lr 3e-3, annealing a = 0.98) for a fixed wall time (60 s; 4 s with
  ``--quick``), then sampled for a quarter of that, against checkerboard Metropolis
  (:func:`physml.sim.statmech.ising.metropolis`, 64 chains from a random start, the energy
  recorded after every sweep, numba compiled beforehand) run for the VAN's whole wall
  time (training and sampling). Rows: the VAN's variational free energy F_q / N against
  the exact -T ln Z / N (J per site; the gap is T KL(q || p) / N); the error of the mean
  energy per site, |<e> - e_exact|, at equal wall time (VAN: the mean over its samples of
  q, bias included; Metropolis: the running mean with the first 10 % of sweeps
  discarded, with its blocking error bar); the wall time each takes to reach the VAN's
  error (Metropolis: the time after which its running mean, first 10 % discarded, stays
  within it); and independent samples of the Boltzmann distribution p per second once
  trained or equilibrated (VAN: Kish's effective sample size of its samples reweighted
  by p / q, per second of sampling; Metropolis: n / tau per second of sweeps after
  burn-in, tau the integrated autocorrelation time of the energy from
  :func:`physml.metrics.blocking`). One seed.

Run with ``physml bench generative`` (several minutes; ``--quick``: fewer repeats, smaller
problems, shorter budgets).
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


def _row(case: str, physml: str, baseline: str, ratio: float | None) -> dict:
    """One table row; ``ratio`` above 1 means the generator ("physml") does better."""
    return {
        "case": case,
        "physml": physml,
        "baseline": baseline,
        "ratio": "-" if ratio is None else f"{ratio:.3g}",
    }


def _speed_row(case: str, rate: float, baseline: float, base: str) -> dict:
    """A sampling-cost row: an untrained generator's samples/s against the exact sampler's."""
    case = f"sampling cost, untrained network (not quality): {case}"
    return _row(case, f"{rate:.3g} /s", f"{baseline:.3g} /s ({base})", rate / baseline)


def _ising(repeats: int, n: int) -> list[dict]:
    import torch

    from physml.models import DDPM, MADE, VAE, BernoulliRBM, MLPGenerator
    from physml.models.generative.diffusion import LatticeNoisePredictor
    from physml.sim.statmech import ising

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
            rows.append(
                _speed_row(
                    f"Ising 16x16, T = 2.5: {name}", rate, baseline, "decorrelated Monte Carlo"
                )
            )
    return rows


def _plummer(repeats: int, n: int) -> list[dict]:
    import torch

    from physml.models import make_flow
    from physml.sim.astro import plummer

    baseline = _rate(lambda: plummer.sample(n, seed=0), n, repeats)
    rows = []
    torch.manual_seed(0)
    for kind in ("maf", "nsf"):
        flow = make_flow(kind, 6, transforms=4)
        with torch.no_grad():
            rate = _rate(lambda flow=flow: flow().sample((n,)), n, repeats)
        rows.append(_speed_row(f"Plummer stars: {kind.upper()}", rate, baseline, "exact sampler"))
    return rows


class _Clock:
    """Training time in seconds since construction, less the time spent in ``measure``."""

    def __init__(self) -> None:
        self.start = time.perf_counter()
        self.paused = 0.0

    def seconds(self) -> float:
        return time.perf_counter() - self.start - self.paused

    def measure(self, evaluate, flow) -> tuple[float, float]:
        """(training seconds so far, ``evaluate(flow)``), the evaluation not counted."""
        now = self.seconds()
        value = evaluate(flow)
        self.paused = time.perf_counter() - self.start - now
        return now, value


def _first_time(curve: list[tuple[float, float]], target: float) -> float:
    """First training time (s) in a (seconds, KL) curve with KL <= target."""
    return next(t for t, kl in curve if kl <= target)


def _flow_race(seed: int, n_train: int, n_test: int, epochs: int) -> dict[str, float]:
    """One MAF trained with physml's recipe, then with zuko's for the same time."""
    import numpy as np
    import torch
    import zuko

    from physml.models.generative.flows import Standardized, make_flow
    from physml.sim.astro import plummer
    from physml.train import fit_flow

    rng = np.random.default_rng([seed, 43])
    stars, test = plummer.sample(n_train, rng), plummer.sample(n_test, rng)
    x, x_test = torch.from_numpy(stars).float(), torch.from_numpy(test).float()
    log_f = plummer.log_distribution_function(test)

    def kl(flow) -> float:
        with torch.no_grad():
            return float(np.mean(log_f - flow().log_prob(x_test).numpy()))

    clock, ours = _Clock(), []
    torch.manual_seed(seed)
    flow = Standardized.from_data(make_flow("maf", 6, transforms=4), x, heavy_tails=True)
    result = fit_flow(
        flow,
        x,
        seed=seed,
        epochs=epochs,
        batch_size=512,
        patience=10,
        on_epoch=lambda _: ours.append(clock.measure(kl, flow)),
    )
    budget, kl_ours = clock.seconds(), kl(result.model)

    clock, theirs = _Clock(), []
    torch.manual_seed(seed)
    plain = zuko.flows.MAF(6, transforms=4, hidden_features=(64, 64))
    optimizer = torch.optim.Adam(plain.parameters(), lr=1e-3)
    order = torch.Generator().manual_seed(seed)
    while not theirs or theirs[-1][0] < budget:
        for batch in torch.randperm(n_train, generator=order).split(512):
            loss = -plain().log_prob(x[batch]).mean()
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        theirs.append(clock.measure(kl, plain))
    kl_theirs = ([value for t, value in theirs if t <= budget] or [theirs[0][1]])[-1]
    target = max(kl_ours, kl_theirs)
    return {
        "seconds": budget,
        "kl_ours": kl_ours,
        "kl_theirs": kl_theirs,
        "target": target,
        "t_ours": _first_time(ours, target),
        "t_theirs": _first_time(theirs, target),
    }


def _plummer_quality(quick: bool) -> list[dict]:
    n_train, n_test, epochs, seeds = (4000, 4000, 20, 1) if quick else (10_000, 10_000, 60, 5)
    races = [_flow_race(seed, n_train, n_test, epochs) for seed in range(seeds)]

    def median(key: str) -> float:
        return statistics.median(race[key] for race in races)

    def median_ratio(top: str, bottom: str) -> float:
        return statistics.median(race[top] / race[bottom] for race in races)

    case = f"Plummer MAF, {n_train} stars"
    zuko = "(zuko recipe)"
    return [
        _row(
            f"{case}: KL(f||q) at equal training time ({median('seconds'):.3g} s)",
            f"{median('kl_ours'):.3g} nats/star",
            f"{median('kl_theirs'):.3g} nats/star {zuko}",
            median_ratio("kl_theirs", "kl_ours"),
        ),
        _row(
            f"{case}: training time to KL(f||q) <= {median('target'):.3g} nats/star",
            f"{median('t_ours'):.3g} s",
            f"{median('t_theirs'):.3g} s {zuko}",
            median_ratio("t_theirs", "t_ours"),
        ),
    ]


def _metropolis_trace(L: int, T: float, seconds: float):
    """Energy per site after every sweep of 64 Metropolis chains run for ``seconds``.

    Returns (energies (n_sweeps, 64), wall time in s at the end of each sweep (n_sweeps,)).
    """
    import numpy as np

    from physml.sim.statmech import ising

    ising.metropolis(np.ones((64, L, L), dtype=np.int8), T, 1, 0)  # numba compilation
    rng = np.random.default_rng(0)
    spins = rng.choice(np.array([-1, 1], dtype=np.int8), size=(64, L, L))
    energies, times = [], []
    start = time.perf_counter()
    while not times or times[-1] < seconds:
        ising.metropolis(spins, T, 1, rng)
        energies.append(ising.energy(spins))
        times.append(time.perf_counter() - start)
    return np.array(energies), np.array(times)


def _time_to_error(energies, times, exact: float, error: float) -> float | None:
    """Seconds after which the running mean (first 10 % discarded) stays within ``error``.

    None when the run ends outside it.
    """
    import numpy as np

    n = np.arange(1, len(times) + 1)
    burn = n // 10
    sums = np.concatenate([[0.0], np.cumsum(energies.mean(axis=1))])
    running = (sums[n] - sums[burn]) / (n - burn)
    outside = np.flatnonzero(np.abs(running - exact) > error)
    if outside.size and outside[-1] == len(times) - 1:
        return None
    return float(times[outside[-1] + 1 if outside.size else 0])


def _ising_quality(quick: bool) -> list[dict]:
    import math

    import numpy as np
    import torch

    from physml.infer.van import VANSettings, ising_energy, train_van
    from physml.metrics import blocking
    from physml.models import MADE
    from physml.sim.statmech import ising

    L, T, budget = (8, 2.5, 4.0) if quick else (16, 2.5, 60.0)
    n = L * L
    e_exact = float(ising.exact_energy(L, T))
    f_exact = -T * float(ising.exact_log_partition_function(L, T)) / n

    torch.manual_seed(0)
    model = MADE(n, 64, n_layers=1, z2=True)
    settings = VANSettings(batch_size=256, lr=3e-3, beta_anneal=0.98, n_steps=10**9)
    start = time.perf_counter()
    train_van(model, L, T, settings, on_step=lambda _: time.perf_counter() - start > budget)
    trained = time.perf_counter()
    generator, energies, log_q = torch.Generator().manual_seed(1), [], []
    with torch.no_grad():
        while time.perf_counter() - trained < budget / 4:
            spins, log_q_batch = model.sample(1000, generator)
            energies.append(ising_energy(spins, L).double())
            log_q.append(log_q_batch.double())
    end = time.perf_counter()
    energy, log_q = torch.cat(energies).numpy(), torch.cat(log_q).numpy()
    f_q = (energy + T * log_q) / n
    error_van = abs(float(np.mean(energy)) / n - e_exact)
    log_w = -energy / T - log_q  # log p/q up to a constant
    w = np.exp(log_w - log_w.max())
    ess_rate = w.sum() ** 2 / (w**2).sum() / (end - trained)

    trace, times = _metropolis_trace(L, T, end - start)
    burn = len(times) // 10
    stats = blocking(trace[burn:])
    error_mc = abs(stats.mean - e_exact)
    t_mc = _time_to_error(trace, times, e_exact, error_van)
    mc_rate = stats.n_effective / (times[-1] - times[burn - 1] if burn else times[-1])

    case = f"Ising {L}x{L}, T = {T}"
    gap = float(np.mean(f_q)) - f_exact
    se = float(np.std(f_q, ddof=1)) / math.sqrt(f_q.size)
    return [
        _row(
            f"{case}: VAN free energy gap F_q/N - F/N after {trained - start:.3g} s training",
            f"{gap:.2g} ± {se:.1g} J/site",
            f"F/N = {f_exact:.5f} J/site (exact)",
            None,
        ),
        _row(
            f"{case}: |<e> - e_exact| at equal wall time ({end - start:.3g} s)",
            f"{error_van:.2g} J/site (VAN)",
            f"{error_mc:.2g} ± {stats.error:.1g} J/site (Metropolis)",
            error_mc / error_van,
        ),
        _row(
            f"{case}: wall time to |<e> - e_exact| <= {error_van:.2g}",
            f"{end - start:.3g} s (VAN)",
            f"> {times[-1]:.3g} s (Metropolis)" if t_mc is None else f"{t_mc:.3g} s (Metropolis)",
            None if t_mc is None else t_mc / (end - start),
        ),
        _row(
            f"{case}: independent samples of p per second after training / burn-in",
            f"{ess_rate:.3g} /s (VAN)",
            f"{mc_rate:.3g} /s (Metropolis, tau = {stats.tau:.3g})",
            ess_rate / mc_rate,
        ),
    ]


def run(*, quick: bool = False) -> list[dict]:
    """All rows of the benchmark table (see the module docstring)."""
    repeats = 2 if quick else 5
    quality = _plummer_quality(quick) + _ising_quality(quick)
    return quality + _ising(repeats, 256 if quick else 1024) + _plummer(repeats, 10_000)


if __name__ == "__main__":  # pragma: no cover
    for row in run():
        print(row)
