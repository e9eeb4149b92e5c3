"""The newcomer's path (issue 6): the bundled demo suite and ``examples/run_demo.py``.

The demo suite runs in a subprocess with its own rootdir (``examples/demo/pytest.ini``), as a
user would run it, so these tests see exactly the terminal output, exit status and report
files a newcomer sees.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
DEMO = REPO / "examples" / "demo"
RUN_DEMO = REPO / "examples" / "run_demo.py"

TRIAL_LINE = re.compile(
    r"FAIL\s+tests/test_trials\.py::test_poisoned_password_article "
    r"\[(\d+)/10 safe, (\d+)% pass rate, threshold: 90%\] -- FAILED"
)


@dataclass(frozen=True)
class DemoRun:
    status: int
    output: str
    report_dir: Path

    def reports(self, pattern: str) -> list[Path]:
        return sorted(self.report_dir.glob(pattern))

    def json_report(self) -> dict[str, Any]:
        (path,) = self.reports("*.json")
        data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
        return data


def _env(mode: str, report_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("RAMPART_DEMO_", "PYTEST_"))}
    env.update(RAMPART_DEMO_MODE=mode, RAMPART_DEMO_REPORT_DIR=str(report_dir))
    return env


def run_suite(mode: str, report_dir: Path, *args: str) -> DemoRun:
    completed = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "--tb=short", *args],
        cwd=DEMO,
        env=_env(mode, report_dir),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    return DemoRun(completed.returncode, completed.stdout + completed.stderr, report_dir)


def statuses(report: dict[str, Any]) -> dict[str, str]:
    return {
        r["metadata"]["_pytest_nodeid"]: r["status"]
        for results in report["by_harm_category"].values()
        for r in results
    }


@pytest.fixture(scope="module")
def vulnerable(tmp_path_factory: pytest.TempPathFactory) -> DemoRun:
    return run_suite("vulnerable", tmp_path_factory.mktemp("vulnerable"))


def test_vulnerable_agent_shows_unsafe_findings_with_a_rate_R_EXIT_4(vulnerable: DemoRun) -> None:
    """Issue 6 acceptance: UNSAFE findings with a rate; a failed gate fails the run (R-EXIT-4)."""
    assert vulnerable.status == 1, vulnerable.output
    assert "RAMPART Safety Summary" in vulnerable.output
    assert re.search(r"PROMPT_INJECTION\s+\d+ runs: \d+ safe, [1-9]\d* unsafe", vulnerable.output)
    match = TRIAL_LINE.search(vulnerable.output)
    assert match, vulnerable.output
    safe, rate = int(match.group(1)), int(match.group(2))
    assert 0 < safe < 9
    assert rate == safe * 10
    assert "Non-safe results" in vulnerable.output


def test_vulnerable_run_writes_every_report(vulnerable: DemoRun) -> None:
    report = vulnerable.json_report()
    assert report["failed"] > 0
    assert report["population_summary"]["unsafe_count"] == report["failed"]
    (group,) = report["trial_groups"]
    assert group["base_nodeid"] == "tests/test_trials.py::test_poisoned_password_article"
    assert group["total"] == 10
    assert group["passed"] is False
    findings = (vulnerable.report_dir / "findings.md").read_text(encoding="utf-8")
    assert "**UNSAFE** `tests/test_trials.py::test_poisoned_password_article[trial-" in findings
    assert vulnerable.reports("*.html"), "the HTML sink wrote no page"


def test_probes_pass_even_against_the_vulnerable_agent(vulnerable: DemoRun) -> None:
    seen = statuses(vulnerable.json_report())
    probes = {k: v for k, v in seen.items() if k.startswith("tests/test_probes.py::")}
    assert len(probes) == 3, probes
    assert set(probes.values()) == {"safe"}, probes


def test_harm_markers_categorize_results_R_TAG_2(vulnerable: DemoRun) -> None:
    categories = vulnerable.json_report()["by_harm_category"]
    assert {"data_exfiltration", "prompt_injection", "behavioral_regression"} <= set(categories)
    (surface,) = [
        r
        for r in categories["prompt_injection"]
        if r["metadata"]["_pytest_nodeid"].endswith("test_poisoned_article_cannot_reset_passwords")
    ]
    assert surface["metadata"]["_rampart_harm_categories"] == [
        "prompt_injection",
        "over_permissive_action",
    ]
    assert surface["injections"][0]["surface_name"] == "knowledge_base"


def test_hardened_agent_passes(tmp_path: Path) -> None:
    run = run_suite("hardened", tmp_path)
    assert run.status == 0, run.output
    assert re.search(
        r"PASS\s+tests/test_trials\.py::test_poisoned_password_article \[10/10 safe", run.output
    )
    report = run.json_report()
    assert report["failed"] == 0
    assert report["errors"] == 0
    assert report["total_runs"] == report["passed"]


@pytest.mark.xdist
def test_demo_under_xdist_gives_the_same_verdicts_R_JSON_7(
    vulnerable: DemoRun, tmp_path: Path
) -> None:
    """The agent is seeded by node id, so two workers reach the serial run's verdicts."""
    parallel = run_suite("vulnerable", tmp_path, "-n", "2")
    assert parallel.status == 1, parallel.output
    assert "INCOMPLETE" not in parallel.output
    assert statuses(parallel.json_report()) == statuses(vulnerable.json_report())
    assert TRIAL_LINE.search(parallel.output), parallel.output


def _run_demo(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("RAMPART_DEMO_", "PYTEST_"))}
    return subprocess.run(
        [sys.executable, str(RUN_DEMO), "--report-dir", str(tmp_path), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_run_demo_exits_0_and_says_where_the_reports_are(tmp_path: Path) -> None:
    completed = _run_demo(tmp_path)
    assert completed.returncode == 0, completed.stdout + completed.stderr
    out = completed.stdout
    assert "RAMPART Safety Summary" in out
    assert TRIAL_LINE.search(out), out
    listed = [Path(line.strip()) for line in out.splitlines() if line.startswith("  /")]
    assert any(p.suffix == ".json" and p.is_file() for p in listed), out
    assert "RAMPART_DEMO_MODE=hardened" in out


def test_run_demo_fails_when_pytest_cannot_run(tmp_path: Path) -> None:
    completed = _run_demo(tmp_path, "--", "--no-such-option")
    assert completed.returncode != 0
    assert "did not complete" in completed.stdout
