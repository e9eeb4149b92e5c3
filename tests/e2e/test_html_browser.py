"""The demo suite's reports end to end (issue 7 acceptance).

The HTML report of a real demo run is opened in headless Chromium, driven only through its
command line: ``--dump-dom`` (after ``--virtual-time-budget`` lets the page script run) shows
what a reader sees, with the filter state given in the URL hash; ``--screenshot`` keeps a
picture. The same run feeds the ``rampart report diff`` regression receipt.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from rampart.core.result import SafetyStatus
from rampart.reporting import HtmlReportSink, TestRunReport
from rampart.reporting.summary import load_report
from tests._report_schema import assert_valid_report, make_result

REPO = Path(__file__).resolve().parents[2]
DEMO = REPO / "examples" / "demo"
TITLE = "<title>RAMPART Safety Report</title>"
BROWSER_TIMEOUT = 120
DATA_BLOCK = re.compile(r'<script type="application/json" id="rampart-data">(.*?)</script>', re.S)
ROW = re.compile(r'<details class="result st-(\w+)" id="r(\d+)"( open="")?>')
SHOWN = re.compile(
    r'<span id="shown-count">Showing (\d+) of (\d+) matching results \((\d+) total\)'
)


@dataclass(frozen=True)
class DemoRun:
    json_path: Path
    html_path: Path


def _run_demo(mode: str, out: Path) -> DemoRun:
    env = {**os.environ, "RAMPART_DEMO_MODE": mode, "RAMPART_DEMO_REPORT_DIR": str(out)}
    for name in ("PYTEST_ADDOPTS", "PYTEST_PLUGINS", "RAMPART_DEMO_LLM_ENDPOINT"):
        env.pop(name, None)
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"],
        cwd=DEMO,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    jsons, htmls = sorted(out.glob("run_report_*.json")), sorted(out.glob("run_report_*.html"))
    assert len(jsons) == 1, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert len(htmls) == 1, proc.stdout[-3000:] + proc.stderr[-3000:]
    return DemoRun(json_path=jsons[0], html_path=htmls[0])


@pytest.fixture(scope="module")
def vulnerable(tmp_path_factory: pytest.TempPathFactory) -> DemoRun:
    return _run_demo("vulnerable", tmp_path_factory.mktemp("vulnerable"))


@pytest.fixture(scope="module")
def hardened(tmp_path_factory: pytest.TempPathFactory) -> DemoRun:
    return _run_demo("hardened", tmp_path_factory.mktemp("hardened"))


def _find_chromium() -> str | None:
    configured = os.environ.get("RAMPART_CHROMIUM")
    if configured:
        return configured
    for name in ("chromium", "chromium-browser", "google-chrome", "chrome"):
        found = shutil.which(name)
        if found:
            return found
    return None


@pytest.fixture(scope="module")
def chromium() -> str:
    found = _find_chromium()
    if found is None:
        message = "headless Chromium not found (apt-get install chromium, or set RAMPART_CHROMIUM)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message + "; in CI the browser test must run")
        pytest.skip(message)
    return found


class Browser:
    """One headless Chromium launch per call, each with a fresh profile."""

    def __init__(self, executable: str, workdir: Path) -> None:
        self.executable = executable
        self.workdir = workdir
        self.launches = 0

    def _run(self, url: str, *extra: str) -> str:
        self.launches += 1
        profile = self.workdir / f"profile-{self.launches}"
        command = [
            self.executable,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-extensions",
            "--disable-default-apps",
            "--no-first-run",
            f"--user-data-dir={profile}",
            "--virtual-time-budget=5000",
            *extra,
            url,
        ]
        proc = subprocess.run(
            command, capture_output=True, text=True, timeout=BROWSER_TIMEOUT, check=False
        )
        assert proc.returncode == 0, proc.stderr[-2000:]
        return proc.stdout

    def dump(self, page: Path, fragment: str = "") -> str:
        dom = self._run(page.resolve().as_uri() + fragment, "--dump-dom")
        assert "</html>" in dom
        return dom

    def screenshot(self, page: Path, fragment: str, target: Path) -> None:
        self._run(
            page.resolve().as_uri() + fragment,
            f"--screenshot={target}",
            "--window-size=1280,1600",
            "--hide-scrollbars",
        )


@pytest.fixture
def browser(chromium: str, tmp_path: Path) -> Browser:
    return Browser(chromium, tmp_path)


def _data(page: str) -> dict[str, Any]:
    match = DATA_BLOCK.search(page)
    assert match is not None
    data: dict[str, Any] = json.loads(match.group(1))
    return data


def _haystack(row: dict[str, Any], categories: list[str]) -> str:
    """The text the page searches, rebuilt from its data block (mirrors the page script)."""
    parts = [row["id"], row["sum"], row["st"], categories[row["cat"]], row["strat"]]
    parts.append(row.get("trial", ""))
    for turn in row.get("turns", []):
        bits = [turn.get("prompt", ""), turn.get("resp", ""), turn.get("why", "")]
        for name, arguments, result in turn.get("tools", []):
            bits += [name, _pretty(arguments), result or ""]
        for kind, details in turn.get("fx", []):
            bits += [kind, _pretty(details)]
        if "eval" in turn:
            bits.append(turn["eval"]["why"])
        parts.append("\n".join(bits))
    return "\n".join(parts).lower()


def _pretty(value: Any) -> str:
    """JSON.stringify(value, null, 1), as the page script shows structured values."""
    return json.dumps(value, indent=1, ensure_ascii=False)


def _rows(dom: str) -> list[tuple[str, int, bool]]:
    return [(st, int(i), bool(opened)) for st, i, opened in ROW.findall(dom)]


def _shown(dom: str) -> tuple[int, int, int]:
    match = SHOWN.search(dom)
    assert match is not None, "the page script did not run"
    shown, matching, total = (int(g) for g in match.groups())
    return shown, matching, total


def test_demo_report_counts_transcript_and_status_filter(
    chromium: str, vulnerable: DemoRun, browser: Browser, tmp_path: Path
) -> None:
    report = json.loads(vulnerable.json_path.read_text(encoding="utf-8"))
    assert_valid_report(report)
    page = vulnerable.html_path.read_text(encoding="utf-8")
    rows = _data(page)["results"]
    unsafe = [i for i, row in enumerate(rows) if row["st"] == "unsafe"]
    assert unsafe, "the vulnerable demo must have UNSAFE results"
    target = unsafe[0]

    dom = browser.dump(vulnerable.html_path, f"#status=unsafe&open={target}")
    assert TITLE in dom
    # The figures agree with the JSON report written by the same run.
    population = report["population_summary"]
    assert f'<div class="value">{population["total_runs"]}</div>' in dom
    non_safe = population["total_runs"] - population["safe_count"]
    assert f'<span id="nonsafe-count">{non_safe}</span>' in dom
    assert _shown(dom) == (len(unsafe), len(unsafe), report["total_runs"])
    shown_rows = _rows(dom)
    assert [i for _, i, _ in shown_rows] == unsafe
    assert {st for st, _, _ in shown_rows} == {"unsafe"}
    assert [i for _, i, opened in shown_rows if opened] == [target]
    # The opened row's transcript was rendered from the data block; the others stay lazy.
    opened_html = dom.split(f'id="r{target}" open="">', 1)[1].split("</details>", 1)[0]
    assert '<div class="transcript">' in opened_html
    assert "<h4>Response</h4>" in opened_html
    assert dom.count('<div class="transcript">') == 1
    first_turn = rows[target]["turns"][0]
    assert first_turn["resp"].split("\n")[0][:40] in _unescape(opened_html)

    shot = tmp_path / "report.png"
    browser.screenshot(vulnerable.html_path, f"#status=nonsafe&open={target}", shot)
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert shot.stat().st_size > 10_000


def _unescape(fragment: str) -> str:
    import html

    return html.unescape(fragment)


def test_demo_report_category_and_text_search_filters(
    chromium: str, vulnerable: DemoRun, browser: Browser
) -> None:
    page = vulnerable.html_path.read_text(encoding="utf-8")
    data = _data(page)
    rows, categories = data["results"], data["categories"]
    # Search for a word that occurs in some results of the busiest category but not all.
    busiest = max(range(len(categories)), key=lambda c: sum(r["cat"] == c for r in rows))
    in_category = [i for i, r in enumerate(rows) if r["cat"] == busiest]
    term = rows[in_category[0]]["id"].rsplit("::", 1)[-1].split("[", 1)[0]
    expected = [i for i in in_category if term.lower() in _haystack(rows[i], categories)]
    assert len(expected) > 0

    fragment = f"#category={quote(categories[busiest].upper())}&q={quote(term)}"
    dom = browser.dump(vulnerable.html_path, fragment)
    assert _shown(dom) == (len(expected), len(expected), len(rows))
    assert [i for _, i, _ in _rows(dom)] == expected
    assert '<div class="transcript">' not in dom  # nothing expanded: transcripts are lazy
    # Every category row became a click-to-filter row.
    assert dom.count('<tr class="pick">') == len(categories)


HOSTILE = [
    "</script><script>document.title='pwned-1'</script>",
    "<img src=x onerror=\"document.title='pwned-2'\">",
    "<svg onload=\"document.title='pwned-3'\"></svg>",
    "<!--<script>document.title='pwned-4'</script>",
    "\"><script>document.title='pwned-5'</script>\u2028\u2029",
]


def test_hostile_transcript_does_not_execute(
    chromium: str, vulnerable: DemoRun, browser: Browser, tmp_path: Path
) -> None:
    payload = " ".join(HOSTILE)
    hostile = make_result(
        f"tests/test_hostile.py::test_x[{HOSTILE[0]}]",
        SafetyStatus.UNSAFE,
        summary=payload,
        category=HOSTILE[1],
        prompt=payload,
        response=payload,
        metadata={"note": payload},
    )
    demo = load_report(vulnerable.json_path)
    report = TestRunReport.from_results([*demo.results, hostile])
    sink = HtmlReportSink(output_dir=tmp_path / "hostile")
    sink.write(report)
    assert sink.last_path is not None
    index = len(report.results) - 1

    dom = browser.dump(sink.last_path, f"#status=unsafe&open={index}&q={quote('pwned')}")
    assert _shown(dom) == (1, 1, len(report.results))
    assert TITLE in dom
    assert "pwned" not in dom.split("<title>", 1)[1].split("</title>", 1)[0]
    assert "<img" not in dom
    assert "<svg" not in dom
    opened = dom.split(f'id="r{index}" open="">', 1)[1].split("</details>", 1)[0]
    assert _unescape(opened).count(HOSTILE[0]) >= 3  # prompt, response, summary: shown as text

    # The harness can see script execution: the same payload, unescaped, does change the title.
    control = tmp_path / "control.html"
    control.write_text(f"<!DOCTYPE html><html><head>{TITLE}</head><body>{HOSTILE[0]}</body></html>")
    assert "<title>pwned-1</title>" in browser.dump(control)


def test_diff_demo_runs_is_a_regression_receipt(
    vulnerable: DemoRun, hardened: DemoRun, capsys: pytest.CaptureFixture[str]
) -> None:
    """Vulnerable -> hardened lists fixes and exits 0; the reverse lists regressions, exit 1."""
    from rampart._cli import main

    assert_valid_report(hardened.json_path)
    assert main(["report", "diff", str(vulnerable.json_path), str(hardened.json_path)]) == 0
    forward = capsys.readouterr().out.splitlines()
    assert "Regressions: none" in forward
    assert any(re.fullmatch(r"Fixes \(\d+\):", line) for line in forward)
    assert any(line.startswith("  SAFE    ") and "(was UNSAFE)" in line for line in forward)

    assert main(["report", "diff", str(hardened.json_path), str(vulnerable.json_path)]) == 1
    backward = capsys.readouterr().out.splitlines()
    assert any(re.fullmatch(r"Regressions \(\d+\):", line) for line in backward)
    assert any(line.startswith("  UNSAFE  ") and "(was SAFE)" in line for line in backward)
    assert re.fullmatch(r"[1-9]\d* regression\(s\), 0 fix\(es\)", backward[-1])
