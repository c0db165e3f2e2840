"""Small finished run directories, written the way :mod:`physml.tasks.runner` writes them,
for the tests of ``physml report`` and the trackers (no task needs to run)."""

from __future__ import annotations

import json
import struct
import zlib
from pathlib import Path

import yaml

from physml.metrics import Metric
from physml.tasks.runner import resolve

ONSAGER_TC = 2.269185314213022  # 2 / ln(1 + sqrt 2), J/k_B


def png(width: int, height: int) -> bytes:
    """A valid RGB PNG of ``width`` x ``height`` pixels: a horizontal ramp (no
    matplotlib: these tests run under load)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    row = bytes(v for x in range(width) for v in (255 * x // max(width - 1, 1), 80, 160))
    pixels = b"".join(b"\x00" + row for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(pixels))
        + chunk(b"IEND", b"")
    )


def make_run(
    root: Path,
    *,
    method: str = "logistic",
    seed: int = 0,
    t_c: float = 2.27,
    error: float = 0.01,
    wall_time_s: float = 12.5,
    plots: int = 1,
    finished: bool = True,
    where: Path | None = None,
    settings: tuple[str, ...] = (),
) -> Path:
    """An ising-phase run under ``root`` (or at ``where``) with a T_c estimate against
    Onsager's, a two-fit ``log.csv`` and ``plots`` PNGs; ``settings`` are ``KEY=VALUE``
    overrides; ``finished=False`` leaves out metrics.json."""
    stamp = f"20260101T00000{seed}Z-{method[:3]}{seed:04d}"
    run_dir = where or root / "ising-phase" / method / stamp
    run_dir.mkdir(parents=True)
    _, _, resolved = resolve("ising-phase", method, overrides=["sizes=[8, 12]", *settings])
    config = resolved.model_dump(mode="json")
    saved = {"task": "ising-phase", "method": method, "preset": "quick", "seed": seed}
    saved |= {"device": "auto", "config": config}
    (run_dir / "config.yaml").write_text(yaml.safe_dump(saved, sort_keys=False))
    rows = ["epoch,train_loss,val_loss,lr,time_s"]
    for e in range(4):  # validation every other epoch
        rows.append(f"{e},{1.0 / (e + 1)},{1.5 / (e + 1) if e % 2 else ''},0.001,{0.1 * e}")
    rows += [f"{e},{2.0 / (e + 1)},,0.001,{0.1 * e}" for e in range(3)]  # a second fit
    (run_dir / "log.csv").write_text("\n".join(rows) + "\n")
    for i in range(plots):
        (run_dir / "plots").mkdir(exist_ok=True)
        (run_dir / "plots" / f"figure_{i}.png").write_bytes(png(8 + i, 6))
    if not finished:
        return run_dir
    metrics = {
        "T_c": Metric(t_c, ONSAGER_TC, "J/k_B", "Onsager 1944", error=error),
        "accuracy": Metric(0.9, None, "", "test set", error=0.005),
        "n_sizes": Metric(2.0, None, "", "count", exact=True),
        "max|dm|": Metric(0.01, 0.0, "", "exact zero", error=0.002),
    }
    doc = {
        "task": "ising-phase",
        "method": method,
        "preset": "quick",
        "seed": seed,
        "metrics": {name: m.to_json() for name, m in metrics.items()},
        "wall_time_s": wall_time_s,
        "device": "cpu",
        "versions": {"physml": "0.1.0", "numpy": "2.0"},
        "peak_memory_mib": 321.0,
    }
    (run_dir / "metrics.json").write_text(json.dumps(doc, indent=2))
    return run_dir
