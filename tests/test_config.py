from __future__ import annotations

import math

import pytest
from pydantic import BaseModel, ConfigDict, Field

from physml.config import (
    MAX_BYTES,
    MAX_DEPTH,
    MAX_NODES,
    ConfigError,
    build_config,
    check_yaml_shape,
    deep_merge,
    load_yaml,
    parse_assignment,
    show,
)


class Train(BaseModel):
    model_config = ConfigDict(extra="forbid")
    max_epochs: int = Field(10, ge=1)
    learning_rate: float = Field(1e-3, gt=0)


class Settings(BaseModel):
    model_config = ConfigDict(extra="forbid")
    sizes: list[int] = [8]
    temperature: float = Field(1.0, gt=0)
    train: Train = Train()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("sizes=[8, 16]", {"sizes": [8, 16]}),
        ("train.learning_rate=1e-3", {"train": {"learning_rate": 1e-3}}),
        ("name=cnn", {"name": "cnn"}),
        ("flag=true", {"flag": True}),
        ("a.b.c=2", {"a": {"b": {"c": 2}}}),
    ],
)
def test_parse_assignment(text: str, expected: dict) -> None:
    assert parse_assignment(text) == expected


@pytest.mark.parametrize("text", ["novalue", "=3", "a..b=1", ".a=1"])
def test_parse_assignment_rejects_malformed(text: str) -> None:
    with pytest.raises(ConfigError, match="KEY=VALUE"):
        parse_assignment(text)


def test_layers_merge_in_order() -> None:
    config = build_config(
        Settings,
        [{"sizes": [4]}, {"train": {"max_epochs": 3}}, parse_assignment("train.max_epochs=5")],
    )
    assert config.sizes == [4]
    assert config.train.max_epochs == 5
    assert config.train.learning_rate == 1e-3


def test_deep_merge_does_not_mutate() -> None:
    base = {"a": {"b": 1, "c": 2}}
    merged = deep_merge(base, {"a": {"b": 3}})
    assert merged == {"a": {"b": 3, "c": 2}}
    assert base == {"a": {"b": 1, "c": 2}}


@pytest.mark.parametrize(
    ("layer", "message"),
    [
        ({"temperature": -1}, "'temperature' = -1: input should be greater than 0"),
        ({"siz": 3}, "unknown key 'siz' (did you mean 'sizes'?)"),
        ({"train": {"max_epoch": 3}}, "unknown key 'train.max_epoch' (did you mean 'max_epochs'?)"),
        ({"train": {"max_epochs": 0}}, "'train.max_epochs' = 0"),
        ({"sizes": "big"}, "'sizes' = \"big\""),
    ],
)
def test_errors_name_field_value_and_rule(layer: dict, message: str) -> None:
    with pytest.raises(ConfigError) as err:
        build_config(Settings, [layer])
    assert message in str(err.value)
    assert "\n" not in str(err.value)


def test_unknown_key_lists_allowed() -> None:
    with pytest.raises(ConfigError, match="allowed: sizes, temperature, train"):
        build_config(Settings, [{"bogus": 1}])


def test_load_yaml(tmp_path) -> None:
    path = tmp_path / "c.yaml"
    path.write_text("sizes: [8, 16]\ntrain:\n  max_epochs: 2\n")
    assert load_yaml(path) == {"sizes": [8, 16], "train": {"max_epochs": 2}}
    path.write_text("")
    assert load_yaml(path) == {}


@pytest.mark.parametrize(
    ("text", "message"),
    [("sizes: [8, 16\n", "malformed YAML at line"), ("- 1\n- 2\n", "expected a mapping")],
)
def test_load_yaml_errors(tmp_path, text: str, message: str) -> None:
    path = tmp_path / "c.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError, match=message):
        load_yaml(path)


def test_load_yaml_refuses_python_tags(tmp_path) -> None:
    path = tmp_path / "c.yaml"
    path.write_text("x: !!python/object/apply:os.system ['echo pwned']\n")
    with pytest.raises(ConfigError, match="malformed YAML"):
        load_yaml(path)


def test_missing_file(tmp_path) -> None:
    with pytest.raises(ConfigError, match="cannot be read"):
        load_yaml(tmp_path / "absent.yaml")


def test_load_yaml_refuses_text_that_is_not_utf8(tmp_path) -> None:
    path = tmp_path / "c.yaml"
    path.write_bytes("t_min: 1.0  # caf\xe9\n".encode("latin-1"))
    with pytest.raises(ConfigError, match=r"not UTF-8 text \(byte 0xe9 at offset 17\)"):
        load_yaml(path)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("sizes: " + "[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1), "deeper than 32 levels"),
        ("sizes: " + "[" * 5000 + "]" * 5000, "deeper than 32 levels"),  # beyond recursion
        (  # ten aliases of ten aliases ... of ten values: 10^9 once expanded
            "a: &a [1, 1, 1, 1, 1, 1, 1, 1, 1, 1]\n"
            + "".join(
                f"{b}: &{b} [{', '.join([f'*{a}'] * 10)}]\n"
                for a, b in zip("abcdefgh", "bcdefghi", strict=True)
            )
            + "sizes: *i\n",
            f"more than {MAX_NODES} values",
        ),
    ],
)
def test_yaml_shape_is_bounded(tmp_path, text: str, message: str) -> None:
    path = tmp_path / "c.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError, match=message):
        load_yaml(path)
    with pytest.raises(ConfigError, match=message):
        parse_assignment(text.replace(": ", "=", 1) if text.startswith("sizes") else "x=" + text)


def test_yaml_shape_counts_aliases_exactly() -> None:
    def text(n_aliases: int) -> str:  # 1000 values, then n_aliases references to them
        return "a: &a [" + ", ".join(["1"] * 999) + "]\nb: [" + ", ".join(["*a"] * n_aliases) + "]"

    check_yaml_shape(text(98), "t")  # 2 keys + 1000 + 98 x 1000 + 1 list = 99 003
    with pytest.raises(ConfigError, match="more than"):
        check_yaml_shape(text(100), "t")  # 101 003


class Physics(BaseModel):
    model_config = ConfigDict(extra="forbid")
    coupling: float = 1.0  # unbounded: only finiteness refuses NaN here
    points: list[tuple[float, float]] = [(1.0, 2.0)]
    count: int = 3
    train: Train = Train()


@pytest.mark.parametrize(
    ("layer", "message"),
    [
        ({"coupling": math.nan}, "'coupling' = nan: must be a finite number"),
        ({"coupling": "-inf"}, "'coupling' = -inf: must be a finite number"),
        ({"points": [[1.0, math.inf]]}, "'points[0][1]' = inf: must be a finite number"),
        ({"count": 2**63}, "'count' = 9223372036854775808: must be an integer below 2^63"),
        ({"train": {"learning_rate": math.inf}}, "'train.learning_rate' = inf: must be a finite"),
    ],
)
def test_every_float_is_finite_and_every_int_fits_int64(layer: dict, message: str) -> None:
    with pytest.raises(ConfigError) as err:
        build_config(Physics, [layer])
    assert message in str(err.value)
    build_config(Physics, [{"count": 2**63 - 1, "coupling": -1e300}])  # the limits themselves


def test_values_are_shown_on_one_short_line() -> None:
    assert show(math.nan) == "NaN" and show([1, "a"]) == '[1, "a"]'
    assert show({1, 2}) == "{1, 2}"  # not JSON: repr
    assert show(list(range(1000))).endswith("...") and len(show(list(range(1000)))) == 80
    with pytest.raises(ConfigError, match="settings must be a mapping"):
        build_config(Settings, [[1, 2]])


def test_load_yaml_reads_at_most_max_bytes(tmp_path) -> None:
    path = tmp_path / "c.yaml"
    path.write_text("# " + "x" * MAX_BYTES + "\n")
    with pytest.raises(ConfigError, match=f"longer than {MAX_BYTES} bytes"):
        load_yaml(path)
