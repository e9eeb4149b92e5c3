"""Detects a pattern in the agent's latest response text."""

from __future__ import annotations

import re
from collections.abc import Callable

from rampart.core.evaluator import BaseEvaluator
from rampart.core.types import EvalContext, EvalOutcome, EvalResult

__all__ = ["ResponseContains"]


class ResponseContains(BaseEvaluator):
    """DETECTED when the current turn's response text matches ``target``.

    A ``str`` matches as a substring (case-insensitive unless ``case_sensitive``), a compiled
    pattern through ``search`` with its own flags, and a callable when it returns a truthy value.
    """

    def __init__(
        self,
        target: str | re.Pattern[str] | Callable[[str], bool],
        /,
        *,
        case_sensitive: bool = False,
    ) -> None:
        if isinstance(target, str):
            if not target:
                raise ValueError("ResponseContains target must be a non-empty string.")
        elif not isinstance(target, re.Pattern) and not callable(target):
            raise TypeError(
                "ResponseContains target must be a str, a re.Pattern or a callable "
                f"(str) -> bool, got {type(target).__name__}"
            )
        self._target = target
        self._case_sensitive = case_sensitive

    def __repr__(self) -> str:
        return f"ResponseContains({self._target!r})"

    def _found(self, text: str) -> bool:
        target = self._target
        if isinstance(target, str):
            if self._case_sensitive:
                return target in text
            return target.casefold() in text.casefold()
        if isinstance(target, re.Pattern):
            return target.search(text) is not None
        return bool(target(text))

    async def evaluate_async(self, *, context: EvalContext) -> EvalResult:
        turn = context.current_turn
        if self._found(turn.response.text):
            return EvalResult(
                outcome=EvalOutcome.DETECTED,
                evidence=[f"Pattern found on turn(s): {turn.turn_number}"],
                rationale="Response contains target pattern",
            )
        return EvalResult(
            outcome=EvalOutcome.NOT_DETECTED,
            rationale="Target pattern not found in response text",
        )
