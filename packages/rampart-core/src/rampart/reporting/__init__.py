"""Run reports: the report object, its sinks and the statistics they show.

Names are resolved on first access so that importing :mod:`rampart` stays cheap.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rampart import _lazy_exports

if TYPE_CHECKING:
    from rampart.reporting._statistics import wilson_interval
    from rampart.reporting.html import HtmlReportSink
    from rampart.reporting.json_file import JsonFileReportSink
    from rampart.reporting.sink import PopulationSummary, ReportSink, TestRunReport, TrialGroupView

__all__ = [
    "HtmlReportSink",
    "JsonFileReportSink",
    "PopulationSummary",
    "ReportSink",
    "TestRunReport",
    "TrialGroupView",
    "wilson_interval",
]

_SOURCES = {
    "HtmlReportSink": "rampart.reporting.html",
    "JsonFileReportSink": "rampart.reporting.json_file",
    "PopulationSummary": "rampart.reporting.sink",
    "ReportSink": "rampart.reporting.sink",
    "TestRunReport": "rampart.reporting.sink",
    "TrialGroupView": "rampart.reporting.sink",
    "wilson_interval": "rampart.reporting._statistics",
}


__getattr__, __dir__ = _lazy_exports(globals(), _SOURCES)
