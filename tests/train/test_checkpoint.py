"""Tests for physml.train.checkpoint: every way a checkpoint file can be wrong is one
CheckpointError naming the file; a good one reads back exactly."""

from __future__ import annotations

import collections
import pickle

import pytest
import torch

from physml.config import ConfigError
from physml.train.checkpoint import CheckpointError, read_checkpoint


def test_good_checkpoint_reads_back(tmp_path) -> None:
    path = tmp_path / "last.pt"
    torch.save({"epoch": 3, "w": torch.arange(4.0)}, path)
    state = read_checkpoint(path)
    assert state["epoch"] == 3 and torch.equal(state["w"], torch.arange(4.0))


@pytest.mark.parametrize(
    ("write", "found"),
    [
        (lambda p: p.write_bytes(b""), "cannot be read"),
        (lambda p: p.write_bytes(b"PK\x03\x04 truncated"), "cannot be read (RuntimeError"),
        (
            lambda p: p.write_bytes(pickle.dumps(collections.Counter("ab"), protocol=2)),
            "cannot be read",
        ),
        (lambda p: torch.save([1, 2], p), "holds a list, not a checkpoint"),
        (lambda p: p.mkdir(), "cannot be read"),
    ],
)
def test_bad_checkpoint_is_one_line_naming_the_file(tmp_path, write, found) -> None:
    path = tmp_path / "last.pt"
    write(path)
    with pytest.raises(CheckpointError) as err:
        read_checkpoint(path)
    message = str(err.value)
    assert isinstance(err.value, ConfigError) and "\n" not in message
    assert message.startswith(f"checkpoint '{path}': ") and found in message
    assert message.endswith("delete it to start that fit afresh")
