"""Ready-made evaluators: deterministic checks and the LLM judge."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rampart import _lazy_exports
from rampart.evaluators._response_contains import ResponseContains
from rampart.evaluators._side_effect import SideEffectOccurred
from rampart.evaluators._tool_called import ToolCalled

if TYPE_CHECKING:
    from rampart.evaluators._llm_judge import NEUTRAL_EVALUATOR, LLMJudge, TranscriptScope

__all__ = [
    "NEUTRAL_EVALUATOR",
    "LLMJudge",
    "ResponseContains",
    "SideEffectOccurred",
    "ToolCalled",
    "TranscriptScope",
]

# Resolved on access: the judge's module is only worth importing when it is used.
_LAZY = {
    "LLMJudge": "rampart.evaluators._llm_judge",
    "NEUTRAL_EVALUATOR": "rampart.evaluators._llm_judge",
    "TranscriptScope": "rampart.evaluators._llm_judge",
}


__getattr__, __dir__ = _lazy_exports(globals(), _LAZY)
