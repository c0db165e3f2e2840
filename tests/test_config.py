from __future__ import annotations

import pytest
from pydantic import BaseModel, ConfigDict, Field

from physml.config import ConfigError, build_config, deep_merge, load_yaml, parse_assignment


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
