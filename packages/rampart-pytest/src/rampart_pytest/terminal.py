"""Terminal output: the transport warning, the incomplete banner, sink failures, the summary."""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING

from rampart_pytest._warnings import TRANSPORT_MISSING_REASON

if TYPE_CHECKING:
    import pytest
    from rampart.reporting import TestRunReport
    from rampart_pytest.session import IncompleteReason

__all__ = ["TRANSPORT_HEADER", "write_incomplete_banner", "write_summary"]

TRANSPORT_HEADER = "rampart: WARNING: " + TRANSPORT_MISSING_REASON
_MAX_REASON_LINES = 20


def _clean(text: str) -> str:
    from rampart.core.text import sanitize_text

    return sanitize_text(text, single_line=True)


def write_incomplete_banner(
    terminal: pytest.TerminalReporter, *, reasons: list[IncompleteReason], tolerated: bool
) -> None:
    """The R-TERM-6 banner: counts per kind, the first reasons, and the relaxation note."""
    terminal.write_sep("=", "RAMPART: INCOMPLETE RUN", red=True, bold=True)
    terminal.write_line("Results may be partial; the report does not reflect every test.")
    counts = Counter(reason.kind for reason in reasons)
    terminal.write_line("  " + ", ".join(f"{kind}: {count}" for kind, count in counts.items()))
    for reason in reasons[:_MAX_REASON_LINES]:
        terminal.write_line(f"  - {_clean(reason.message)}")
    if len(reasons) > _MAX_REASON_LINES:
        terminal.write_line(f"  ... and {len(reasons) - _MAX_REASON_LINES} more")
    if tolerated:
        terminal.write_line("Incomplete run tolerated by --rampart-allow-incomplete.")


def write_summary(
    terminal: pytest.TerminalReporter, *, report: TestRunReport, verbose: bool
) -> None:
    """The RAMPART Safety Summary; the lines themselves come from rampart-core (R-TERM-1)."""
    from rampart.reporting.summary import render_summary

    terminal.write_sep("=", "RAMPART Safety Summary")
    for line in render_summary(report, verbose=verbose):
        terminal.write_line(_clean(line))
