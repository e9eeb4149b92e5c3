"""Sanitizing the failure text of tests that recorded results (R-SAN-3)."""

from __future__ import annotations

from typing import Any

import pytest

__all__ = ["sanitize_report"]


def _clean(text: str) -> str:
    from rampart.core.text import sanitize_text

    return sanitize_text(text)


def _clean_lines(owner: Any, attribute: str) -> None:
    lines = getattr(owner, attribute, None)
    if isinstance(lines, list | tuple):
        setattr(owner, attribute, [_clean(x) if isinstance(x, str) else x for x in lines])


def _clean_location(location: Any) -> None:
    if location is not None and isinstance(getattr(location, "message", None), str):
        location.message = _clean(location.message)


def _clean_traceback(traceback: Any) -> None:
    for entry in getattr(traceback, "reprentries", ()) or ():
        _clean_lines(entry, "lines")
        _clean_lines(getattr(entry, "reprlocals", None), "lines")
        _clean_location(getattr(entry, "reprfileloc", None))
        funcargs = getattr(entry, "reprfuncargs", None)
        if funcargs is not None and isinstance(getattr(funcargs, "args", None), list | tuple):
            funcargs.args = [(name, _clean(str(value))) for name, value in funcargs.args]
    if isinstance(getattr(traceback, "extraline", None), str):
        traceback.extraline = _clean(traceback.extraline)


def sanitize_report(report: pytest.TestReport) -> None:
    """Sanitize the crash message, entry lines and sections in place, keeping their types."""
    longrepr: Any = report.longrepr
    if isinstance(longrepr, str):
        report.longrepr = _clean(longrepr)
    elif isinstance(longrepr, tuple) and len(longrepr) == 3 and isinstance(longrepr[2], str):
        report.longrepr = (longrepr[0], longrepr[1], _clean(longrepr[2]))
    elif longrepr is not None:
        chain = getattr(longrepr, "chain", None)
        if chain:
            longrepr.chain = [
                (traceback, crash, _clean(description) if description else description)
                for traceback, crash, description in chain
            ]
            for traceback, crash, _ in longrepr.chain:
                _clean_traceback(traceback)
                _clean_location(crash)
        else:
            _clean_traceback(getattr(longrepr, "reprtraceback", None))
        _clean_location(getattr(longrepr, "reprcrash", None))
        sections = getattr(longrepr, "sections", None)
        if isinstance(sections, list):
            longrepr.sections = [
                (_clean(name), _clean(content), sep) for name, content, sep in sections
            ]
    report.sections = [(_clean(title), _clean(content)) for title, content in report.sections]
