"""Tests for physml.data.cache: keys, round trips, hits, and corrupted or unwritable entries."""

from __future__ import annotations

import json
import warnings

import h5py
import numpy as np
import pytest

from physml.data import (
    CacheError,
    CacheWarning,
    cache_dir,
    cache_key,
    cached,
    read_entry,
    write_entry,
)

PARAMS = {"L": 8, "T": 2.269, "boundary": "periodic", "grid": (1.0, 2.0)}


class Maker:
    """A seeded fake simulator that counts how often it runs."""

    def __init__(self, seed: int = 0) -> None:
        self.calls = 0
        self.seed = seed

    def __call__(self) -> dict[str, np.ndarray]:
        self.calls += 1
        rng = np.random.default_rng(self.seed)
        return {
            "spins": rng.choice(np.array([-1, 1], dtype=np.int8), size=(50, 8, 8)),
            "energy": rng.normal(size=50),
            "temperature": np.float32(2.269) * np.ones(50, dtype=np.float32),
            "mask": rng.random(50) < 0.5,
            "psi": rng.normal(size=4) + 1j * rng.normal(size=4),
            "count": np.asarray(50, dtype=np.uint16),
            "empty": np.zeros((0, 3)),
        }


def run(tmp_path, maker, events=None, params=PARAMS, seed=0):
    return cached(
        "ising",
        "1",
        params,
        seed,
        maker,
        cache=tmp_path,
        on_event=None if events is None else events.append,
    )


def entry_path(tmp_path, params=PARAMS, seed=0):
    return tmp_path / "ising" / f"{cache_key('ising', '1', params, seed)[:20]}.h5"


def assert_same(a: dict, b: dict) -> None:
    assert a.keys() == b.keys()
    for name in a:
        assert a[name].dtype == b[name].dtype, name
        assert a[name].shape == b[name].shape, name
        np.testing.assert_array_equal(a[name], b[name])


# --- keys --------------------------------------------------------------------------------


def test_key_changes_with_every_field():
    base = cache_key("ising", "1", PARAMS, 0)
    assert len(base) == 64 and int(base, 16) >= 0
    assert cache_key("xy", "1", PARAMS, 0) != base
    assert cache_key("ising", "2", PARAMS, 0) != base
    assert cache_key("ising", "1", PARAMS, 1) != base
    for name, new in [("L", 9), ("T", 2.2690000001), ("boundary", "open"), ("grid", (1.0, 2.5))]:
        assert cache_key("ising", "1", {**PARAMS, name: new}, 0) != base, name
    assert cache_key("ising", "1", {**PARAMS, "extra": None}, 0) != base
    assert cache_key("ising", "1", {"T": 0.1}, 0) != cache_key("ising", "1", {"T": 0.1000000001}, 0)


def test_key_stable_across_ordering_and_numpy_types():
    base = cache_key("ising", "1", PARAMS, 0)
    reordered = dict(reversed(list(PARAMS.items())))
    numpy_params = {
        "L": np.int64(8),
        "T": np.float64(2.269),
        "boundary": np.str_("periodic"),
        "grid": np.array([1.0, 2.0]),
    }
    assert cache_key("ising", "1", reordered, 0) == base
    assert cache_key("ising", "1", numpy_params, np.int32(0)) == base
    assert cache_key("ising", "1", {**PARAMS, "grid": [1.0, 2.0]}, 0) == base
    nested = {"a": {"y": 1, "x": [True, None]}}
    nested_numpy = {"a": {"x": (np.bool_(True), None), "y": 1}}
    assert cache_key("s", "1", nested, 0) == cache_key("s", "1", nested_numpy, 0)


def test_unsupported_param_type_names_the_key():
    with pytest.raises(TypeError, match=r"params\['opts'\]\['f'\]"):
        cache_key("ising", "1", {"opts": {"f": object()}}, 0)
    with pytest.raises(TypeError, match="seed"):
        cache_key("ising", "1", {}, 1.5)
    with pytest.raises(ValueError, match="simulator"):
        cache_key("../x", "1", {}, 0)


def test_cache_dir_honours_env(monkeypatch, tmp_path):
    monkeypatch.setenv("PHYSML_CACHE", str(tmp_path / "c"))
    assert cache_dir() == tmp_path / "c"
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("PHYSML_CACHE", "~/x")
    assert cache_dir() == tmp_path / "x"
    monkeypatch.delenv("PHYSML_CACHE")
    assert cache_dir() == tmp_path / ".cache" / "physml"


def test_cached_uses_env_dir_by_default(monkeypatch, tmp_path):
    monkeypatch.setenv("PHYSML_CACHE", str(tmp_path))
    cached("ising", "1", PARAMS, 0, Maker())
    assert entry_path(tmp_path).is_file()


# --- round trip and hits -----------------------------------------------------------------


def test_write_read_round_trip(tmp_path):
    arrays = Maker()()
    path = tmp_path / "sub" / "e.h5"
    write_entry(path, arrays, {"simulator": "ising", "seed": 3, "beta": 0.5})
    back, attrs = read_entry(path)
    assert_same(arrays, back)
    assert attrs == {"simulator": "ising", "seed": 3, "beta": 0.5}
    assert list(tmp_path.joinpath("sub").iterdir()) == [path]  # no temp file left


def test_second_call_is_a_hit(tmp_path):
    maker, events = Maker(), []
    first = run(tmp_path, maker, events)
    assert maker.calls == 1
    assert events[0].startswith("cache miss: simulating ising")
    assert events[1] == f"cache write: {entry_path(tmp_path)}"
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        second = run(tmp_path, maker, events)
    assert maker.calls == 1
    assert events[2] == f"cache hit: {entry_path(tmp_path)}"
    assert_same(first, second)
    assert second["spins"].dtype == np.int8


def test_entry_records_identity(tmp_path):
    run(tmp_path, Maker(), params={"L": 8, "T": 2.5}, seed=7)
    _, attrs = read_entry(entry_path(tmp_path, {"L": 8, "T": 2.5}, 7))
    assert attrs["simulator"] == "ising" and attrs["version"] == "1" and attrs["seed"] == 7
    assert json.loads(attrs["params"]) == {"L": 8, "T": 2.5}
    assert attrs["key"] == cache_key("ising", "1", {"L": 8, "T": 2.5}, 7)
    assert {"physml_version", "created"} <= attrs.keys()


def test_huge_seed_round_trips(tmp_path):
    maker = Maker()
    seed = 2**100
    run(tmp_path, maker, seed=seed)
    run(tmp_path, maker, seed=seed)
    assert maker.calls == 1


# --- invalid entries ---------------------------------------------------------------------


def assert_regenerated(tmp_path, match):
    maker, events = Maker(), []
    with pytest.warns(CacheWarning, match=match):
        data = run(tmp_path, maker, events)
    assert maker.calls == 1
    assert any(e.startswith("cache invalid") for e in events)
    assert_same(data, Maker()())
    back, _ = read_entry(entry_path(tmp_path))  # overwritten with a valid entry
    assert_same(back, data)


def test_truncated_file_regenerated(tmp_path):
    run(tmp_path, Maker())
    path = entry_path(tmp_path)
    raw = path.read_bytes()
    path.write_bytes(raw[: len(raw) // 2])
    with pytest.raises(CacheError, match=str(path.name)):
        read_entry(path)
    assert_regenerated(tmp_path, "unreadable")


def test_data_rewritten_in_place_fails_checksum(tmp_path):
    run(tmp_path, Maker())
    path = entry_path(tmp_path)
    with h5py.File(path, "r+") as f:
        f["energy"][3] = 1e6
    with pytest.raises(CacheError, match="'energy' fails its sha256"):
        read_entry(path)
    assert_regenerated(tmp_path, "checksum")


def flip_bytes(path, offset: int, n: int = 4) -> None:
    raw = bytearray(path.read_bytes())
    raw[offset : offset + n] = bytes(b ^ 0xFF for b in raw[offset : offset + n])
    path.write_bytes(bytes(raw))


def test_flipped_bytes_in_raw_data_fail_checksum(tmp_path):
    run(tmp_path, Maker())
    path = entry_path(tmp_path)
    with h5py.File(path, "r") as f:
        assert f["energy"].compression is None  # floats are stored contiguous, uncompressed
        offset = f["energy"].id.get_offset()
    flip_bytes(path, offset + 8 * 20)  # inside energy[20]; only the checksum can tell
    with pytest.raises(CacheError, match="'energy' fails its sha256"):
        read_entry(path)
    assert_regenerated(tmp_path, "checksum")


def test_flipped_bytes_in_compressed_chunk_detected(tmp_path):
    run(tmp_path, Maker())
    path = entry_path(tmp_path)
    with h5py.File(path, "r") as f:
        assert f["spins"].compression == "gzip"
        info = f["spins"].id.get_chunk_info(0)
    flip_bytes(path, info.byte_offset + info.size // 2)
    with pytest.raises(CacheError, match="'spins'"):
        read_entry(path)
    assert_regenerated(tmp_path, "'spins'")


def test_missing_dataset_detected(tmp_path):
    run(tmp_path, Maker())
    with h5py.File(entry_path(tmp_path), "r+") as f:
        del f["mask"]
    assert_regenerated(tmp_path, "manifest")


def test_attribute_mismatch_detected(tmp_path):
    run(tmp_path, Maker())
    with h5py.File(entry_path(tmp_path), "r+") as f:
        f.attrs["params"] = json.dumps({"L": 9})
    assert_regenerated(tmp_path, r"\['params'\] do not match")


def test_garbage_file_regenerated(tmp_path):
    path = entry_path(tmp_path)
    path.parent.mkdir(parents=True)
    path.write_bytes(b"not an hdf5 file")
    assert_regenerated(tmp_path, "unreadable")


# --- atomicity and unwritable caches -----------------------------------------------------


def test_failing_make_leaves_nothing(tmp_path):
    def boom():
        raise RuntimeError("simulator crashed")

    with pytest.raises(RuntimeError, match="crashed"):
        run(tmp_path, boom)
    assert not any(p.is_file() for p in tmp_path.rglob("*"))


def test_unstorable_array_leaves_nothing(tmp_path):
    with pytest.raises(TypeError, match="'names'"):
        run(tmp_path, lambda: {"names": np.array(["a", "b"])})
    assert not any(p.is_file() for p in tmp_path.rglob("*"))


def test_unwritable_cache_still_returns_data(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("a regular file, not a directory")
    maker, events = Maker(), []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        data = cached(
            "ising", "1", PARAMS, 0, maker, cache=blocker / "cache", on_event=events.append
        )
    assert [w.category for w in caught] == [CacheWarning]
    assert "cache not written" in str(caught[0].message)
    assert caught[0].filename == __file__  # warning points at the caller
    assert maker.calls == 1
    assert_same(data, Maker()())
    assert events[-1].startswith("cache not written")
