"""The anomaly scores of ``bump-hunt``: classifiers, conditional flows and autoencoders.

Every method turns the signal-region (SR) data, the sideband (SB) data and a test set into
scores (larger: more signal-like) for the held-out SR data (to cut on) and for the test
events (to draw the SIC curve on), one column per seed.

Classifiers are scikit-learn's ``HistGradientBoostingClassifier``: on these four tabular
features boosted trees match or beat neural networks in weak supervision, are much less
sensitive to the seed and train in seconds on two cores (Finke, Krämer, Mück, Tönshoff,
arXiv:2309.13111), so the classifier is not what separates the methods. Data scores come
from k-fold cross-prediction (each SR event scored by the classifiers that did not see
it); test scores are the mean over the k classifiers. Classes are weighted to balance.

Flows are zuko MAFs p(x | m_jj) (:func:`physml.models.generative.flows.make_flow`, fitted
by :func:`physml.train.fit_flow`) on the features mapped to R^4 by a min-max scaling and a
logit (limits from the sideband data, 5 % margins), standardised. The map is the same for
every flow and event, so its Jacobian cancels in ANODE's ratio, and CATHODE's samples
mapped back always lie inside the features' range.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from physml.tasks.base import RunContext

__all__ = [
    "FeatureMap",
    "anode_scores",
    "autoencoder_scores",
    "cathode_scores",
    "classifier_scores",
]

_EDGE = 1e-6


class FeatureMap:
    """x -> logit((x - lo) / (hi - lo)), lo and hi the range of ``x`` widened by 5 %."""

    def __init__(self, x: np.ndarray) -> None:
        lo, hi = x.min(axis=0), x.max(axis=0)
        margin = 0.05 * (hi - lo) + 1e-9
        self.lo, self.span = lo - margin, hi - lo + 2 * margin

    def forward(self, x: np.ndarray) -> np.ndarray:
        u = np.clip((x - self.lo) / self.span, _EDGE, 1 - _EDGE)
        return np.log(u) - np.log1p(-u)

    def inverse(self, z: np.ndarray) -> np.ndarray:
        return self.lo + self.span / (1.0 + np.exp(-z))


def _classifier(settings: Any, seed: int):
    from sklearn.ensemble import HistGradientBoostingClassifier

    return HistGradientBoostingClassifier(
        max_iter=settings.max_iter,
        learning_rate=settings.learning_rate,
        max_leaf_nodes=settings.max_leaf_nodes,
        early_stopping=True,
        validation_fraction=0.2,
        n_iter_no_change=10,
        class_weight="balanced",
        random_state=seed % 2**31,
    )


def classifier_scores(
    positive: np.ndarray,
    negative: np.ndarray,
    test: np.ndarray,
    *,
    settings: Any,
    seed: int,
) -> tuple[np.ndarray, np.ndarray]:
    """k-fold classifiers of ``positive`` (label 1) against ``negative`` (label 0).

    Returns:
        (held-out scores of the positive events (n_pos,), mean test scores (n_test,)).
    """
    rng = np.random.default_rng(seed)
    k = settings.n_folds
    fold_pos = rng.permutation(len(positive)) % k
    fold_neg = rng.permutation(len(negative)) % k
    held = np.empty(len(positive))
    test_scores = np.zeros(len(test))
    for fold in range(k):
        x = np.concatenate([positive[fold_pos != fold], negative[fold_neg != fold]])
        y = np.concatenate([np.ones((fold_pos != fold).sum()), np.zeros((fold_neg != fold).sum())])
        model = _classifier(settings, seed + fold).fit(x, y)
        held[fold_pos == fold] = model.predict_proba(positive[fold_pos == fold])[:, 1]
        test_scores += model.predict_proba(test)[:, 1] / k
    return held, test_scores


def _fit_flow(x: np.ndarray, m: np.ndarray, config: Any, ctx: RunContext, name: str, seed: int):
    """A conditional MAF p(x | m) fitted to mapped features ``x`` (n, 4), m in TeV."""
    import torch

    from physml.models.generative.flows import Standardized, make_flow
    from physml.train import fit_flow

    torch.manual_seed(seed)
    model, train = config.model, config.train
    xt = torch.as_tensor(x, dtype=torch.float32)
    ct = torch.as_tensor(m[:, None], dtype=torch.float32)
    flow = make_flow("maf", x.shape[1], context=1, transforms=model.transforms, hidden=model.hidden)
    with ctx.progress(f"flow {name}", train.max_epochs) as bar:
        result = fit_flow(
            Standardized.from_data(flow, xt, ct),
            xt,
            context=ct,
            seed=seed % 2**31,
            epochs=train.max_epochs,
            batch_size=train.batch_size,
            lr=train.learning_rate,
            weight_decay=train.weight_decay,
            patience=train.patience,
            device=ctx.device,
            checkpoint_dir=ctx.checkpoint_dir / name,
            on_epoch=lambda record: bar.advance(),
        )
    return result.model.cpu()


def _log_prob(flow, x: np.ndarray, m: np.ndarray) -> np.ndarray:
    import torch

    with torch.no_grad():
        xt = torch.as_tensor(x, dtype=torch.float32)
        ct = torch.as_tensor(m[:, None], dtype=torch.float32)
        return flow(ct).log_prob(xt).double().numpy()


def anode_scores(sr, sb, test, *, config, ctx: RunContext, name: str, seed: int):
    """ANODE (Nachman & Shih, arXiv:2001.04990): log p_SR(x | m) - log p_SB(x | m), both
    flows fitted here; ``sr``, ``sb``, ``test`` are (m_jj, features) pairs. Data scores are
    in-sample (the SR flow is early-stopped on a held-out tenth)."""
    fmap = FeatureMap(sb[1])
    flow_sb = _fit_flow(fmap.forward(sb[1]), sb[0], config, ctx, f"{name}-sb", seed)
    flow_sr = _fit_flow(fmap.forward(sr[1]), sr[0], config, ctx, f"{name}-sr", seed + 1)

    def score(m, x):
        z = fmap.forward(x)
        return np.nan_to_num(_log_prob(flow_sr, z, m) - _log_prob(flow_sb, z, m), nan=-1e9)

    return score(*sr), score(*test)


def cathode_scores(sr, sb, test, *, config, ctx: RunContext, name: str, seed: int):
    """CATHODE (Hallin et al., arXiv:2109.00546): p_SB(x | m) fitted in the sidebands,
    sampled at m_jj drawn from a Gaussian kernel estimate of the SR data's m_jj
    (``oversampling`` samples per SR event), then a k-fold classifier of SR data against
    the samples."""
    import torch

    fmap = FeatureMap(sb[1])
    flow = _fit_flow(fmap.forward(sb[1]), sb[0], config, ctx, f"{name}-sb", seed)
    rng = np.random.default_rng(seed)
    m_sr = sr[0]
    n = int(config.model.oversampling * len(m_sr))
    bandwidth = 1.06 * m_sr.std() * len(m_sr) ** -0.2  # Silverman's rule
    m = rng.choice(m_sr, n) + bandwidth * rng.standard_normal(n)
    m = np.clip(m, m_sr.min(), m_sr.max())
    torch.manual_seed(seed)
    with torch.no_grad():
        ct = torch.as_tensor(m[:, None], dtype=torch.float32)
        z = flow(ct).sample().double().numpy()
    samples = fmap.inverse(np.nan_to_num(z))
    return classifier_scores(sr[1], samples, test[1], settings=config.model, seed=seed)


def autoencoder_scores(sr, test, *, config, ctx: RunContext, name: str, seed: int):
    """Reconstruction errors of ``n_seeds`` autoencoders trained on the standardised SR
    data, one per seed (a batched ensemble): (data (n_seeds, n_sr), test (n_seeds, n_test))."""
    import torch

    from physml.models.autoencoders import EnsembleAutoencoder
    from physml.tasks.training import fit_arrays

    mean, std = sr.mean(axis=0), sr.std(axis=0) + 1e-12
    model = EnsembleAutoencoder(
        config.n_seeds,
        sr.shape[1],
        config.model.latent,
        tuple(config.model.hidden),
        generator=torch.Generator().manual_seed(seed % 2**31),
    )

    def loss(net, batch):
        x = batch[0]
        return ((net(x) - x) ** 2).sum(dim=-1).mean(dim=1).sum()

    data = (sr - mean) / std
    order = np.random.default_rng(seed).permutation(len(data))
    n_val = max(len(data) // 10, 1)
    fit_arrays(
        model,
        loss,
        [data[order]],
        settings=config.train,
        seed=seed % 2**31,
        ctx=ctx,
        name=name,
        n_validation=n_val,
    )

    def errors(x):
        with torch.no_grad():
            t = torch.as_tensor((x - mean) / std, dtype=torch.float32)
            return ((model(t) - t) ** 2).sum(dim=-1).double().numpy()

    return errors(sr), errors(test)


def sic_curve(eps_s: np.ndarray, eps_b: np.ndarray, min_eps_b: float) -> np.ndarray:
    """eps_S / sqrt(eps_B) where eps_B >= ``min_eps_b`` (0 elsewhere)."""
    ok = eps_b >= min_eps_b
    return np.where(ok, eps_s / np.sqrt(np.where(ok, eps_b, 1.0)), 0.0)


def max_sic(labels: np.ndarray, scores: np.ndarray, min_background: int) -> tuple:
    """(max SIC, the SIC curve on a grid of eps_S (101 points)): the maximum over
    thresholds keeping at least ``min_background`` test background events (relative
    statistical error of eps_B <= 1 / sqrt(min_background))."""
    from sklearn.metrics import roc_curve  # every threshold: collinear ROC points have
    # different SIC, so none may be dropped (physml's roc_curve drops them for plotting)

    eps_b, eps_s, _ = roc_curve(labels, scores, drop_intermediate=False)
    floor = min_background / max(int((labels == 0).sum()), 1)
    sic = sic_curve(eps_s, eps_b, floor)
    grid = np.linspace(0.0, 1.0, 101)
    return float(sic.max()), np.interp(grid, eps_s, sic)


def excess_significance(scores: np.ndarray, is_signal: np.ndarray, keep: float) -> float:
    """S / sqrt(B) of the SR data events above the cut that keeps a fraction ``keep`` of
    them (truth counts)."""
    cut = np.quantile(scores, 1.0 - keep)
    passed = scores >= cut
    s, b = int((passed & is_signal).sum()), int((passed & ~is_signal).sum())
    return s / math.sqrt(max(b, 1))
