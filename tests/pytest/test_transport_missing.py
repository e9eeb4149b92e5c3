"""Running under xdist without the rampart-xdist transport (R-XD-11, R-EXIT-4, R-TERM-6)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from rampart_pytest import TRANSPORT_MISSING_REASON

HEADER = "rampart: WARNING: " + TRANSPORT_MISSING_REASON
NO_TRANSPORT = ("-p", "xdist", "-n", "2", "-p", "no:rampart_xdist")


@pytest.mark.xdist
def test_untransported_results_fail_the_run_R_XD_11(rp: pytest.Pytester) -> None:
    rp.makepyfile(
        test_rec="""
        from helpers import SAFE, rec

        def test_a():
            rec(SAFE)

        def test_b():
            pass
        """
    )
    result = rp.runpytest_subprocess(*NO_TRANSPORT, "--rampart-report", "r.json")
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(
        [
            HEADER,
            "*RAMPART: INCOMPLETE RUN*",
            "Results may be partial; the report does not reflect every test.",
            "  transport_missing: 1",
            f"  - {TRANSPORT_MISSING_REASON}",
        ]
    )
    report = json.loads(Path(rp.path, "r.json").read_text())
    assert report["completeness"]["complete"] is False
    assert report["metadata"]["incomplete"] is True


@pytest.mark.xdist
def test_suites_without_results_and_collect_only_pass_R_XD_11(rp: pytest.Pytester) -> None:
    rp.makepyfile(test_none="def test_a():\n    pass\n")
    result = rp.runpytest_subprocess(*NO_TRANSPORT)
    assert result.ret == pytest.ExitCode.OK
    result.stdout.fnmatch_lines([HEADER])
    result.stdout.no_fnmatch_line("*INCOMPLETE RUN*")
    # xdist does not distribute a collect-only run, so it can run in-process.
    collect = rp.runpytest(*NO_TRANSPORT, "--collect-only")
    assert collect.ret == pytest.ExitCode.OK
    collect.stdout.no_fnmatch_line(HEADER)


def test_incomplete_banner_and_allow_incomplete_R_EXIT_4_R_TERM_6(rp: pytest.Pytester) -> None:
    rp.makeconftest(
        """
        import pytest
        from rampart_pytest import get_rampart_session

        @pytest.hookimpl(tryfirst=True)
        def pytest_sessionfinish(session):
            rampart = get_rampart_session(config=session.config)
            for i in range(22):
                rampart.mark_incomplete(reason=f"node {i} \x1b[2Jvanished", kind="not_run")
            rampart.mark_incomplete(reason="gw1 crashed", kind="crashed", worker="gw1")
        """
    )
    rp.makepyfile(test_one="def test_a():\n    pass\n")
    strict = rp.runpytest()
    assert strict.ret == pytest.ExitCode.TESTS_FAILED
    strict.stdout.fnmatch_lines(
        [
            "*RAMPART: INCOMPLETE RUN*",
            "Results may be partial; the report does not reflect every test.",
            "  not_run: 22, crashed: 1",
            "  - node 0 vanished",
            "  - node 19 vanished",
            "  ... and 3 more",
        ]
    )
    strict.stdout.no_fnmatch_line("*node 20 vanished*")
    relaxed = rp.runpytest("--rampart-allow-incomplete")
    assert relaxed.ret == pytest.ExitCode.OK
    relaxed.stdout.fnmatch_lines(["Incomplete run tolerated by --rampart-allow-incomplete."])
