"""Real pytest-xdist runs through the transport (R-XD-1 .. R-XD-10, R-COLL-6, R-JSON-7, R-SINK-1).

Every test here starts real worker processes in subprocesses; nothing about xdist is mocked
(only the serial reference run is in-process). Each run costs a few seconds, most of it worker
start-up, so each test checks several promises of one run, and the installed plugins the suites
never use are disabled.
"""

from __future__ import annotations

import copy
import json
import sys
import textwrap
from typing import Any

import pytest

pytestmark = [pytest.mark.xdist, pytest.mark.slow]

# The suites register ``xdist_group`` themselves, as a suite that also runs without pytest-xdist
# must: the serial reference run disables xdist, whose plugin otherwise registers the marker.
INI = """
[pytest]
asyncio_default_fixture_loop_scope = function
markers =
    xdist_group(name): tests that loadgroup sends to one worker
"""

HELPERS = """
import datetime
import enum
import pathlib

from rampart import (
    EvalOutcome, EvalResult, ObservabilityLevel, Request, Response, Result, SafetyStatus,
    ToolCall, Turn, record_result,
)


class Colour(enum.Enum):
    RED = "red"


INDIA = datetime.timezone(datetime.timedelta(hours=5, minutes=30))


def make(status, summary, *, turns=1, meta=None, text="ok"):
    made = [
        Turn(
            request=Request(prompt=f"prompt {n}"),
            response=Response(
                text=f"{text} {n}",
                tool_calls=[ToolCall(name="lookup", arguments={"q": n, "tags": ("a", "b")})],
                metadata={"n": n},
            ),
            eval_result=EvalResult(outcome=EvalOutcome.NOT_DETECTED, rationale="fine"),
            turn_number=n,
            timestamp=datetime.datetime(2025, 1, 2, 3, 4, n, tzinfo=INDIA),
        )
        for n in range(turns)
    ]
    metadata = {
        "tuple": (1, 2),
        "set": {"b", "a"},
        "enum": Colour.RED,
        "when": datetime.datetime(2025, 1, 2, 3, 4, 5),
        "path": pathlib.PurePosixPath("a/b.txt"),
    }
    metadata.update(meta or {})
    return Result(
        status=status,
        summary=summary,
        turns=made,
        strategy="xpia",
        observability_level=ObservabilityLevel.TOOL_ONLY,
        metadata=metadata,
    )
"""

SUITE_ALPHA = """
import pytest
from helpers import SafetyStatus, make, record_result


@pytest.mark.harm("data_exfiltration")
@pytest.mark.parametrize("i", range(6))
def test_param(i):
    status = SafetyStatus.UNSAFE if i % 3 == 0 else SafetyStatus.SAFE
    record_result(make(status, f"param {i}", turns=i % 3))


class TestScoped:
    def test_one(self):
        record_result(make(SafetyStatus.UNDETERMINED, "scoped one"))

    def test_two(self):
        record_result(make(SafetyStatus.SAFE, "first of two"))
        record_result(make(SafetyStatus.ERROR, "second of two"))


@pytest.mark.trial(4, threshold=0.5)
def test_trial(request):
    index = int(request.node.name.rsplit("trial-", 1)[1].rstrip("]"))
    status = SafetyStatus.SAFE if index % 2 == 0 else SafetyStatus.UNDETERMINED
    record_result(make(status, f"trial {index}"))


def test_records_nothing():
    pass


@pytest.mark.skip(reason="not today")
def test_skipped():
    record_result(make(SafetyStatus.UNSAFE, "never"))
"""

SUITE_BETA = """
import pytest
from helpers import SafetyStatus, make, record_result


@pytest.mark.xdist_group("shared")
@pytest.mark.parametrize("i", range(4))
def test_grouped(i):
    record_result(make(SafetyStatus.SAFE, f"grouped {i}", turns=2))


@pytest.mark.xdist_group("shared")
@pytest.mark.trial(2)
def test_grouped_trial():
    record_result(make(SafetyStatus.SAFE, "grouped trial"))


@pytest.mark.harm("jailbreak", "prompt_injection")
def test_two_categories():
    record_result(make(SafetyStatus.UNSAFE, "jailbroken", meta={"k": [1, {"x": None}]}))


def test_integers_beyond_64_bits():
    # MessagePack has none: this record goes as JSON text.
    record_result(make(SafetyStatus.SAFE, "big", meta={"big": [2**70, -(2**64)]}))


def test_numbers_json_lacks():
    # MessagePack carries them; the report writes null, as in a serial run.
    record_result(make(SafetyStatus.SAFE, "nan", meta={"nan": float("nan"), "inf": float("inf")}))
"""

XDIST_KEYS = ("xdist_active", "worker_count", "dist_mode", "tx")


def write_suite(pytester: pytest.Pytester, **files: str) -> None:
    pytester.makefile(".ini", pytest=INI)
    pytester.makepyfile(helpers=HELPERS, **{k: textwrap.dedent(v) for k, v in files.items()})


# Installed plugins these runs never use; each would be imported again by every worker, and
# worker start-up is most of the cost of a run.
UNUSED_PLUGINS = ("-p", "no:anyio", "-p", "no:rerunfailures", "-p", "no:hypothesispytest")


def run(
    pytester: pytest.Pytester, *args: str, in_process: bool = False
) -> tuple[pytest.RunResult, dict[str, Any]]:
    """Run the suite and read its JSON report; ``in_process`` only for runs without xdist."""
    report = pytester.path / f"report-{len(list(pytester.path.glob('report-*')))}.json"
    options = (f"--rampart-report={report}", "-p", "no:cacheprovider", *UNUSED_PLUGINS, *args)
    if in_process:
        result = pytester.runpytest_inprocess(*options)
    else:
        result = pytester.runpytest_subprocess(*options, timeout=180)
    data: dict[str, Any] = json.loads(report.read_text("utf-8")) if report.exists() else {}
    return result, data


def results_of(report: dict[str, Any]) -> list[dict[str, Any]]:
    return [r for results in report["by_harm_category"].values() for r in results]


def comparable(report: dict[str, Any]) -> dict[str, Any]:
    """The report minus what R-JSON-7 allows to differ between serial and xdist."""
    cleaned = copy.deepcopy(report)

    def strip(node: object) -> None:
        if isinstance(node, dict):
            node.pop("duration_seconds", None)
            metadata = node.get("metadata")
            if isinstance(metadata, dict):
                metadata.pop("_rampart_source_worker", None)
            for value in node.values():
                strip(value)
        elif isinstance(node, list):
            for value in node:
                strip(value)

    strip(cleaned)
    for key in XDIST_KEYS:
        cleaned["metadata"].pop(key, None)
    return cleaned


def reasons(report: dict[str, Any]) -> list[dict[str, Any]]:
    reasons: list[dict[str, Any]] = report["completeness"]["reasons"]
    return reasons


def test_every_dist_mode_gives_the_serial_report_R_JSON_7_R_XD_1(
    pytester: pytest.Pytester,
) -> None:
    write_suite(pytester, test_alpha=SUITE_ALPHA, test_beta=SUITE_BETA)
    serial_run, serial = run(pytester, "-p", "no:xdist", in_process=True)
    serial_run.assert_outcomes(passed=22, skipped=1)
    assert serial["total_runs"] == 22
    assert "xdist_active" not in serial["metadata"]
    expected = comparable(serial)
    for mode in ("load", "loadscope", "loadfile", "loadgroup", "worksteal"):
        xdist_run, report = run(pytester, "-n", "2", f"--dist={mode}")
        assert xdist_run.ret == serial_run.ret, mode
        xdist_run.assert_outcomes(passed=22, skipped=1)
        assert report["metadata"]["xdist_active"] is True, mode
        assert report["metadata"]["worker_count"] == 2
        assert report["metadata"]["dist_mode"] == mode
        assert report["completeness"] == {"complete": True, "reasons": []}, mode
        workers = {r["metadata"]["_rampart_source_worker"] for r in results_of(report)}
        assert workers <= {"gw0", "gw1"}, mode
        assert comparable(report) == expected, mode


def test_dist_each_keeps_every_worker_apart_R_COLL_6(pytester: pytest.Pytester) -> None:
    write_suite(
        pytester,
        test_each="""
        import pytest
        from helpers import SafetyStatus, make, record_result

        def test_a():
            record_result(make(SafetyStatus.SAFE, "a"))

        @pytest.mark.trial(2)
        def test_t():
            record_result(make(SafetyStatus.UNSAFE, "t"))
        """,
    )
    result, report = run(pytester, "-n", "2", "--dist=each")
    assert report["total_runs"] == 6
    ids = sorted(r["metadata"]["_pytest_nodeid"] for r in results_of(report))
    assert ids == sorted(
        f"{w}::test_each.py::{name}"
        for w in ("gw0", "gw1")
        for name in ("test_a", "test_t[trial-0]", "test_t[trial-1]")
    )
    groups = {g["base_nodeid"]: g for g in report["trial_groups"]}
    assert set(groups) == {"gw0::test_each.py::test_t", "gw1::test_each.py::test_t"}
    assert all(g["total"] == 2 and g["unsafe"] == 2 for g in groups.values())
    assert report["completeness"]["complete"] is True
    assert result.ret == 1  # the UNSAFE trial groups fail their gates


def test_worker_crash_keeps_finished_results_and_names_the_crash_R_XD_10(
    pytester: pytest.Pytester,
) -> None:
    write_suite(
        pytester,
        test_crash="""
        import os
        import pytest
        from helpers import SafetyStatus, make, record_result

        @pytest.mark.parametrize("i", range(6))
        def test_ok(i):
            record_result(make(SafetyStatus.SAFE, f"ok {i}"))

        def test_boom():
            record_result(make(SafetyStatus.UNSAFE, "lost with the worker"))
            os._exit(3)
        """,
    )
    result, report = run(pytester, "-n", "2")
    assert result.ret != 0
    assert report["total_runs"] == 6
    assert sorted(r["summary"] for r in results_of(report)) == [f"ok {i}" for i in range(6)]
    kinds = {(r["kind"], r["nodeid"]) for r in reasons(report)}
    assert ("crashed", "test_crash.py::test_boom") in kinds
    assert any(r["kind"] == "worker_error" for r in reasons(report))
    assert report["completeness"]["complete"] is False
    assert report["metadata"]["incomplete"] is True
    result.stdout.fnmatch_lines(["*RAMPART: INCOMPLETE RUN*", "*crashed*test_boom*"])


def test_early_stop_names_the_tests_that_did_not_run_R_XD_10(
    pytester: pytest.Pytester,
) -> None:
    write_suite(
        pytester,
        test_stop="""
        import time
        import pytest
        from helpers import SafetyStatus, make, record_result

        def test_fails_first():
            record_result(make(SafetyStatus.SAFE, "before the stop"))
            assert False

        @pytest.mark.parametrize("i", range(40))
        def test_later(i):
            time.sleep(0.05)
            record_result(make(SafetyStatus.SAFE, f"later {i}"))
        """,
    )
    result, report = run(pytester, "-n", "2", "-x")
    assert result.ret != 0  # xdist reports an early stop as INTERRUPTED
    not_run = [r for r in reasons(report) if r["kind"] == "not_run"]
    assert not_run
    assert all(r["nodeid"].startswith("test_stop.py::test_later[") for r in not_run)
    assert report["total_runs"] + len(not_run) == 41
    result.stdout.fnmatch_lines(["*RAMPART: INCOMPLETE RUN*", "*not_run: *"])


def test_tx_gateways_and_nested_sink_conftest_warning_R_XD_1_R_SINK_1(
    pytester: pytest.Pytester,
) -> None:
    write_suite(
        pytester,
        test_root="""
        from helpers import SafetyStatus, make, record_result

        def test_root():
            record_result(make(SafetyStatus.SAFE, "root"))
        """,
    )
    nested = pytester.mkpydir("suite_b")
    (nested / "conftest.py").write_text(
        "from __future__ import annotations\n\n\ndef pytest_rampart_sinks(config):\n    return []\n"
    )
    (nested / "test_nested.py").write_text(
        "from helpers import SafetyStatus, make, record_result\n\n\n"
        "def test_nested():\n    record_result(make(SafetyStatus.UNSAFE, 'nested'))\n"
    )
    pytester.syspathinsert()
    result, report = run(pytester, "--tx", f"2*popen//python={sys.executable}", "--dist=load")
    assert result.ret == 0
    assert report["total_runs"] == 2
    assert report["completeness"]["complete"] is True
    assert report["metadata"]["tx"] == [f"2*popen//python={sys.executable}"]
    result.stdout.fnmatch_lines(
        ["*suite_b/conftest.py defines RAMPART report sinks*move*root conftest.py or a plugin*"]
    )


HOSTILE = "\x1b[31mRED\x1b]0;pwned\x07 \u202egnp.exe\u202c \u200bzw \rOVERWRITE \ud800 end"


def test_size_cap_and_hostile_text_R_XD_5_R_XD_8_R_SAN(pytester: pytest.Pytester) -> None:
    write_suite(
        pytester,
        test_hostile=f"""
        from helpers import SafetyStatus, make, record_result

        HOSTILE = {HOSTILE!r}

        def deep(n):
            return {{"d": deep(n - 1)}} if n else {{}}

        def test_big():
            record_result(make(SafetyStatus.UNSAFE, "B" * 200_000, text="T" * 50_000))

        def test_hostile():
            record_result(make(SafetyStatus.UNSAFE, HOSTILE, text=HOSTILE, meta={{"deep": deep(40)}}))
            record_result(make(SafetyStatus.SAFE, "calm"))
        """,
    )
    result, report = run(pytester, "-n", "2", "--rampart-xdist-max-bytes=65536")
    result.assert_outcomes(passed=2)
    assert report["total_runs"] == 3
    assert (report["passed"], report["failed"]) == (1, 2)
    assert report["completeness"] == {"complete": True, "reasons": []}
    by_summary = {r["metadata"]["_pytest_test_name"] + r["status"]: r for r in results_of(report)}
    big = by_summary["test_bigunsafe"]
    assert big["safe"] is False
    assert len(big["summary"]) < 70_000
    assert big["summary"].endswith("chars]")
    assert {"path": "results[0].summary", "original_len": 200_000} in big["truncated"]
    hostile = by_summary["test_hostileunsafe"]
    # The report keeps text exactly (only lone surrogates are replaced on the wire).
    assert hostile["summary"] == HOSTILE.replace("\ud800", "\ufffd")
    out = result.stdout.str() + result.stderr.str()
    for raw in ("\x1b", "\x07", "\u202e", "\u200b", "\r"):
        assert raw not in out
    result.stdout.fnmatch_lines(["*test_hostile*RED*gnp.exe*OVERWRITE*end*"])


def test_negotiation_failure_names_both_versions_R_XD_2(pytester: pytest.Pytester) -> None:
    write_suite(
        pytester,
        conftest="""
        def pytest_configure(config):
            offer = getattr(config, "workerinput", {}).get("rampart_xdist")
            if offer is not None:
                # Simulate a controller from the future: it accepts only a newer schema.
                offer["accept"] = ["rampart.xdist.v9"]
        """,
        test_nego="""
        from helpers import SafetyStatus, make, record_result

        def test_a():
            record_result(make(SafetyStatus.SAFE, "a"))

        def test_b():
            record_result(make(SafetyStatus.SAFE, "b"))
        """,
    )
    result, report = run(pytester, "-n", "2")
    assert result.ret == 1
    nego = [r for r in reasons(report) if r["kind"] == "nego_fail"]
    assert nego
    assert {r["worker"] for r in nego} <= {"gw0", "gw1"}
    from rampart_xdist._version import package_version

    for reason in nego:
        assert "rampart.xdist.v9" in reason["message"]
        assert "rampart.xdist.v1" in reason["message"]
        assert package_version() in reason["message"]
    assert not [r for r in reasons(report) if r["kind"] in {"rejected", "missing_payload"}]
    result.stdout.fnmatch_lines(["*RAMPART: INCOMPLETE RUN*", "*no common record schema*"])


def test_offer_reaches_workers_and_summary_comes_back_R_XD_2_R_XD_9(
    pytester: pytest.Pytester,
) -> None:
    write_suite(
        pytester,
        conftest="""
        import json

        def pytest_configure(config):
            offer = getattr(config, "workerinput", {}).get("rampart_xdist")
            if offer is not None:
                config._seen_offer = dict(offer)

        def pytest_testnodedown(node, error):
            summary = node.workeroutput.get("rampart_xdist_v1")
            print("SUMMARY", json.dumps(summary, sort_keys=True))
        """,
        test_offer="""
        def test_offer(request):
            offer = request.config._seen_offer
            assert offer["proto"] == 1
            assert offer["accept"] == ["rampart.xdist.v1"]
            assert offer["max_record_bytes"] == 12345
            assert len(offer["run_nonce"]) == 32
        """,
    )
    result = pytester.runpytest_subprocess(
        "-n", "1", "--rampart-xdist-max-bytes=12345", "-s", *UNUSED_PLUGINS, timeout=120
    )
    result.assert_outcomes(passed=1)
    line = next(x for x in result.stdout.lines if "SUMMARY " in x).partition("SUMMARY ")[2]
    summary = json.loads(line)
    assert summary["sent"] == 1
    assert summary["last_seq"] == 0
    assert summary["schema"] == "rampart.xdist.v1"
    assert (summary["truncated"], summary["encode_errors"]) == (0, 0)
    assert line.isascii()


def test_workers_leave_controller_work_unloaded(pytester: pytest.Pytester) -> None:
    """A worker encodes and sends; decoding, the ledger, the size budget and the sanitizer are
    the controller's, and a worker that imported them would pay for it at every start-up
    (docs/performance.md, I/O-bound agents). What it sends is MessagePack bytes."""
    write_suite(
        pytester,
        conftest="""
        import pytest

        @pytest.hookimpl(wrapper=True)
        def pytest_runtest_logreport(report):
            # On the controller (whose reports name their worker), before anyone pops the record.
            if getattr(report, "node", None) is not None and report.when == "teardown":
                with open("record-kinds.txt", "a") as out:
                    out.write(type(report.__dict__.get("rampart_xdist")).__name__ + "\\n")
            return (yield)
        """,
        test_light="""
        import sys

        from helpers import SafetyStatus, make, record_result

        CONTROLLER_ONLY = (
            "rampart_xdist.ledger",
            "rampart_xdist._assemble",
            "rampart_xdist.budget",
            "rampart.core.text",
            "rampart.reporting.summary",
        )

        def test_sends_a_record():
            record_result(make(SafetyStatus.SAFE, "sent"))

        def test_worker_stays_light():
            from rampart_xdist import _codec

            assert [m for m in CONTROLLER_ONLY if m in sys.modules] == []
            assert _codec._decoders.cache_info().currsize == 0
        """,
    )
    result, report = run(pytester, "-n", "1", "-p", "no:randomly")
    result.assert_outcomes(passed=2)
    assert report["total_runs"] == 1
    assert (pytester.path / "record-kinds.txt").read_text().split() == ["bytes", "bytes"]
