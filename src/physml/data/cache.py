"""On-disk HDF5 cache of simulated data, keyed by simulator, version, parameters and seed.

An entry is one HDF5 file ``<cache>/<simulator>/<key[:20]>.h5`` holding one dataset per
array (dtype and shape kept exactly) and file attributes
``simulator``, ``version``, ``seed``, ``params`` (canonical JSON), ``key``,
``physml_version``, ``created`` (UTC, ISO 8601) and ``manifest``: a JSON object giving
each array's ``dtype``, ``shape`` and the ``sha256`` of its C-ordered bytes.

Every write goes through :func:`physml.atomic.atomic_path`, so a reader sees a complete
entry or none. Every read is verified (file opens, attributes equal the key's, datasets
and manifest agree, checksums match); an entry that fails is never used: it is reported
through ``on_event`` and a :class:`CacheWarning`, regenerated and overwritten.

Bool and integer arrays (spins, occupations, labels) are stored with gzip level 4 and
shuffle: 15e6 random int8 spins shrink 5.6x, write in 0.3 s, read in 0.05 s. Float and
complex arrays are stored uncompressed: gzip saves only ~10% on full-entropy mantissas at
~10x the write time (measured with h5py 3.16 on 2 CPU cores).
"""

from __future__ import annotations

import hashlib
import json
import os
import warnings
from collections.abc import Callable, Mapping
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import h5py
import numpy as np

from physml import __version__
from physml.atomic import atomic_path

__all__ = [
    "CacheError",
    "CacheWarning",
    "cache_dir",
    "cache_key",
    "cached",
    "read_entry",
    "write_entry",
]

_COMPRESSION = {"compression": "gzip", "compression_opts": 4, "shuffle": True}
_DTYPE_KINDS = "biufc"  # bool, signed/unsigned int, float, complex
_COMPRESSED_KINDS = "biu"
_KEY_ATTRS = ("simulator", "version", "seed", "params", "key")


class CacheError(Exception):
    """A cache entry cannot be read, verified or written; the message names the file."""


class CacheWarning(UserWarning):
    """A cache entry was invalid and regenerated, or could not be written."""


def cache_dir() -> Path:
    """Return the cache root: ``$PHYSML_CACHE`` if set (``~`` and ``$VARS`` expanded),
    else ``~/.cache/physml``."""
    env = os.environ.get("PHYSML_CACHE")
    if env:
        return Path(os.path.expandvars(env)).expanduser()
    return Path.home() / ".cache" / "physml"


def _canonical(value: Any, where: str) -> Any:
    """Normalise ``value`` to plain JSON types; ``where`` names it in errors."""
    if value is None or isinstance(value, (bool, np.bool_)):
        return None if value is None else bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return float(value)  # json writes float repr: 0.1 and 0.1000000001 differ
    if isinstance(value, str):
        return str(value)
    if isinstance(value, Mapping):
        out = {}
        for k, v in value.items():
            if not isinstance(k, str):
                raise TypeError(f"cache key: {where} has non-string key {k!r}")
            out[k] = _canonical(v, f"{where}[{k!r}]")
        return out
    if isinstance(value, (list, tuple)):
        return [_canonical(v, f"{where}[{i}]") for i, v in enumerate(value)]
    if isinstance(value, np.ndarray):
        return _canonical(value.tolist(), where)
    raise TypeError(
        f"cache key: {where} has unsupported type {type(value).__name__} ({value!r}); "
        "use numbers, strings, booleans, None, lists/tuples, dicts or numpy arrays"
    )


def _dumps(obj: Any) -> str:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=True)


def _identity(simulator: str, version: str, params: Mapping, seed: int) -> dict[str, Any]:
    """Validate the key fields and return the attributes that identify an entry."""
    bad_name = not isinstance(simulator, str) or simulator in {"", ".", ".."}
    if bad_name or "/" in simulator or "\\" in simulator:
        raise ValueError(f"simulator must be a non-empty name without slashes, got {simulator!r}")
    if not isinstance(version, str):
        raise TypeError(f"version must be a str, got {type(version).__name__}")
    if isinstance(seed, (bool, np.bool_)) or not isinstance(seed, (int, np.integer)):
        raise TypeError(f"seed must be an int, got {seed!r}")
    if not isinstance(params, Mapping):
        raise TypeError(f"params must be a mapping, got {type(params).__name__}")
    fields = {
        "simulator": simulator,
        "version": version,
        "seed": int(seed),
        "params": _canonical(params, "params"),
    }
    return {
        **fields,
        "params": _dumps(fields["params"]),
        "key": hashlib.sha256(_dumps(fields).encode()).hexdigest(),
    }


def cache_key(simulator: str, version: str, params: Mapping, seed: int) -> str:
    """Return the sha256 hex digest identifying one simulated data set.

    The digest is over canonical JSON (sorted keys, compact separators) of
    ``{simulator, version, params, seed}``. Numpy scalars and arrays and tuples become
    JSON numbers and lists, so ``{"L": np.int64(8)}`` and ``{"L": 8}`` share a key;
    floats are written by ``repr``, so ``0.1`` and ``0.1000000001`` do not, nor do
    ``2`` and ``2.0``.

    Raises:
        TypeError: a parameter of unsupported type (the message names its key).
        ValueError: ``simulator`` is empty or contains a path separator.
    """
    return _identity(simulator, version, params, seed)["key"]


def _sha256(arr: np.ndarray) -> str:
    return hashlib.sha256(np.ascontiguousarray(arr).reshape(-1).view(np.uint8)).hexdigest()


def _compressible(a: np.ndarray) -> bool:
    return a.dtype.kind in _COMPRESSED_KINDS and a.ndim > 0 and a.size > 0


def write_entry(
    path: str | os.PathLike[str], arrays: Mapping[str, Any], attrs: Mapping[str, Any]
) -> None:
    """Atomically write ``arrays`` and ``attrs`` to the HDF5 file ``path``, with checksums.

    Args:
        path: target file; its directory is created.
        arrays: name -> array (bool, int, uint, float or complex; any shape); one dataset
            each, gzip-compressed for bool and integer dtypes.
        attrs: file attributes (str, int, float or bool values); ``manifest`` is reserved.

    Raises:
        TypeError, ValueError: an array name, dtype or attribute cannot be stored.
        CacheError: the file system refused the write.
    """
    arrays = {name: np.asarray(a) for name, a in arrays.items()}
    for name, a in arrays.items():
        if not isinstance(name, str) or not name or "/" in name or name == ".":
            raise ValueError(f"array name {name!r} is not a valid dataset name")
        if a.dtype.kind not in _DTYPE_KINDS:
            raise TypeError(f"array {name!r} has dtype {a.dtype}, which the cache cannot store")
    if "manifest" in attrs:
        raise ValueError("attribute name 'manifest' is reserved")
    manifest = {
        name: {"dtype": a.dtype.str, "shape": list(a.shape), "sha256": _sha256(a)}
        for name, a in arrays.items()
    }
    try:
        with atomic_path(path) as tmp, h5py.File(tmp, "w") as f:
            for name, a in arrays.items():
                f.create_dataset(name, data=a, **(_COMPRESSION if _compressible(a) else {}))
            f.attrs.update(attrs)
            f.attrs["manifest"] = _dumps(manifest)
    except OSError as e:
        raise CacheError(f"cannot write cache entry {path}: {e}") from e


def read_entry(path: str | os.PathLike[str]) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    """Read and verify an entry written by :func:`write_entry`.

    Returns:
        ``(arrays, attrs)``: name -> array with the recorded dtype and shape, and the file
        attributes as Python values (without ``manifest``).

    Raises:
        CacheError: the file is missing, truncated or unreadable, a dataset is missing or
            extra, or a dtype, shape or checksum differs from the manifest.
    """
    arrays: dict[str, np.ndarray] = {}
    where: str | None = None
    try:
        with h5py.File(path, "r") as f:
            attrs = {k: v.item() if isinstance(v, np.generic) else v for k, v in f.attrs.items()}
            manifest = json.loads(attrs.pop("manifest"))
            if set(f.keys()) != set(manifest):
                raise CacheError(
                    f"cache entry {path}: datasets {sorted(f.keys())} "
                    f"do not match manifest {sorted(manifest)}"
                )
            for where in manifest:
                arrays[where] = np.asarray(f[where][()])
    except CacheError:
        raise
    except (OSError, KeyError, ValueError, TypeError, RuntimeError) as e:
        what = "file" if where is None else f"array {where!r}"
        raise CacheError(
            f"cache entry {path}: {what} is unreadable: {type(e).__name__}: {e}"
        ) from e
    for name, a in arrays.items():
        rec = manifest[name]
        if a.dtype.str != rec["dtype"] or list(a.shape) != rec["shape"]:
            raise CacheError(
                f"cache entry {path}: array {name!r} is {a.dtype.str}{a.shape}, "
                f"manifest says {rec['dtype']}{tuple(rec['shape'])}"
            )
        if _sha256(a) != rec["sha256"]:
            raise CacheError(f"cache entry {path}: array {name!r} fails its sha256 checksum")
    return arrays, attrs


def _report(on_event: Callable[[str], None] | None, message: str, warn: bool = False) -> None:
    if on_event is not None:
        on_event(message)
    if warn:
        warnings.warn(message, CacheWarning, stacklevel=3)


def cached(
    simulator: str,
    version: str,
    params: Mapping,
    seed: int,
    make: Callable[[], Mapping[str, Any]],
    *,
    cache: str | os.PathLike[str] | None = None,
    on_event: Callable[[str], None] | None = None,
) -> dict[str, np.ndarray]:
    """Return the arrays for ``(simulator, version, params, seed)``, simulating on a miss.

    A valid entry is read and returned without calling ``make``. A missing entry, or one
    that fails verification (reported via ``on_event`` and a :class:`CacheWarning`), is
    regenerated with ``make()`` and written atomically. If the cache cannot be written,
    the data are still returned, with one :class:`CacheWarning`.

    Args:
        simulator: simulator name, also the subdirectory, e.g. ``"ising"``.
        version: simulator version; bump it whenever the simulator's output changes.
        params: simulator parameters (see :func:`cache_key` for allowed types).
        seed: the seed ``make`` uses.
        make: zero-argument callable returning name -> numpy array.
        cache: cache root; default :func:`cache_dir`.
        on_event: receives one-line messages ("cache hit: ...", "cache miss: ...", ...).

    Returns:
        name -> array, dtypes and shapes as ``make`` produced them.

    Example:
        >>> data = cached("ising", "1", {"L": 16, "T": 2.3}, 0, simulate)  # doctest: +SKIP
    """
    ident = _identity(simulator, version, params, seed)
    root = Path(cache).expanduser() if cache is not None else cache_dir()
    path = root / simulator / f"{ident['key'][:20]}.h5"
    if path.exists():
        try:
            arrays, attrs = read_entry(path)
            wrong = [k for k in _KEY_ATTRS if str(attrs.get(k)) != str(ident[k])]
            if wrong:
                raise CacheError(f"cache entry {path}: attributes {wrong} do not match the key")
        except CacheError as e:
            _report(on_event, f"cache invalid, regenerating: {e}", warn=True)
        else:
            _report(on_event, f"cache hit: {path}")
            return arrays
    _report(on_event, f"cache miss: simulating {simulator} (key {ident['key'][:20]})")
    result = make()
    if not isinstance(result, Mapping):
        raise TypeError(f"make() must return a mapping name -> array, got {type(result).__name__}")
    arrays = {name: np.asarray(a) for name, a in result.items()}
    seed_attr = ident["seed"] if -(2**63) <= ident["seed"] < 2**63 else str(ident["seed"])
    attrs = {
        **ident,
        "seed": seed_attr,
        "physml_version": __version__,
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    }
    try:
        write_entry(path, arrays, attrs)
    except CacheError as e:
        _report(on_event, f"cache not written, data returned uncached: {e}", warn=True)
    else:
        _report(on_event, f"cache write: {path}")
    return arrays
