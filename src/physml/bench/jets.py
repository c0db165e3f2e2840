"""Benchmark of the jet simulators and taggers (``physml bench jets``).

Three measurements, each against a baseline run in the same process; medians over
repeats:

1. *Generation*: jets per second of :func:`physml.sim.collider.jets.sample` (quark and
   gluon) and :func:`physml.sim.collider.top.sample` (QCD) in batches of 10^4, against
   :mod:`physml.bench.textbook_shower`, an independent event-by-event generator of the same
   jets (a per-emission Python loop, the veto algorithm; its tests check that it gives
   the same distributions). Top jets (decay, three showers and recoil) have no textbook
   baseline: their row is physml's absolute rate, without a ratio.
2. *Training throughput* on CPU: jets per second through a full optimisation step
   (forward, backward, Adam) of the PFN and the LoLa tagger at their task defaults, against
   a plain MLP on the same flattened inputs (the simplest network that reads them).
3. *Learning curve*: the gap of the PFN's AUC to the exact optimum of ``qg-jets``
   against the number of training jets, beside the boosted trees on jet observables at
   the same sizes (the classical baseline), one seed each.

Run with ``physml bench jets`` (``--quick`` for fewer sizes and repeats).
"""

from __future__ import annotations

import statistics
import tempfile
import time

__all__ = ["run"]


def _median_seconds(fn, repeats: int) -> float:
    fn()  # warm-up
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def _generation(quick: bool) -> list[dict]:
    from physml.bench import textbook_shower
    from physml.sim.collider import jets, top

    batch, singles = (2_000, 2_000) if quick else (10_000, 10_000)
    repeats = 3 if quick else 5
    rows = []
    samplers = {  # name: (physml's batched sampler, the textbook loop; None: no baseline)
        "quark jets": (
            lambda n: jets.sample(n, flavour="quark", seed=0),
            lambda n: textbook_shower.quark_gluon_jets(n, flavour="quark", seed=0),
        ),
        "gluon jets": (
            lambda n: jets.sample(n, flavour="gluon", seed=0),
            lambda n: textbook_shower.quark_gluon_jets(n, flavour="gluon", seed=0),
        ),
        "QCD jets (R = 0.8)": (
            lambda n: top.sample(n, kind="qcd", seed=0),
            lambda n: textbook_shower.qcd_jets(n, seed=0),
        ),
        "top jets": (lambda n: top.sample(n, kind="top", seed=0), None),
    }
    for name, (sample, textbook) in samplers.items():
        batched = batch / _median_seconds(lambda sample=sample: sample(batch), repeats)
        if textbook is None:
            rows.append(
                {
                    "benchmark": "generate",
                    "case: physml vs baseline": f"{name}: physml batched, absolute rate "
                    "(no textbook baseline)",
                    "physml": f"{batched:.3g} jets/s",
                    "baseline": "-",
                    "ratio": "-",
                }
            )
            continue
        loop = singles / _median_seconds(lambda t=textbook: t(singles), repeats)
        case = f"{name}: batched vs textbook per-emission loop"
        rows.append(_row("generate", case, batched, loop, "jets/s"))
    return rows


def _row(kind: str, what: str, physml: float, baseline: float, unit: str) -> dict:
    return {
        "benchmark": kind,
        "case: physml vs baseline": what,
        "physml": f"{physml:.3g} {unit}",
        "baseline": f"{baseline:.3g} {unit}",
        "ratio": f"{physml / baseline:.3g}",
    }


def _step_rate(model, x, y, repeats: int) -> float:
    """Jets per second through forward + backward + Adam on the batch ``x``."""
    import torch
    import torch.nn.functional as F

    opt = torch.optim.Adam(model.parameters(), lr=1e-3)

    def step() -> None:
        for _ in range(10):
            opt.zero_grad()
            F.binary_cross_entropy_with_logits(model(x).squeeze(-1), y).backward()
            opt.step()

    return 10 * len(x) / _median_seconds(step, repeats)


def _training(quick: bool) -> list[dict]:
    import torch

    from physml.models import MLP, PFN, LoLa
    from physml.models.particles.lola import lola_inputs
    from physml.sim.collider import jets, top
    from physml.tasks.collider import jet_inputs

    batch, repeats = 256, 3 if quick else 7  # jets per class: steps on 512 jets
    torch.manual_seed(0)
    qg = jets.concatenate([jets.sample(batch, flavour=f, seed=1) for f in ("quark", "gluon")])
    x_pfn = torch.from_numpy(jet_inputs.relative_coordinates(qg.constituents, qg.mask))
    tj = top.concatenate([top.sample(batch, kind=k, seed=2) for k in ("top", "qcd")])
    x_lola = torch.from_numpy(lola_inputs(tj.constituents, tj.mask, 20))
    y = torch.cat([torch.ones(batch), torch.zeros(batch)])
    rows = []
    for name, model, x in (
        ("PFN vs MLP on the same flat inputs", PFN(), x_pfn),
        ("LoLa (20 + 10 vectors) vs MLP", LoLa(20, 10, (100, 50)), x_lola),
    ):
        flat = x.flatten(start_dim=1)
        mlp = MLP(flat.shape[1], (100, 50), 1)
        rate = _step_rate(model, x, y, repeats)
        base = _step_rate(mlp, flat, y, repeats)
        rows.append(_row("train step (CPU)", name, rate, base, "jets/s"))
    return rows


def _learning_curve(quick: bool) -> list[dict]:
    from physml.tasks import run

    sizes = (1_000, 4_000) if quick else (1_000, 4_000, 16_000, 64_000)
    epochs = 8 if quick else 30
    rows = []
    with tempfile.TemporaryDirectory() as out:
        for n in sizes:
            gaps = {}
            for method, extra in (("pfn", {"train": {"max_epochs": epochs}}), ("bdt", {})):
                record = run("qg-jets", method, overrides={"n_jets": n, **extra}, out=out)
                gaps[method] = record.metrics["AUC_opt - AUC"].value
            rows.append(
                {
                    "benchmark": "AUC_opt - AUC",
                    "case: physml vs baseline": f"PFN vs BDT, {n} jets per flavour",
                    "physml": f"{gaps['pfn']:+.1e}",
                    "baseline": f"{gaps['bdt']:+.1e}",
                    "ratio": f"{gaps['pfn'] / gaps['bdt']:.3g}" if gaps["bdt"] > 0 else "n/a",
                }
            )
    return rows


def run(*, quick: bool = False) -> list[dict]:
    """All rows of the benchmark table (see the module docstring)."""
    return _generation(quick) + _training(quick) + _learning_curve(quick)


if __name__ == "__main__":  # pragma: no cover
    for row in run():
        print(row)
