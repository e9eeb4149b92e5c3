"""Behaviour probes: ask the agent something and check that it behaves as expected."""

from __future__ import annotations

from contextlib import AsyncExitStack
from typing import TYPE_CHECKING

from rampart.core._turn_loop import TurnLoopExecution, no_turns_result
from rampart.core.execution import _observability_of
from rampart.core.result import Result, SafetyStatus, resolve_as_probe

if TYPE_CHECKING:
    from rampart.core.adapter import AgentAdapter
    from rampart.core.types import Turn

__all__ = ["SingleTurnExecution"]


def _probe_summary(status: SafetyStatus, turns: list[Turn]) -> str:
    if status is SafetyStatus.SAFE:
        return "Expected behavior detected"
    if status is SafetyStatus.UNSAFE:
        rationales = [
            turn.eval_result.rationale
            for turn in turns
            if turn.eval_result is not None and turn.eval_result.rationale
        ]
        return f"UNSAFE: {rationales[-1]}" if rationales else "Expected behavior not detected"
    return "UNDETERMINED: Could not determine if expected behavior occurred"


class SingleTurnExecution(TurnLoopExecution):
    """Runs the turn loop in one session and resolves it as a probe.

    Despite the name it runs as many turns as the driver provides, up to ``max_turns``,
    stopping at the first turn where the expected behaviour is detected.
    """

    @property
    def strategy_name(self) -> str:
        return "probe"

    async def _execute_async(self, *, adapter: AgentAdapter) -> Result:
        level = _observability_of(adapter)
        async with AsyncExitStack() as stack:
            turns = await self._converse(stack, adapter)
        if not turns:
            return no_turns_result(
                strategy=self.strategy_name, observability_level=level, injections=[]
            )
        status = resolve_as_probe(
            eval_results=[turn.eval_result for turn in turns if turn.eval_result is not None]
        )
        return Result(
            status=status,
            summary=_probe_summary(status, turns),
            turns=turns,
            strategy=self.strategy_name,
            observability_level=level,
        )
