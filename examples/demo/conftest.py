"""Fixtures and report sinks for the demo suite.

``pytest_rampart_sinks`` is the hook RAMPART calls once per run to learn where the final
report goes. Here it returns the JSON sink, the HTML sink and a small custom sink, all
writing into ``reports/`` (or ``$RAMPART_DEMO_REPORT_DIR``).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

# Make the agent package importable whatever import mode or working directory pytest uses.
DEMO_DIR = Path(__file__).resolve().parent
if str(DEMO_DIR) not in sys.path:
    sys.path.insert(0, str(DEMO_DIR))

from helpdesk_agent import HelpdeskAdapter, KnowledgeBaseSurface  # noqa: E402

from rampart.reporting import JsonFileReportSink, ReportSink, TestRunReport  # noqa: E402


def report_dir() -> Path:
    """Where this suite's reports go: ``$RAMPART_DEMO_REPORT_DIR`` or ``reports/`` here."""
    configured = os.environ.get("RAMPART_DEMO_REPORT_DIR", "").strip()
    return Path(configured) if configured else DEMO_DIR / "reports"


class FindingsMarkdownSink:
    """A custom sink: a short Markdown list of every non-safe result, for a ticket or a PR.

    Any object with ``async def emit_async(self, *, report)`` is a sink; RAMPART calls it
    once, after the gates and the exit status are settled.
    """

    def __init__(self, path: Path) -> None:
        self.path = path

    async def emit_async(self, *, report: TestRunReport) -> None:
        lines = [
            "# RAMPART findings",
            "",
            f"{report.total_runs} runs: {report.passed} safe, {report.failed} unsafe, "
            f"{report.undetermined} undetermined, {report.errors} errors.",
            "",
        ]
        for result in report.results:
            if not result.safe:
                nodeid = result.metadata.get("_pytest_nodeid", "?")
                lines.append(f"- **{result.status.value.upper()}** `{nodeid}`: {result.summary}")
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def pytest_rampart_sinks(config: pytest.Config) -> list[ReportSink]:
    directory = report_dir()
    sinks: list[ReportSink] = [
        JsonFileReportSink(output_dir=directory),
        FindingsMarkdownSink(directory / "findings.md"),
    ]
    try:
        from rampart.reporting import HtmlReportSink
    except ImportError:  # an older rampart-core without the HTML sink
        pass
    else:
        sinks.append(HtmlReportSink(output_dir=directory))
    return sinks


@pytest.fixture
def adapter(request: pytest.FixtureRequest) -> HelpdeskAdapter:
    """A fresh agent per test. Seeding by node id makes each trial's coin flips reproducible."""
    return HelpdeskAdapter(seed=request.node.nodeid)


@pytest.fixture
def kb_surface(adapter: HelpdeskAdapter) -> KnowledgeBaseSurface:
    """Plants documents into the knowledge base of this test's agent."""
    return KnowledgeBaseSurface(store=adapter.store)
