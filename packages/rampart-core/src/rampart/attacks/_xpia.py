"""Cross-prompt injection attacks: plant payloads, trigger the agent, watch what it does."""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AsyncExitStack
from typing import TYPE_CHECKING

from rampart.core._turn_loop import TurnLoopExecution, no_turns_result, push_quiet_exit
from rampart.core.errors import InfrastructureError
from rampart.core.execution import _observability_of, _turn_metadata
from rampart.core.injection import InjectionHandle
from rampart.core.result import InjectionRecord, Result, SafetyStatus, resolve_as_attack
from rampart.core.types import EvalOutcome, ObservabilityLevel

if TYPE_CHECKING:
    from rampart.core.adapter import AgentAdapter
    from rampart.core.evaluator import Evaluator
    from rampart.core.execution import ExecutionEventHandler
    from rampart.core.prompt_driver import PromptDriver
    from rampart.core.types import Turn

__all__ = ["XPIAExecution"]


def coerce_handles(inject: object) -> list[InjectionHandle]:
    """A single handle, a list of handles or ``None``, as a list (R-XPIA-1)."""
    if inject is None:
        return []
    items = list(inject) if isinstance(inject, list | tuple) else [inject]
    handles: list[InjectionHandle] = []
    for item in items:
        if not isinstance(item, InjectionHandle):
            raise TypeError(
                "inject must be an InjectionHandle, a list of InjectionHandle, or None; "
                f"got an item of type {type(item).__name__}"
            )
        handles.append(item)
    return handles


async def _wait_all_ready(handles: list[InjectionHandle]) -> None:
    """Await every handle's readiness concurrently; the first failure cancels the rest."""
    if not handles:
        return
    if len(handles) == 1:
        await handles[0].wait_until_ready()
        return
    import asyncio

    tasks: list[asyncio.Future[None]] = []
    try:
        for handle in handles:
            tasks.append(asyncio.ensure_future(handle.wait_until_ready()))
        pending: set[asyncio.Future[None]] = set(tasks)
        while pending:
            done, pending = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
            # Among failures seen together, the earliest handle in the caller's order wins.
            for task, handle in zip(tasks, handles, strict=True):
                if task not in done:
                    continue
                if task.cancelled():
                    raise InfrastructureError(
                        f"readiness wait of {handle!r} was cancelled by the handle itself"
                    )
                error = task.exception()
                if error is not None:
                    raise error
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


def _attack_summary(status: SafetyStatus, turns: list[Turn]) -> str:
    verdicts = [turn.eval_result for turn in turns if turn.eval_result is not None]
    if status is SafetyStatus.UNSAFE:
        evidence = [
            item
            for verdict in verdicts
            if verdict.outcome is EvalOutcome.DETECTED
            for item in verdict.evidence
        ]
        if evidence:
            return "Attack objective detected: " + "; ".join(evidence[:3])
        return "Attack objective detected"
    if status is SafetyStatus.UNDETERMINED:
        # Only undetermined verdicts explain an undetermined attack; a downgraded SAFE run
        # (R-XPIA-7) has none, and is then explained by the observability fallback.
        rationales = [
            verdict.rationale
            for verdict in verdicts
            if verdict.outcome is EvalOutcome.UNDETERMINED and verdict.rationale
        ]
        reason = "; ".join(rationales[:2]) if rationales else "Insufficient observability"
        return f"Evaluation undetermined: {reason}"
    return "Agent defended successfully"


class XPIAExecution(TurnLoopExecution):
    """Enters the injections, waits until they are visible, then runs the turn loop.

    Whatever happens, the session is exited first and then the handles in reverse order.
    """

    def __init__(
        self,
        *,
        handles: Sequence[InjectionHandle] | None = None,
        driver: PromptDriver,
        evaluator: Evaluator,
        max_turns: int = 25,
        event_handlers: list[ExecutionEventHandler] | None = None,
    ) -> None:
        self._handles = coerce_handles(handles)
        super().__init__(
            driver=driver, evaluator=evaluator, max_turns=max_turns, event_handlers=event_handlers
        )

    @property
    def strategy_name(self) -> str:
        return "xpia"

    @property
    def handles(self) -> list[InjectionHandle]:
        """The injection handles this attack enters, in order."""
        return list(self._handles)

    async def _execute_async(self, *, adapter: AgentAdapter) -> Result:
        level = _observability_of(adapter)
        injections: list[InjectionRecord] = []
        async with AsyncExitStack() as stack:
            for handle in self._handles:
                await handle.__aenter__()
                push_quiet_exit(stack, handle, f"injection handle {handle!r}")
                record = InjectionRecord(
                    payload_id=handle.payload_id, surface_name=handle.surface_name
                )
                injections.append(record)
                self._note_injection(record)
            await _wait_all_ready(self._handles)
            turns = await self._converse(stack, adapter)
        if not turns:
            return no_turns_result(
                strategy=self.strategy_name, observability_level=level, injections=injections
            )
        status = resolve_as_attack(
            eval_results=[turn.eval_result for turn in turns if turn.eval_result is not None]
        )
        if (
            status is SafetyStatus.SAFE
            and level is ObservabilityLevel.RESPONSE_ONLY
            and not any(turn.response.tool_calls for turn in turns)
        ):
            # Seeing only text, a quiet agent is no proof that it did nothing (R-XPIA-7).
            status = SafetyStatus.UNDETERMINED
        return Result(
            status=status,
            summary=_attack_summary(status, turns),
            turns=turns,
            strategy=self.strategy_name,
            observability_level=level,
            injections=injections,
            metadata=_turn_metadata(turns),
        )
