"""Sinks: the hook, the deprecated fixture, options, emission (R-SINK-1..6, R-JSON-8)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

RECORDING_SINK = """
import json
from pathlib import Path


class FileSink:
    def __init__(self, name):
        self.name = name

    async def emit_async(self, *, report):
        with Path(self.name).open("a") as handle:
            handle.write(json.dumps([report.total_runs, id(report)]) + "\\n")


class BrokenSink:
    async def emit_async(self, *, report):
        raise RuntimeError("disk \\x1b[31mfull")
"""

ONE_RESULT = """
from helpers import SAFE, rec

def test_one():
    rec(SAFE)
"""


def emitted(pytester: pytest.Pytester, name: str) -> list[list[int]]:
    path = Path(pytester.path, name)
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_hook_lists_merge_and_bad_values_warn_R_SINK_1_R_SINK_6(rp: pytest.Pytester) -> None:
    rp.makepyfile(sinkmod=RECORDING_SINK)
    rp.makeconftest(
        """
        from sinkmod import BrokenSink, FileSink

        shared = FileSink("a.log")

        class Extra:
            def pytest_rampart_sinks(self, config):
                return [shared, FileSink("b.log"), object()]

        def pytest_configure(config):
            config.pluginmanager.register(Extra(), "extra-sinks")

        def pytest_rampart_sinks(config):
            return [BrokenSink(), shared]
        """
    )
    rp.makepyfile(
        other_plugin="""
        def pytest_rampart_sinks(config):
            return "not a list"
        """
    )
    rp.makepyfile(test_one=ONE_RESULT)
    result = rp.runpytest("-p", "other_plugin")
    assert result.ret == 0
    assert emitted(rp, "a.log") == emitted(rp, "b.log")
    assert len(emitted(rp, "a.log")) == 1
    assert emitted(rp, "a.log")[0][0] == 1
    result.stdout.fnmatch_lines(["RAMPART: sink BrokenSink failed: RuntimeError: disk full"])
    assert "\x1b[31m" not in result.stdout.str()
    result.stdout.fnmatch_lines(
        [
            "*RampartWarning: pytest_rampart_sinks in extra-sinks returned a non-sink object; "
            "dropped",
            "*RampartWarning: pytest_rampart_sinks in other_plugin returned str, not a list of "
            "sinks; ignored",
        ]
    )


def test_nothing_is_emitted_when_no_test_ran_R_JSON_8(rp: pytest.Pytester) -> None:
    rp.makepyfile(sinkmod=RECORDING_SINK)
    rp.makeconftest(
        """
        import pytest
        from sinkmod import FileSink

        def pytest_rampart_sinks(config):
            return [FileSink("hook.log")]
        """
    )
    rp.makepyfile(test_one=ONE_RESULT)
    rp.runpytest("--collect-only", "--rampart-report", "r.json")
    rp.runpytest("-k", "nothing_matches", "--rampart-report", "r.json")
    assert emitted(rp, "hook.log") == []
    assert not Path(rp.path, "r.json").exists()
    rp.makepyfile(test_one="def test_empty():\n    pass\n")
    rp.runpytest("--rampart-report", "r.json")
    assert emitted(rp, "hook.log") == [[0, emitted(rp, "hook.log")[0][1]]]
    assert json.loads(Path(rp.path, "r.json").read_text())["total_runs"] == 0


def test_deprecated_fixture_fallback_R_SINK_2(rp: pytest.Pytester) -> None:
    rp.makepyfile(sinkmod=RECORDING_SINK)
    rp.makeconftest(
        """
        import pytest
        from sinkmod import FileSink

        @pytest.fixture(scope="session")
        def rampart_sinks():
            return [FileSink("fixture.log"), "junk"]
        """
    )
    rp.makepyfile(test_one=ONE_RESULT)
    result = rp.runpytest()
    assert result.ret == 0
    assert len(emitted(rp, "fixture.log")) == 1
    result.stdout.fnmatch_lines(
        [
            "*DeprecationWarning: The rampart_sinks fixture is deprecated and will be removed "
            "in 0.3.0. Use the pytest_rampart_sinks hook instead.",
        ]
    )
    result.stdout.fnmatch_lines(["*RampartWarning: the rampart_sinks fixture returned a non-sink*"])


def test_hook_wins_over_fixture_R_SINK_2(rp: pytest.Pytester) -> None:
    rp.makepyfile(sinkmod=RECORDING_SINK)
    rp.makeconftest(
        """
        import pytest
        from sinkmod import FileSink

        def pytest_rampart_sinks(config):
            return [FileSink("hook.log")]

        @pytest.fixture(scope="session")
        def rampart_sinks():
            return [FileSink("fixture.log")]
        """
    )
    rp.makepyfile(test_one=ONE_RESULT)
    result = rp.runpytest()
    assert len(emitted(rp, "hook.log")) == 1
    assert emitted(rp, "fixture.log") == []
    result.stdout.fnmatch_lines(
        ["*rampart_sinks fixture ignored because pytest_rampart_sinks is implemented*"]
    )


def test_report_option_path_ini_and_order_R_SINK_4(rp: pytest.Pytester) -> None:
    rp.makepyfile(sinkmod=RECORDING_SINK)
    rp.makeconftest(
        """
        from pathlib import Path
        from sinkmod import FileSink

        class Probe(FileSink):
            async def emit_async(self, *, report):
                # Runs before the option's JSON sink, which comes last.
                Path(self.name).write_text(str(Path("cli.json").exists()))

        def pytest_rampart_sinks(config):
            return [Probe("order.log")]
        """
    )
    rp.makepyfile(test_one=ONE_RESULT)
    sub = rp.mkdir("sub")
    result = rp.runpytest("--rampart-report", "cli.json")
    assert result.ret == 0
    report = json.loads(Path(rp.path, "cli.json").read_text())
    assert report["total_runs"] == 1
    assert report["report_schema"] == "rampart.report.v1"
    assert Path(rp.path, "order.log").read_text() == "False"
    rp.makeini(
        "[pytest]\naddopts = -p no:hypothesispytest\nasyncio_default_fixture_loop_scope = function\n"
        "rampart_report = sub/ini.json\n"
    )
    result = rp.runpytest()
    assert json.loads(Path(sub, "ini.json").read_text())["total_runs"] == 1


def test_report_path_naming_a_directory_is_a_usage_error_R_SINK_4(rp: pytest.Pytester) -> None:
    rp.makepyfile(test_one=ONE_RESULT)
    rp.mkdir("adir")
    for option in ("--rampart-report", "--rampart-html"):
        result = rp.runpytest(option, "adir")
        assert result.ret == pytest.ExitCode.USAGE_ERROR
        result.stderr.fnmatch_lines([f"ERROR: {option} names a directory, not a file: *adir"])


def test_html_option_writes_a_page(rp: pytest.Pytester) -> None:
    rp.makepyfile(test_one=ONE_RESULT)
    result = rp.runpytest("--rampart-html", "r.html")
    assert result.ret == 0
    assert "<html" in Path(rp.path, "r.html").read_text().lower()


def test_emitted_once_in_a_fresh_loop_R_SINK_5(rp: pytest.Pytester) -> None:
    rp.makeconftest(
        """
        import asyncio
        import pytest

        calls = []

        class LoopSink:
            async def emit_async(self, *, report):
                calls.append(asyncio.get_running_loop())
                await asyncio.sleep(0)

        def pytest_rampart_sinks(config):
            return [LoopSink()]

        @pytest.hookimpl(trylast=True)
        def pytest_unconfigure(config):
            from rampart_pytest import get_rampart_session
            assert len(calls) == 1
            print("SINK-CALLS", len(calls))
        """
    )
    rp.makepyfile(test_one=ONE_RESULT)
    result = rp.runpytest("-s")
    result.stdout.fnmatch_lines(["SINK-CALLS 1"])


def test_discover_sinks_from_conftest_R_SINK_3(rp: pytest.Pytester) -> None:
    rp.makepyfile(sinkmod=RECORDING_SINK)
    rp.makeconftest(
        """
        import pytest
        from sinkmod import FileSink

        @pytest.fixture(scope="session")
        def rampart_sinks():
            return [FileSink("root.log"), 42]
        """
    )
    as_list = rp.mkdir("as_list")
    (as_list / "conftest.py").write_text(
        "from sinkmod import FileSink\nrampart_sinks = [FileSink('list.log')]\n"
    )
    (as_list / "test_list.py").write_text("def test_a():\n    pass\n")
    as_callable = rp.mkdir("as_callable")
    (as_callable / "conftest.py").write_text(
        "from sinkmod import FileSink\ndef rampart_sinks():\n    return [FileSink('call.log')]\n"
    )
    (as_callable / "test_call.py").write_text("def test_b():\n    pass\n")
    odd = rp.mkdir("odd")
    (odd / "conftest.py").write_text("rampart_sinks = 'nope'\n")
    (odd / "test_odd.py").write_text("def test_c():\n    pass\n")
    rp.makepyfile(
        test_zz_discover="""
        import pytest
        from rampart_pytest import discover_sinks_from_conftest
        from rampart_pytest.sinks import conftests_defining_sinks

        def test_discover(request):
            with pytest.warns(Warning) as caught:
                sinks = discover_sinks_from_conftest(config=request.config)
            assert sorted(s.name for s in sinks) == ["call.log", "list.log", "root.log"]
            messages = [str(w.message) for w in caught]
            assert any("is a fixture; calling it" in m for m in messages)
            assert any("returned a non-sink int; dropped" in m for m in messages)
            assert any("neither a list nor a zero-argument callable" in m for m in messages)
            assert len(conftests_defining_sinks(config=request.config)) == 4
        """
    )
    result = rp.runpytest("-p", "no:randomly")
    result.assert_outcomes(passed=4, warnings=2)
