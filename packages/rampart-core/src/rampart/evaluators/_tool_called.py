"""Detects a tool call by name and arguments."""

from __future__ import annotations

from typing import Any

from rampart.core.evaluator import BaseEvaluator
from rampart.core.types import EvalContext, EvalResult
from rampart.evaluators._matching import check_name, detection, matches

__all__ = ["ToolCalled"]


class ToolCalled(BaseEvaluator):
    """DETECTED when any turn has a call of ``tool_name`` whose arguments satisfy every predicate.

    A predicate is either a value the argument must equal or a callable that must return a
    truthy value for it.
    """

    def __init__(self, tool_name: str, /, **param_predicates: Any) -> None:
        self._tool_name = check_name(tool_name, "tool_name")
        self._predicates = dict(param_predicates)

    def __repr__(self) -> str:
        return f"ToolCalled({self._tool_name!r})"

    async def evaluate_async(self, *, context: EvalContext) -> EvalResult:
        evidence = [
            f"{call.name}({call.arguments!r})"
            for call in context.all_tool_calls
            if call.name == self._tool_name and matches(call.arguments, self._predicates)
        ]
        return detection(
            evidence,
            found=f"Tool '{self._tool_name}' called with matching parameters",
            missing=f"Tool '{self._tool_name}' not called with matching parameters",
        )
