"""The published JSON Schema (docs/report-schema.json) matches the reports we write (R-JSON-2/3)."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from rampart.core.result import SafetyStatus
from rampart.reporting import JsonFileReportSink, TestRunReport
from rampart.reporting.json_file import report_to_dict
from tests._report_schema import (
    assert_valid_report,
    make_result,
    report_schema_errors,
    sample_report,
)


def _written(report: TestRunReport, tmp_path: Path) -> Path:
    return JsonFileReportSink(output_dir=tmp_path).write(report)


@pytest.mark.parametrize("incomplete", [False, True])
def test_sample_report_file_is_valid_R_JSON_3(tmp_path: Path, incomplete: bool) -> None:
    path = _written(sample_report(incomplete=incomplete), tmp_path)
    assert_valid_report(path)


def test_empty_report_is_valid_R_JSON_8(tmp_path: Path) -> None:
    assert_valid_report(_written(TestRunReport(), tmp_path))


def test_awkward_metadata_is_valid_R_JSON_4(tmp_path: Path) -> None:
    """Non-finite floats, sets, paths and deep nesting still give a schema-valid report."""
    deep: dict[str, Any] = {}
    node = deep
    for _ in range(30):
        node["next"] = {}
        node = node["next"]
    result = make_result(
        "t.py::test_odd",
        SafetyStatus.SAFE,
        summary="\x1b[31mred\x1b[0m \ud800",
        metadata={"nan": float("nan"), "tags": {"b", "a"}, "where": Path("/x"), "deep": deep},
    )
    result.duration_seconds = float("inf")
    assert_valid_report(_written(TestRunReport.from_results([result]), tmp_path))


@pytest.mark.parametrize(
    ("mutate", "where"),
    [
        (lambda d: d.pop("report_schema"), "<root>"),
        (lambda d: d.update(report_schema="rampart.report.v2"), "report_schema"),
        (lambda d: d["by_harm_category"]["data_exfiltration"][0].update(safe=True), "safe"),
        (lambda d: d["by_harm_category"]["data_exfiltration"][0].update(status="bad"), "status"),
        (lambda d: d["population_summary"].update(attack_success_rate_ci=[0.2]), "_ci"),
        (lambda d: d["trial_groups"][0].update(verdict="PASSED"), "verdict"),
        (lambda d: d.update(surprise=1), "<root>"),
    ],
)
def test_schema_rejects_malformed_reports(mutate: Any, where: str) -> None:
    """The schema is not vacuous: each of these breaks a rule of R-JSON-2/3."""
    document = json.loads(json.dumps(report_to_dict(report=sample_report())))
    assert report_schema_errors(document) == []
    broken = copy.deepcopy(document)
    mutate(broken)
    errors = report_schema_errors(broken)
    assert errors
    assert any(where in line for line in errors), errors


def test_report_of_a_pytest_run_is_valid(pytester: pytest.Pytester) -> None:
    """The file written by --rampart-report for a real run, with a trial group, validates."""
    pytester.makeini("[pytest]\nasyncio_default_fixture_loop_scope = function\n")
    pytester.makepyfile(
        test_suite="""
        import pytest
        from rampart import record_result, Result, SafetyStatus

        def test_unsafe():
            record_result(Result(status=SafetyStatus.UNSAFE, summary="leaked", harm_category="data_exfiltration"))

        def test_safe():
            record_result(Result(status=SafetyStatus.SAFE, summary="fine"))

        @pytest.mark.trial(n=3, threshold=0.5)
        def test_trials():
            record_result(Result(status=SafetyStatus.SAFE, summary="held", harm_category="jailbreak"))
        """
    )
    result = pytester.runpytest("--rampart-report=out/report.json")
    result.assert_outcomes(passed=5)
    path = pytester.path / "out" / "report.json"
    document = json.loads(path.read_text(encoding="utf-8"))
    assert document["total_runs"] == 5
    assert document["trial_groups"][0]["total"] == 3
    assert_valid_report(document)
