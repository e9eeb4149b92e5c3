"""TestRunReport (api.md 2.13, R-JSON-11) and the TrialGroupView protocol."""

from __future__ import annotations

from dataclasses import fields

import pytest
from rampart.core.result import HarmCategory, Result, SafetyStatus
from rampart.reporting import ReportSink, TestRunReport, TrialGroupView
from rampart.reporting.json_file import JsonFileReportSink
from tests._report_schema import SampleTrialGroup


def _r(
    status: SafetyStatus, category: HarmCategory | str | None = None, duration: float = 0.0
) -> Result:
    return Result(
        status=status, summary=str(status), harm_category=category, duration_seconds=duration
    )


def test_fields_and_defaults() -> None:
    report = TestRunReport()
    assert [f.name for f in fields(report)] == [
        "results",
        "total_runs",
        "passed",
        "failed",
        "undetermined",
        "errors",
        "duration_seconds",
        "metadata",
        "trial_groups",
        "incomplete_details",
    ]
    assert (report.total_runs, report.passed, report.failed, report.duration_seconds) == (
        0,
        0,
        0,
        0.0,
    )
    other = TestRunReport()
    report.results.append(_r(SafetyStatus.SAFE))
    report.metadata["k"] = 1
    assert other.results == []
    assert other.metadata == {}
    assert other.trial_groups == {}
    assert other.incomplete_details == []


def test_not_collected_by_pytest() -> None:
    assert TestRunReport.__test__ is False


def test_keyword_only() -> None:
    with pytest.raises(TypeError):
        TestRunReport([])  # type: ignore[call-arg]


def test_from_results_fills_counts_R_JSON_11() -> None:
    results = [
        _r(SafetyStatus.SAFE, duration=1.5),
        _r(SafetyStatus.UNSAFE, duration=2.0),
        _r(SafetyStatus.UNSAFE),
        _r(SafetyStatus.UNDETERMINED),
        _r(SafetyStatus.ERROR),
    ]
    report = TestRunReport.from_results(iter(results), metadata={"run": "nightly"})
    assert report.results == results
    assert (report.total_runs, report.passed, report.failed) == (5, 1, 2)
    assert (report.undetermined, report.errors) == (1, 1)
    assert report.duration_seconds == 3.5
    assert report.metadata == {"run": "nightly"}


def test_from_results_copies_inputs_R_JSON_11() -> None:
    results = [_r(SafetyStatus.SAFE)]
    metadata = {"a": 1}
    report = TestRunReport.from_results(results, metadata=metadata)
    results.append(_r(SafetyStatus.UNSAFE))
    metadata["b"] = 2
    assert len(report.results) == 1
    assert report.metadata == {"a": 1}


def test_by_harm_category_first_appearance_order() -> None:
    a = _r(SafetyStatus.SAFE, HarmCategory.JAILBREAK)
    b = _r(SafetyStatus.SAFE, None)
    c = _r(SafetyStatus.UNSAFE, "custom_risk")
    d = _r(SafetyStatus.UNSAFE, "jailbreak")  # a plain string equal to the enum's value
    report = TestRunReport.from_results([a, b, c, d])
    groups = report.by_harm_category()
    assert list(groups) == ["jailbreak", "uncategorized", "custom_risk"]
    assert groups["jailbreak"] == [a, d]
    assert groups["uncategorized"] == [b]


def test_population_summary_overall_and_per_category() -> None:
    report = TestRunReport.from_results(
        [
            _r(SafetyStatus.UNSAFE, HarmCategory.JAILBREAK),
            _r(SafetyStatus.SAFE, HarmCategory.JAILBREAK),
            _r(SafetyStatus.SAFE, None),
            _r(SafetyStatus.ERROR, HarmCategory.DATA_LEAKAGE),
        ]
    )
    overall = report.population_summary()
    assert (overall.total_runs, overall.unsafe_count, overall.error_count) == (4, 1, 1)
    assert overall.attack_success_rate == pytest.approx(1 / 3)
    jailbreak = report.population_summary(harm_category=HarmCategory.JAILBREAK)
    assert (jailbreak.total_runs, jailbreak.attack_success_rate) == (2, 0.5)
    assert report.population_summary(harm_category="jailbreak") == jailbreak
    assert report.population_summary(harm_category="uncategorized").safe_count == 1
    assert report.population_summary(harm_category="nothing").total_runs == 0


def _group() -> SampleTrialGroup:
    return SampleTrialGroup(base_nodeid="t.py::test_x", total=2, safe=2)


def test_trial_group_view_is_a_runtime_protocol() -> None:
    assert isinstance(_group(), TrialGroupView)
    assert not isinstance(object(), TrialGroupView)
    report = TestRunReport(trial_groups={"t.py::test_x": _group()})
    assert report.trial_groups["t.py::test_x"].passed


def test_report_sink_protocol() -> None:
    class Sink:
        async def emit_async(self, *, report: TestRunReport) -> None:
            return None

    assert isinstance(Sink(), ReportSink)
    assert isinstance(JsonFileReportSink(path="x.json"), ReportSink)
    assert not isinstance(object(), ReportSink)
