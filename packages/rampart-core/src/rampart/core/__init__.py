"""The core model of RAMPART: data types, protocols, evaluators and the execution lifecycle.

Names are resolved on first access so that importing the package stays cheap.
"""

from __future__ import annotations

from rampart import _by_module, _lazy_exports

# Spelled out instead of imported from ``typing``, which alone would cost more than the rest
# of ``import rampart``; type checkers treat the name the same way.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from rampart.concurrency import Batch, run_many_async
    from rampart.core.adapter import AgentAdapter, Session
    from rampart.core.converter import PayloadConverter
    from rampart.core.errors import (
        DriverError,
        EvaluatorError,
        InfrastructureError,
        LLMRateLimitError,
    )
    from rampart.core.evaluator import BaseEvaluator, Evaluator
    from rampart.core.execution import (
        BaseExecution,
        ExecutionEvent,
        ExecutionEventData,
        ExecutionEventHandler,
        ExecutionHandlerFactory,
        evaluate_turn_async,
    )
    from rampart.core.injection import InjectionHandle, Surface
    from rampart.core.llm import ChatTarget, LLMConfig
    from rampart.core.manifest import AppManifest, DataSource, ToolDeclaration
    from rampart.core.persona import Persona
    from rampart.core.prompt_driver import PromptDecision, PromptDriver
    from rampart.core.result import (
        HarmCategory,
        InjectionRecord,
        Result,
        SafetyStatus,
        resolve_as_attack,
        resolve_as_probe,
    )
    from rampart.core.text import sanitize_text
    from rampart.core.types import (
        EvalContext,
        EvalOutcome,
        EvalResult,
        ObservabilityLevel,
        Payload,
        PayloadFormat,
        Request,
        Response,
        SideEffect,
        ToolCall,
        Turn,
    )

__all__ = [
    "AgentAdapter",
    "AppManifest",
    "BaseEvaluator",
    "BaseExecution",
    "Batch",
    "ChatTarget",
    "DataSource",
    "DriverError",
    "EvalContext",
    "EvalOutcome",
    "EvalResult",
    "Evaluator",
    "EvaluatorError",
    "ExecutionEvent",
    "ExecutionEventData",
    "ExecutionEventHandler",
    "ExecutionHandlerFactory",
    "HarmCategory",
    "InfrastructureError",
    "InjectionHandle",
    "InjectionRecord",
    "LLMConfig",
    "LLMRateLimitError",
    "ObservabilityLevel",
    "Payload",
    "PayloadConverter",
    "PayloadFormat",
    "Persona",
    "PromptDecision",
    "PromptDriver",
    "Request",
    "Response",
    "Result",
    "SafetyStatus",
    "Session",
    "SideEffect",
    "Surface",
    "ToolCall",
    "ToolDeclaration",
    "Turn",
    "evaluate_turn_async",
    "resolve_as_attack",
    "resolve_as_probe",
    "run_many_async",
    "sanitize_text",
]

_SOURCES = {
    "rampart.core.adapter": ("AgentAdapter", "Session"),
    "rampart.core.converter": ("PayloadConverter",),
    "rampart.core.errors": (
        "DriverError",
        "EvaluatorError",
        "InfrastructureError",
        "LLMRateLimitError",
    ),
    "rampart.core.evaluator": ("BaseEvaluator", "Evaluator"),
    "rampart.core.execution": (
        "BaseExecution",
        "ExecutionEvent",
        "ExecutionEventData",
        "ExecutionEventHandler",
        "ExecutionHandlerFactory",
        "evaluate_turn_async",
    ),
    "rampart.core.injection": ("InjectionHandle", "Surface"),
    "rampart.core.llm": ("ChatTarget", "LLMConfig"),
    "rampart.core.manifest": ("AppManifest", "DataSource", "ToolDeclaration"),
    "rampart.core.persona": ("Persona",),
    "rampart.core.prompt_driver": ("PromptDecision", "PromptDriver"),
    "rampart.core.result": (
        "HarmCategory",
        "InjectionRecord",
        "Result",
        "SafetyStatus",
        "resolve_as_attack",
        "resolve_as_probe",
    ),
    "rampart.core.text": ("sanitize_text",),
    "rampart.core.types": (
        "EvalContext",
        "EvalOutcome",
        "EvalResult",
        "ObservabilityLevel",
        "Payload",
        "PayloadFormat",
        "Request",
        "Response",
        "SideEffect",
        "ToolCall",
        "Turn",
    ),
    "rampart.concurrency": ("Batch", "run_many_async"),
}
__getattr__, __dir__ = _lazy_exports(globals(), _by_module(_SOURCES))
