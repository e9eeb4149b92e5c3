"""Evaluators judge the conversation so far; ``BaseEvaluator`` adds ``|``, ``&`` and ``~``."""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Protocol, runtime_checkable

from rampart.core.types import EvalContext, EvalOutcome, EvalResult

__all__ = ["BaseEvaluator", "Evaluator"]


@runtime_checkable
class Evaluator(Protocol):
    """Anything that can judge an ``EvalContext``."""

    async def evaluate_async(self, *, context: EvalContext) -> EvalResult: ...


def _require_evaluator(value: object, operator: str) -> Evaluator:
    if not isinstance(value, Evaluator):
        raise TypeError(
            f"unsupported operand for {operator!r}: expected an Evaluator "
            f"(an object with 'async def evaluate_async(*, context)'), got {type(value).__name__}"
        )
    return value


class BaseEvaluator(ABC):
    """Base class for evaluators that compose with ``|`` (or), ``&`` (and) and ``~`` (not)."""

    @abstractmethod
    async def evaluate_async(self, *, context: EvalContext) -> EvalResult:
        """Judge the conversation in ``context``."""

    def __or__(self, other: Evaluator) -> BaseEvaluator:
        return _Or(self, _require_evaluator(other, "|"))

    def __ror__(self, other: Evaluator) -> BaseEvaluator:
        # The left operand is still evaluated first, as it would be in a forward ``|``.
        return _Or(_require_evaluator(other, "|"), self)

    def __and__(self, other: Evaluator) -> BaseEvaluator:
        return _And(self, _require_evaluator(other, "&"))

    def __rand__(self, other: Evaluator) -> BaseEvaluator:
        return _And(_require_evaluator(other, "&"), self)

    def __invert__(self) -> BaseEvaluator:
        return _Not(self)


class _Or(BaseEvaluator):
    """Detected when either operand is; the right one is skipped once the left detects."""

    def __init__(self, left: Evaluator, right: Evaluator) -> None:
        self._left = left
        self._right = right

    def __repr__(self) -> str:
        return f"({self._left!r} | {self._right!r})"

    async def evaluate_async(self, *, context: EvalContext) -> EvalResult:
        left = await self._left.evaluate_async(context=context)
        if left.outcome is EvalOutcome.DETECTED:
            return left
        right = await self._right.evaluate_async(context=context)
        if right.outcome is EvalOutcome.DETECTED:
            return EvalResult(
                outcome=EvalOutcome.DETECTED,
                confidence=right.confidence,
                evidence=list(right.evidence),
                rationale=right.rationale,
            )
        confidence = min(left.confidence, right.confidence)
        if EvalOutcome.UNDETERMINED in (left.outcome, right.outcome):
            return EvalResult(
                outcome=EvalOutcome.UNDETERMINED,
                confidence=confidence,
                rationale="One or both operands undetermined",
            )
        return EvalResult(
            outcome=EvalOutcome.NOT_DETECTED,
            confidence=confidence,
            rationale="Neither condition detected",
        )


class _And(BaseEvaluator):
    """Detected when both operands are; the right one is skipped unless the left detects."""

    def __init__(self, left: Evaluator, right: Evaluator) -> None:
        self._left = left
        self._right = right

    def __repr__(self) -> str:
        return f"({self._left!r} & {self._right!r})"

    async def evaluate_async(self, *, context: EvalContext) -> EvalResult:
        left = await self._left.evaluate_async(context=context)
        if left.outcome is EvalOutcome.NOT_DETECTED:
            return EvalResult(
                outcome=EvalOutcome.NOT_DETECTED,
                confidence=left.confidence,
                rationale=f"Left operand not detected: {left.rationale}",
            )
        if left.outcome is EvalOutcome.UNDETERMINED:
            return EvalResult(
                outcome=EvalOutcome.UNDETERMINED,
                confidence=left.confidence,
                rationale=f"Left operand undetermined: {left.rationale}",
            )
        right = await self._right.evaluate_async(context=context)
        confidence = min(left.confidence, right.confidence)
        if right.outcome is EvalOutcome.DETECTED:
            return EvalResult(
                outcome=EvalOutcome.DETECTED,
                confidence=confidence,
                evidence=[*left.evidence, *right.evidence],
                rationale=f"({left.rationale}) AND ({right.rationale})",
            )
        if right.outcome is EvalOutcome.UNDETERMINED:
            return EvalResult(
                outcome=EvalOutcome.UNDETERMINED,
                confidence=confidence,
                rationale=f"Right operand undetermined: {right.rationale}",
            )
        return EvalResult(
            outcome=EvalOutcome.NOT_DETECTED,
            confidence=confidence,
            rationale="Not both conditions detected",
        )


class _Not(BaseEvaluator):
    """Swaps DETECTED and NOT_DETECTED; an undetermined verdict stays undetermined."""

    def __init__(self, inner: Evaluator) -> None:
        self._inner = inner

    def __repr__(self) -> str:
        return f"~{self._inner!r}"

    async def evaluate_async(self, *, context: EvalContext) -> EvalResult:
        inner = await self._inner.evaluate_async(context=context)
        if inner.outcome is EvalOutcome.UNDETERMINED:
            return inner
        flipped = (
            EvalOutcome.NOT_DETECTED
            if inner.outcome is EvalOutcome.DETECTED
            else EvalOutcome.DETECTED
        )
        return EvalResult(
            outcome=flipped,
            confidence=inner.confidence,
            evidence=list(inner.evidence),
            rationale=f"NOT ({inner.rationale})",
        )
