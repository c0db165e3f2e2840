"""Tests for physml.tasks.seeds: named streams are distinct, reproducible and independent."""

from __future__ import annotations

import doctest

import numpy as np

from physml.tasks import seeds
from physml.tasks.seeds import Stream, generator, member_seeds, seed_sequence


def test_stream_values_are_unique():
    values = [int(s) for s in Stream]
    assert len(values) == len(set(values))


def test_same_stream_same_numbers_other_stream_other_numbers():
    a = generator(7, Stream.SPLIT).random(1000)
    np.testing.assert_array_equal(a, generator(7, Stream.SPLIT).random(1000))
    for other in (
        generator(7, Stream.MEMBERS),
        generator(8, Stream.SPLIT),
        generator(7, Stream.SPLIT, 1),
    ):
        b = other.random(1000)
        assert not np.array_equal(a, b)
        # independent uniforms: the correlation is within a few standard errors of 0
        assert abs(np.corrcoef(a, b)[0, 1]) < 4 / np.sqrt(1000)


def test_member_seeds_prefix_stable_and_from_the_members_stream():
    assert member_seeds(3, 2) == member_seeds(3, 5)[:2]
    expected = seed_sequence(3, Stream.MEMBERS).generate_state(4)
    assert member_seeds(3, 4) == [int(s) for s in expected]
    assert len(set(member_seeds(3, 16))) == 16


def test_docstring_examples():
    result = doctest.testmod(seeds)
    assert result.failed == 0 and result.attempted > 0
