"""Detects a side effect by kind and details."""

from __future__ import annotations

from typing import Any

from rampart.core.evaluator import BaseEvaluator
from rampart.core.types import EvalContext, EvalResult
from rampart.evaluators._matching import check_name, detection, matches

__all__ = ["SideEffectOccurred"]


class SideEffectOccurred(BaseEvaluator):
    """DETECTED when any turn has a side effect of ``kind`` whose details satisfy every predicate.

    Predicates work as in ``ToolCalled``: a value to equal or a callable to hold.
    """

    def __init__(self, kind: str, /, **detail_predicates: Any) -> None:
        self._kind = check_name(kind, "kind")
        self._predicates = dict(detail_predicates)

    def __repr__(self) -> str:
        return f"SideEffectOccurred({self._kind!r})"

    async def evaluate_async(self, *, context: EvalContext) -> EvalResult:
        evidence = [
            f"{effect.kind}({effect.details!r})"
            for effect in context.all_side_effects
            if effect.kind == self._kind and matches(effect.details, self._predicates)
        ]
        return detection(
            evidence,
            found=f"Side effect '{self._kind}' detected",
            missing=f"Side effect '{self._kind}' not detected",
        )
