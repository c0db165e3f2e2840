"""``physml report``: finding finished runs, the page's numbers, refusals, atomic writes."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from typer.testing import CliRunner

from finished_runs import ONSAGER_TC, make_run
from physml.cli import html_report
from physml.cli.main import app
from physml.cli.run_dirs import find_runs, read_run

runner = CliRunner()


class _Page(HTMLParser):
    """Image sources and leaderboard rows (the run names, in page order)."""

    def __init__(self) -> None:
        super().__init__()
        self.images: list[str] = []
        self.ranked: list[str] = []
        self._board = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "img":
            self.images.append(attrs["src"])
        if tag == "table":
            self._board = attrs.get("class") == "leaderboard"
        if self._board and tag == "a":
            self.ranked.append(attrs["href"])

    def handle_endtag(self, tag):
        if tag == "table":
            self._board = False


@pytest.fixture
def runs_root(tmp_path: Path) -> Path:
    root = tmp_path / "runs"
    make_run(root, method="logistic", seed=0, t_c=2.30, error=0.01, wall_time_s=5.0)
    make_run(root, method="logistic", seed=1, t_c=2.27, error=0.01, wall_time_s=100.0)
    make_run(root, method="cnn", seed=0, t_c=2.20, error=0.02, wall_time_s=12.5, plots=2)
    make_run(root, method="cnn", seed=5, finished=False)  # killed or still running
    make_run(root, method="forest", seed=0, finished=False)
    tracked = root / "mlartifacts" / "1" / "artifacts"  # a tracker's copy is not a run
    tracked.mkdir(parents=True)
    (tracked / "config.yaml").write_text("task: ising-phase\n")
    (root / "notes").mkdir()
    (root / "notes" / "todo.txt").write_text("not a run\n")
    return root


def test_find_runs_passes_over_unfinished_and_tracker_folders(runs_root: Path) -> None:
    runs, unfinished = find_runs([runs_root, runs_root / "ising-phase" / "cnn"])
    assert sorted(p.parent.name for p in unfinished) == ["cnn", "cnn", "forest"]
    assert sorted((r.record.method, r.record.seed) for r in runs) == [
        ("cnn", 0),
        ("logistic", 0),
        ("logistic", 1),
    ]  # the cnn folder named twice: each run once


def test_read_run_curves_headline_and_gap(runs_root: Path) -> None:
    run = read_run(next(runs_root.glob("ising-phase/logistic/*0000")))
    # the two fits of log.csv follow one another: step = row; empty val_loss cells skipped
    assert run.curves["train_loss"] == [(e, 1.0 / (e + 1)) for e in range(4)] + [
        (4 + e, 2.0 / (e + 1)) for e in range(3)
    ]
    assert run.curves["val_loss"] == [(1, 0.75), (3, 0.375)]
    name, metric = run.headline()
    assert name == "T_c"  # the task's reference names it
    assert metric.gap == pytest.approx((2.30 - ONSAGER_TC) / ONSAGER_TC, rel=1e-12)
    assert html_report.gap_sigma(metric) == pytest.approx((2.30 - ONSAGER_TC) / 0.01)


def test_report_ranks_by_gap_and_every_image_exists(runs_root: Path, tmp_path: Path) -> None:
    out = tmp_path / "site" / "report.html"
    result = runner.invoke(app, ["report", str(runs_root), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "passed over 2 unfinished run" in result.stderr
    page = _Page()
    text = out.read_text()
    page.feed(text)
    # |gap|: seed 1 (2.27) < seed 0 (2.30) < cnn (2.20)
    sections = [re.search(rf'id="{a[1:]}"><h3>([^<]*)', text).group(1) for a in page.ranked]
    assert [s.split(" · ")[0] + s.split(" · ")[2] for s in sections] == [
        "logisticseed 1",
        "logisticseed 0",
        "cnnseed 0",
    ]
    assert len(page.images) == 1 + 1 + 1 + 2  # the gap plot and four run plots
    for src in page.images:
        assert (out.parent / src).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "2.2692" in text and "Onsager" in text  # the reference and its source
    assert "0.00 ± 0.00" not in text and "2.270 ± 0.010" in text
    assert sorted(p.name for p in out.parent.iterdir()) == ["report.html", "report_files"]


@pytest.mark.parametrize(
    ("make", "says"),
    [
        (lambda root: root / "missing", "no such run directory"),
        (lambda root: root / "ising-phase" / "cnn" / "20260101T000005Z-cnn0005", "did not finish"),
        (lambda root: root / "notes", "not a run directory"),
        (lambda root: root / "ising-phase" / "forest", "holds no finished run"),
    ],
)
def test_report_refuses_with_one_line_and_writes_nothing(runs_root, tmp_path, make, says) -> None:
    out = tmp_path / "page" / "r.html"
    result = runner.invoke(app, ["report", str(make(runs_root)), "--out", str(out)])
    lines = result.stderr.strip().splitlines()
    assert result.exit_code == 2 and len(lines) == 1 and says in lines[0], result.output
    assert not out.parent.exists()


def test_report_over_a_folder_refuses(runs_root: Path) -> None:
    result = runner.invoke(app, ["report", str(runs_root), "--out", str(runs_root)])
    assert result.exit_code == 2 and "is a folder" in result.stderr


def test_failed_report_leaves_the_previous_page(runs_root, tmp_path, monkeypatch) -> None:
    out = tmp_path / "report.html"
    runs, _ = find_runs([runs_root])
    html_report.write_report(runs[:1], out)
    before = out.read_bytes(), sorted(p.name for p in html_report.assets_dir(out).iterdir())

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(html_report, "_gap_plot", broken)
    with pytest.raises(RuntimeError):
        html_report.write_report(runs, out)
    after = out.read_bytes(), sorted(p.name for p in html_report.assets_dir(out).iterdir())
    assert after == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.html", "report_files", "runs"]


def test_sweep_points_show_the_settings_they_vary(tmp_path: Path) -> None:
    sweep = tmp_path / "runs" / "sweeps" / "ising-phase" / "logistic" / "sweep-abc1234"
    for i, n in enumerate((60, 120, 240)):
        where = sweep / "points" / f"{i:03d}"
        make_run(tmp_path, seed=i, t_c=2.2 + 0.03 * i, where=where, settings=(f"n_samples={n}",))
    (sweep / "sweep.json").write_text("{}")
    out = tmp_path / "report.html"
    html_report.write_report(find_runs([tmp_path / "runs"])[0], out)
    text = out.read_text()
    board = text[text.index('<table class="leaderboard">') : text.index("</table>")]
    # seed and n_samples vary between the points; nothing else does
    columns = re.findall(r'<th scope="col">([^<]*)</th>', board)
    assert columns[:3] == ["seed", "n_samples", "T_c: value ± error"]
    assert re.findall(r">(sweep-abc1234/\d+)<", board) == [
        "sweep-abc1234/002",  # T_c = 2.26, the closest to Onsager's 2.2692
        "sweep-abc1234/001",
        "sweep-abc1234/000",
    ]
    assert '<td data-sort="240.0">240</td>' in board
