"""bench quantum-data: its baseline records follow the Born probabilities, and (slow) its
quick table is well formed."""

from __future__ import annotations

import numpy as np
import pytest
from test_bench_rows import _check_rows

from physml.bench import quantum_data
from physml.sim.quantum import measurements as m
from physml.testing import assert_samples_match


def test_loop_records_follow_the_born_probabilities() -> None:
    psi = m.w_state(3)
    bases = ["XYZ", "ZZZ"]

    def sampler(batch: int) -> np.ndarray:
        counts = quantum_data.loop_records(psi, bases, 3000, np.random.default_rng(batch))
        assert np.all(counts.sum(1) == 3000)
        return np.repeat(np.arange(8), counts[0])

    assert_samples_match(sampler, m.born_probabilities(psi, "XYZ"))


@pytest.mark.slow  # about 6 s at load 10
def test_quick_rows_are_well_formed() -> None:
    rows = quantum_data.run(quick=True)
    _check_rows(rows)
    assert [row["benchmark"] for row in rows].count("exhaustive search") == 2
