"""Gates, the tolerated outcome and the exit status (R-TRIAL-5, R-EXIT-1..5)."""

from __future__ import annotations

import pytest

MIXED = """
import pytest
from helpers import ERROR, SAFE, UNDETERMINED, UNSAFE, rec


def index(request):
    return request.node.callspec.params["_rampart_trial"]


@pytest.mark.trial(3)
def test_pass(request):
    rec(SAFE)


@pytest.mark.trial(10, threshold=0.7)
def test_exact(request):
    rec(SAFE if index(request) < 7 else UNDETERMINED)


@pytest.mark.trial(4, threshold=0.75)
def test_tol(request):
    if index(request) < 2:
        rec(SAFE)
    else:
        rec(ERROR, "agent down")
        assert False, "agent down"


@pytest.mark.trial(2, threshold=0.5)
def test_unsafe(request):
    if index(request) == 0:
        rec(SAFE)
    else:
        rec(UNSAFE, "leaked")
        assert False, "leaked"


@pytest.mark.trial(2, threshold=0.5)
def test_other_exc(request):
    if index(request) == 0:
        rec(SAFE)
    else:
        rec(ERROR, "boom")
        raise ValueError("boom")


@pytest.mark.trial(3)
def test_skip(request):
    if index(request) == 2:
        pytest.skip("not today")
    rec(SAFE)


@pytest.mark.xfail(reason="known weakness")
@pytest.mark.trial(2)
def test_xf(request):
    rec(UNSAFE, "known")
"""


def test_gates_tolerated_and_final_line_R_EXIT_2_R_EXIT_5(rp: pytest.Pytester) -> None:
    rp.makepyfile(test_mixed=MIXED)
    result = rp.runpytest("-rA")
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(
        [
            "Trial groups (7):",
            "  FAIL  test_mixed.py::test_tol [[]2/4 safe, 1 tolerated, 50% pass rate, "
            "threshold: 75%] -- FAILED*",
            "  FAIL  test_mixed.py::test_unsafe [[]1/2 safe, 50% pass rate, threshold: 50%] "
            "-- FAILED*",
            "  FAIL  test_mixed.py::test_xf [[]0/2 safe,*",
            "  PASS  test_mixed.py::test_exact [[]7/10 safe, 70% pass rate, threshold: 70%] "
            "-- PASSED*",
            "  PASS  test_mixed.py::test_other_exc [[]1/2 safe, 50% pass rate, threshold: 50%]*",
            "  PASS  test_mixed.py::test_pass [[]3/3 safe, *",
            "  PASS  test_mixed.py::test_skip [[]2/2 safe, *",
        ]
    )
    result.stdout.fnmatch_lines(["TOLERATED test_mixed.py::test_tol[[]trial-2[]]"])
    result.stdout.fnmatch_lines(
        [
            "*= 3 failed, 19 passed, 1 skipped, 2 xpassed, 1 tolerated, 2 failed gate(s) in *",
        ]
    )
    result.stdout.fnmatch_lines(["FAILED test_mixed.py::test_tol[[]trial-3[]] - *agent down*"])


def test_failed_gate_turns_green_run_red_R_EXIT_4(rp: pytest.Pytester) -> None:
    rp.makepyfile(
        test_green="""
        import pytest
        from helpers import SAFE, UNDETERMINED, rec

        @pytest.mark.trial(3)
        def test_blind(request):
            rec(UNDETERMINED, "cannot tell")

        def test_plain():
            rec(SAFE)
        """
    )
    result = rp.runpytest()
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(["*= 4 passed, 1 failed gate(s) in *"])


def test_tolerated_trial_keeps_exit_zero_R_EXIT_2(rp: pytest.Pytester) -> None:
    rp.makepyfile(
        test_tol="""
        import pytest
        from helpers import ERROR, SAFE, rec

        @pytest.mark.trial(4, threshold=0.75)
        def test_flaky(request):
            if request.node.callspec.params["_rampart_trial"] == 1:
                rec(ERROR, "timeout")
                assert False, "timeout"
            rec(SAFE)
        """
    )
    result = rp.runpytest("-v")
    assert result.ret == pytest.ExitCode.OK
    result.stdout.fnmatch_lines(
        ["*test_flaky[[]trial-1[]] TOLERATED*", "*= 3 passed, 1 tolerated in *"]
    )
    quiet = rp.runpytest("-q")
    quiet.stdout.fnmatch_lines([".t.. *"])


def test_threshold_one_is_plain_pytest_R_EXIT_2(rp: pytest.Pytester) -> None:
    rp.makepyfile(
        test_strict="""
        import pytest
        from helpers import ERROR, SAFE, rec

        @pytest.mark.trial(2)
        def test_x(request):
            if request.node.callspec.params["_rampart_trial"] == 1:
                rec(ERROR, "timeout")
                assert False
            rec(SAFE)
        """
    )
    result = rp.runpytest()
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(["*= 1 failed, 1 passed, 1 failed gate(s) in *"])


def test_deselected_trials_never_fail_a_gate_R_TRIAL_5(rp: pytest.Pytester) -> None:
    rp.makepyfile(
        test_sel="""
        import pytest
        from helpers import SAFE, UNSAFE, rec

        @pytest.mark.trial(4)
        def test_x(request):
            rec(SAFE if request.node.callspec.params["_rampart_trial"] == 0 else UNSAFE)
        """
    )
    result = rp.runpytest("-k", "trial-0")
    assert result.ret == pytest.ExitCode.OK
    result.stdout.fnmatch_lines(["  PASS  test_sel.py::test_x [[]1/1 safe, 100% pass rate*"])


def test_setup_error_counts_as_no_result(rp: pytest.Pytester) -> None:
    rp.makepyfile(
        test_setup="""
        import pytest
        from helpers import SAFE, rec

        @pytest.fixture
        def broken(request):
            if request.node.callspec.params["_rampart_trial"] == 1:
                raise RuntimeError("fixture down")

        @pytest.mark.trial(2, threshold=0.5)
        def test_x(broken):
            rec(SAFE)
        """
    )
    result = rp.runpytest()
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(
        ["  PASS  test_setup.py::test_x [[]1/2 safe, 1 no-result, 50% pass rate*"]
    )
