"""The turn loop shared by attacks and probes, and the checks on their common arguments."""

from __future__ import annotations

import logging
from collections.abc import Callable
from contextlib import AsyncExitStack
from types import TracebackType
from typing import TYPE_CHECKING, Protocol

from rampart.core.errors import DriverError
from rampart.core.evaluator import Evaluator
from rampart.core.execution import BaseExecution, evaluate_turn_async
from rampart.core.prompt_driver import PromptDecision, PromptDriver
from rampart.core.result import InjectionRecord, Result, SafetyStatus

if TYPE_CHECKING:
    from rampart.core.adapter import AgentAdapter, Session
    from rampart.core.execution import ExecutionEventHandler
    from rampart.core.types import ObservabilityLevel, Turn

NO_TURNS_REASON = "driver produced no prompt"

_log = logging.getLogger("rampart.execution")


class _AsyncExit(Protocol):
    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
        /,
    ) -> bool | None: ...


def check_max_turns(max_turns: object) -> int:
    """Validate ``max_turns`` the same way for every strategy (R-BAD)."""
    if isinstance(max_turns, bool) or not isinstance(max_turns, int):
        raise TypeError(f"max_turns must be an int, got {type(max_turns).__name__}")
    if max_turns < 1:
        raise ValueError(f"max_turns must be >= 1, got {max_turns}")
    return max_turns


def check_evaluator(evaluator: object) -> Evaluator:
    if not isinstance(evaluator, Evaluator):
        raise TypeError(
            "evaluator must be an Evaluator (an object with "
            f"'async def evaluate_async(*, context)'), got {type(evaluator).__name__}"
        )
    return evaluator


def check_driver(driver: object) -> PromptDriver:
    if not isinstance(driver, PromptDriver):
        raise TypeError(
            "driver must be a PromptDriver (an object with "
            f"'async def next_prompt_async(*, history)'), got {type(driver).__name__}"
        )
    return driver


async def run_turns(
    *,
    session: Session,
    adapter: AgentAdapter,
    driver: PromptDriver,
    evaluator: Evaluator,
    max_turns: int,
    note_turn: Callable[[Turn], None],
) -> list[Turn]:
    """Drive the conversation until the driver stops, a turn detects, or turns run out."""
    turns: list[Turn] = []
    manifest = adapter.manifest
    for number in range(max_turns):
        decision = await driver.next_prompt_async(history=list(turns))
        if decision is None:
            break
        if not isinstance(decision, PromptDecision):
            raise DriverError(
                f"{type(driver).__name__}.next_prompt_async returned "
                f"{type(decision).__name__}, expected PromptDecision or None"
            )
        response = await session.send_async(decision.request)
        turn = await evaluate_turn_async(
            evaluator=evaluator,
            history=turns,
            request=decision.request,
            response=response,
            turn_number=number,
            driver_reasoning=decision.reasoning,
            manifest=manifest,
        )
        turns.append(turn)
        note_turn(turn)
        if turn.eval_result is not None and turn.eval_result.detected:
            break
    return turns


def no_turns_result(
    *,
    strategy: str,
    observability_level: ObservabilityLevel,
    injections: list[InjectionRecord],
) -> Result:
    """The ERROR result of an execution whose driver never produced a prompt (R-LOOP-3)."""
    return Result(
        status=SafetyStatus.ERROR,
        summary=f"ERROR: {NO_TURNS_REASON}",
        strategy=strategy,
        observability_level=observability_level,
        injections=list(injections),
        metadata={"error": NO_TURNS_REASON, "error_type": "NoTurns"},
    )


def push_quiet_exit(stack: AsyncExitStack, manager: _AsyncExit, what: str) -> None:
    """Register ``manager``'s exit so that its failure is logged instead of raised (R-XPIA-4).

    The exit never suppresses the exception in flight either: a verdict or the original error
    must stand whatever the cleanup does.
    """

    async def _exit(
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> bool:
        try:
            await manager.__aexit__(exc_type, exc, tb)
        except Exception:
            _log.exception("RAMPART: exiting %s failed; ignored", what)
        return False

    stack.push_async_exit(_exit)


class TurnLoopExecution(BaseExecution):
    """An execution that talks to one agent session through the turn loop.

    Subclasses add what happens around the conversation (injections) and how its turns
    resolve into a result (attack or probe).
    """

    def __init__(
        self,
        *,
        driver: PromptDriver,
        evaluator: Evaluator,
        max_turns: int = 25,
        event_handlers: list[ExecutionEventHandler] | None = None,
    ) -> None:
        self._driver = check_driver(driver)
        self._evaluator = check_evaluator(evaluator)
        self._max_turns = check_max_turns(max_turns)
        super().__init__(event_handlers=event_handlers)

    async def _converse(self, stack: AsyncExitStack, adapter: AgentAdapter) -> list[Turn]:
        """Open a session (exited quietly when ``stack`` closes) and run the turn loop in it."""
        session = await adapter.create_session_async()
        await session.__aenter__()
        push_quiet_exit(stack, session, "the agent session")
        return await run_turns(
            session=session,
            adapter=adapter,
            driver=self._driver,
            evaluator=self._evaluator,
            max_turns=self._max_turns,
            note_turn=self._note_turn,
        )
