"""The execution lifecycle shared by every strategy: events, timing and error results."""

from __future__ import annotations

import logging
import time
from abc import ABC, abstractmethod
from contextvars import ContextVar
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from rampart.core.errors import EvaluatorError
from rampart.core.result import InjectionRecord, Result, SafetyStatus
from rampart.core.types import EvalContext, EvalResult, ObservabilityLevel, Turn

if TYPE_CHECKING:
    from rampart.core.adapter import AgentAdapter
    from rampart.core.evaluator import Evaluator
    from rampart.core.manifest import AppManifest
    from rampart.core.types import Request, Response

__all__ = [
    "BaseExecution",
    "ExecutionEvent",
    "ExecutionEventData",
    "ExecutionEventHandler",
    "ExecutionHandlerFactory",
    "clear_default_handler_factory",
    "evaluate_turn_async",
    "register_default_handler_factory",
]

_log = logging.getLogger(__name__)


class ExecutionEvent(StrEnum):
    """The points of an execution at which handlers are notified."""

    ON_PRE_EXECUTE = "on_pre_execute"
    ON_POST_EXECUTE = "on_post_execute"
    ON_ERROR = "on_error"


@dataclass(kw_only=True)
class ExecutionEventData:
    """What a handler learns about one event."""

    event: ExecutionEvent
    adapter: AgentAdapter
    result: Result | None = None
    error: BaseException | None = None
    elapsed_seconds: float = 0.0


class ExecutionEventHandler(ABC):
    """Receives the events of every execution it is attached to."""

    @abstractmethod
    async def on_event(self, *, event_data: ExecutionEventData) -> None:
        """Handle one event; an exception is logged and otherwise ignored."""


@runtime_checkable
class ExecutionHandlerFactory(Protocol):
    """Builds the default handlers attached to each new execution."""

    def __call__(self) -> list[ExecutionEventHandler]: ...


_default_factory: ExecutionHandlerFactory | None = None


def register_default_handler_factory(factory: ExecutionHandlerFactory, /) -> None:
    """Install the factory whose handlers every execution created from now on starts with."""
    global _default_factory
    if not callable(factory):
        raise TypeError(
            f"A handler factory must be callable (returning a list of ExecutionEventHandler), "
            f"got {type(factory).__name__}"
        )
    _default_factory = factory


def clear_default_handler_factory() -> None:
    """Remove the default handler factory, if any."""
    global _default_factory
    _default_factory = None


def _default_handlers() -> list[ExecutionEventHandler]:
    factory = _default_factory
    if factory is None:
        return []
    try:
        return list(factory())
    except Exception:
        # A broken factory must not make every execution unusable; it is loud in the log.
        _log.exception("RAMPART default handler factory %r failed; no default handlers", factory)
        return []


@dataclass(kw_only=True)
class _Progress:
    """What one run of an execution has achieved so far, kept for its ERROR result."""

    owner: BaseExecution
    turns: list[Turn] = field(default_factory=list)
    injections: list[InjectionRecord] = field(default_factory=list)


# Per run rather than per object, so one execution object run concurrently cannot mix its
# runs' progress (each asyncio task works on its own copy of the context).
_progress: ContextVar[_Progress | None] = ContextVar("rampart_execution_progress", default=None)


def _observability_of(adapter: AgentAdapter) -> ObservabilityLevel:
    try:
        return ObservabilityLevel(adapter.observability_profile)
    except Exception:
        _log.warning("adapter %r has no valid observability_profile; using response_only", adapter)
        return ObservabilityLevel.RESPONSE_ONLY


def _turn_metadata(turns: list[Turn]) -> dict[str, Any]:
    """The response metadata of the one turn that has any, else every such turn's, by number."""
    with_metadata = [turn for turn in turns if turn.response.metadata]
    if len(with_metadata) == 1:
        return dict(with_metadata[0].response.metadata)
    return {f"turn_{turn.turn_number}": dict(turn.response.metadata) for turn in with_metadata}


class BaseExecution(ABC):
    """One runnable test strategy: ``execute_async`` always returns a ``Result``.

    Any ``Exception`` raised by the strategy becomes an ERROR result that keeps the turns and
    injections the strategy noted before failing; cancellation and other ``BaseException``
    propagate unchanged.
    """

    def __init__(self, *, event_handlers: list[ExecutionEventHandler] | None = None) -> None:
        self._event_handlers: list[ExecutionEventHandler] = [
            *_default_handlers(),
            *(event_handlers or []),
        ]

    @property
    @abstractmethod
    def strategy_name(self) -> str:
        """The ``strategy`` written on results (``"xpia"``, ``"probe"``, ...)."""

    @abstractmethod
    async def _execute_async(self, *, adapter: AgentAdapter) -> Result:
        """Run the strategy against ``adapter`` and return its verdict."""

    def _note_turn(self, turn: Turn) -> None:
        """Remember a completed turn so that an ERROR result still shows it."""
        progress = _progress.get()
        if progress is not None and progress.owner is self:
            progress.turns.append(turn)

    def _note_injection(self, record: InjectionRecord) -> None:
        """Remember an active injection so that an ERROR result still shows it."""
        progress = _progress.get()
        if progress is not None and progress.owner is self:
            progress.injections.append(record)

    async def execute_async(self, *, adapter: AgentAdapter) -> Result:
        """Run the strategy, notify the handlers, and return the result."""
        progress = _Progress(owner=self)
        token = _progress.set(progress)
        try:
            return await self._run(adapter=adapter, progress=progress)
        finally:
            _progress.reset(token)

    async def _run(self, *, adapter: AgentAdapter, progress: _Progress) -> Result:
        started = time.monotonic()
        await self._emit(ExecutionEventData(event=ExecutionEvent.ON_PRE_EXECUTE, adapter=adapter))
        try:
            result = await self._execute_async(adapter=adapter)
        except Exception as exc:
            elapsed = time.monotonic() - started
            await self._emit(
                ExecutionEventData(
                    event=ExecutionEvent.ON_ERROR,
                    adapter=adapter,
                    error=exc,
                    elapsed_seconds=elapsed,
                )
            )
            result = self._error_result(exc, adapter=adapter, progress=progress)
        elapsed = time.monotonic() - started
        result.duration_seconds = elapsed
        await self._emit(
            ExecutionEventData(
                event=ExecutionEvent.ON_POST_EXECUTE,
                adapter=adapter,
                result=result,
                elapsed_seconds=elapsed,
            )
        )
        return result

    def _error_result(
        self, exc: Exception, *, adapter: AgentAdapter, progress: _Progress
    ) -> Result:
        type_name = type(exc).__name__
        message = str(exc)
        metadata = _turn_metadata(progress.turns)
        metadata.update({"error": message, "error_type": type_name})
        return Result(
            status=SafetyStatus.ERROR,
            summary=f"{type_name}: {message}" if message else type_name,
            turns=list(progress.turns),
            strategy=self.strategy_name,
            observability_level=_observability_of(adapter),
            injections=list(progress.injections),
            metadata=metadata,
        )

    async def _emit(self, event_data: ExecutionEventData) -> None:
        for handler in self._event_handlers:
            try:
                await handler.on_event(event_data=event_data)
            except Exception:
                _log.exception(
                    "RAMPART event handler %r failed on %s; ignored",
                    handler,
                    event_data.event.value,
                )


async def evaluate_turn_async(
    *,
    evaluator: Evaluator,
    history: list[Turn],
    request: Request,
    response: Response,
    turn_number: int,
    driver_reasoning: str = "",
    manifest: AppManifest | None = None,
) -> Turn:
    """Judge a new turn in the context of the earlier ones and return it with its verdict."""
    provisional = Turn(
        request=request,
        response=response,
        turn_number=turn_number,
        timestamp=datetime.now(UTC),
        driver_reasoning=driver_reasoning,
    )
    context = EvalContext(turns=[*history, provisional], manifest=manifest)
    verdict = await evaluator.evaluate_async(context=context)
    if not isinstance(verdict, EvalResult):
        raise EvaluatorError(
            f"{type(evaluator).__name__}.evaluate_async returned {type(verdict).__name__}, "
            "expected EvalResult"
        )
    return replace(provisional, eval_result=verdict)
