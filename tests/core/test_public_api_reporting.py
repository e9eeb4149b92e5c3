"""Pins the public names of the reporting, collection and text modules (api.md 2.2)."""

from __future__ import annotations

import importlib
import subprocess
import sys

import pytest

EXPECTED = {
    "rampart.reporting": {
        "JsonFileReportSink",
        "ReportSink",
        "TestRunReport",
        "PopulationSummary",
        "HtmlReportSink",
        "TrialGroupView",
        "wilson_interval",
    },
    "rampart.reporting.sink": {
        "ReportSink",
        "TestRunReport",
        "PopulationSummary",
        "TrialGroupView",
    },
    "rampart.reporting.json_file": {
        "JsonFileReportSink",
        "report_to_dict",
        "to_json_safe",
        "MAX_JSON_DEPTH",
    },
    "rampart.reporting.summary": {"render_summary", "load_report"},
    "rampart.core.text": {"sanitize_text"},
    "rampart.collection": {
        "ResultCollector",
        "ResultCollectionHandler",
        "record_result",
        "activate_collector",
        "deactivate_collector",
        "active_collector",
        "set_fallback_collector",
    },
}


@pytest.mark.parametrize("module_name", sorted(EXPECTED))
def test_all_matches_api(module_name: str) -> None:
    module = importlib.import_module(module_name)
    assert set(module.__all__) == EXPECTED[module_name]
    assert len(module.__all__) == len(set(module.__all__))


@pytest.mark.parametrize(
    ("module_name", "name"),
    sorted((m, n) for m, names in EXPECTED.items() if m != "rampart.reporting" for n in names),
)
def test_every_name_resolves(module_name: str, name: str) -> None:
    assert getattr(importlib.import_module(module_name), name) is not None


@pytest.mark.parametrize("name", sorted(EXPECTED["rampart.reporting"] - {"HtmlReportSink"}))
def test_package_reexports_the_defining_module_objects(name: str) -> None:
    import rampart.reporting as package

    value = getattr(package, name)
    assert value.__module__.startswith("rampart.reporting")


def test_reexports_are_the_same_objects() -> None:
    import rampart.reporting as package
    from rampart.reporting import _statistics, json_file, sink

    assert package.TestRunReport is sink.TestRunReport
    assert package.PopulationSummary is sink.PopulationSummary
    assert package.JsonFileReportSink is json_file.JsonFileReportSink
    assert package.wilson_interval is _statistics.wilson_interval


def test_unknown_attribute_raises() -> None:
    import rampart.reporting as package

    with pytest.raises(AttributeError):
        _ = package.NoSuchThing


def test_importing_reporting_is_lazy() -> None:
    code = (
        "import sys, rampart.reporting; "
        "print(','.join(m for m in ('rampart.reporting.json_file', 'rampart.reporting.summary', "
        "'asyncio', 'pytest', 'msgspec') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
