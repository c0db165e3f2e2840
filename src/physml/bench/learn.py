"""Benchmark of the unsupervised and batched learners (``physml bench learn``).

Rows, each against an independent baseline measured in the same process (medians of
interleaved repeats):

* **learning by confusion**: the K trial classifiers of ``ising-unsupervised`` trained as
  one batched model (:func:`~physml.tasks.statmech.ising_unsupervised_confusion.train_batched`)
  against the same K models fitted one after another with the same initial weights and
  mini-batches (``train_sequential``, the loop a user writes); ``check`` is the largest
  parameter difference between the two (float32 rounding only: the fits are the same).
* **PCA**: the PCA ``ising-unsupervised`` runs (scikit-learn's ``PCA(2)``, whose default
  solver for tall data is the eigendecomposition of the covariance) and the randomized
  :func:`torch.pca_lowrank` (rank 10, 4 power iterations), each against the full SVD of
  the data matrix (``PCA(svd_solver="full")``); ``check``: the overlap |v_1 . v_1'| of
  the first components and the relative difference of their variances.
* **t-SNE**: openTSNE (FFT-accelerated interpolation, the ``tsne`` extra) against
  scikit-learn's default ``TSNE`` (Barnes-Hut); ``check``: the KL divergence each reports.

Data: Monte Carlo configurations of :func:`physml.sim.statmech.ising.sample` at 10
temperatures in [1.5, 3.0] (L = 16: 1e5 configurations for PCA, 1e4 for t-SNE, 3000 for
confusion; ``--quick``: 2e4, 2000, 1500). Run with ``physml bench learn``.
"""

from __future__ import annotations

import statistics
import time

import numpy as np

__all__ = ["ising_configurations", "run"]


def ising_configurations(n: int, size: int = 16, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """``n`` configurations (n, size*size) int8 at 10 temperatures in [1.5, 3.0], and
    their temperatures (n,)."""
    from physml.sim.statmech import ising

    temps = np.linspace(1.5, 3.0, 10)
    per = -(-n // temps.size)
    spins = np.concatenate([ising.sample(size, t, per, seed + i) for i, t in enumerate(temps)])
    return spins.reshape(len(spins), -1)[:n], np.repeat(temps, per)[:n]


def _median_times(functions: dict, repeats: int, warm_up: bool = True) -> tuple[dict, dict]:
    """Interleaved repeats of each function (after one untimed call of each with
    ``warm_up``); returns (median seconds, last results)."""
    times: dict = {name: [] for name in functions}
    results: dict = {name: function() for name, function in functions.items()} if warm_up else {}
    for _ in range(repeats):
        for name, function in functions.items():
            start = time.perf_counter()
            results[name] = function()
            times[name].append(time.perf_counter() - start)
    return {name: statistics.median(t) for name, t in times.items()}, results


def _row(benchmark: str, case: str, physml_s: float, baseline_s: float, check: str) -> dict:
    return {
        "benchmark": benchmark,
        "case": case,
        "physml": f"{physml_s:.3g} s",
        "baseline": f"{baseline_s:.3g} s",
        "ratio": f"{baseline_s / physml_s:.3g}",
        "check": check,
    }


def _confusion(quick: bool, repeats: int) -> dict:
    from physml.tasks.statmech.ising_phase_classifiers import gauge_fixed
    from physml.tasks.statmech.ising_unsupervised_confusion import (
        confusion_labels,
        train_batched,
        train_sequential,
    )

    spins, temperature = ising_configurations(1500 if quick else 3000, seed=1)
    x = gauge_fixed(spins.reshape(len(spins), 16, 16))
    temps = np.unique(temperature)
    trials = np.linspace(temps[0], temps[-1], 28)
    y = confusion_labels(temperature, trials)
    options = {"hidden": 16, "epochs": 3, "batch_size": 256, "learning_rate": 3e-3, "seed": 0}
    seconds, results = _median_times(
        {
            "batched": lambda: train_batched(x, y, **options),
            "sequential": lambda: train_sequential(x, y, **options),
        },
        repeats,
    )
    batched, sequential = results["batched"], results["sequential"]
    difference = max(
        float((getattr(batched, name)[k] - value[0]).detach().abs().max())
        for k, member in enumerate(sequential)
        for name, value in member.named_parameters()
    )
    return _row(
        "confusion: batched / sequential",
        f"K = {len(trials)} MLPs 256-16-1, {len(x)} configurations x 3 epochs",
        seconds["batched"],
        seconds["sequential"],
        f"max |param difference| {difference:.1e}",
    )


def _pca(quick: bool, repeats: int) -> list[dict]:
    import torch
    from sklearn.decomposition import PCA

    spins, _ = ising_configurations(20_000 if quick else 100_000, seed=2)
    x = spins.astype(np.float32)

    def default_pca() -> tuple[np.ndarray, float]:  # what ising-unsupervised runs
        pca = PCA(2).fit(x)
        return pca.components_[0], float(pca.explained_variance_[0])

    def full_svd() -> tuple[np.ndarray, float]:
        pca = PCA(svd_solver="full").fit(x)
        return pca.components_[0], float(pca.explained_variance_[0])

    def torch_randomized() -> tuple[np.ndarray, float]:
        _, s, v = torch.pca_lowrank(torch.from_numpy(x), q=10, center=True, niter=4)
        return v[:, 0].numpy(), float(s[0] ** 2) / (len(x) - 1)

    torch.manual_seed(0)
    functions = {"default": default_pca, "full": full_svd, "torch": torch_randomized}
    seconds, results = _median_times(functions, repeats)
    v_ref, var_ref = results["full"]

    def check(name: str) -> str:
        v, var = results[name]
        return f"|v1.v1'| = {abs(float(v @ v_ref)):.6f}, variance gap {var / var_ref - 1:+.1e}"

    case = f"{len(x)} configurations of 16 x 16 spins, 2 components"
    return [
        _row(
            "PCA: sklearn PCA(2) (physml's) vs full SVD",
            case,
            seconds["default"],
            seconds["full"],
            check("default"),
        ),
        _row(
            "PCA: torch.pca_lowrank vs full SVD",
            case,
            seconds["torch"],
            seconds["full"],
            check("torch"),
        ),
    ]


def _tsne(quick: bool, repeats: int) -> dict:
    from sklearn.manifold import TSNE

    spins, _ = ising_configurations(2000 if quick else 10_000, seed=3)
    x = spins.astype(np.float32)
    try:
        from openTSNE import TSNE as OpenTSNE
    except ImportError:
        return {
            "benchmark": "t-SNE: openTSNE vs sklearn TSNE()",
            "case": "openTSNE not installed (pip install -e '.[tsne]')",
            "physml": "-",
            "baseline": "-",
            "ratio": "-",
            "check": "-",
        }

    def open_tsne() -> float:
        return float(OpenTSNE(random_state=0, n_jobs=1).fit(x).kl_divergence)

    def sklearn_tsne() -> float:
        return float(TSNE(random_state=0).fit(x).kl_divergence_)

    functions = {"physml": open_tsne, "sklearn": sklearn_tsne}
    seconds, results = _median_times(functions, repeats, warm_up=False)

    return _row(
        "t-SNE: openTSNE vs sklearn TSNE()",
        f"{len(x)} configurations of 16 x 16 spins, perplexity 30",
        seconds["physml"],
        seconds["sklearn"],
        f"KL divergence {results['physml']:.3f} vs {results['sklearn']:.3f}",
    )


def run(*, quick: bool = False) -> list[dict]:
    """All rows of the benchmark table (see the module docstring)."""
    repeats = 3 if quick else 5
    return [_confusion(quick, repeats), *_pca(quick, repeats), _tsne(quick, 1)]


if __name__ == "__main__":  # pragma: no cover
    for row in run():
        print(row)
