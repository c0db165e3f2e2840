"""Typed run configurations: presets, YAML files and ``--set key=value`` overrides.

A configuration is a pydantic model with ``extra="forbid"``. It is built from layers,
later layers winning: the model's defaults, the preset, a YAML file, then ``--set``
assignments (dotted keys address nested sections: ``train.max_epochs=5``). Every failure
raises :class:`ConfigError` with a one-line message that names the field, the value and
what is allowed.

Rules that hold for every setting of every task, whatever its own model says:
:func:`build_config` refuses NaN and +-inf in any float and integers beyond int64,
anywhere in the validated configuration (lists and nested sections included), and YAML
text (a file or a ``--set`` value) must be UTF-8, at most :data:`MAX_DEPTH` levels deep and
at most :data:`MAX_NODES` values once its aliases are expanded; a file at most
:data:`MAX_BYTES` long.
"""

from __future__ import annotations

import copy
import difflib
import json
import math
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import pydantic
import yaml

__all__ = [
    "MAX_BYTES",
    "MAX_DEPTH",
    "MAX_INT",
    "MAX_NODES",
    "ConfigError",
    "build_config",
    "check_yaml_shape",
    "closest",
    "deep_merge",
    "load_yaml",
    "parse_assignment",
    "show",
]


MAX_DEPTH = 32
"""Deepest nesting of lists and mappings a YAML file or ``--set`` value may have."""
MAX_NODES = 100_000
"""Most values a YAML file or ``--set`` value may expand to (aliases counted in full)."""
MAX_BYTES = 1 << 20
"""Longest configuration file read (1 MiB); a device or a data file given by mistake stops there."""
MAX_INT = 2**63 - 1
"""Largest integer a setting (or a seed) may hold: int64, what numpy and torch store."""


class ConfigError(ValueError):
    """User input (a setting, a configuration file, a run directory, a data file) that
    physml refuses; the message is one line naming what, the value and what is allowed."""


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


def check_yaml_shape(text: str, where: str) -> None:
    """Refuse YAML ``text`` nested deeper than :data:`MAX_DEPTH` or expanding to more than
    :data:`MAX_NODES` values (aliases of aliases: the "billion laughs").

    Reads the parser's events only (no recursion, nothing built), so it is safe on any
    input; text that is not YAML is left for the real parse to report.
    """
    sizes: dict[str, int] = {}  # anchor -> values it expands to
    stack: list[list[Any]] = [[None, 0]]  # [anchor, values so far] per open collection
    try:
        for event in yaml.parse(text, Loader=yaml.SafeLoader):
            if isinstance(event, (yaml.SequenceStartEvent, yaml.MappingStartEvent)):
                stack.append([event.anchor, 0])
                if len(stack) - 1 > MAX_DEPTH:
                    raise ConfigError(f"{where}: nested deeper than {MAX_DEPTH} levels")
                continue
            if isinstance(event, (yaml.SequenceEndEvent, yaml.MappingEndEvent)):
                anchor, count = stack.pop()
                size = count + 1
            elif isinstance(event, yaml.ScalarEvent):
                anchor, size = event.anchor, 1
            elif isinstance(event, yaml.AliasEvent):
                anchor, size = None, sizes.get(event.anchor, 1)
            else:
                continue
            if anchor is not None:
                sizes[anchor] = size
            stack[-1][1] += size
            if stack[-1][1] > MAX_NODES:
                raise ConfigError(
                    f"{where}: expands to more than {MAX_NODES} values (aliases included)"
                )
    except yaml.YAMLError:
        return


def parse_assignment(text: str) -> dict[str, Any]:
    """Turn ``"train.max_epochs=5"`` into ``{"train": {"max_epochs": 5}}``."""
    key, sep, raw = text.partition("=")
    key = key.strip()
    if not sep or not key or any(not part for part in key.split(".")):
        raise ConfigError(f"--set {text!r}: expected KEY=VALUE, e.g. --set train.max_epochs=5")
    check_yaml_shape(raw, f"--set {key}")
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
        with path.open("rb") as fh:
            raw = fh.read(MAX_BYTES + 1)
    except OSError as err:
        raise ConfigError(f"config file {str(path)!r}: cannot be read ({err.strerror})") from None
    if len(raw) > MAX_BYTES:
        raise ConfigError(f"config file {str(path)!r}: longer than {MAX_BYTES} bytes")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as err:
        raise ConfigError(
            f"config file {str(path)!r}: not UTF-8 text (byte {err.object[err.start]:#04x} at "
            f"offset {err.start}); save it as UTF-8"
        ) from None
    check_yaml_shape(text, f"config file {str(path)!r}")
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


def show(value: Any, limit: int = 80) -> str:
    """``value`` as it is shown in a one-line message: JSON where it can be (NaN and
    Infinity included), else ``repr``; at most ``limit`` characters."""
    try:
        shown = json.dumps(value)
    except (TypeError, ValueError, RecursionError):
        shown = repr(value)
    return shown if len(shown) <= limit else shown[: limit - 3] + "..."


def _refuse_non_finite(value: Any, name: str) -> None:
    """Raise ConfigError for a NaN or +-inf float or an integer beyond int64 anywhere in
    ``value`` (a validated model, its lists, tuples and mappings); ``name`` is its path."""
    if isinstance(value, pydantic.BaseModel):
        for field in type(value).model_fields:
            _refuse_non_finite(getattr(value, field), f"{name}.{field}" if name else field)
    elif isinstance(value, (list, tuple)):
        for i, item in enumerate(value):
            _refuse_non_finite(item, f"{name}[{i}]")
    elif isinstance(value, Mapping):
        for key, item in value.items():
            _refuse_non_finite(item, f"{name}.{key}")
    elif isinstance(value, float) and not math.isfinite(value):
        raise ConfigError(f"'{name}' = {value}: must be a finite number (not NaN or +-inf)")
    elif isinstance(value, int) and not isinstance(value, bool) and abs(value) > MAX_INT:
        raise ConfigError(f"'{name}' = {show(value, 30)}: must be an integer below 2^63")


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
    if error["type"] == "missing":
        return f"'{name}' is required"
    message = error["msg"]
    if error["type"] == "value_error":  # a validator's own words, which name the fields
        message = message.removeprefix("Value error, ")
        if not name or isinstance(value, Mapping):  # a model's check: its input says nothing
            return f"'{name}': {message}" if name else message
    return f"'{name}' = {show(value)}: {message[0].lower()}{message[1:]}"


def build_config(
    model: type[pydantic.BaseModel], layers: Iterable[Mapping[str, Any]]
) -> pydantic.BaseModel:
    """Validate the merge of ``layers`` (earliest first) against ``model``; refuse
    non-finite floats and integers beyond int64 anywhere in the result."""
    merged: dict[str, Any] = {}
    for layer in layers:
        if not isinstance(layer, Mapping):
            raise ConfigError(
                f"settings must be a mapping of keys to values, got {type(layer).__name__}"
            )
        merged = deep_merge(merged, layer)
    try:
        config = model.model_validate(merged)
    except pydantic.ValidationError as err:
        first = err.errors(include_url=False)[0]
        more = err.error_count() - 1
        suffix = f" (and {more} more problem{'s' if more > 1 else ''})" if more else ""
        raise ConfigError(_describe(first, model) + suffix) from None
    _refuse_non_finite(config, "")
    return config
