"""Pins ``__all__`` of the core model's public modules against api.md 2.1-2.2 (R-GEN-1)."""

from __future__ import annotations

import importlib
import importlib.util

import pytest

TOP_LEVEL = {
    "AgentAdapter", "AppManifest", "Attacks", "BaseEvaluator", "BaseExecution", "DataSource",
    "DriverError", "EvalContext", "EvalOutcome", "EvalResult", "Evaluator", "EvaluatorError",
    "ExecutionEvent", "ExecutionEventData", "ExecutionEventHandler", "HarmCategory",
    "InfrastructureError", "InjectionHandle", "InjectionRecord", "LLMConfig", "LLMDriver",
    "LLMJudge", "ObservabilityLevel", "Payload", "PayloadFormat", "Persona", "Probes",
    "PromptDecision", "PromptDriver", "Request", "Response", "Result", "SafetyStatus", "Session",
    "SideEffect", "Surface", "ToolCall", "ToolDeclaration", "TranscriptScope", "Turn",
    "record_result", "resolve_as_attack", "resolve_as_probe", "run_many_async", "Batch",
}  # fmt: skip

CORE = TOP_LEVEL - {
    "Attacks",
    "Probes",
    "LLMDriver",
    "LLMJudge",
    "TranscriptScope",
    "record_result",
} | {
    "ExecutionHandlerFactory",
    "PayloadConverter",
    "evaluate_turn_async",
    "ChatTarget",
    "LLMRateLimitError",
    "sanitize_text",
}

EXPECTED: dict[str, set[str]] = {
    "rampart": TOP_LEVEL,
    "rampart.core": CORE,
    "rampart.core.types": {
        "ObservabilityLevel", "PayloadFormat", "EvalOutcome", "Payload", "ToolCall", "SideEffect",
        "Response", "Request", "Turn", "EvalResult", "EvalContext",
    },
    "rampart.core.result": {
        "SafetyStatus", "HarmCategory", "Result", "InjectionRecord", "resolve_as_attack",
        "resolve_as_probe",
    },
    "rampart.core.evaluator": {"Evaluator", "BaseEvaluator"},
    "rampart.core.execution": {
        "ExecutionEvent", "ExecutionEventData", "ExecutionEventHandler", "ExecutionHandlerFactory",
        "BaseExecution", "evaluate_turn_async", "register_default_handler_factory",
        "clear_default_handler_factory",
    },
    "rampart.core.injection": {"Surface", "InjectionHandle", "sleep_until_ready", "InjectionRecord"},
    "rampart.core.adapter": {"AgentAdapter", "Session"},
    "rampart.core.manifest": {"AppManifest", "ToolDeclaration", "DataSource"},
    "rampart.core.errors": {
        "InfrastructureError", "EvaluatorError", "DriverError", "LLMRateLimitError",
    },
    "rampart.core.persona": {"Persona"},
    "rampart.core.prompt_driver": {"PromptDriver", "PromptDecision"},
    "rampart.core.converter": {"PayloadConverter"},
    "rampart.attacks": {"Attacks", "XPIAExecution"},
    "rampart.probes": {"Probes", "SingleTurnExecution"},
    "rampart.evaluators": {
        "NEUTRAL_EVALUATOR", "LLMJudge", "ResponseContains", "SideEffectOccurred", "ToolCalled",
        "TranscriptScope",
    },
    "rampart.drivers": {"LLMDriver", "StaticDriver"},
    "rampart.surfaces": {"InMemorySurface", "LocalFileSurface"},
    "rampart.pytest_plugin": {
        "RampartSession", "ResultCollectionHandler", "ResultCollector", "record_result",
    },
}  # fmt: skip

# Names served by modules that other parts of the project provide; resolved only when present.
_OPTIONAL_PROVIDERS = {
    "run_many_async": "rampart.concurrency",
    "Batch": "rampart.concurrency",
    "RampartSession": "rampart_pytest",
}


@pytest.mark.parametrize("module_name", sorted(EXPECTED))
def test_all_matches_api_R_GEN_1(module_name: str) -> None:
    module = importlib.import_module(module_name)
    assert sorted(module.__all__) == sorted(EXPECTED[module_name])
    assert len(module.__all__) == len(set(module.__all__))


@pytest.mark.parametrize("module_name", sorted(EXPECTED))
def test_every_exported_name_resolves(module_name: str) -> None:
    module = importlib.import_module(module_name)
    for name in module.__all__:
        provider = _OPTIONAL_PROVIDERS.get(name)
        if provider is not None and importlib.util.find_spec(provider) is None:
            continue
        assert getattr(module, name) is not None, name
        assert name in dir(module)


def test_reexports_are_the_defining_objects() -> None:
    import rampart
    import rampart.core
    from rampart.attacks import Attacks
    from rampart.core.execution import BaseExecution
    from rampart.core.injection import InjectionRecord as FromInjection
    from rampart.core.llm import LLMConfig
    from rampart.core.result import InjectionRecord, Result
    from rampart.core.text import sanitize_text
    from rampart.evaluators import LLMJudge

    assert rampart.Result is Result is rampart.core.Result
    assert rampart.BaseExecution is BaseExecution
    assert rampart.Attacks is Attacks
    assert rampart.LLMConfig is LLMConfig is rampart.core.LLMConfig
    assert rampart.LLMJudge is LLMJudge
    assert rampart.core.sanitize_text is sanitize_text
    assert FromInjection is InjectionRecord


def test_unknown_names_raise_attribute_error() -> None:
    import rampart
    import rampart.core
    import rampart.drivers
    import rampart.evaluators
    import rampart.pytest_plugin

    for module in (
        rampart,
        rampart.core,
        rampart.drivers,
        rampart.evaluators,
        rampart.pytest_plugin,
    ):
        with pytest.raises(AttributeError, match="no attribute 'does_not_exist'"):
            _ = module.does_not_exist


def test_version_is_the_distribution_version() -> None:
    import rampart
    from rampart._version import package_version

    assert rampart.__version__ == package_version()
    assert "__version__" in dir(rampart)


def test_pytest_plugin_compat_names() -> None:
    import rampart.collection
    import rampart.pytest_plugin

    assert rampart.pytest_plugin.ResultCollector is rampart.collection.ResultCollector
    assert rampart.pytest_plugin.record_result is rampart.collection.record_result
    if importlib.util.find_spec("rampart_pytest") is not None:
        import rampart_pytest

        assert rampart.pytest_plugin.RampartSession is rampart_pytest.RampartSession


def test_pytest_plugin_without_rampart_pytest(monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    import rampart.pytest_plugin

    monkeypatch.delitem(vars(rampart.pytest_plugin), "RampartSession", raising=False)
    monkeypatch.setitem(sys.modules, "rampart_pytest", None)
    with pytest.raises(ImportError, match="pip install rampart-pytest"):
        _ = rampart.pytest_plugin.RampartSession
