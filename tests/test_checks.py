from __future__ import annotations

import math
import re

import numpy as np
import pytest

from physml.checks import check_choice, check_int, check_n_up, check_real, is_int


@pytest.mark.parametrize(
    ("value", "bounds", "expected"),
    [
        (3, {}, 3),
        (-7, {"maximum": 0}, -7),
        (0, {"minimum": 0}, 0),
        (np.int64(5), {"minimum": 1}, 5),
        (3, {"minimum": 1, "maximum": 3}, 3),
    ],
)
def test_check_int_accepts(value, bounds: dict, expected: int) -> None:
    out = check_int("n", value, **bounds)
    assert out == expected
    assert type(out) is int


@pytest.mark.parametrize(
    ("value", "bounds", "allowed"),
    [
        (True, {}, "an int"),
        (2.0, {"minimum": 1}, "an int >= 1"),
        ("3", {"minimum": 1}, "an int >= 1"),
        (None, {"minimum": 1}, "an int >= 1"),
        (0, {"minimum": 1}, "an int >= 1"),
        (4, {"maximum": 3}, "an int <= 3"),
        (4, {"minimum": 1, "maximum": 3}, "an int in 1..3"),
    ],
)
def test_check_int_rejects(value, bounds: dict, allowed: str) -> None:
    message = f"n_sites={value!r} is not allowed: expected {allowed}"
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        check_int("n_sites", value, **bounds)


@pytest.mark.parametrize("value", [3, np.int32(3), -1])
def test_is_int_accepts_integers(value) -> None:
    assert is_int(value)


@pytest.mark.parametrize("value", [True, np.bool_(True), 3.0, "3", None])
def test_is_int_rejects_the_rest(value) -> None:
    assert not is_int(value)


@pytest.mark.parametrize(
    ("value", "kwargs"),
    [(-1.5, {}), (2, {}), (np.float32(0.5), {"positive": True}), (0.0, {"nonnegative": True})],
)
def test_check_real_accepts(value, kwargs: dict) -> None:
    out = check_real("h", value, **kwargs)
    assert out == float(value)
    assert type(out) is float


@pytest.mark.parametrize(
    ("value", "kwargs", "allowed"),
    [
        (True, {}, "a finite real number"),
        ("1.0", {}, "a finite real number"),
        (math.nan, {}, "a finite real number"),
        (-math.inf, {}, "a finite real number"),
        (0.0, {"positive": True}, "a finite real number > 0"),
        (-0.1, {"nonnegative": True}, "a finite real number >= 0"),
    ],
)
def test_check_real_rejects(value, kwargs: dict, allowed: str) -> None:
    message = f"omega={value!r} is not allowed: expected {allowed}"
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        check_real("omega", value, **kwargs)


def test_check_choice() -> None:
    assert check_choice("move", "flip", ("flip", "exchange")) == "flip"
    message = "move='swap' is not allowed: expected one of 'flip', 'exchange'"
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        check_choice("move", "swap", ("flip", "exchange"))


@pytest.mark.parametrize(("n_up", "expected"), [(None, 3), (0, 0), (5, 5), (np.int64(2), 2)])
def test_check_n_up_accepts(n_up, expected: int) -> None:
    assert check_n_up(n_up, 5) == expected


@pytest.mark.parametrize("n_up", [-1, 6, 2.0, True])
def test_check_n_up_rejects(n_up) -> None:
    with pytest.raises(ValueError, match=rf"^n_up={re.escape(repr(n_up))} .*an int in 0\.\.5$"):
        check_n_up(n_up, 5)
