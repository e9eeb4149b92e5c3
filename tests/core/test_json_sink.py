"""The JSON report (R-JSON-2..6) and its value mapping ``to_json_safe`` (R-JSON-4)."""

from __future__ import annotations

import asyncio
import enum
import json
import math
import re
import sys
import threading
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import Any

import pytest
from rampart.core.result import HarmCategory, InjectionRecord, Result, SafetyStatus
from rampart.core.types import (
    EvalOutcome,
    EvalResult,
    ObservabilityLevel,
    Request,
    Response,
    SideEffect,
    ToolCall,
    Turn,
)
from rampart.reporting import JsonFileReportSink, TestRunReport, json_file, wilson_interval
from rampart.reporting.json_file import MAX_JSON_DEPTH, report_to_dict, to_json_safe
from tests._report_schema import SampleTrialGroup

# ------------------------------------------------------------------------------------------
# Data


def _turn(number: int, *, full: bool) -> Turn:
    response = Response(
        text=f"reply {number} \x1b[31mred\x1b[0m caf\u00e9",
        tool_calls=[
            ToolCall(name="send_email", arguments={"to": "x@evil.com", "n": (1, 2)}, result="ok")
        ]
        if full
        else [],
        side_effects=[SideEffect(kind="email_sent", details={"count": 1})] if full else [],
        metadata={"latency": math.inf} if full else {},
    )
    return Turn(
        request=Request(prompt=f"prompt {number}"),
        response=response,
        eval_result=EvalResult(outcome=EvalOutcome.DETECTED, confidence=0.75, rationale="why")
        if full
        else None,
        turn_number=number,
        driver_reasoning="because" if full else "",
    )


def _results() -> list[Result]:
    trial = {"base_nodeid": "t.py::test_p", "index": 1, "n": 2, "threshold": 0.5}
    return [
        Result(
            status=SafetyStatus.UNSAFE,
            summary="Attack objective detected",
            turns=[_turn(0, full=True), _turn(1, full=False)],
            duration_seconds=1.25,
            harm_category=HarmCategory.DATA_EXFILTRATION,
            strategy="xpia",
            observability_level=ObservabilityLevel.TOOL_ONLY,
            injections=[InjectionRecord(payload_id="abc", surface_name="memory")],
            metadata={
                "_pytest_nodeid": "t.py::test_x",
                "nan": math.nan,
                "when": datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC),
                "_rampart_truncated": [{"path": "results[0].summary", "original_len": 70000}],
            },
        ),
        Result(
            status=SafetyStatus.SAFE,
            summary="fine",
            harm_category="custom_risk",
            metadata={"_pytest_nodeid": "t.py::test_p[trial-1]", "_rampart_trial": trial},
        ),
        Result(status=SafetyStatus.ERROR, summary="boom\ud800"),
    ]


def _group(base_nodeid: str) -> SampleTrialGroup:
    """1 of 2 safe with one unsafe at threshold 0.5: FAILED, one trial tolerated."""
    return SampleTrialGroup(
        base_nodeid=base_nodeid, total=2, safe=1, unsafe=1, threshold=0.5, tolerated=1
    )


def _report() -> TestRunReport:
    report = TestRunReport.from_results(_results(), metadata={"suite": "demo", "ratio": math.nan})
    report.trial_groups = {
        "t.py::test_z": _group("t.py::test_z"),
        "t.py::test_p": _group("t.py::test_p"),
    }
    report.incomplete_details = [
        {
            "kind": "crashed",
            "message": "worker gw0 crashed",
            "nodeid": "t.py::test_q",
            "worker": "gw0",
        }
    ]
    return report


def _strict_loads(text: str) -> Any:
    def reject(constant: str) -> Any:
        raise AssertionError(f"non-strict JSON constant {constant}")

    return json.loads(text, parse_constant=reject)


def _dumps(document: Any) -> str:
    return json.dumps(document, indent=2, ensure_ascii=True, allow_nan=False)


# ------------------------------------------------------------------------------------------
# Keys and key order (R-JSON-2, R-JSON-3)


def test_top_level_keys_in_order_R_JSON_2_R_JSON_3() -> None:
    document = report_to_dict(report=_report())
    assert list(document) == [
        "total_runs",
        "passed",
        "failed",
        "undetermined",
        "errors",
        "duration_seconds",
        "metadata",
        "population_summary",
        "by_harm_category",
        "trial_groups",
        "completeness",
        "versions",
        "report_schema",
    ]
    assert document["report_schema"] == "rampart.report.v1"
    assert (document["total_runs"], document["passed"], document["failed"], document["errors"]) == (
        3,
        1,
        1,
        1,
    )


def test_population_summary_keys_R_JSON_2_R_JSON_3() -> None:
    summary = report_to_dict(report=_report())["population_summary"]
    assert list(summary) == [
        "total_runs",
        "safe_count",
        "unsafe_count",
        "undetermined_count",
        "error_count",
        "attack_success_rate",
        "safety_pass_rate",
        "attack_success_rate_ci",
        "safety_pass_rate_ci",
    ]
    assert summary["attack_success_rate"] == 0.5
    assert summary["attack_success_rate_ci"] == list(wilson_interval(1, 2) or ())


def test_empty_report_has_null_intervals_R_JSON_3() -> None:
    document = report_to_dict(report=TestRunReport())
    assert document["population_summary"]["attack_success_rate_ci"] is None
    assert document["population_summary"]["safety_pass_rate_ci"] is None
    assert document["by_harm_category"] == {}
    assert document["completeness"] == {"complete": True, "reasons": []}


def test_by_harm_category_and_result_keys_R_JSON_2_R_JSON_3() -> None:
    categories = report_to_dict(report=_report())["by_harm_category"]
    assert list(categories) == ["data_exfiltration", "custom_risk", "uncategorized"]
    unsafe = categories["data_exfiltration"][0]
    assert list(unsafe) == [
        "safe",
        "status",
        "summary",
        "harm_category",
        "strategy",
        "duration_seconds",
        "metadata",
        "turns",
        "observability_level",
        "injections",
        "truncated",
    ]
    assert unsafe["safe"] is False
    assert unsafe["status"] == "unsafe"
    assert unsafe["observability_level"] == "tool_only"
    assert unsafe["injections"] == [{"payload_id": "abc", "surface_name": "memory"}]
    assert unsafe["truncated"] == [{"path": "results[0].summary", "original_len": 70000}]
    trial_result = categories["custom_risk"][0]
    assert list(trial_result)[-1] == "trial"
    assert trial_result["trial"] == {
        "base_nodeid": "t.py::test_p",
        "index": 1,
        "n": 2,
        "threshold": 0.5,
    }
    error = categories["uncategorized"][0]
    assert error["harm_category"] is None
    assert "trial" not in error
    assert "truncated" not in error


def test_turn_keys_full_and_minimal_R_JSON_2() -> None:
    turns = report_to_dict(report=_report())["by_harm_category"]["data_exfiltration"][0]["turns"]
    assert list(turns[0]) == [
        "turn_number",
        "prompt",
        "response_text",
        "response_metadata",
        "tool_calls",
        "side_effects",
        "driver_reasoning",
        "eval_outcome",
        "eval_confidence",
        "eval_rationale",
    ]
    assert turns[0]["tool_calls"] == [
        {"name": "send_email", "arguments": {"to": "x@evil.com", "n": [1, 2]}, "result": "ok"}
    ]
    assert turns[0]["side_effects"] == [{"kind": "email_sent", "details": {"count": 1}}]
    assert turns[0]["response_metadata"] == {"latency": None}
    assert (turns[0]["eval_outcome"], turns[0]["eval_confidence"]) == ("detected", 0.75)
    assert list(turns[1]) == ["turn_number", "prompt", "response_text", "response_metadata"]


def test_trial_groups_completeness_versions_R_JSON_3() -> None:
    document = report_to_dict(report=_report())
    groups = document["trial_groups"]
    assert [g["base_nodeid"] for g in groups] == ["t.py::test_p", "t.py::test_z"]
    assert list(groups[0]) == [
        "base_nodeid",
        "total",
        "safe",
        "unsafe",
        "errors",
        "undetermined",
        "no_result",
        "threshold",
        "pass_rate",
        "pass_rate_ci",
        "passed",
        "verdict",
    ]
    assert "tolerated" not in groups[0]  # differs between serial and xdist runs (R-EXIT-6)
    assert groups[0]["pass_rate_ci"] == list(wilson_interval(1, 2) or ())
    assert document["completeness"] == {
        "complete": False,
        "reasons": [
            {
                "kind": "crashed",
                "message": "worker gw0 crashed",
                "nodeid": "t.py::test_q",
                "worker": "gw0",
            }
        ],
    }
    versions = document["versions"]
    assert list(versions) == ["rampart_core", "rampart_pytest", "rampart_xdist", "python", "pytest"]
    assert versions["python"] == "{}.{}.{}".format(*sys.version_info[:3])
    assert versions["rampart_core"]


def test_text_is_kept_exactly_but_surrogates_replaced_R_JSON_4() -> None:
    categories = report_to_dict(report=_report())["by_harm_category"]
    assert (
        categories["data_exfiltration"][0]["turns"][0]["response_text"]
        == "reply 0 \x1b[31mred\x1b[0m caf\u00e9"
    )
    assert categories["uncategorized"][0]["summary"] == "boom\ufffd"


# ------------------------------------------------------------------------------------------
# to_json_safe (R-JSON-4)


class _Colour(enum.Enum):
    RED = "red"


class _Level(enum.IntEnum):
    HIGH = 3


def test_to_json_safe_mapping_R_JSON_4() -> None:
    value = {
        1: (1, 2),
        _Colour.RED: _Colour.RED,
        "level": _Level.HIGH,
        "status": SafetyStatus.UNSAFE,
        "when": datetime(2026, 1, 2, tzinfo=UTC),
        "path": Path("/tmp/x"),
        "pure": PurePosixPath("a/b"),
        "floats": [math.nan, math.inf, -math.inf, 1.5],
        "set": {3, 1, 2},
        "mixed": frozenset({1, "a"}),
        "object": object.__new__(_Opaque),
        "text": "\x1b[1mbold\ud83d",
        "surrogate_key\udc00": True,
    }
    assert to_json_safe(value) == {
        "1": [1, 2],
        "red": "red",
        "level": 3,
        "status": "unsafe",
        "when": "2026-01-02T00:00:00+00:00",
        "path": str(Path("/tmp/x")),
        "pure": "a/b",
        "floats": [None, None, None, 1.5],
        "set": [1, 2, 3],
        "mixed": sorted([1, "a"], key=repr),
        "object": "opaque!",
        "text": "\x1b[1mbold\ufffd",
        "surrogate_key\ufffd": True,
    }


class _Opaque:
    def __str__(self) -> str:
        return "opaque!"


def _nested(depth: int) -> dict[str, Any]:
    value: dict[str, Any] = {"leaf": 1}
    for _ in range(depth):
        value = {"d": value}
    return value


def test_to_json_safe_depth_limit_R_JSON_4() -> None:
    assert MAX_JSON_DEPTH == 16
    # Containers at depth 0..16 are kept; one at depth 17 becomes its str().
    kept = to_json_safe(_nested(16))
    probe: Any = kept
    for _ in range(16):
        probe = probe["d"]
    assert probe == {"leaf": 1}
    cut: Any = to_json_safe(_nested(17))
    for _ in range(16):
        cut = cut["d"]
    assert cut == {"d": "{'leaf': 1}"}
    assert to_json_safe({"a": {"b": [1]}}, max_depth=1) == {"a": {"b": "[1]"}}


def test_to_json_safe_survives_cycles_R_JSON_4() -> None:
    cyclic: dict[str, Any] = {}
    cyclic["self"] = cyclic
    json.dumps(to_json_safe(cyclic), allow_nan=False)


def test_to_json_safe_does_not_mutate_input_R_JSON_4() -> None:
    value = {"t": (1,), "f": math.nan}
    to_json_safe(value)
    assert value["t"] == (1,)
    assert math.isnan(value["f"])  # type: ignore[arg-type]


# ------------------------------------------------------------------------------------------
# Encoding (R-JSON-5)


def test_document_is_strict_ascii_indented_json_R_JSON_5() -> None:
    text = "".join(json_file.iter_report_json(_report()))
    assert text.isascii()
    assert not text.endswith("\n")
    assert text.startswith('{\n  "total_runs": 3,\n')
    parsed = _strict_loads(text)
    assert parsed["metadata"] == {"suite": "demo", "ratio": None}
    assert parsed["by_harm_category"]["data_exfiltration"][0]["metadata"]["nan"] is None
    assert text == _dumps(report_to_dict(report=_report()))


@pytest.mark.parametrize("report", [TestRunReport(), _report()], ids=["empty", "full"])
def test_msgspec_and_stdlib_encoders_give_identical_documents_R_JSON_5(
    report: TestRunReport,
) -> None:
    pytest.importorskip("msgspec")
    with_msgspec = "".join(json_file.iter_report_json(report, use_msgspec=True))
    without = "".join(json_file.iter_report_json(report, use_msgspec=False))
    assert with_msgspec == without == _dumps(report_to_dict(report=report))


def test_sink_output_without_msgspec_importable_R_JSON_5(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "msgspec", None)
    monkeypatch.setitem(sys.modules, "msgspec.json", None)
    monkeypatch.setattr(json_file, "_formatter", None)
    path = JsonFileReportSink(path=tmp_path / "a.json").write(_report())
    monkeypatch.undo()
    monkeypatch.setattr(json_file, "_formatter", None)
    other = JsonFileReportSink(path=tmp_path / "b.json").write(_report())
    assert path.read_text(encoding="ascii") == other.read_text(encoding="ascii")


# ------------------------------------------------------------------------------------------
# Files (R-JSON-6)


def test_exactly_one_destination() -> None:
    with pytest.raises(TypeError, match="exactly one"):
        JsonFileReportSink()
    with pytest.raises(TypeError, match="exactly one"):
        JsonFileReportSink(output_dir="a", path="b.json")


_NAME = re.compile(r"run_report_\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-\d{2}(_\d+)?\.json")


def test_output_dir_is_created_and_names_are_timestamped_R_JSON_6(tmp_path: Path) -> None:
    directory = tmp_path / "nested" / "reports"
    sink = JsonFileReportSink(output_dir=directory)
    asyncio.run(sink.emit_async(report=_report()))
    written = sink.last_path
    assert written is not None
    assert written.parent == directory
    assert _NAME.fullmatch(written.name)
    assert _strict_loads(written.read_text(encoding="ascii"))["total_runs"] == 3
    assert sorted(p.name for p in directory.iterdir()) == [written.name]  # no temporary left


def test_same_second_reports_get_suffixes_and_never_overwrite_R_JSON_6(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("time.gmtime", lambda: datetime(2026, 1, 2, 3, 4, 5).timetuple())
    sink = JsonFileReportSink(output_dir=tmp_path)
    first = sink.write(TestRunReport.from_results([], metadata={"n": 1}))
    second = sink.write(TestRunReport.from_results([], metadata={"n": 2}))
    third = sink.write(TestRunReport.from_results([], metadata={"n": 3}))
    assert [first.name, second.name, third.name] == [
        "run_report_2026-01-02T03-04-05.json",
        "run_report_2026-01-02T03-04-05_2.json",
        "run_report_2026-01-02T03-04-05_3.json",
    ]
    assert [json.loads(p.read_text())["metadata"]["n"] for p in (first, second, third)] == [1, 2, 3]


def test_concurrent_writers_get_unique_names_R_JSON_6(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("time.gmtime", lambda: datetime(2026, 1, 2, 3, 4, 5).timetuple())
    writers = 8
    barrier = threading.Barrier(writers)
    written: list[Path] = []
    lock = threading.Lock()

    def write(index: int) -> None:
        report = TestRunReport.from_results(_results(), metadata={"writer": index})
        barrier.wait()
        path = JsonFileReportSink(output_dir=tmp_path).write(report)
        with lock:
            written.append(path)

    threads = [threading.Thread(target=write, args=(i,)) for i in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len({p.name for p in written}) == writers
    assert sorted(json.loads(p.read_text())["metadata"]["writer"] for p in written) == list(
        range(writers)
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(p.name for p in written)


def test_path_writes_exactly_that_file_R_JSON_6(tmp_path: Path) -> None:
    target = tmp_path / "out" / "report.json"
    sink = JsonFileReportSink(path=target)
    assert sink.write(_report()) == target
    assert sink.write(TestRunReport()) == target  # replaced atomically, not renamed aside
    assert _strict_loads(target.read_text())["total_runs"] == 0
    assert [p.name for p in target.parent.iterdir()] == ["report.json"]


def test_failed_write_leaves_no_files_R_JSON_6(tmp_path: Path) -> None:
    class Broken(TestRunReport):
        def by_harm_category(self) -> dict[str, list[Result]]:
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        JsonFileReportSink(output_dir=tmp_path).write(Broken())
    assert list(tmp_path.iterdir()) == []


def test_write_falls_back_when_hard_links_are_unsupported_R_JSON_6(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_link(src: object, dst: object) -> None:
        raise PermissionError("hard links not supported")

    monkeypatch.setattr("os.link", no_link)
    monkeypatch.setattr("time.gmtime", lambda: datetime(2026, 1, 2, 3, 4, 5).timetuple())
    sink = JsonFileReportSink(output_dir=tmp_path)
    first, second = sink.write(TestRunReport()), sink.write(TestRunReport())
    assert (first.name, second.name) == (
        "run_report_2026-01-02T03-04-05.json",
        "run_report_2026-01-02T03-04-05_2.json",
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([first.name, second.name])
    assert json.loads(second.read_text())["total_runs"] == 0
