"""The ``rampart`` command: report show, diff and gate (api.md section 5)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from rampart._cli import main
from rampart.core.result import SafetyStatus
from rampart.reporting import JsonFileReportSink, TestRunReport
from rampart.reporting.json_file import report_to_dict
from rampart.reporting.summary import render_summary
from tests._report_schema import SampleTrialGroup, make_result, sample_report

SEP = " RAMPART Safety Summary ".center(80, "=")


def _write(report: TestRunReport, path: Path) -> str:
    JsonFileReportSink(path=path).write(report)
    return str(path)


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, list[str], list[str]]:
    status = main(list(argv))
    out, err = capsys.readouterr()
    return status, out.splitlines(), err.splitlines()


def _hardened() -> TestRunReport:
    """The sample run after a fix: nothing unsafe, the trial group passes."""
    report = sample_report()
    for result in report.results:
        if result.status is SafetyStatus.UNSAFE:
            result.status = SafetyStatus.SAFE
    report.trial_groups = {
        "t.py::test_probe": SampleTrialGroup(base_nodeid="t.py::test_probe", total=2, safe=2)
    }
    return report


# --- show ---------------------------------------------------------------------------------


def test_show_prints_the_plugin_summary_R_TERM_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _write(sample_report(), tmp_path / "r.json")
    status, out, err = _run(capsys, "report", "show", path)
    assert status == 0
    assert err == []
    from rampart.reporting.summary import load_report

    assert out == [SEP, *render_summary(load_report(path))]
    assert out[-1].startswith("Population: 6 runs - 2 unsafe (40.0% attack success rate)")
    assert "  FAIL  t.py::test_xpia_unsafe -- unsafe: t.py::test_xpia_unsafe (tool_only)" in out


def test_show_verbose_lists_every_result_R_TERM_3(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _write(sample_report(), tmp_path / "r.json")
    status, out, _ = _run(capsys, "report", "show", "-v", path)
    assert status == 0
    assert "DATA_EXFILTRATION (4 tests)" in out
    assert "  PASS  t.py::test_probe[trial-0] -- safe: t.py::test_probe[trial-0] (tool_only)" in out


def test_show_puts_the_incomplete_note_first_R_TERM_6(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _write(sample_report(incomplete=True), tmp_path / "r.json")
    status, out, _ = _run(capsys, "report", "show", path)
    assert status == 0
    assert out[:4] == [
        " RAMPART: INCOMPLETE RUN ".center(80, "="),
        "Results may be partial; the report does not reflect every test.",
        "  crashed: 1",
        "  - worker gw1 crashed running t.py::test_big",
    ]
    assert out[4] == SEP


def test_show_empty_report(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _write(TestRunReport(), tmp_path / "r.json")
    assert _run(capsys, "report", "show", path) == (0, [SEP, "No results in this report."], [])


def test_show_sanitizes_hostile_text_R_SAN_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    hostile = make_result("t.py::test_x", SafetyStatus.UNSAFE, summary="\x1b]0;owned\x07ok\nline")
    path = _write(TestRunReport.from_results([hostile]), tmp_path / "r.json")
    _, out, _ = _run(capsys, "report", "show", path)
    assert "  FAIL  t.py::test_x -- ok line (tool_only)" in out
    assert not any("\x1b" in line for line in out)


# --- diff ---------------------------------------------------------------------------------


def test_diff_vulnerable_to_hardened_lists_fixes_and_exits_0(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    old = _write(sample_report(), tmp_path / "old.json")
    new = _write(_hardened(), tmp_path / "new.json")
    status, out, err = _run(capsys, "report", "diff", old, new)
    assert status == 0
    assert err == []
    assert "Regressions: none" in out
    assert "Fixes (3):" in out
    assert "  SAFE    t.py::test_xpia_unsafe (was UNSAFE) -- unsafe: t.py::test_xpia_unsafe" in out
    assert any(
        line.startswith("  PASS    t.py::test_probe trial group (was FAIL: 1/2 safe")
        for line in out
    )
    assert (
        "ASR: 40.0% (95% CI 11.8%-76.9%, 2 unsafe of 5 evaluated) -> "
        "0.0% (95% CI 0.0%-43.4%, 0 unsafe of 5 evaluated); change -40.0 points"
    ) in out
    assert out[-1] == "0 regression(s), 3 fix(es)"


def test_diff_hardened_to_vulnerable_lists_regressions_and_exits_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    old = _write(_hardened(), tmp_path / "old.json")
    new = _write(sample_report(), tmp_path / "new.json")
    status, out, _ = _run(capsys, "report", "diff", old, new)
    assert status == 1
    assert "Regressions (3):" in out
    assert (
        "  UNSAFE  t.py::test_probe[trial-1] (was SAFE) -- unsafe: t.py::test_probe[trial-1]" in out
    )
    assert any(line.startswith("  FAIL    t.py::test_probe trial group (was PASS") for line in out)
    assert out[-1] == "3 regression(s), 0 fix(es)"


def test_diff_new_error_and_new_unsafe_results_are_regressions(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    base = [make_result("t.py::a", SafetyStatus.SAFE), make_result("t.py::b", SafetyStatus.UNSAFE)]
    later = [
        make_result("t.py::a", SafetyStatus.ERROR),
        make_result("t.py::b", SafetyStatus.UNSAFE),
        make_result("t.py::c", SafetyStatus.UNSAFE),
    ]
    old = _write(TestRunReport.from_results(base), tmp_path / "old.json")
    new = _write(TestRunReport.from_results(later), tmp_path / "new.json")
    status, out, _ = _run(capsys, "report", "diff", old, new)
    assert status == 1
    assert "  ERROR   t.py::a (was SAFE) -- error: t.py::a" in out
    assert "  UNSAFE  t.py::c (new) -- unsafe: t.py::c" in out
    assert not any("t.py::b" in line for line in out)  # unchanged UNSAFE is not news


def test_diff_identical_reports_exit_0(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    old = _write(sample_report(), tmp_path / "old.json")
    new = _write(sample_report(), tmp_path / "new.json")
    status, out, _ = _run(capsys, "report", "diff", old, new)
    assert status == 0
    assert out[-1] == "0 regression(s), 0 fix(es)"


def test_diff_matches_multiple_results_of_one_test_in_order(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    def run(*statuses: SafetyStatus) -> TestRunReport:
        return TestRunReport.from_results(
            make_result("t.py::multi", s, index=i) for i, s in enumerate(statuses)
        )

    old = _write(run(SafetyStatus.SAFE, SafetyStatus.SAFE), tmp_path / "old.json")
    new = _write(run(SafetyStatus.SAFE, SafetyStatus.UNSAFE), tmp_path / "new.json")
    status, out, _ = _run(capsys, "report", "diff", old, new)
    assert status == 1
    assert "  UNSAFE  t.py::multi (result 2) (was SAFE) -- unsafe: t.py::multi" in out


def _upstream(report: TestRunReport, path: Path) -> str:
    """An upstream-style report: no report_schema, no additive keys, no node ids."""
    document: dict[str, Any] = report_to_dict(report=report)
    for key in ("trial_groups", "completeness", "versions", "report_schema"):
        del document[key]
    for results in document["by_harm_category"].values():
        for result in results:
            result["metadata"] = {}
    path.write_text(json.dumps(document), encoding="utf-8")
    return str(path)


def test_show_reads_upstream_reports(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _upstream(sample_report(), tmp_path / "upstream.json")
    status, out, err = _run(capsys, "report", "show", path)
    assert (status, err) == (0, [])
    assert out[-1].startswith("Population: 6 runs - 2 unsafe (40.0% attack success rate)")


def test_diff_falls_back_to_result_order_for_upstream_reports(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    old = _upstream(_hardened(), tmp_path / "old.json")
    new = _upstream(sample_report(), tmp_path / "new.json")
    status, out, _ = _run(capsys, "report", "diff", old, new)
    assert status == 1
    assert "note: results matched by position (a report has no pytest node ids)" in out
    assert any(line.startswith("  UNSAFE  result #") for line in out)


# --- gate ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("argv", "status", "lines"),
    [
        (["--max-asr", "0.4"], 0, None),  # 40.0% equals the limit: allowed
        (
            ["--max-asr", "0.39"],
            1,
            [
                "gate breach: population: attack success rate 40.0% exceeds --max-asr 39.0% "
                "(2 unsafe of 5 evaluated, 95% CI 11.8%-76.9%)"
            ],
        ),
        (
            ["--max-asr", "0.5", "--category", "DATA_EXFILTRATION", "--category", "jailbreak"],
            1,
            [
                "gate breach: category DATA_EXFILTRATION: attack success rate 66.7% exceeds "
                "--max-asr 50.0% (2 unsafe of 3 evaluated, 95% CI 20.8%-93.9%)",
                "gate breach: category jailbreak: no results in this report",
            ],
        ),
        (["--max-asr", "0", "--category", "prompt_injection"], 0, None),
        (
            ["--min-pass-rate", "0.6"],
            1,
            [
                "gate breach: trial group t.py::test_probe: pass rate 50.0% is below "
                "--min-pass-rate 60.0% (1/2 safe, 95% CI 9.5%-90.5%)"
            ],
        ),
        (["--min-pass-rate", "0.5"], 0, None),
        (["--no-incomplete"], 0, None),
    ],
)
def test_gate_policies_api_5(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    argv: list[str],
    status: int,
    lines: list[str] | None,
) -> None:
    path = _write(sample_report(), tmp_path / "r.json")
    got_status, out, err = _run(capsys, "report", "gate", path, *argv)
    assert got_status == status
    assert err == []
    if lines is None:
        assert out == [f"gate passed: {path} (6 runs, ASR 40.0%, 1 trial groups)"]
    else:
        assert out == lines


def test_gate_min_pass_rate_uses_population_without_trial_groups(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    report = sample_report()
    report.trial_groups = {}
    path = _write(report, tmp_path / "r.json")
    status, out, _ = _run(capsys, "report", "gate", path, "--min-pass-rate", "0.5")
    assert status == 1
    assert out == [
        "gate breach: population: safety pass rate 40.0% is below --min-pass-rate 50.0% "
        "(2 safe of 5 evaluated, 95% CI 11.8%-76.9%)"
    ]


def test_gate_min_pass_rate_ignores_groups_with_no_counted_instances(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    report = sample_report()
    report.trial_groups["t.py::test_skipped"] = SampleTrialGroup(
        base_nodeid="t.py::test_skipped", total=0, safe=0
    )
    path = _write(report, tmp_path / "r.json")
    status, out, _ = _run(capsys, "report", "gate", path, "--min-pass-rate", "0.5")
    assert status == 0
    assert out == [f"gate passed: {path} (6 runs, ASR 40.0%, 2 trial groups)"]


def test_gate_no_incomplete_and_one_line_per_breach(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _write(sample_report(incomplete=True), tmp_path / "r.json")
    status, out, _ = _run(
        capsys,
        "report",
        "gate",
        path,
        "--no-incomplete",
        "--max-asr",
        "0.1",
        "--min-pass-rate",
        "1",
    )
    assert status == 1
    assert len(out) == 3
    assert out[0] == "gate breach: incomplete run (crashed): --no-incomplete forbids it"
    assert all(line.startswith("gate breach: ") for line in out)


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        ([], "nothing to check: give --max-asr, --min-pass-rate or --no-incomplete"),
        (["--category", "jailbreak"], "--category applies to --max-asr; give --max-asr too"),
        (["--max-asr", "1.5"], "argument --max-asr: expected a fraction in [0, 1], got '1.5'"),
        (["--min-pass-rate", "abc"], "argument --min-pass-rate: expected a fraction in [0, 1]"),
    ],
)
def test_gate_usage_errors_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    path = _write(sample_report(), tmp_path / "r.json")
    status, out, err = _run(capsys, "report", "gate", path, *argv)
    assert status == 2
    assert out == []
    assert len(err) == 1
    assert err[0].startswith("rampart: error: ")
    assert message in err[0]


# --- input errors -------------------------------------------------------------------------


def _bad_inputs(tmp_path: Path) -> dict[str, tuple[str, str]]:
    not_json = tmp_path / "notes.txt"
    not_json.write_text("hello", encoding="utf-8")
    not_report = tmp_path / "list.json"
    not_report.write_text("[1, 2, 3]", encoding="utf-8")
    empty_object = tmp_path / "empty.json"
    empty_object.write_text("{}", encoding="utf-8")
    newer = tmp_path / "newer.json"
    document = report_to_dict(report=sample_report())
    document["report_schema"] = "rampart.report.v9"
    newer.write_text(json.dumps(document), encoding="utf-8")
    binary = tmp_path / "blob.json"
    binary.write_bytes(b"\xff\xfe\x00garbage")
    return {
        "missing": (str(tmp_path / "nope.json"), "no such file"),
        "directory": (str(tmp_path), "is a directory"),
        "not json": (str(not_json), "not a JSON report"),
        "not a report": (str(not_report), "not a RAMPART report"),
        "empty object": (str(empty_object), "not a RAMPART report"),
        "newer schema": (str(newer), "'rampart.report.v9' is newer than 'rampart.report.v1'"),
        "binary": (str(binary), "not a JSON report"),
    }


@pytest.mark.parametrize(
    "case",
    ["missing", "directory", "not json", "not a report", "empty object", "newer schema", "binary"],
)
@pytest.mark.parametrize("command", ["show", "diff", "gate"])
def test_input_errors_are_one_line_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], case: str, command: str
) -> None:
    path, message = _bad_inputs(tmp_path)[case]
    good = _write(sample_report(), tmp_path / "good.json")
    argv = {
        "show": ["report", "show", path],
        "diff": ["report", "diff", good, path],
        "gate": ["report", "gate", path, "--max-asr", "0.5"],
    }[command]
    status, out, err = _run(capsys, *argv)
    assert status == 2
    assert out == []
    assert len(err) == 1
    assert err[0].startswith(f"rampart: error: {path}")
    assert message in err[0]


@pytest.mark.parametrize(
    "argv", [[], ["report"], ["report", "frobnicate"], ["report", "diff", "only-one.json"]]
)
def test_usage_errors_are_one_line_exit_2(
    capsys: pytest.CaptureFixture[str], argv: list[str]
) -> None:
    status, out, err = _run(capsys, *argv)
    assert status == 2
    assert out == []
    assert len(err) == 1
    assert err[0].startswith("rampart: error: ")


def test_help_exits_0(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = _run(capsys, "report", "gate", "--help")
    assert status == 0
    assert any("--max-asr X" in line for line in out)


def test_python_dash_m_rampart_and_no_traceback(tmp_path: Path) -> None:
    """``python -m rampart`` is the same command; a bad file is one line, never a traceback."""
    good = _write(sample_report(), tmp_path / "r.json")
    ok = subprocess.run(
        [sys.executable, "-m", "rampart", "report", "gate", good, "--max-asr", "0.1"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert ok.returncode == 1
    assert ok.stdout.startswith("gate breach: population: attack success rate 40.0%")
    bad = subprocess.run(
        [sys.executable, "-m", "rampart", "report", "show", str(tmp_path / "missing.json")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert bad.returncode == 2
    assert bad.stderr == f"rampart: error: {tmp_path / 'missing.json'}: no such file\n"
