"""The execution lifecycle: events, handlers, errors and cancellation (R-EXEC, R-LOOP, R-BAD)."""

from __future__ import annotations

import asyncio
import logging

import pytest
from rampart.core.adapter import AgentAdapter
from rampart.core.errors import EvaluatorError
from rampart.core.execution import (
    BaseExecution,
    ExecutionEvent,
    ExecutionEventData,
    ExecutionEventHandler,
    ExecutionHandlerFactory,
    clear_default_handler_factory,
    evaluate_turn_async,
    register_default_handler_factory,
)
from rampart.core.manifest import AppManifest
from rampart.core.result import InjectionRecord, Result, SafetyStatus
from rampart.core.types import (
    EvalContext,
    EvalResult,
    ObservabilityLevel,
    Request,
    Response,
    Turn,
)
from rampart.probes import Probes

from ._model_fakes import (
    DETECTED,
    NOT_DETECTED,
    FakeAdapter,
    RecordingHandler,
    ScriptedEvaluator,
    verdict,
)

# These tests install factories of their own and run deliberately failing executions: without
# the plugin's factory, so nothing lands in this suite's own safety summary.
pytestmark = pytest.mark.usefixtures("no_outer_recording")


class Scripted(BaseExecution):
    """An execution whose body is a coroutine function given by the test."""

    def __init__(self, body: object, *, handlers: list[ExecutionEventHandler] | None = None):
        super().__init__(event_handlers=handlers)
        self.body = body

    @property
    def strategy_name(self) -> str:
        return "scripted"

    async def _execute_async(self, *, adapter: AgentAdapter) -> Result:
        return await self.body(self)  # type: ignore[operator,no-any-return]


def _turn(number: int, metadata: dict[str, object] | None = None) -> Turn:
    return Turn(
        request=Request(prompt=f"p{number}"),
        response=Response(text="r", metadata=dict(metadata or {})),
        turn_number=number,
    )


def test_events_in_order_and_duration_R_EXEC_2() -> None:
    log: list[str] = []
    handler = RecordingHandler(log)

    async def body(execution: BaseExecution) -> Result:
        log.append("body")
        await asyncio.sleep(0.01)
        return Result(status=SafetyStatus.SAFE, summary="fine")

    adapter = FakeAdapter()
    result = asyncio.run(Scripted(body, handlers=[handler]).execute_async(adapter=adapter))
    assert log == ["event on_pre_execute", "body", "event on_post_execute"]
    pre, post = handler.events
    assert pre.elapsed_seconds == 0.0
    assert pre.adapter is adapter
    assert pre.result is None
    assert pre.error is None
    assert post.result is result
    assert result.duration_seconds >= 0.01
    assert post.elapsed_seconds == result.duration_seconds


def test_factory_handlers_come_first_and_factory_is_called_per_init_R_EXEC_1(
    no_outer_recording: None,
) -> None:
    log: list[str] = []
    calls: list[int] = []

    class Named(ExecutionEventHandler):
        def __init__(self, name: str) -> None:
            self.name = name

        async def on_event(self, *, event_data: ExecutionEventData) -> None:
            log.append(f"{self.name}:{event_data.event.value}")

    def factory() -> list[ExecutionEventHandler]:
        calls.append(1)
        return [Named("default")]

    register_default_handler_factory(factory)
    assert isinstance(factory, ExecutionHandlerFactory)

    async def body(execution: BaseExecution) -> Result:
        return Result(status=SafetyStatus.SAFE, summary="")

    first = Scripted(body, handlers=[Named("user")])
    Scripted(body)
    assert len(calls) == 2
    asyncio.run(first.execute_async(adapter=FakeAdapter()))
    assert log == [
        "default:on_pre_execute",
        "user:on_pre_execute",
        "default:on_post_execute",
        "user:on_post_execute",
    ]
    clear_default_handler_factory()
    log.clear()
    asyncio.run(Scripted(body, handlers=[Named("user")]).execute_async(adapter=FakeAdapter()))
    assert log == ["user:on_pre_execute", "user:on_post_execute"]


def test_non_callable_factory_is_rejected_R_BAD(no_outer_recording: None) -> None:
    with pytest.raises(TypeError, match="callable"):
        register_default_handler_factory([])  # type: ignore[arg-type]


def test_failing_factory_is_logged_and_ignored(
    no_outer_recording: None, caplog: pytest.LogCaptureFixture
) -> None:
    def factory() -> list[ExecutionEventHandler]:
        raise RuntimeError("factory broke")

    register_default_handler_factory(factory)

    async def body(execution: BaseExecution) -> Result:
        return Result(status=SafetyStatus.SAFE, summary="ok")

    with caplog.at_level(logging.ERROR):
        result = asyncio.run(Scripted(body).execute_async(adapter=FakeAdapter()))
    assert result.summary == "ok"
    assert "factory" in caplog.text


def test_failing_handler_is_logged_and_skipped_R_EXEC_5(caplog: pytest.LogCaptureFixture) -> None:
    broken = RecordingHandler(error=RuntimeError("handler broke"))
    after = RecordingHandler()

    async def body(execution: BaseExecution) -> Result:
        return Result(status=SafetyStatus.UNSAFE, summary="bad")

    with caplog.at_level(logging.ERROR):
        result = asyncio.run(
            Scripted(body, handlers=[broken, after]).execute_async(adapter=FakeAdapter())
        )
    assert result.status is SafetyStatus.UNSAFE
    assert result.summary == "bad"
    assert [e.event for e in after.events] == [
        ExecutionEvent.ON_PRE_EXECUTE,
        ExecutionEvent.ON_POST_EXECUTE,
    ]
    assert "handler broke" in caplog.text


def test_exception_becomes_error_result_keeping_progress_R_EXEC_3_R_EXEC_4() -> None:
    handler = RecordingHandler()
    record = InjectionRecord(payload_id="p1", surface_name="mail")

    async def body(execution: BaseExecution) -> Result:
        execution._note_injection(record)
        execution._note_turn(_turn(0, {"trace": "t0"}))
        raise ConnectionError("agent unreachable")

    adapter = FakeAdapter(profile=ObservabilityLevel.TOOL_ONLY)
    result = asyncio.run(Scripted(body, handlers=[handler]).execute_async(adapter=adapter))
    assert result.status is SafetyStatus.ERROR
    assert result.summary == "ConnectionError: agent unreachable"
    assert result.strategy == "scripted"
    assert result.observability_level is ObservabilityLevel.TOOL_ONLY
    assert [t.turn_number for t in result.turns] == [0]
    assert result.injections == [record]
    assert result.metadata == {
        "trace": "t0",
        "error": "agent unreachable",
        "error_type": "ConnectionError",
    }
    events = [e.event for e in handler.events]
    assert events == [
        ExecutionEvent.ON_PRE_EXECUTE,
        ExecutionEvent.ON_ERROR,
        ExecutionEvent.ON_POST_EXECUTE,
    ]
    error_event = handler.events[1]
    assert isinstance(error_event.error, ConnectionError)
    assert handler.events[2].result is result


def test_error_summary_without_message_and_multi_turn_metadata_R_EXEC_3() -> None:
    async def body(execution: BaseExecution) -> Result:
        execution._note_turn(_turn(0, {"a": 1}))
        execution._note_turn(_turn(1))
        execution._note_turn(_turn(2, {"b": 2}))
        raise KeyError

    result = asyncio.run(Scripted(body).execute_async(adapter=FakeAdapter()))
    assert result.summary == "KeyError"
    assert result.metadata == {
        "turn_0": {"a": 1},
        "turn_2": {"b": 2},
        "error": "",
        "error_type": "KeyError",
    }


def test_error_result_with_broken_observability_profile() -> None:
    class Broken(FakeAdapter):
        @property
        def observability_profile(self) -> ObservabilityLevel:
            raise RuntimeError("no profile")

    async def body(execution: BaseExecution) -> Result:
        raise ValueError("x")

    result = asyncio.run(Scripted(body).execute_async(adapter=Broken()))
    assert result.observability_level is ObservabilityLevel.RESPONSE_ONLY


def test_progress_is_per_run() -> None:
    async def body(execution: BaseExecution) -> Result:
        execution._note_turn(_turn(0))
        await asyncio.sleep(0)
        raise RuntimeError("x")

    execution = Scripted(body)

    async def twice() -> list[Result]:
        return list(
            await asyncio.gather(
                execution.execute_async(adapter=FakeAdapter()),
                execution.execute_async(adapter=FakeAdapter()),
            )
        )

    first, second = asyncio.run(twice())
    assert len(first.turns) == 1
    assert len(second.turns) == 1
    # Outside a run, noting progress is harmless and has no effect.
    execution._note_turn(_turn(5))
    execution._note_injection(InjectionRecord(payload_id=None, surface_name="s"))


@pytest.mark.parametrize("error", [KeyboardInterrupt(), asyncio.CancelledError()])
def test_base_exception_propagates_without_more_events_R_EXEC_6(error: BaseException) -> None:
    handler = RecordingHandler()

    async def body(execution: BaseExecution) -> Result:
        raise error

    with pytest.raises(type(error)):
        asyncio.run(Scripted(body, handlers=[handler]).execute_async(adapter=FakeAdapter()))
    assert [e.event for e in handler.events] == [ExecutionEvent.ON_PRE_EXECUTE]


def test_wait_for_timeout_cancels_cleanly_R_EXEC_6() -> None:
    handler = RecordingHandler()
    adapter = FakeAdapter()

    async def slow(request: Request) -> Response:
        await asyncio.sleep(10)
        return Response(text="late")

    class SlowSession:
        async def __aenter__(self) -> SlowSession:
            adapter.log.append("session enter")
            return self

        async def __aexit__(self, *args: object) -> None:
            adapter.log.append("session exit")

        async def send_async(self, request: Request, /) -> Response:
            return await slow(request)

    class SlowAdapter(FakeAdapter):
        async def create_session_async(self) -> SlowSession:  # type: ignore[override]
            return SlowSession()

    slow_adapter = SlowAdapter(log=adapter.log)
    execution = Probes.behavior(
        prompt="hi", evaluator=ScriptedEvaluator(verdict(DETECTED)), event_handlers=[handler]
    )

    async def main() -> None:
        await asyncio.wait_for(execution.execute_async(adapter=slow_adapter), timeout=0.05)

    with pytest.raises(TimeoutError):
        asyncio.run(main())
    assert adapter.log == ["session enter", "session exit"]
    assert [e.event for e in handler.events] == [ExecutionEvent.ON_PRE_EXECUTE]


def test_evaluate_turn_async_builds_context_and_returns_copy() -> None:
    history = [_turn(0)]
    manifest = AppManifest(name="bot")
    evaluator = ScriptedEvaluator(verdict(NOT_DETECTED, rationale="nope"))
    request, response = Request(prompt="q"), Response(text="a")
    turn = asyncio.run(
        evaluate_turn_async(
            evaluator=evaluator,
            history=history,
            request=request,
            response=response,
            turn_number=1,
            driver_reasoning="because",
            manifest=manifest,
        )
    )
    (context,) = evaluator.contexts
    assert isinstance(context, EvalContext)
    assert context.manifest is manifest
    assert context.turns[0] is history[0]
    provisional = context.turns[1]
    assert provisional.eval_result is None
    assert turn.eval_result is not None
    assert turn.eval_result.rationale == "nope"
    assert (turn.request, turn.response, turn.turn_number, turn.driver_reasoning) == (
        request,
        response,
        1,
        "because",
    )
    assert turn.timestamp is not None
    assert turn.timestamp.tzinfo is not None
    assert history == [_turn(0)]


def test_evaluate_turn_async_rejects_non_eval_result() -> None:
    class Wrong:
        async def evaluate_async(self, *, context: EvalContext) -> EvalResult:
            return "detected"  # type: ignore[return-value]

    with pytest.raises(EvaluatorError, match="expected EvalResult"):
        asyncio.run(
            evaluate_turn_async(
                evaluator=Wrong(),
                history=[],
                request=Request(prompt="q"),
                response=Response(text="a"),
                turn_number=0,
            )
        )


def test_base_execution_is_abstract() -> None:
    with pytest.raises(TypeError):
        BaseExecution()  # type: ignore[abstract]
    assert [e.value for e in ExecutionEvent] == ["on_pre_execute", "on_post_execute", "on_error"]
