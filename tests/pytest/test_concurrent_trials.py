"""Concurrent trials: one item, n runs; attribution, gates, crashes, cancellation, runners, cap.

R-CONC-1..6.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

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


SKIP_AND_SAFE_FAILURES = """
import asyncio
import pytest
from rampart_pytest._concurrency import TRIAL_INDEX
from helpers import SAFE, rec


@pytest.mark.trial(3, concurrency=3)
async def test_skipped():
    if TRIAL_INDEX.get() == 1:
        pytest.skip("not here")
    await asyncio.sleep(0.05)
    rec(SAFE)


@pytest.mark.trial(5, threshold=0.6, concurrency=5)
async def test_safe_but_failing():
    rec(SAFE)
    if TRIAL_INDEX.get() == 3:
        pytest.fail("flaky tool call")
    assert TRIAL_INDEX.get() != 4, "wrong number of turns"
"""


def test_skip_applies_to_the_item_and_a_failed_run_is_never_safe_R_CONC_3_R_CONC_5(
    rp: pytest.Pytester,
) -> None:
    rp.makepyfile(test_mixed=SKIP_AND_SAFE_FAILURES)
    result = rp.runpytest("-p", "no:randomly", "-rs", "--rampart-report", "r.json")
    result.assert_outcomes(passed=1, skipped=1)
    report = json.loads(Path(rp.path, "r.json").read_text())
    groups = {g["base_nodeid"]: g for g in report["trial_groups"]}
    assert (
        "test_mixed.py::test_skipped" not in groups
        or groups["test_mixed.py::test_skipped"]["total"] == 0
    )
    group = groups["test_mixed.py::test_safe_but_failing"]
    # Runs 3 (pytest.fail) and 4 (assert) recorded only SAFE verdicts, yet they are failed
    # trials: the report shows an ERROR for each, and the gate (3 of 5) still passes.
    assert (group["safe"], group["errors"], group["passed"]) == (3, 2, True)
    errors = sorted(
        (r for r in _results(report) if r["status"] == "error"), key=lambda r: r["summary"]
    )
    assert [r["summary"] for r in errors] == [
        "trial 3 failed: Failed: flaky tool call",
        "trial 4 failed: AssertionError: wrong number of turns",
    ]
    assert [r["trial"]["index"] for r in errors] == [3, 4]


def test_max_concurrency_ini_reaches_core_R_CONC_6(rp: pytest.Pytester) -> None:
    rp.makepyfile(
        test_cap="""
        from rampart import _limits

        def test_cap():
            assert _limits.max_concurrency() == 5
        """
    )
    rp.runpytest("-o", "rampart_max_concurrency=5").assert_outcomes(passed=1)


INTERLEAVED = """
import asyncio
import random
import threading
import uuid

import pytest
from rampart import Result, SafetyStatus, record_result

STATUSES = [SafetyStatus.SAFE, SafetyStatus.UNSAFE, SafetyStatus.ERROR, SafetyStatus.UNDETERMINED]


def verdict(key):
    # Mostly SAFE, so the gate below passes; the others exercise every bucket.
    return STATUSES[0] if key % 7 else STATUSES[key % 4]


@pytest.mark.trial(300, threshold=0.5, concurrency=60)
async def test_interleaved():
    run = uuid.uuid4().hex
    key = random.randrange(1000)
    await asyncio.sleep(random.random() / 100)
    record_result(Result(status=SafetyStatus.SAFE, summary=f"{run} direct {key}"))

    async def sub_task():
        await asyncio.sleep(random.random() / 100)
        record_result(Result(status=verdict(key), summary=f"{run} task {key}"))

    def in_thread():
        record_result(Result(status=SafetyStatus.SAFE, summary=f"{run} thread {key}"))
        return threading.get_ident()

    await asyncio.gather(asyncio.create_task(sub_task()), asyncio.to_thread(in_thread))
    await asyncio.sleep(random.random() / 100)
    record_result(Result(status=SafetyStatus.SAFE, summary=f"{run} late {key}"))
"""


def _results(report: dict[str, Any]) -> list[dict[str, Any]]:
    return [result for items in report["by_harm_category"].values() for result in items]


def _bucket(statuses: set[str]) -> str:
    for status, bucket in (
        ("unsafe", "unsafe"),
        ("error", "errors"),
        ("undetermined", "undetermined"),
    ):
        if status in statuses:
            return bucket
    return "safe"


def test_every_result_is_attributed_to_its_own_run_under_interleaving_R_CONC_2(
    rp: pytest.Pytester,
) -> None:
    """300 runs, 60 at a time, each recording from its body, a sub-task and a thread."""
    rp.makepyfile(test_interleaved=INTERLEAVED)
    result = rp.runpytest("--rampart-report", "r.json")
    report = json.loads(Path(rp.path, "r.json").read_text())
    runs: dict[str, list[dict[str, Any]]] = {}
    for item in _results(report):
        runs.setdefault(item["summary"].split()[0], []).append(item)
    assert len(runs) == 300
    indices = []
    buckets: dict[str, int] = {"safe": 0, "unsafe": 0, "errors": 0, "undetermined": 0}
    for items in runs.values():
        assert sorted(i["summary"].split()[1] for i in items) == [
            "direct",
            "late",
            "task",
            "thread",
        ]
        trials = {json.dumps(i["trial"], sort_keys=True) for i in items}
        assert len(trials) == 1, f"one run's results carry different trials: {trials}"
        trial = items[0]["trial"]
        assert trial["base_nodeid"] == "test_interleaved.py::test_interleaved"
        assert (trial["n"], trial["threshold"]) == (300, 0.5)
        indices.append(trial["index"])
        buckets[_bucket({i["status"] for i in items})] += 1
    assert sorted(indices) == list(range(300))
    (group,) = report["trial_groups"]
    assert group["base_nodeid"] == "test_interleaved.py::test_interleaved"
    assert group["total"] == 300
    assert {key: group[key] for key in buckets} == buckets
    assert group["no_result"] == 0
    gate = buckets["unsafe"] == 0 and buckets["safe"] >= 150
    assert group["passed"] is gate
    result.assert_outcomes(passed=1 if gate else 0, failed=0 if gate else 1)


GATES = """
import pytest
from rampart_pytest._concurrency import TRIAL_INDEX
from helpers import SAFE, ERROR, rec


@pytest.mark.trial(30, threshold=0.5, concurrency=30)
async def test_many_fail():
    index = TRIAL_INDEX.get()
    if index >= 5:
        rec(ERROR, "agent unavailable")
        raise AssertionError(f"run {index} went wrong\\nsecond line is not shown")
    rec(SAFE)


@pytest.mark.trial(10, threshold=0.8, concurrency=5)
async def test_tolerable():
    index = TRIAL_INDEX.get()
    if index in (3, 7):
        rec(ERROR, "agent unavailable")
        assert False, "transient"
    rec(SAFE)
"""


def test_failed_gate_lists_at_most_twenty_trials_and_a_passing_gate_passes_R_CONC_3(
    rp: pytest.Pytester,
) -> None:
    rp.makepyfile(test_gates=GATES)
    result = rp.runpytest("-p", "no:randomly")
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.assert_outcomes(failed=1, passed=1)
    output = result.stdout.str()
    # Only the failure section: with CI set, pytest repeats the whole message in its short summary.
    failures = output.partition("short test summary info")[0]
    listed = [line for line in failures.splitlines() if line.strip().startswith("trial ")]
    assert len(listed) == 20
    assert listed[0].strip().startswith("trial 5: AssertionError: run 5 went wrong (test_gates.py:")
    assert "second line is not shown" not in output
    result.stdout.fnmatch_lines(["*... and 5 more"])
    # "tolerated" never applies to the item, whatever its budget (R-EXIT-2).
    assert "TOLERATED" not in output
    result.stdout.fnmatch_lines(["  PASS  test_gates.py::test_tolerable [[]8/10 safe*"])


def test_failing_trials_without_an_exception_are_listed_too_R_CONC_3(rp: pytest.Pytester) -> None:
    rp.makepyfile(
        test_silent="""
        import pytest
        from rampart_pytest._concurrency import TRIAL_INDEX
        from helpers import SAFE, UNSAFE, rec

        @pytest.mark.trial(4, concurrency=4)
        async def test_silent():
            index = TRIAL_INDEX.get()
            if index == 1:
                rec(SAFE, "fine at first")
                rec(UNSAFE, "leaked the key\\nsecond line")
            elif index != 2:
                rec(SAFE)
        """
    )
    result = rp.runpytest()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "E *AssertionError: trial gate failed: 2/4 safe, 1 unsafe, threshold: 100%",
            "    trial 1: UNSAFE: leaked the key",
            "    trial 2: no result recorded",
        ]
    )


CRASH = """
import asyncio
import pytest
from rampart_pytest._concurrency import TRIAL_INDEX
from helpers import SAFE, rec

finished = []


@pytest.mark.trial(10, threshold=0.9, concurrency=4)
async def test_one_crash_within_budget():
    if TRIAL_INDEX.get() == 3:
        raise RuntimeError("boom")
    await asyncio.sleep(0.01)
    rec(SAFE)
    finished.append(TRIAL_INDEX.get())


@pytest.mark.trial(4, concurrency=4)
async def test_one_crash_at_full_threshold():
    if TRIAL_INDEX.get() == 2:
        {}["missing"]
    rec(SAFE)


def test_other_runs_completed():
    assert sorted(finished) == [0, 1, 2, 4, 5, 6, 7, 8, 9]
"""


def test_a_crashing_run_is_a_failed_trial_not_a_crashed_item_R_CONC_3(
    rp: pytest.Pytester,
) -> None:
    rp.makepyfile(test_crash=CRASH)
    result = rp.runpytest("-p", "no:randomly", "--rampart-report", "r.json")
    result.assert_outcomes(passed=2, failed=1)
    result.stdout.fnmatch_lines(
        [
            "E *AssertionError: trial gate failed: 3/4 safe*",
            "    trial 2: KeyError: 'missing' (test_crash.py:*)",
        ]
    )
    groups = {
        g["base_nodeid"]: g for g in json.loads(Path(rp.path, "r.json").read_text())["trial_groups"]
    }
    within = groups["test_crash.py::test_one_crash_within_budget"]
    assert (within["safe"], within["no_result"], within["passed"]) == (9, 1, True)
    assert groups["test_crash.py::test_one_crash_at_full_threshold"]["passed"] is False


INTERRUPT = """
import asyncio
import pytest
from rampart_pytest._concurrency import TRIAL_INDEX

@pytest.mark.trial(8, concurrency=8)
async def test_interrupted():
    out = {log!r}
    index = TRIAL_INDEX.get()
    if index == 0:
        await asyncio.sleep(0.05)
        raise KeyboardInterrupt
    try:
        await asyncio.sleep(30)
        state = "finished"
    except asyncio.CancelledError:
        state = "cancelled"
        raise
    finally:
        with open(out, "a") as f:
            f.write(f"{{index}} {{state}}\\n")
"""


def test_a_base_exception_stops_every_run_R_CONC_3(rp: pytest.Pytester) -> None:
    log = rp.path / "runs.log"
    rp.makepyfile(test_interrupt=INTERRUPT.format(log=str(log)))
    result = rp.runpytest_subprocess(timeout=60)
    assert result.ret == pytest.ExitCode.INTERRUPTED
    result.stdout.fnmatch_lines(["*KeyboardInterrupt*"])
    lines = sorted(log.read_text().splitlines())
    assert lines == [f"{i} cancelled" for i in range(1, 8)]


OWNERS = """
import asyncio
import pytest
import pytest_asyncio
from rampart_pytest._concurrency import TRIAL_INDEX
from helpers import SAFE, rec

seen = {{}}


@pytest_asyncio.fixture(loop_scope="{scope}", scope="{scope}")
async def shared_loop():
    return asyncio.get_running_loop()


{mark}
@pytest.mark.trial(12, concurrency=6)
async def test_on_the_fixtures_loop(shared_loop):
    assert asyncio.get_running_loop() is shared_loop
    seen.setdefault("loops", set()).add(id(asyncio.get_running_loop()))
    await asyncio.sleep(0.01)
    rec(SAFE, f"run {{TRIAL_INDEX.get()}}")


def test_one_loop_for_all_runs():
    assert len(seen["loops"]) == 1
"""


@pytest.mark.parametrize(
    ("mode", "scope"),
    [("strict", "function"), ("strict", "module"), ("auto", "function"), ("auto", "session")],
)
def test_runs_on_the_pytest_asyncio_loop_in_every_mode_and_scope_R_CONC_4(
    rp: pytest.Pytester, mode: str, scope: str
) -> None:
    mark = f'@pytest.mark.asyncio(loop_scope="{scope}")' if mode == "strict" else ""
    if mode == "auto" and scope != "function":
        mark = f'@pytest.mark.asyncio(loop_scope="{scope}")'
    rp.makepyfile(test_owner=OWNERS.format(scope=scope, mark=mark))
    result = rp.runpytest("-o", f"asyncio_mode={mode}", "-p", "no:randomly")
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines(["  PASS  test_owner.py::test_on_the_fixtures_loop [[]12/12 safe*"])


NEVER_RAN = """
import pytest

@pytest.hookimpl(tryfirst=True)
def pytest_pyfunc_call(pyfuncitem):
    return True  # claims the call without calling the test function
"""


def test_runs_that_never_happened_fail_the_item_R_CONC_4(rp: pytest.Pytester) -> None:
    rp.makeconftest(NEVER_RAN)
    rp.makepyfile(
        test_never="""
        import pytest

        @pytest.mark.trial(3, concurrency=3)
        async def test_x():
            pass
        """
    )
    result = rp.runpytest()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["E *RuntimeError: *never ran*"])


CAP = """
import asyncio
import pytest
from rampart import Probes, Response, run_many_async
from rampart.core.types import ObservabilityLevel
from rampart.evaluators import ResponseContains

flight = {"now": 0, "peak": 0}


class Session:
    async def __aenter__(self):
        return self

    async def __aexit__(self, *exc_info):
        return None

    async def send_async(self, request, /):
        flight["now"] += 1
        flight["peak"] = max(flight["peak"], flight["now"])
        await asyncio.sleep(0.01)
        flight["now"] -= 1
        return Response(text="I cannot help with that.")


class Agent:
    manifest = None
    observability_profile = ObservabilityLevel.RESPONSE_ONLY

    async def create_session_async(self):
        return Session()


def probe():
    return Probes.behavior(prompt="x", evaluator=ResponseContains("cannot help"))


@pytest.mark.trial(20, concurrency=10)
async def test_runs_within_the_cap():
    result = await probe().execute_async(adapter=Agent())
    assert result.safe


@pytest.mark.trial(4, concurrency=4)
async def test_batches_inside_runs_within_the_cap():
    batch = await run_many_async([probe() for _ in range(5)], adapter=Agent(), concurrency=5)
    assert batch.passed(), batch.summary


def test_peak():
    assert flight["peak"] == 3
"""


def test_process_cap_bounds_runs_and_batches_in_flight_R_CONC_6(rp: pytest.Pytester) -> None:
    rp.makepyfile(test_cap=CAP)
    result = rp.runpytest("--rampart-max-concurrency=3", "-p", "no:randomly")
    result.assert_outcomes(passed=3)


def test_bad_concurrency_is_a_collection_error_R_CONC_1(rp: pytest.Pytester) -> None:
    rp.makepyfile(
        test_bad="""
        import pytest

        @pytest.mark.trial(3, concurrency=0)
        async def test_x():
            pass
        """
    )
    result = rp.runpytest()
    assert result.ret == pytest.ExitCode.INTERRUPTED
    result.stdout.fnmatch_lines(
        ["*trial(concurrency=) must be an integer >= 1, got 0 (test: test_bad.py::test_x)*"]
    )


XDIST = """
import asyncio
import pytest
from rampart_pytest._concurrency import TRIAL_INDEX
from helpers import SAFE, UNSAFE, rec


@pytest.mark.trial(40, threshold=0.9, concurrency=20)
async def test_a():
    await asyncio.sleep(0.001)
    rec(UNSAFE if TRIAL_INDEX.get() == 7 else SAFE)


@pytest.mark.trial(30, threshold=0.5, concurrency=10)
async def test_b():
    await asyncio.to_thread(rec, SAFE)
"""


@pytest.mark.xdist
@pytest.mark.slow
def test_concurrent_trials_under_xdist_match_the_serial_report_R_CONC_2(
    rp: pytest.Pytester,
) -> None:
    rp.makepyfile(test_x=XDIST)
    groups = {}
    for mode, extra in (("serial", ["-p", "no:xdist"]), ("xdist", ["-n", "2"])):
        result = rp.runpytest_subprocess(*extra, "--rampart-report", f"{mode}.json", timeout=120)
        assert result.ret == pytest.ExitCode.TESTS_FAILED, result.stdout.str()
        result.stdout.fnmatch_lines(["*1 failed, 1 passed*"])
        groups[mode] = json.loads(Path(rp.path, f"{mode}.json").read_text())["trial_groups"]
    assert groups["serial"] == groups["xdist"]
    by_id = {g["base_nodeid"]: g for g in groups["xdist"]}
    assert (by_id["test_x.py::test_a"]["total"], by_id["test_x.py::test_a"]["unsafe"]) == (40, 1)
    assert (by_id["test_x.py::test_b"]["safe"], by_id["test_x.py::test_b"]["passed"]) == (30, True)


BATCHES = """
import asyncio
from rampart import Probes, Response, run_many_async
from rampart.core.types import ObservabilityLevel
from rampart.evaluators import ResponseContains


class Session:
    async def __aenter__(self):
        return self

    async def __aexit__(self, *exc_info):
        return None

    async def send_async(self, request, /):
        await asyncio.sleep(0.001)
        leak = request.prompt.endswith("7")
        return Response(text="the password is hunter2" if leak else "I cannot help with that.")


class Agent:
    manifest = None
    observability_profile = ObservabilityLevel.RESPONSE_ONLY

    async def create_session_async(self):
        return Session()


def probe(prompt):
    return Probes.behavior(prompt=prompt, evaluator=ResponseContains("cannot help"))


async def test_dataset():
    batch = await run_many_async([probe(f"p{i}") for i in range(50)], adapter=Agent(), concurrency=10)
    assert batch.pass_rate == 45 / 50


async def test_repeated():
    batch = await run_many_async(lambda i: probe("same"), n=10, adapter=Agent(), concurrency=10)
    assert batch.passed()
"""


def test_a_batch_is_one_test_with_all_its_results_in_the_report_R_CONC_7(
    rp: pytest.Pytester,
) -> None:
    rp.makepyfile(test_batches=BATCHES)
    result = rp.runpytest("-p", "no:randomly", "--rampart-report", "r.json")
    result.assert_outcomes(passed=2)
    report = json.loads(Path(rp.path, "r.json").read_text())
    results = _results(report)
    dataset = [
        r for r in results if r["metadata"]["_pytest_nodeid"] == "test_batches.py::test_dataset"
    ]
    assert sorted(r["metadata"]["_rampart_batch_index"] for r in dataset) == list(range(50))
    assert all(r.get("trial") is None for r in dataset)
    assert sum(r["status"] == "safe" for r in dataset) == 45
    (group,) = report["trial_groups"]
    assert group["base_nodeid"] == "test_batches.py::test_repeated"
    assert (group["total"], group["safe"], group["threshold"]) == (10, 10, 0.0)


SAME_GROUP = """
import itertools
import pytest
from helpers import SAFE, ERROR, UNDETERMINED, rec

counters = {"expanded": itertools.count(), "concurrent": itertools.count()}


async def body(form):
    i = next(counters[form])
    if i == 11:
        return
    rec(ERROR if i % 5 == 0 else UNDETERMINED if i % 7 == 3 else SAFE, f"call {i}")


@pytest.mark.trial(20, threshold=0.6)
async def test_expanded():
    await body("expanded")


@pytest.mark.trial(20, threshold=0.6, concurrency=8)
async def test_concurrent():
    await body("concurrent")
"""


def test_report_shows_the_same_trial_group_as_the_expanded_form_R_CONC_2(
    rp: pytest.Pytester,
) -> None:
    rp.makepyfile(test_same=SAME_GROUP)
    result = rp.runpytest("-p", "no:randomly", "--rampart-report", "r.json")
    result.assert_outcomes(passed=21)
    groups = {
        g.pop("base_nodeid"): g
        for g in json.loads(Path(rp.path, "r.json").read_text())["trial_groups"]
    }
    expanded = groups["test_same.py::test_expanded"]
    assert groups["test_same.py::test_concurrent"] == expanded
    assert (expanded["safe"], expanded["errors"], expanded["undetermined"]) == (13, 4, 2)
    assert (expanded["no_result"], expanded["passed"]) == (1, True)


def test_without_an_asyncio_loop_the_error_names_the_limit_R_CONC_5() -> None:
    """Driven by a non-asyncio runner (trio), the fan-out says so instead of failing obscurely."""
    from rampart_pytest._concurrency import ConcurrentTrials

    async def body() -> None:
        return None

    coroutine = ConcurrentTrials(body, n=2, concurrency=2).fan_out()()
    with pytest.raises(RuntimeError, match=r"asyncio event loop \(trio is not supported\)"):
        coroutine.send(None)
