"""The terminal summary (R-TERM-2..5, R-COLL-5, R-SAN-2) and reading reports back."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from rampart.core.result import HarmCategory, Result, SafetyStatus
from rampart.core.types import (
    EvalOutcome,
    EvalResult,
    ObservabilityLevel,
    Request,
    Response,
    ToolCall,
    Turn,
)
from rampart.reporting import JsonFileReportSink, TestRunReport, TrialGroupView
from rampart.reporting.json_file import report_to_dict
from rampart.reporting.summary import load_report, render_summary
from tests._report_schema import SampleTrialGroup

TOOL = ObservabilityLevel.TOOL_ONLY
BLIND = ObservabilityLevel.RESPONSE_ONLY


def _r(
    nodeid: str,
    status: SafetyStatus,
    summary: str,
    category: HarmCategory | str | None = None,
    observability: ObservabilityLevel = TOOL,
    **metadata: object,
) -> Result:
    return Result(
        status=status,
        summary=summary,
        harm_category=category,
        observability_level=observability,
        metadata={"_pytest_nodeid": nodeid, **metadata},
    )


def _example_report() -> TestRunReport:
    """R-TERM-5: three xpia tests, a trial(n=2, threshold=0.5) probe and a manual SAFE record."""
    results = [
        _r("t.py::test_manual", SafetyStatus.SAFE, "manual check passed", observability=BLIND),
        _r(
            "t.py::test_probe[trial-0]",
            SafetyStatus.SAFE,
            "Expected behavior detected",
            HarmCategory.BEHAVIORAL_REGRESSION,
        ),
        _r(
            "t.py::test_probe[trial-1]",
            SafetyStatus.UNSAFE,
            "UNSAFE: Tool 'search' not called with matching parameters",
            HarmCategory.BEHAVIORAL_REGRESSION,
        ),
        _r(
            "t.py::test_xpia_blind",
            SafetyStatus.UNDETERMINED,
            "Evaluation undetermined: Tool 'send_email' not called with matching parameters",
            "custom_risk",
            BLIND,
        ),
        _r(
            "t.py::test_xpia_error",
            SafetyStatus.ERROR,
            "InfrastructureError: agent API unreachable (503)",
            HarmCategory.DATA_EXFILTRATION,
        ),
        _r(
            "t.py::test_xpia_unsafe",
            SafetyStatus.UNSAFE,
            "Attack objective detected: send_email({'to': 'x@evil.com'})",
            HarmCategory.DATA_EXFILTRATION,
        ),
    ]
    report = TestRunReport.from_results(results)
    report.trial_groups = {
        "t.py::test_probe": SampleTrialGroup(
            base_nodeid="t.py::test_probe", total=2, safe=1, unsafe=1, threshold=0.5
        )
    }
    return report


EXPECTED_R_TERM_5 = [
    "UNCATEGORIZED          1 runs: 1 safe, 0 unsafe, 0 undetermined, 0 errors  ASR 0.0%  (95% CI 0.0%-79.3%)",
    "BEHAVIORAL_REGRESSION  2 runs: 1 safe, 1 unsafe, 0 undetermined, 0 errors  ASR 50.0%  (95% CI 9.5%-90.5%)",
    "CUSTOM_RISK            1 runs: 0 safe, 0 unsafe, 1 undetermined, 0 errors  ASR 0.0%  (95% CI 0.0%-79.3%)",
    "DATA_EXFILTRATION      2 runs: 0 safe, 1 unsafe, 0 undetermined, 1 errors  ASR 100.0%  (95% CI 20.7%-100.0%)",
    "",
    "Non-safe results (4 of 6):",
    "  FAIL  t.py::test_probe[trial-1] -- UNSAFE: Tool 'search' not called with matching parameters (tool_only)",
    "  FAIL  t.py::test_xpia_unsafe -- Attack objective detected: send_email({'to': 'x@evil.com'}) (tool_only)",
    "  ERR   t.py::test_xpia_error -- InfrastructureError: agent API unreachable (503) (tool_only)",
    "  WARN  t.py::test_xpia_blind -- Evaluation undetermined: Tool 'send_email' not called with matching parameters (response_only)",
    "",
    "Trial groups (1):",
    "  FAIL  t.py::test_probe [1/2 safe, 50% pass rate, threshold: 50%] -- FAILED (95% CI 9%-91%)",
    "",
    "Population: 6 runs - 2 unsafe (40.0% attack success rate), 1 undetermined, 1 errors; ASR 95% CI 11.8%-76.9%",
]


def test_compact_summary_reproduces_the_spec_example_R_TERM_5() -> None:
    assert render_summary(_example_report()) == EXPECTED_R_TERM_5


def test_verbose_layout_lists_every_result_by_category_R_TERM_3() -> None:
    assert render_summary(_example_report(), verbose=True) == [
        "",
        "UNCATEGORIZED (1 tests)",
        "  PASS  t.py::test_manual -- manual check passed (response_only)",
        "",
        "BEHAVIORAL_REGRESSION (2 tests)",
        "  FAIL  t.py::test_probe[trial-1] -- UNSAFE: Tool 'search' not called with matching parameters (tool_only)",
        "  PASS  t.py::test_probe[trial-0] -- Expected behavior detected (tool_only)",
        "",
        "CUSTOM_RISK (1 tests)",
        "  WARN  t.py::test_xpia_blind -- Evaluation undetermined: Tool 'send_email' not called with matching parameters (response_only)",
        "",
        "DATA_EXFILTRATION (2 tests)",
        "  FAIL  t.py::test_xpia_unsafe -- Attack objective detected: send_email({'to': 'x@evil.com'}) (tool_only)",
        "  ERR   t.py::test_xpia_error -- InfrastructureError: agent API unreachable (503) (tool_only)",
        "",
        "Trial groups (1):",
        "  FAIL  t.py::test_probe [1/2 safe, 50% pass rate, threshold: 50%] -- FAILED (95% CI 9%-91%)",
        "",
        "Population: 6 runs - 2 unsafe (40.0% attack success rate), 1 undetermined, 1 errors; ASR 95% CI 11.8%-76.9%",
    ]


def test_compact_caps_non_safe_lines_at_100_R_TERM_2() -> None:
    results = [
        _r(f"t.py::test_{i:05d}", SafetyStatus.UNSAFE, "bad", HarmCategory.JAILBREAK)
        for i in range(10_000)
    ]
    results += [_r("t.py::test_safe", SafetyStatus.SAFE, "ok", HarmCategory.JAILBREAK)]
    lines = render_summary(TestRunReport.from_results(results))
    assert lines[2] == "Non-safe results (10000 of 10001):"
    result_lines = [line for line in lines if line.startswith("  FAIL  ")]
    assert len(result_lines) == 100
    assert result_lines[0] == "  FAIL  t.py::test_00000 -- bad (tool_only)"
    assert "  ... and 9900 more non-safe results (use -v or the JSON report)" in lines
    assert len(lines) <= 1 + 3 + 100 + 8


def test_compact_orders_unsafe_error_undetermined_and_cuts_summaries_R_TERM_2() -> None:
    long = "x" * 250
    results = [
        _r("a", SafetyStatus.UNDETERMINED, "u"),
        _r("b", SafetyStatus.ERROR, long),
        _r("c", SafetyStatus.UNSAFE, "f"),
        _r("d", SafetyStatus.SAFE, "s"),
    ]
    lines = render_summary(TestRunReport.from_results(results))
    body = [line for line in lines if line.startswith("  ")]
    assert body == [
        "  FAIL  c -- f (tool_only)",
        "  ERR   b -- " + "x" * 200 + "... (tool_only)",
        "  WARN  a -- u (tool_only)",
    ]


def test_compact_caps_trial_groups_at_50_failed_first_R_TERM_2() -> None:
    groups: dict[str, TrialGroupView] = {}
    for i in range(60):
        key = f"t.py::test_{i:02d}"
        groups[key] = SampleTrialGroup(
            base_nodeid=key, total=4, safe=4 if i % 2 else 3, unsafe=0 if i % 2 else 1
        )
    report = TestRunReport.from_results([_r("t.py::x", SafetyStatus.SAFE, "ok")])
    report.trial_groups = groups
    lines = render_summary(report)
    start = lines.index("Trial groups (60):")
    shown = lines[start + 1 : start + 51]
    assert all(line.startswith("  FAIL  ") for line in shown[:30])
    assert all(line.startswith("  PASS  ") for line in shown[30:])
    assert shown[0].startswith(
        "  FAIL  t.py::test_00 [3/4 safe, 75% pass rate, threshold: 100%] -- FAILED (95% CI "
    )
    assert shown[30].startswith("  PASS  t.py::test_01 ")
    assert lines[start + 51] == "  ... and 10 more trial groups"
    verbose = render_summary(report, verbose=True)
    assert (
        len(
            [
                line
                for line in verbose
                if line.startswith(("  PASS  t.py::test_", "  FAIL  t.py::test_"))
            ]
        )
        == 60
    )


def test_trial_line_counts_tolerated_and_no_result_R_TERM_4() -> None:
    report = TestRunReport.from_results([_r("t.py::x", SafetyStatus.SAFE, "ok")])
    report.trial_groups = {
        "t.py::test_t": SampleTrialGroup(
            base_nodeid="t.py::test_t", total=10, safe=8, no_result=1, threshold=0.8, tolerated=2
        )
    }
    lines = render_summary(report)
    assert (
        "  PASS  t.py::test_t [8/10 safe, 1 no-result, 2 tolerated, 80% pass rate, threshold: 80%] -- PASSED (95% CI 49%-94%)"
        in lines
    )


def test_population_line_without_verdicts_has_no_interval_R_TERM_4() -> None:
    report = TestRunReport.from_results([_r("t.py::e", SafetyStatus.ERROR, "boom")])
    lines = render_summary(report)
    assert (
        lines[0]
        == "UNCATEGORIZED          1 runs: 0 safe, 0 unsafe, 0 undetermined, 1 errors  ASR 0.0%"
    )
    assert (
        lines[-1]
        == "Population: 1 runs - 0 unsafe (0.0% attack success rate), 0 undetermined, 1 errors"
    )


def test_all_safe_run_has_no_non_safe_section() -> None:
    lines = render_summary(TestRunReport.from_results([_r("t.py::ok", SafetyStatus.SAFE, "fine")]))
    assert lines == [
        "UNCATEGORIZED          1 runs: 1 safe, 0 unsafe, 0 undetermined, 0 errors  ASR 0.0%  (95% CI 0.0%-79.3%)",
        "",
        "Population: 1 runs - 0 unsafe (0.0% attack success rate), 0 undetermined, 0 errors; ASR 95% CI 0.0%-79.3%",
    ]


def test_superseded_results_are_announced_R_COLL_5() -> None:
    results = [
        _r("t.py::flaky", SafetyStatus.SAFE, "ok", _rampart_superseded=["unsafe", "safe"]),
        _r("t.py::flaky", SafetyStatus.SAFE, "ok", _rampart_superseded=["unsafe", "safe"]),
        _r("t.py::other", SafetyStatus.SAFE, "ok", _rampart_superseded=["unsafe"]),
    ]
    lines = render_summary(TestRunReport.from_results(results))
    assert "3 results superseded by reruns (2 were UNSAFE)" in lines
    assert "superseded" not in " ".join(render_summary(_example_report()))


def test_hostile_text_is_sanitized_on_every_line_R_TERM_1_R_SAN_2() -> None:
    hostile = "\x1b]0;owned\x07\x1b[2J evil\u202e\r\nnext\tline\x9b31m"
    results = [
        _r("t.py::test_\x1b[31mred", SafetyStatus.UNSAFE, hostile, "cat\x1b[5m\nx"),
        _r("t.py::test_\x1b[31mred", SafetyStatus.SAFE, hostile, "cat\x1b[5m\nx"),
    ]
    report = TestRunReport.from_results(results)
    report.trial_groups = {
        "g\x1b[1m": SampleTrialGroup(base_nodeid="t.py::g\x1b[1m\nz", total=1, safe=1)
    }
    for verbose in (False, True):
        lines = render_summary(report, verbose=verbose)
        for line in lines:
            assert line.isprintable(), repr(line)
        joined = "\n".join(lines)
        assert " evil next line" in joined
        assert "t.py::test_red" in joined
        assert "t.py::g z" in joined
    assert results[0].summary == hostile  # the result itself is untouched (R-SAN-2)


def test_empty_report_renders_only_the_population_line() -> None:
    assert render_summary(TestRunReport()) == [
        "Population: 0 runs - 0 unsafe (0.0% attack success rate), 0 undetermined, 0 errors"
    ]


# ------------------------------------------------------------------------------------------
# load_report


def _rich_report() -> TestRunReport:
    report = _example_report()
    turn = Turn(
        request=Request(prompt="hi"),
        response=Response(
            text="yo", tool_calls=[ToolCall(name="t", arguments={"a": 1}, result="r")]
        ),
        eval_result=EvalResult(outcome=EvalOutcome.DETECTED, confidence=0.5, rationale="why"),
        turn_number=0,
        driver_reasoning="dr",
    )
    report.results[2].turns.append(turn)
    report.duration_seconds = 2.5
    report.metadata = {"suite": "demo"}
    report.incomplete_details = [
        {"kind": "not_run", "message": "m", "nodeid": "t.py::q", "worker": None}
    ]
    return report


def test_round_trip_preserves_report_and_summary(tmp_path: Path) -> None:
    original = _rich_report()
    path = JsonFileReportSink(path=tmp_path / "r.json").write(original)
    loaded = load_report(path)
    assert report_to_dict(report=loaded) == report_to_dict(report=original)
    assert render_summary(loaded) == render_summary(original) == EXPECTED_R_TERM_5
    assert render_summary(loaded, verbose=True) == render_summary(original, verbose=True)
    group = loaded.trial_groups["t.py::test_probe"]
    assert isinstance(group, TrialGroupView)
    assert (group.terminal_label, group.detail, group.has_unsafe, group.tolerated) == (
        "FAIL",
        "1/2 safe",
        True,
        0,
    )
    assert loaded.results[2].turns[0].eval_result is not None
    assert loaded.results[2].status is SafetyStatus.UNSAFE
    assert loaded.results[1].harm_category is HarmCategory.BEHAVIORAL_REGRESSION


def test_reads_upstream_report_without_schema(tmp_path: Path) -> None:
    upstream = {
        "total_runs": 2,
        "passed": 1,
        "failed": 1,
        "undetermined": 0,
        "errors": 0,
        "duration_seconds": 1.0,
        "metadata": {},
        "population_summary": {},
        "by_harm_category": {
            "jailbreak": [
                {
                    "safe": False,
                    "status": "unsafe",
                    "summary": "bad",
                    "harm_category": "jailbreak",
                    "strategy": "xpia",
                    "duration_seconds": 0.5,
                    "metadata": {"_pytest_test_name": "test_a"},
                    "turns": [
                        {
                            "turn_number": 0,
                            "prompt": None,
                            "response_text": "r",
                            "response_metadata": {},
                        }
                    ],
                }
            ],
            "uncategorized": [
                {
                    "safe": True,
                    "status": "safe",
                    "summary": "ok",
                    "harm_category": None,
                    "strategy": "probe",
                    "duration_seconds": 0.5,
                    "metadata": {},
                    "turns": [],
                }
            ],
        },
    }
    path = tmp_path / "upstream.json"
    path.write_text(json.dumps(upstream))
    report = load_report(path)
    assert (report.total_runs, report.passed, report.failed) == (2, 1, 1)
    assert [r.status for r in report.results] == [SafetyStatus.UNSAFE, SafetyStatus.SAFE]
    assert report.results[0].observability_level is ObservabilityLevel.RESPONSE_ONLY
    assert report.trial_groups == {}
    assert render_summary(report)[-1].startswith(
        "Population: 2 runs - 1 unsafe (50.0% attack success rate)"
    )
    assert "  FAIL  test_a -- bad (response_only)" in render_summary(report)


def test_newer_schema_is_rejected_naming_both_versions(tmp_path: Path) -> None:
    path = tmp_path / "new.json"
    path.write_text(json.dumps({"by_harm_category": {}, "report_schema": "rampart.report.v2"}))
    with pytest.raises(ValueError, match=r"rampart\.report\.v2.*rampart\.report\.v1"):
        load_report(path)


@pytest.mark.parametrize("content", ["not json", "[1, 2]", '{"total_runs": 1}', "\udcff"])
def test_non_reports_raise_value_error(tmp_path: Path, content: str) -> None:
    path = tmp_path / "bad.json"
    path.write_bytes(content.encode("utf-8", "surrogateescape"))
    with pytest.raises(ValueError, match=r"bad\.json"):
        load_report(path)
