"""The baselines behind ``physml bench learn``: sequential confusion fits equal the batched
one, and scikit-learn's full PCA agrees with physml's randomized one on Ising data."""

from __future__ import annotations

import numpy as np
import torch
from sklearn.decomposition import PCA

from physml.bench import learn


def test_configurations_span_both_phases() -> None:
    spins, temperature = learn.ising_configurations(40, size=8, seed=0)
    assert spins.shape == (40, 64) and spins.dtype == np.int8
    m = np.abs(spins.mean(axis=1))
    assert m[temperature < 2.0].mean() > 0.8 > 0.5 > m[temperature > 2.8].mean()


def test_randomized_pca_matches_sklearn_full_svd() -> None:
    spins, _ = learn.ising_configurations(400, size=8, seed=1)
    x = spins.astype(np.float32)
    torch.manual_seed(0)
    _, s, v = torch.pca_lowrank(torch.from_numpy(x), q=10, center=True, niter=4)
    reference = PCA().fit(x)
    assert abs(float(v[:, 0].numpy() @ reference.components_[0])) > 0.9999
    np.testing.assert_allclose(
        float(s[0] ** 2) / (len(x) - 1), reference.explained_variance_[0], rtol=1e-4
    )
    # the leading component is the uniform mode (translation invariance)
    assert abs(reference.components_[0].sum()) / np.sqrt(64) > 0.999
