"""Small fakes for the core model tests: an agent, sessions, handles, evaluators, handlers."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from types import TracebackType

from rampart.core.evaluator import BaseEvaluator
from rampart.core.execution import ExecutionEventData, ExecutionEventHandler
from rampart.core.injection import InjectionHandle
from rampart.core.manifest import AppManifest
from rampart.core.types import (
    EvalContext,
    EvalOutcome,
    EvalResult,
    ObservabilityLevel,
    Request,
    Response,
    ToolCall,
)

Responder = Callable[[Request], Response]


def echo(request: Request) -> Response:
    return Response(text=f"echo: {request.prompt}")


class FakeSession:
    def __init__(
        self,
        *,
        log: list[str],
        responder: Responder = echo,
        exit_error: Exception | None = None,
        send_error: BaseException | None = None,
    ) -> None:
        self.log = log
        self.responder = responder
        self.exit_error = exit_error
        self.send_error = send_error
        self.sent: list[Request] = []

    async def __aenter__(self) -> FakeSession:
        self.log.append("session enter")
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
        /,
    ) -> bool | None:
        self.log.append("session exit")
        if self.exit_error is not None:
            raise self.exit_error
        return None

    async def send_async(self, request: Request, /) -> Response:
        self.sent.append(request)
        self.log.append(f"send {request.prompt}")
        if self.send_error is not None:
            raise self.send_error
        return self.responder(request)


@dataclass(kw_only=True)
class FakeAdapter:
    responder: Responder = echo
    profile: ObservabilityLevel = ObservabilityLevel.TOOL_AND_SIDE_EFFECTS
    app_manifest: AppManifest | None = None
    log: list[str] = field(default_factory=list)
    session_exit_error: Exception | None = None
    send_error: BaseException | None = None
    sessions: list[FakeSession] = field(default_factory=list)

    @property
    def manifest(self) -> AppManifest | None:
        return self.app_manifest

    @property
    def observability_profile(self) -> ObservabilityLevel:
        return self.profile

    async def create_session_async(self) -> FakeSession:
        session = FakeSession(
            log=self.log,
            responder=self.responder,
            exit_error=self.session_exit_error,
            send_error=self.send_error,
        )
        self.sessions.append(session)
        return session


class ScriptedEvaluator(BaseEvaluator):
    """Returns the scripted results in order (the last one repeats); counts its calls."""

    def __init__(self, *results: EvalResult) -> None:
        self.results = list(results)
        self.calls = 0
        self.contexts: list[EvalContext] = []

    async def evaluate_async(self, *, context: EvalContext) -> EvalResult:
        self.contexts.append(context)
        result = self.results[min(self.calls, len(self.results) - 1)]
        self.calls += 1
        return result


def verdict(
    outcome: EvalOutcome,
    *,
    confidence: float = 1.0,
    evidence: list[str] | None = None,
    rationale: str = "",
) -> EvalResult:
    return EvalResult(
        outcome=outcome, confidence=confidence, evidence=evidence or [], rationale=rationale
    )


DETECTED = EvalOutcome.DETECTED
NOT_DETECTED = EvalOutcome.NOT_DETECTED
UNDETERMINED = EvalOutcome.UNDETERMINED


class RecordingHandle(InjectionHandle):
    def __init__(
        self,
        name: str,
        *,
        log: list[str],
        ready_delay: float = 0.0,
        ready_error: Exception | None = None,
        enter_error: Exception | None = None,
        exit_error: Exception | None = None,
    ) -> None:
        self.name = name
        self.log = log
        self.ready_delay = ready_delay
        self.ready_error = ready_error
        self.enter_error = enter_error
        self.exit_error = exit_error
        self.ready_cancelled = False

    def __repr__(self) -> str:
        return f"RecordingHandle({self.name!r})"

    @property
    def payload_id(self) -> str | None:
        return f"payload-{self.name}"

    @property
    def surface_name(self) -> str:
        return f"surface-{self.name}"

    async def wait_until_ready(self) -> None:
        self.log.append(f"ready start {self.name}")
        try:
            await asyncio.sleep(self.ready_delay)
        except asyncio.CancelledError:
            self.ready_cancelled = True
            raise
        if self.ready_error is not None:
            raise self.ready_error
        self.log.append(f"ready {self.name}")

    async def __aenter__(self) -> RecordingHandle:
        if self.enter_error is not None:
            raise self.enter_error
        self.log.append(f"enter {self.name}")
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
        /,
    ) -> bool | None:
        self.log.append(f"exit {self.name}")
        if self.exit_error is not None:
            raise self.exit_error
        return None


class RecordingHandler(ExecutionEventHandler):
    def __init__(self, log: list[str] | None = None, *, error: Exception | None = None) -> None:
        self.events: list[ExecutionEventData] = []
        self.log = log
        self.error = error

    async def on_event(self, *, event_data: ExecutionEventData) -> None:
        self.events.append(event_data)
        if self.log is not None:
            self.log.append(f"event {event_data.event.value}")
        if self.error is not None:
            raise self.error


def tool_response(text: str, *names: str) -> Response:
    return Response(text=text, tool_calls=[ToolCall(name=name) for name in names])
