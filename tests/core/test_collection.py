"""Result collection (R-COLL-1..4, api.md 2.11)."""

from __future__ import annotations

import asyncio
import contextvars
import functools
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator

import pytest
import rampart.collection as collection
from rampart.collection import (
    ResultCollectionHandler,
    ResultCollector,
    activate_collector,
    active_collector,
    deactivate_collector,
    record_result,
    set_dropped_result_callback,
    set_fallback_collector,
)
from rampart.core.execution import ExecutionEvent, ExecutionEventData, ExecutionEventHandler
from rampart.core.result import Result, SafetyStatus


def _result(summary: str = "r") -> Result:
    return Result(status=SafetyStatus.SAFE, summary=summary)


@pytest.fixture(autouse=True)
def _isolated() -> Iterator[None]:
    # The rampart plugin installs its own collectors around each test; these unit tests start
    # with none (see ``_fresh_context`` for the ContextVar) and restore whatever was there.
    saved_fallback = collection._fallback
    saved_callback = collection._dropped_callback
    set_fallback_collector(None)
    set_dropped_result_callback(None)
    yield
    set_fallback_collector(saved_fallback)
    set_dropped_result_callback(saved_callback)


def _fresh_context(test: Callable[[], None]) -> Callable[[], None]:
    """Run the test body in an empty context, so the plugin's ContextVar collector is unset."""

    @functools.wraps(test)
    def run() -> None:
        contextvars.Context().run(test)

    return run


@_fresh_context
def test_record_and_results_copy() -> None:
    collector = ResultCollector()
    first = _result("a")
    collector.record(result=first)
    snapshot = collector.results
    snapshot.clear()
    assert collector.results == [first]


@_fresh_context
def test_record_result_outside_any_collector_is_silent_R_COLL_1() -> None:
    record_result(_result())  # no exception, nothing to record into
    assert active_collector() is None


@_fresh_context
def test_contextvar_collector_wins_over_fallback_R_COLL_1() -> None:
    context_collector, fallback = ResultCollector(), ResultCollector()
    set_fallback_collector(fallback)
    token = activate_collector(context_collector)
    try:
        assert active_collector() is context_collector
        record_result(_result("ctx"))
    finally:
        deactivate_collector(token)
    record_result(_result("fb"))
    assert [r.summary for r in context_collector.results] == ["ctx"]
    assert [r.summary for r in fallback.results] == ["fb"]


@_fresh_context
def test_closed_contextvar_collector_falls_through_to_fallback_R_COLL_1() -> None:
    stale, fallback = ResultCollector(), ResultCollector()
    set_fallback_collector(fallback)
    token = activate_collector(stale)
    try:
        stale.close()
        assert active_collector() is fallback
        record_result(_result("late"))
    finally:
        deactivate_collector(token)
    assert stale.results == []
    assert [r.summary for r in fallback.results] == ["late"]


@_fresh_context
def test_closed_fallback_counts_as_none_and_drops_R_COLL_1() -> None:
    fallback = ResultCollector()
    set_fallback_collector(fallback)
    fallback.close()
    dropped: list[Result] = []
    set_dropped_result_callback(dropped.append)
    result = _result()
    record_result(result)
    assert active_collector() is None
    assert dropped == [result]
    assert fallback.results == []


@_fresh_context
def test_close_returns_results_and_ignores_later_records_R_COLL_1() -> None:
    collector = ResultCollector()
    collector.record(result=_result("kept"))
    was_closed = collector.closed
    absorbed = collector.close()
    collector.record(result=_result("leaked"))
    assert (was_closed, collector.closed) == (False, True)
    assert [r.summary for r in absorbed] == ["kept"]
    assert [r.summary for r in collector.results] == ["kept"]


@_fresh_context
def test_dropped_callback_called_only_without_collector_R_COLL_3() -> None:
    dropped: list[Result] = []
    set_dropped_result_callback(dropped.append)
    collector = ResultCollector()
    set_fallback_collector(collector)
    record_result(_result("in"))
    set_fallback_collector(None)
    outside = _result("out")
    record_result(outside)
    set_dropped_result_callback(None)
    record_result(_result("silent"))
    assert dropped == [outside]
    assert [r.summary for r in collector.results] == ["in"]


@_fresh_context
def test_fallback_attributes_results_from_threads_R_COLL_2() -> None:
    fallback = ResultCollector()
    set_fallback_collector(fallback)
    # A plain thread does not inherit the ContextVar; the fallback still attributes it.
    thread = threading.Thread(target=record_result, args=(_result("thread"),))
    thread.start()
    thread.join()
    assert [r.summary for r in fallback.results] == ["thread"]


@_fresh_context
def test_contextvar_is_inherited_by_copied_contexts_and_tasks_R_COLL_2() -> None:
    collector = ResultCollector()
    token = activate_collector(collector)
    try:
        ctx = contextvars.copy_context()

        async def main() -> None:
            await asyncio.gather(
                asyncio.to_thread(record_result, _result("to_thread")),
                asyncio.create_task(asyncio.sleep(0, result=None)),
            )
            record_result(_result("task"))

        asyncio.run(main())
        ctx.run(record_result, _result("copied"))
    finally:
        deactivate_collector(token)
    assert sorted(r.summary for r in collector.results) == ["copied", "task", "to_thread"]


@_fresh_context
def test_collector_is_thread_safe_R_COLL_4() -> None:
    collector = ResultCollector()
    per_thread, threads = 500, 8
    barrier = threading.Barrier(threads)

    def work() -> None:
        barrier.wait()
        for _ in range(per_thread):
            collector.record(result=_result())
            _ = collector.results

    workers = [threading.Thread(target=work) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert len(collector.results) == per_thread * threads


@_fresh_context
def test_close_races_with_records_without_losing_accepted_results_R_COLL_4() -> None:
    collector = ResultCollector()
    stop = threading.Event()

    def spam() -> None:
        while not stop.is_set():
            collector.record(result=_result())

    worker = threading.Thread(target=spam)
    worker.start()
    absorbed = collector.close()
    stop.set()
    worker.join()
    # Whatever was accepted before close() is exactly what close() returned.
    assert collector.results == absorbed


@_fresh_context
def test_handler_records_on_post_execute_only() -> None:
    collector = ResultCollector()
    handler = ResultCollectionHandler()
    assert isinstance(handler, ExecutionEventHandler)
    result = _result("post")

    async def fire() -> None:
        for event in ExecutionEvent:
            data = ExecutionEventData(event=event, adapter=None, result=result)  # type: ignore[arg-type]
            await handler.on_event(event_data=data)
        await handler.on_event(
            event_data=ExecutionEventData(
                event=ExecutionEvent.ON_POST_EXECUTE,
                adapter=None,  # type: ignore[arg-type]
                result=None,
            )
        )

    token = activate_collector(collector)
    try:
        asyncio.run(fire())
    finally:
        deactivate_collector(token)
    assert collector.results == [result]


@_fresh_context
def test_handler_without_collector_is_a_noop_R_COLL_1() -> None:
    handler = ResultCollectionHandler()
    data = ExecutionEventData(
        event=ExecutionEvent.ON_POST_EXECUTE,
        adapter=None,  # type: ignore[arg-type]
        result=_result(),
    )
    asyncio.run(handler.on_event(event_data=data))


@_fresh_context
def test_handler_class_is_stable_and_named() -> None:
    assert collection.ResultCollectionHandler is ResultCollectionHandler
    assert ResultCollectionHandler.__name__ == "ResultCollectionHandler"
    assert ResultCollectionHandler.__module__ == "rampart.collection"


@_fresh_context
def test_import_does_not_import_asyncio_or_pytest() -> None:
    code = (
        "import sys, rampart.collection; "
        "print(','.join(m for m in ('asyncio', 'pytest') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


@_fresh_context
def test_public_names() -> None:
    assert sorted(collection.__all__) == sorted(
        [
            "ResultCollector",
            "ResultCollectionHandler",
            "record_result",
            "activate_collector",
            "deactivate_collector",
            "active_collector",
            "set_fallback_collector",
        ]
    )
    for name in collection.__all__:
        assert getattr(collection, name) is not None
