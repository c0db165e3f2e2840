"""The report page in a real browser: Debian's headless Chromium, driven by Playwright.

Playwright never downloads a browser here: it launches the system ``/usr/bin/chromium``
(``apt-get install chromium``; ``.ci/run`` installs it). Set ``PHYSML_SCREENSHOT`` to a
path to keep the screenshot.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from finished_runs import make_run
from physml.cli.html_report import write_report
from physml.cli.run_dirs import find_runs

CHROMIUM = Path("/usr/bin/chromium")

if not CHROMIUM.exists() and os.environ.get("CI"):  # .ci/run installs it: never skip there
    pytest.fail(f"no system Chromium at {CHROMIUM}: .ci/run installs it", pytrace=False)
pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(), reason=f"no system Chromium at {CHROMIUM} (apt-get install chromium)"
)


def _column(page, index: int) -> list[str]:
    return page.eval_on_selector_all(
        "table.leaderboard tbody tr", f"rows => rows.map(r => r.children[{index}].textContent)"
    )


def test_report_loads_sorts_and_shows_every_image(tmp_path: Path) -> None:
    sync_api = pytest.importorskip("playwright.sync_api", reason="pip install playwright")
    root = tmp_path / "runs"
    for method, seed, t_c, wall in [("logistic", 0, 2.30, 5.0), ("logistic", 1, 2.27, 100.0)]:
        make_run(root, method=method, seed=seed, t_c=t_c, wall_time_s=wall)
    make_run(root, method="cnn", seed=2, t_c=2.20, error=0.02, wall_time_s=12.5, plots=2)
    out = write_report(find_runs([root])[0], tmp_path / "report.html")

    problems: list[str] = []
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM))
        try:
            page = browser.new_page(viewport={"width": 1200, "height": 900})
            page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda err: problems.append(str(err)))
            page.on("requestfailed", lambda request: problems.append(request.url))
            page.goto(out.as_uri(), wait_until="load")
            images = page.eval_on_selector_all(
                "img", "imgs => imgs.map(i => [i.getAttribute('src'), i.complete, i.naturalWidth])"
            )
            assert len(images) == 1 + 1 + 1 + 2  # gap plot, four run plots
            assert all(done and width > 0 for _, done, width in images), images

            headers = page.eval_on_selector_all(
                "table.leaderboard th", "h => h.map(x => x.textContent)"
            )
            wall = headers.index("wall time (s)")
            assert _column(page, wall) == ["100.0", "5.0", "12.5"]  # ranked by |gap| first
            page.click("table.leaderboard th:has-text('wall time (s)')")
            assert _column(page, wall) == ["5.0", "12.5", "100.0"]  # numbers, not text
            page.click("table.leaderboard th:has-text('wall time (s)')")
            assert _column(page, wall) == ["100.0", "12.5", "5.0"]
            page.click("table.leaderboard th:has-text('method')")
            assert _column(page, headers.index("method")) == ["cnn", "logistic", "logistic"]
            page.click("table.leaderboard tbody tr:first-child a")  # the run's own section
            assert page.evaluate("location.hash").startswith("#run-")

            shot = tmp_path / "report.png"
            page.screenshot(path=str(shot), full_page=True)
        finally:
            browser.close()
    assert problems == []
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 10_000
    if os.environ.get("PHYSML_SCREENSHOT"):
        shutil.copyfile(shot, os.environ["PHYSML_SCREENSHOT"])
