"""The law catalogue: samples follow the closed forms; each law's units are consistent."""

from __future__ import annotations

import numpy as np
import pytest

from physml.infer.symbolic import expression_units
from physml.sim.laws.catalogue import LAWS, sample


@pytest.mark.parametrize("name", sorted(LAWS))
def test_samples_and_units(name: str) -> None:
    law = LAWS[name]
    x, y = sample(law, 50, np.random.default_rng(0))
    for k, (_, (low, high)) in enumerate(law.variables.values()):
        assert (x[:, k] >= low * (1 - 1e-12)).all() and (x[:, k] <= high * (1 + 1e-12)).all()
    values = dict(zip(law.symbols(), x[0], strict=True))
    assert y[0] == pytest.approx(float(law.expression.subs(values)), rel=1e-12)
    units = expression_units(law.expression, {n: v[0] for n, v in law.variables.items()})
    assert units == tuple(law.target_units)
    # the same inputs (drawn first), the target times 1 + 0.05 N(0, 1)
    _, exact = sample(law, 4000, np.random.default_rng(1))
    _, noisy = sample(law, 4000, np.random.default_rng(1), noise=0.05)
    assert np.std(noisy / exact) == pytest.approx(0.05, rel=0.1)


def test_kepler_period_of_the_earth() -> None:
    law = LAWS["kepler"]
    values = {s: v for s, v in zip(law.symbols(), (1.496e11, 1.989e30, 6.674e-11), strict=True)}
    assert float(law.expression.subs(values)) / 86400 == pytest.approx(365.25, rel=2e-3)
