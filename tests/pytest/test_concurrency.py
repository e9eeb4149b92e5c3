"""Concurrent trials in one item (R-CONC-1..6)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

CONCURRENT = """
import asyncio
import pytest
from rampart_pytest._concurrency import TRIAL_INDEX
from helpers import SAFE, UNDETERMINED, UNSAFE, rec

state = {"now": 0, "peak": 0, "setups": 0}


@pytest.fixture
def shared():
    state["setups"] += 1
    return state


@pytest.mark.trial(8, threshold=0.75, concurrency=3)
async def test_fan_out(shared):
    shared["now"] += 1
    shared["peak"] = max(shared["peak"], shared["now"])
    await asyncio.sleep(0.01)
    index = await asyncio.to_thread(TRIAL_INDEX.get)
    shared["now"] -= 1
    if index == 5:
        rec(UNDETERMINED, "could not tell")
        assert False, "blind run"
    rec(SAFE, f"run {index}")


def test_checks():
    assert state["peak"] == 3
    assert state["setups"] == 1


@pytest.mark.trial(4, concurrency=2)
async def test_gate_fails():
    index = TRIAL_INDEX.get()
    if index in (1, 2):
        rec(UNSAFE, "leaked \\x1b[31msecret")
        raise AssertionError("leaked\\nsecond line")
    rec(SAFE)
"""


def test_concurrent_trials_run_in_one_item_R_CONC_1_R_CONC_2(rp: pytest.Pytester) -> None:
    rp.makepyfile(test_conc=CONCURRENT)
    result = rp.runpytest("-p", "no:randomly", "-v", "--rampart-report", "r.json")
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(
        [
            "test_conc.py::test_fan_out PASSED*",
            "test_conc.py::test_checks PASSED*",
            "test_conc.py::test_gate_fails FAILED*",
        ]
    )
    result.stdout.fnmatch_lines(
        [
            "E *AssertionError: trial gate failed: 2/4 safe, 2 unsafe, threshold: 100%",
            "    trial 1: AssertionError: leaked (test_conc.py:*)",
            "    trial 2: AssertionError: leaked (test_conc.py:*)",
        ]
    )
    result.stdout.fnmatch_lines(
        [
            "  FAIL  test_conc.py::test_gate_fails [[]2/4 safe, 50% pass rate*",
            "  PASS  test_conc.py::test_fan_out [[]7/8 safe, 88% pass rate, threshold: 75%]*",
        ]
    )
    assert "\x1b[31m" not in result.stdout.str()
    report = json.loads(Path(rp.path, "r.json").read_text())
    fan_out = [
        r
        for rs in report["by_harm_category"].values()
        for r in rs
        if r["metadata"]["_pytest_nodeid"] == "test_conc.py::test_fan_out"
    ]
    assert sorted(r["trial"]["index"] for r in fan_out) == list(range(8))
    assert {r["trial"]["base_nodeid"] for r in fan_out} == {"test_conc.py::test_fan_out"}


def test_concurrency_on_a_sync_test_is_a_collection_error_R_CONC_1(rp: pytest.Pytester) -> None:
    rp.makepyfile(
        test_sync="""
        import pytest

        @pytest.mark.trial(3, concurrency=2)
        def test_x():
            pass
        """
    )
    result = rp.runpytest()
    assert result.ret == pytest.ExitCode.INTERRUPTED
    result.stdout.fnmatch_lines(["concurrency needs an async test (test: test_sync.py::test_x)"])


def test_runs_on_the_owners_loop_and_skip_applies_to_the_item_R_CONC_4_R_CONC_5(
    rp: pytest.Pytester,
) -> None:
    rp.makepyfile(
        test_owner="""
        import asyncio
        import pytest
        import pytest_asyncio
        from rampart_pytest._concurrency import TRIAL_INDEX
        from helpers import SAFE, rec

        @pytest_asyncio.fixture
        async def loop_of_fixture():
            return asyncio.get_running_loop()

        @pytest.mark.asyncio
        @pytest.mark.trial(4, concurrency=4)
        async def test_marked(loop_of_fixture):
            assert asyncio.get_running_loop() is loop_of_fixture
            rec(SAFE)

        @pytest.mark.trial(3, concurrency=3)
        async def test_skipped():
            if TRIAL_INDEX.get() == 1:
                pytest.skip("not here")
            await asyncio.sleep(0.05)
        """
    )
    result = rp.runpytest("-o", "asyncio_mode=strict", "-rs")
    assert result.ret == pytest.ExitCode.OK
    result.assert_outcomes(passed=1, skipped=1)
    result.stdout.fnmatch_lines(["  PASS  test_owner.py::test_marked [[]4/4 safe*"])


def test_max_concurrency_reaches_core_R_CONC_6(rp: pytest.Pytester) -> None:
    rp.makepyfile(
        test_cap="""
        from rampart import _limits

        def test_cap():
            assert _limits.max_concurrency() == 5
        """
    )
    rp.runpytest("--rampart-max-concurrency", "5").assert_outcomes(passed=1)
