"""Typed run configurations: presets, YAML files and ``--set key=value`` overrides.

A configuration is a pydantic model with ``extra="forbid"``. It is built from layers,
later layers winning: the model's defaults, the preset, a YAML file, then ``--set``
assignments (dotted keys address nested sections: ``train.max_epochs=5``). Every failure
raises :class:`ConfigError` with a one-line message that names the field, the value and
what is allowed.
"""

from __future__ import annotations

import copy
import difflib
import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import pydantic
import yaml

__all__ = [
    "ConfigError",
    "build_config",
    "closest",
    "deep_merge",
    "load_yaml",
    "parse_assignment",
]


class ConfigError(ValueError):
    """User input that cannot become a valid configuration (one-line message)."""


def closest(name: str, choices: Iterable[str]) -> str:
    """Return ``" (did you mean 'x'?)"`` for the nearest choice, or an empty string."""
    match = difflib.get_close_matches(name, list(choices), n=1, cutoff=0.5)
    return f" (did you mean '{match[0]}'?)" if match else ""


def parse_value(text: str) -> Any:
    """Parse a command-line value: JSON first (``1e-3``, ``[8, 16]``), then YAML, else str."""
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        pass
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError:
        return text


def parse_assignment(text: str) -> dict[str, Any]:
    """Turn ``"train.max_epochs=5"`` into ``{"train": {"max_epochs": 5}}``."""
    key, sep, raw = text.partition("=")
    key = key.strip()
    if not sep or not key or any(not part for part in key.split(".")):
        raise ConfigError(f"--set {text!r}: expected KEY=VALUE, e.g. --set train.max_epochs=5")
    nested: dict[str, Any] = {}
    node = nested
    *parents, leaf = key.split(".")
    for part in parents:
        node = node.setdefault(part, {})
    node[leaf] = parse_value(raw.strip())
    return nested


def load_yaml(path: str | Path) -> dict[str, Any]:
    """Read a YAML mapping with ``yaml.safe_load``; errors name the file and line."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as err:
        raise ConfigError(f"config file {str(path)!r}: cannot be read ({err.strerror})") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(err, "problem", None) or "invalid YAML"
        raise ConfigError(f"config file {str(path)!r}: malformed YAML{where}: {problem}") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(
            f"config file {str(path)!r}: expected a mapping of keys to values, "
            f"got {type(data).__name__}"
        )
    return data


def deep_merge(base: Mapping[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    """Merge ``override`` into a copy of ``base``; nested mappings merge key by key."""
    merged = copy.deepcopy(dict(base))
    for key, value in override.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
            merged[key] = deep_merge(merged[key], value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


def _fields_at(model: type[pydantic.BaseModel], loc: tuple[Any, ...]) -> list[str]:
    """Names of the fields of the (sub)model reached by ``loc`` (for 'allowed: ...')."""
    for part in loc:
        field = model.model_fields.get(part) if isinstance(part, str) else None
        sub = field.annotation if field is not None else None
        if not (isinstance(sub, type) and issubclass(sub, pydantic.BaseModel)):
            return []
        model = sub
    return list(model.model_fields)


def _describe(error: Mapping[str, Any], model: type[pydantic.BaseModel]) -> str:
    loc = tuple(error["loc"])
    name = ".".join(str(part) for part in loc)
    if error["type"] == "extra_forbidden":
        allowed = _fields_at(model, loc[:-1])
        hint = closest(str(loc[-1]), allowed)
        return f"unknown key '{name}'{hint}; allowed: {', '.join(allowed)}"
    value = error.get("input")
    shown = json.dumps(value) if isinstance(value, (int, float, str, list, bool)) else repr(value)
    if error["type"] == "missing":
        return f"'{name}' is required"
    return f"'{name}' = {shown}: {error['msg'][0].lower()}{error['msg'][1:]}"


def build_config(
    model: type[pydantic.BaseModel], layers: Iterable[Mapping[str, Any]]
) -> pydantic.BaseModel:
    """Validate the merge of ``layers`` (earliest first) against ``model``."""
    merged: dict[str, Any] = {}
    for layer in layers:
        merged = deep_merge(merged, layer)
    try:
        return model.model_validate(merged)
    except pydantic.ValidationError as err:
        first = err.errors(include_url=False)[0]
        more = err.error_count() - 1
        suffix = f" (and {more} more problem{'s' if more > 1 else ''})" if more else ""
        raise ConfigError(_describe(first, model) + suffix) from None
