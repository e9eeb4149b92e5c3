"""Per-test result collection: where ``record_result`` and the collection handler put results.

A result goes to the collector bound to the current context (a ContextVar the plugin sets for
the call phase), else to the fallback collector (the plugin's "current test" from setup start to
teardown end, so threads and session fixtures are attributed too), else it is dropped (R-COLL).
A collector that has been closed (its test absorbed) counts as absent.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from contextvars import ContextVar, Token

# Spelled out rather than imported: ``typing`` costs more to import than this whole module.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from rampart.core.execution import ExecutionEventData, ExecutionEventHandler
    from rampart.core.result import Result

__all__ = [
    "ResultCollectionHandler",
    "ResultCollector",
    "activate_collector",
    "active_collector",
    "deactivate_collector",
    "record_result",
    "set_fallback_collector",
]


class ResultCollector:
    """The results one test produced. Safe to record into from several threads at once."""

    __slots__ = ("_closed", "_lock", "_results")

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._results: list[Result] = []
        self._closed = False

    def record(self, *, result: Result) -> None:
        """Add ``result``; ignored once the collector is closed (its test is over)."""
        with self._lock:
            if not self._closed:
                self._results.append(result)

    @property
    def results(self) -> list[Result]:
        """A copy of what was recorded so far."""
        with self._lock:
            return list(self._results)

    @property
    def closed(self) -> bool:
        """Whether the collector was closed; later records are ignored."""
        return self._closed

    def close(self) -> list[Result]:
        """Mark the collector absorbed and return its results; later records are ignored."""
        with self._lock:
            self._closed = True
            return list(self._results)

    def __repr__(self) -> str:
        state = "closed" if self._closed else "open"
        return f"<ResultCollector {state} results={len(self._results)}>"


_current: ContextVar[ResultCollector | None] = ContextVar("rampart_result_collector", default=None)
_fallback: ResultCollector | None = None
_dropped_callback: Callable[[Result], None] | None = None


def activate_collector(collector: ResultCollector, /) -> Token[ResultCollector | None]:
    """Bind ``collector`` to the current context; pass the token to ``deactivate_collector``."""
    return _current.set(collector)


def deactivate_collector(token: Token[ResultCollector | None], /) -> None:
    """Restore the binding that ``activate_collector`` replaced."""
    _current.reset(token)


def set_fallback_collector(collector: ResultCollector | None, /) -> None:
    """Set (or clear, with ``None``) the collector used when the context has none."""
    global _fallback
    _fallback = collector


def set_dropped_result_callback(callback: Callable[[Result], None] | None, /) -> None:
    """Install (or remove) a callable invoked with each result recorded while no collector is
    active; the pytest plugin uses it to warn once per session (R-COLL-3)."""
    global _dropped_callback
    _dropped_callback = callback


def active_collector() -> ResultCollector | None:
    """The collector ``record_result`` would use right now, or ``None``."""
    collector = _current.get()
    if collector is not None and not collector.closed:
        return collector
    fallback = _fallback
    if fallback is not None and not fallback.closed:
        return fallback
    return None


def record_result(result: Result, /) -> None:
    """Add ``result`` to the running test's collector; a no-op outside a test."""
    collector = active_collector()
    if collector is not None:
        collector.record(result=result)
        return
    callback = _dropped_callback
    if callback is not None:
        callback(result)


if TYPE_CHECKING:

    class ResultCollectionHandler(ExecutionEventHandler):
        """Records each execution's result in the running test's collector."""

        async def on_event(self, *, event_data: ExecutionEventData) -> None: ...

else:
    _handler_class: type | None = None

    def _build_handler_class() -> type:
        # Built on first use so that importing this module does not import the execution
        # machinery (and asyncio with it).
        from rampart.core.execution import ExecutionEvent, ExecutionEventHandler

        class ResultCollectionHandler(ExecutionEventHandler):
            """Records each execution's result in the running test's collector."""

            async def on_event(self, *, event_data: Any) -> None:
                if event_data.event is ExecutionEvent.ON_POST_EXECUTE and (
                    event_data.result is not None
                ):
                    record_result(event_data.result)

        ResultCollectionHandler.__module__ = __name__
        ResultCollectionHandler.__qualname__ = "ResultCollectionHandler"
        return ResultCollectionHandler

    def __getattr__(name: str) -> Any:
        global _handler_class
        if name == "ResultCollectionHandler":
            if _handler_class is None:
                _handler_class = _build_handler_class()
            return _handler_class
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
