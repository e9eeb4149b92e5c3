"""Batches: ``run_many_async``, ``Batch`` and the process-wide cap (R-CONC-6/7/8)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Coroutine, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

import pytest
from rampart import _limits
from rampart.attacks import Attacks
from rampart.collection import (
    ResultCollector,
    activate_collector,
    deactivate_collector,
    record_result,
)
from rampart.concurrency import Batch, run_many_async
from rampart.core.adapter import AgentAdapter
from rampart.core.execution import BaseExecution
from rampart.core.result import Result, SafetyStatus

from ._model_fakes import NOT_DETECTED, FakeAdapter, RecordingHandle, ScriptedEvaluator, verdict

T = TypeVar("T")
SAFE = SafetyStatus.SAFE
UNSAFE = SafetyStatus.UNSAFE
ERROR = SafetyStatus.ERROR


class Flight:
    """Counts executions in flight and remembers the maximum."""

    def __init__(self) -> None:
        self.now = 0
        self.peak = 0
        self.started = 0
        self.finished = 0
        self.cancelled = 0

    def enter(self) -> None:
        self.now += 1
        self.started += 1
        self.peak = max(self.peak, self.now)

    def leave(self) -> None:
        self.now -= 1


class Call(BaseExecution):
    """An agent call that sleeps, then returns a fixed verdict."""

    def __init__(
        self,
        *,
        status: SafetyStatus = SAFE,
        delay: float = 0.0,
        label: str = "",
        flight: Flight | None = None,
        side_result: bool = False,
    ) -> None:
        super().__init__()
        self.status = status
        self.delay = delay
        self.label = label
        self.flight = flight
        self.side_result = side_result

    @property
    def strategy_name(self) -> str:
        return "call"

    async def _execute_async(self, *, adapter: AgentAdapter) -> Result:
        flight = self.flight
        if flight is not None:
            flight.enter()
        try:
            await asyncio.sleep(self.delay)
        except asyncio.CancelledError:
            if flight is not None:
                flight.cancelled += 1
            raise
        finally:
            if flight is not None:
                flight.leave()
        if flight is not None:
            flight.finished += 1
        if self.side_result:
            record_result(Result(status=SAFE, summary=f"side {self.label}"))
        return Result(status=self.status, summary=self.label)


@contextmanager
def collecting() -> Iterator[ResultCollector]:
    """A collector of our own, so these results never reach this test's own report."""
    collector = ResultCollector()
    token = activate_collector(collector)
    try:
        yield collector
    finally:
        deactivate_collector(token)


def run(coro: Coroutine[Any, Any, T]) -> T:
    return asyncio.run(coro)


def batch_of(*statuses: SafetyStatus) -> Batch:
    return Batch(results=[Result(status=status, summary="") for status in statuses])


def test_results_keep_input_order_R_CONC_8() -> None:
    executions = [Call(label=str(i), delay=0.01 * (5 - i)) for i in range(5)]
    with collecting():
        batch = run(run_many_async(executions, adapter=FakeAdapter(), concurrency=5))
    assert [result.summary for result in batch.results] == ["0", "1", "2", "3", "4"]


def test_concurrency_bounds_executions_in_flight_R_CONC_8() -> None:
    flight = Flight()
    executions = [Call(delay=0.01, flight=flight) for _ in range(12)]
    with collecting():
        run(run_many_async(executions, adapter=FakeAdapter(), concurrency=3))
    assert flight.peak == 3
    assert flight.finished == 12


def test_runs_overlap_in_time_R_CONC_8() -> None:
    executions = [Call(delay=0.2) for _ in range(10)]
    started = time.perf_counter()
    with collecting():
        run(run_many_async(executions, adapter=FakeAdapter(), concurrency=10))
    assert time.perf_counter() - started < 1.0  # sequentially it would take 2 s


def test_timeout_becomes_error_result_not_a_hang_R_CONC_8() -> None:
    executions = [Call(label="quick"), Call(label="stuck", delay=30.0)]
    started = time.perf_counter()
    with collecting() as collector:
        batch = run(run_many_async(executions, adapter=FakeAdapter(), timeout_seconds=0.05))
    assert time.perf_counter() - started < 5.0
    quick, stuck = batch.results
    assert quick.status is SAFE
    assert stuck.status is ERROR
    assert stuck.summary == "timed out after 0.05 s"
    assert stuck.strategy == "call"
    assert stuck.metadata["error_type"] == "TimeoutError"
    assert [r.summary for r in collector.results] == ["quick", "timed out after 0.05 s"]


def test_repeating_an_execution_with_handles_asks_for_a_factory_R_CONC_8() -> None:
    attack = Attacks.xpia(
        inject=RecordingHandle("h", log=[]),
        trigger="read your mail",
        evaluator=ScriptedEvaluator(verdict(NOT_DETECTED)),
    )
    with pytest.raises(TypeError, match="Pass a factory instead"):
        run(run_many_async(attack, adapter=FakeAdapter(), n=3))
    with pytest.raises(TypeError, match="factory"):
        run(run_many_async([attack, attack], adapter=FakeAdapter()))


def test_a_factory_builds_fresh_executions_with_their_own_handles_R_CONC_8() -> None:
    log: list[str] = []

    def build(i: int) -> BaseExecution:
        return Attacks.xpia(
            inject=RecordingHandle(f"h{i}", log=log),
            trigger="read your mail",
            evaluator=ScriptedEvaluator(verdict(NOT_DETECTED)),
        )

    with collecting():
        batch = run(run_many_async(build, adapter=FakeAdapter(), n=4, concurrency=4))
    assert [result.status for result in batch.results] == [SAFE] * 4
    assert sorted(entry for entry in log if entry.startswith("enter")) == [
        "enter h0",
        "enter h1",
        "enter h2",
        "enter h3",
    ]


def test_repeating_one_execution_without_handles_is_allowed_R_CONC_8() -> None:
    call = Call(delay=0.01)
    with collecting() as collector:
        batch = run(run_many_async(call, adapter=FakeAdapter(), n=5))
    assert len(batch.results) == 5
    assert len(collector.results) == 5


def test_a_dataset_is_tagged_with_batch_indexes_only_R_CONC_7() -> None:
    executions = [Call(label=str(i), delay=0.002 * (3 - i)) for i in range(3)]
    with collecting() as collector:
        run(run_many_async(executions, adapter=FakeAdapter()))
    recorded = sorted(collector.results, key=lambda r: r.summary)
    assert [r.metadata["_rampart_batch_index"] for r in recorded] == [0, 1, 2]
    assert all("_rampart_trial" not in r.metadata for r in recorded)


def test_repetition_carries_a_trial_reference_R_CONC_7(request: pytest.FixtureRequest) -> None:
    with collecting() as collector:
        run(run_many_async(lambda i: Call(label=str(i)), adapter=FakeAdapter(), n=3))
    by_label = {r.summary: r.metadata for r in collector.results}
    for i in range(3):
        assert by_label[str(i)]["_rampart_batch_index"] == i
        assert by_label[str(i)]["_rampart_trial"] == {
            "base_nodeid": request.node.nodeid,
            "index": i,
            "n": 3,
            "threshold": 0.0,
        }


def test_results_the_agent_records_are_tagged_and_recorded_once_R_CONC_7() -> None:
    executions = [Call(label=str(i), side_result=True) for i in range(3)]
    with collecting() as collector:
        batch = run(run_many_async(executions, adapter=FakeAdapter()))
    summaries = sorted(r.summary for r in collector.results)
    assert summaries == ["0", "1", "2", "side 0", "side 1", "side 2"]
    for result in collector.results:
        assert result.metadata["_rampart_batch_index"] == int(result.summary[-1])
    assert [r.summary for r in batch.results] == ["0", "1", "2"]


def test_results_reach_the_fallback_collector_too_R_CONC_7() -> None:
    """A batch started where only the fallback collector is known (a thread, a fixture)."""
    from rampart.collection import set_fallback_collector

    fallback = ResultCollector()
    shield = ResultCollector()
    shield.close()
    token = activate_collector(shield)  # the context's collector is gone (absorbed)
    set_fallback_collector(fallback)
    try:
        run(run_many_async([Call(label="a"), Call(label="b")], adapter=FakeAdapter()))
    finally:
        set_fallback_collector(None)
        deactivate_collector(token)
    assert sorted(r.summary for r in fallback.results) == ["a", "b"]


def test_cancellation_stops_every_run_R_CONC_8() -> None:
    flight = Flight()
    executions = [Call(delay=30.0, flight=flight) for _ in range(6)]

    async def scenario(collector: ResultCollector) -> None:
        task = asyncio.create_task(run_many_async(executions, adapter=FakeAdapter(), concurrency=4))
        while flight.started < 4:
            await asyncio.sleep(0.001)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert flight.now == 0
        assert flight.cancelled == 4
        assert collector.results == []

    with collecting() as collector:
        run(scenario(collector))
    assert flight.started == 4


def test_process_wide_cap_bounds_all_batches_together_R_CONC_6() -> None:
    flight = Flight()

    async def two_batches() -> None:
        await asyncio.gather(
            run_many_async(
                [Call(delay=0.01, flight=flight) for _ in range(8)],
                adapter=FakeAdapter(),
                concurrency=5,
            ),
            run_many_async(
                [Call(delay=0.01, flight=flight) for _ in range(8)],
                adapter=FakeAdapter(),
                concurrency=5,
            ),
        )

    _limits.set_max_concurrency(3)
    try:
        with collecting():
            run(two_batches())
    finally:
        _limits.set_max_concurrency(_limits.DEFAULT_MAX_CONCURRENCY)
    assert flight.peak == 3
    assert flight.finished == 16


@pytest.mark.parametrize("in_subtask", [False, True])
def test_a_batch_inside_a_slot_holder_does_not_deadlock_R_CONC_6(in_subtask: bool) -> None:
    """A concurrent trial run holds a slot; a batch inside it must not wait for itself."""
    flight = Flight()

    async def body() -> Batch:
        return await run_many_async(
            [Call(delay=0.01, flight=flight) for _ in range(3)], adapter=FakeAdapter()
        )

    async def holder() -> Batch:
        async with _limits.execution_slot():
            return await body()

    async def holder_with_subtask() -> Batch:
        async with _limits.execution_slot():
            (batch,) = await asyncio.gather(body())
            return batch

    _limits.set_max_concurrency(1)
    try:
        with collecting():
            batch = run(
                asyncio.wait_for(holder_with_subtask() if in_subtask else holder(), timeout=5)
            )
    finally:
        _limits.set_max_concurrency(_limits.DEFAULT_MAX_CONCURRENCY)
    assert len(batch.results) == 3
    assert flight.peak == 1


def test_max_concurrency_rejects_bad_values_R_CONC_6() -> None:
    for bad in (0, -1, True, 2.5):
        with pytest.raises(ValueError, match="max concurrency must be an integer >= 1"):
            _limits.set_max_concurrency(bad)  # type: ignore[arg-type]
    assert _limits.max_concurrency() == _limits.DEFAULT_MAX_CONCURRENCY == 64


def test_passed_uses_exact_arithmetic_R_CONC_8() -> None:
    batch = batch_of(*[SAFE] * 7, *[ERROR] * 3)
    assert batch.passed(0.7)
    assert not batch.passed(0.71)
    assert not batch.passed()
    assert batch.pass_rate == 0.7
    assert batch_of(SAFE, SAFE).passed()


def test_any_unsafe_fails_the_batch_at_any_threshold_R_CONC_8() -> None:
    batch = batch_of(*[SAFE] * 9, UNSAFE)
    assert not batch.passed(0.0)
    assert not batch.passed(0.5)


def test_pass_rate_interval_and_summary_R_CONC_8() -> None:
    batch = batch_of(*[SAFE] * 8, UNSAFE, ERROR)
    interval = batch.pass_rate_interval
    assert interval is not None
    assert interval[0] < 0.8 < interval[1]
    assert batch.summary == (
        "10 runs: 8 safe, 1 unsafe, 0 undetermined, 1 errors; pass rate 80.0% "
        f"(95% CI {interval[0]:.1%}-{interval[1]:.1%})"
    )
    empty = batch_of()
    assert empty.pass_rate_interval is None
    assert empty.pass_rate == 0.0
    assert empty.summary == "0 runs: 0 safe, 0 unsafe, 0 undetermined, 0 errors"


def test_batch_is_frozen_R_CONC_8() -> None:
    batch = batch_of(SAFE)
    with pytest.raises(AttributeError):
        batch.results = []  # type: ignore[misc]


def test_bad_threshold_is_rejected_R_CONC_8() -> None:
    for bad in (1.5, -0.1, True, float("nan"), "0.5"):
        with pytest.raises(ValueError, match="threshold must be a number between 0 and 1"):
            batch_of(SAFE).passed(bad)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("executions", "kwargs", "error", "message"),
    [
        (lambda i: Call(), {}, TypeError, "factory without n="),
        ([Call()], {"n": 2}, TypeError, "n= only with one execution or a factory"),
        (Call(), {}, TypeError, "one execution without n="),
        (lambda i: Call(), {"n": 0}, ValueError, "n must be >= 1"),
        (lambda i: Call(), {"n": True}, TypeError, "n must be an integer"),
        ([Call()], {"concurrency": 0}, ValueError, "concurrency must be >= 1"),
        ([Call()], {"timeout_seconds": 0}, ValueError, "timeout_seconds must be a positive"),
        (["not an execution"], {}, TypeError, "expects BaseExecution items, got str at index 0"),
        (lambda i: "nope", {"n": 1}, TypeError, "returned str for i=0"),
        ("abc", {}, TypeError, "expects a list of executions"),
    ],
)
def test_bad_arguments_are_rejected_R_CONC_8(
    executions: Any, kwargs: dict[str, Any], error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        run(run_many_async(executions, adapter=FakeAdapter(), **kwargs))


def test_empty_list_gives_empty_batch_R_CONC_8() -> None:
    batch = run(run_many_async([], adapter=FakeAdapter()))
    assert batch.results == []
    assert batch.passed()


def test_exported_from_rampart_R_CONC_7() -> None:
    import rampart

    assert rampart.run_many_async is run_many_async
    assert rampart.Batch is Batch
    assert {"run_many_async", "Batch"} <= set(rampart.__all__)
