"""RAMPART: safety and security testing for agentic AI applications.

Every public name is resolved on first access, so ``import rampart`` stays cheap and pulls in
neither asyncio nor any optional dependency.
"""

from __future__ import annotations

# Spelled out instead of imported from ``typing``, which alone would cost more than the rest
# of ``import rampart``; type checkers treat the name the same way.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Mapping
    from typing import Any

    from rampart.attacks import Attacks
    from rampart.collection import record_result
    from rampart.concurrency import Batch, run_many_async
    from rampart.core.adapter import AgentAdapter, Session
    from rampart.core.errors import DriverError, EvaluatorError, InfrastructureError
    from rampart.core.evaluator import BaseEvaluator, Evaluator
    from rampart.core.execution import (
        BaseExecution,
        ExecutionEvent,
        ExecutionEventData,
        ExecutionEventHandler,
    )
    from rampart.core.injection import InjectionHandle, Surface
    from rampart.core.llm import LLMConfig
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
    from rampart.drivers import LLMDriver
    from rampart.evaluators import LLMJudge, TranscriptScope
    from rampart.probes import Probes

__all__ = [
    "AgentAdapter",
    "AppManifest",
    "Attacks",
    "BaseEvaluator",
    "BaseExecution",
    "Batch",
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
    "HarmCategory",
    "InfrastructureError",
    "InjectionHandle",
    "InjectionRecord",
    "LLMConfig",
    "LLMDriver",
    "LLMJudge",
    "ObservabilityLevel",
    "Payload",
    "PayloadFormat",
    "Persona",
    "Probes",
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
    "TranscriptScope",
    "Turn",
    "record_result",
    "resolve_as_attack",
    "resolve_as_probe",
    "run_many_async",
]

_SOURCES = {
    "rampart.attacks": ("Attacks",),
    "rampart.collection": ("record_result",),
    "rampart.concurrency": ("Batch", "run_many_async"),
    "rampart.core.adapter": ("AgentAdapter", "Session"),
    "rampart.core.errors": ("DriverError", "EvaluatorError", "InfrastructureError"),
    "rampart.core.evaluator": ("BaseEvaluator", "Evaluator"),
    "rampart.core.execution": (
        "BaseExecution",
        "ExecutionEvent",
        "ExecutionEventData",
        "ExecutionEventHandler",
    ),
    "rampart.core.injection": ("InjectionHandle", "Surface"),
    "rampart.core.llm": ("LLMConfig",),
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
    "rampart.drivers": ("LLMDriver",),
    "rampart.evaluators": ("LLMJudge", "TranscriptScope"),
    "rampart.probes": ("Probes",),
}


# The lazy re-export machinery of every rampart package lives here rather than in a module of
# its own: ``rampart`` is loaded before any of its subpackages anyway, so sharing it is free.
def _lazy_exports(
    namespace: dict[str, Any],
    exports: Mapping[str, str],
    *,
    computed: Mapping[str, Callable[[], object]] | None = None,
) -> tuple[Callable[[str], object], Callable[[], list[str]]]:
    """Build a package's ``__getattr__`` and ``__dir__`` from a name -> defining-module map.

    ``namespace`` is the package's ``globals()``; a resolved name is stored there so the next
    access skips ``__getattr__``. ``computed`` names are worked out on every access instead
    (``rampart.__version__`` reads the installed metadata) and are listed by ``__dir__`` too.
    """
    extra = dict(computed or {})
    package = namespace["__name__"]

    def __getattr__(name: str) -> object:
        compute = extra.get(name)
        if compute is not None:
            return compute()
        module = exports.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        from importlib import import_module

        value = getattr(import_module(module), name)
        namespace[name] = value
        return value

    def __dir__() -> list[str]:
        return sorted({*namespace, *namespace.get("__all__", ()), *extra})

    return __getattr__, __dir__


def _by_module(sources: Mapping[str, tuple[str, ...]]) -> dict[str, str]:
    """Turn a defining-module -> names table (compact for long lists) into name -> module."""
    return {name: module for module, names in sources.items() for name in names}


def _version() -> str:
    from rampart._version import package_version

    return package_version() or "0+unknown"


__getattr__, __dir__ = _lazy_exports(
    globals(), _by_module(_SOURCES), computed={"__version__": _version}
)
