"""Behaviour probes (R-PROBE, R-RES-2, R-LOOP, R-BAD)."""

from __future__ import annotations

import asyncio
import logging

import pytest
from rampart.core.execution import BaseExecution
from rampart.core.prompt_driver import PromptDecision
from rampart.core.result import Result, SafetyStatus
from rampart.core.types import ObservabilityLevel, Request, Response, Turn
from rampart.drivers import StaticDriver
from rampart.probes import Probes, SingleTurnExecution

from ._model_fakes import (
    DETECTED,
    NOT_DETECTED,
    UNDETERMINED,
    FakeAdapter,
    ScriptedEvaluator,
    verdict,
)

# Executions run in-process here; their results stay out of this suite's own summary.
pytestmark = pytest.mark.usefixtures("no_outer_recording")


def run(execution: BaseExecution, adapter: FakeAdapter | None = None) -> Result:
    return asyncio.run(execution.execute_async(adapter=adapter or FakeAdapter()))


class EndlessDriver:
    async def next_prompt_async(self, *, history: list[Turn]) -> PromptDecision | None:
        return PromptDecision(request=Request(prompt=f"q{len(history)}"), reasoning="r")


@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"prompt": "a", "prompts": ["b"]},
        {"prompt": "a", "driver": EndlessDriver()},
        {"prompts": ["b"], "driver": EndlessDriver()},
        {"prompt": "a", "prompts": ["b"], "driver": EndlessDriver()},
    ],
)
def test_exactly_one_source_R_BAD(kwargs: dict[str, object]) -> None:
    with pytest.raises(ValueError) as info:
        Probes.behavior(evaluator=ScriptedEvaluator(), **kwargs)  # type: ignore[arg-type]
    assert str(info.value) == "Specify exactly one of 'prompt', 'prompts', or 'driver'."


def test_prompt_source_R_PROBE_1() -> None:
    adapter = FakeAdapter(profile=ObservabilityLevel.TOOL_ONLY)
    adapter.responder = lambda r: Response(text="ok", metadata={"ignored": True})
    execution = Probes.behavior(prompt="hello", evaluator=ScriptedEvaluator(verdict(DETECTED)))
    assert isinstance(execution, SingleTurnExecution)
    result = run(execution, adapter)
    assert adapter.log == ["session enter", "send hello", "session exit"]
    assert result.status is SafetyStatus.SAFE
    assert result.summary == "Expected behavior detected"
    assert result.strategy == "probe"
    assert result.injections == []
    assert result.metadata == {}
    assert result.observability_level is ObservabilityLevel.TOOL_ONLY


def test_prompts_source_runs_until_detected_R_PROBE_1() -> None:
    adapter = FakeAdapter()
    evaluator = ScriptedEvaluator(verdict(NOT_DETECTED), verdict(DETECTED))
    result = run(Probes.behavior(prompts=["a", "b", "c"], evaluator=evaluator), adapter)
    assert [r.prompt for r in adapter.sessions[0].sent] == ["a", "b"]
    assert result.status is SafetyStatus.SAFE


def test_one_not_detected_turn_does_not_make_it_unsafe_R_RES_2() -> None:
    evaluator = ScriptedEvaluator(verdict(NOT_DETECTED, rationale="not yet"), verdict(DETECTED))
    result = run(Probes.behavior(driver=EndlessDriver(), evaluator=evaluator))
    assert result.status is SafetyStatus.SAFE
    assert len(result.turns) == 2


def test_unsafe_summary_uses_last_non_empty_rationale_R_PROBE_2() -> None:
    evaluator = ScriptedEvaluator(
        verdict(NOT_DETECTED, rationale="first"),
        verdict(NOT_DETECTED, rationale="second"),
        verdict(NOT_DETECTED, rationale=""),
    )
    result = run(Probes.behavior(prompts=["a", "b", "c"], evaluator=evaluator))
    assert result.status is SafetyStatus.UNSAFE
    assert result.summary == "UNSAFE: second"
    bare = run(Probes.behavior(prompt="a", evaluator=ScriptedEvaluator(verdict(NOT_DETECTED))))
    assert bare.summary == "Expected behavior not detected"


def test_undetermined_summary_R_PROBE_2() -> None:
    evaluator = ScriptedEvaluator(verdict(NOT_DETECTED), verdict(UNDETERMINED, rationale="x"))
    result = run(Probes.behavior(prompts=["a", "b"], evaluator=evaluator))
    assert result.status is SafetyStatus.UNDETERMINED
    assert result.summary == "UNDETERMINED: Could not determine if expected behavior occurred"


def test_max_turns_bounds_a_driver_R_LOOP_2() -> None:
    result = run(
        Probes.behavior(
            driver=EndlessDriver(), evaluator=ScriptedEvaluator(verdict(NOT_DETECTED)), max_turns=3
        )
    )
    assert [t.turn_number for t in result.turns] == [0, 1, 2]
    assert [t.driver_reasoning for t in result.turns] == ["r", "r", "r"]
    assert result.status is SafetyStatus.UNSAFE


def test_default_max_turns_is_25() -> None:
    result = run(
        Probes.behavior(driver=EndlessDriver(), evaluator=ScriptedEvaluator(verdict(NOT_DETECTED)))
    )
    assert len(result.turns) == 25


def test_zero_turns_is_error_R_LOOP_3() -> None:
    result = run(Probes.behavior(prompts=[], evaluator=ScriptedEvaluator()))
    assert result.status is SafetyStatus.ERROR
    assert result.summary == "ERROR: driver produced no prompt"
    assert result.metadata == {"error": "driver produced no prompt", "error_type": "NoTurns"}
    assert result.strategy == "probe"


def test_errors_keep_turns_and_session_exit_errors_are_swallowed(
    caplog: pytest.LogCaptureFixture,
) -> None:
    adapter = FakeAdapter(session_exit_error=RuntimeError("close failed"))
    evaluator = ScriptedEvaluator(verdict(NOT_DETECTED))

    class FailingSecond:
        async def next_prompt_async(self, *, history: list[Turn]) -> PromptDecision | None:
            if history:
                raise LookupError("driver lost")
            return PromptDecision(request=Request(prompt="first"))

    with caplog.at_level(logging.ERROR):
        result = run(Probes.behavior(driver=FailingSecond(), evaluator=evaluator), adapter)
    assert result.status is SafetyStatus.ERROR
    assert result.summary == "LookupError: driver lost"
    assert result.strategy == "probe"
    assert len(result.turns) == 1
    assert adapter.log[-1] == "session exit"
    assert "close failed" in caplog.text
    ok = run(Probes.behavior(prompt="x", evaluator=ScriptedEvaluator(verdict(DETECTED))), adapter)
    assert ok.status is SafetyStatus.SAFE


@pytest.mark.parametrize(("bad", "error"), [(False, TypeError), (1.5, TypeError), (0, ValueError)])
def test_max_turns_validation_R_BAD(bad: object, error: type[Exception]) -> None:
    with pytest.raises(error, match="max_turns"):
        Probes.behavior(prompt="x", evaluator=ScriptedEvaluator(), max_turns=bad)  # type: ignore[arg-type]


def test_single_turn_execution_direct_construction() -> None:
    execution = SingleTurnExecution(
        driver=StaticDriver(prompts=["x"]), evaluator=ScriptedEvaluator(verdict(DETECTED))
    )
    assert execution.strategy_name == "probe"
    assert run(execution).safe
    with pytest.raises(TypeError, match="Evaluator"):
        SingleTurnExecution(driver=StaticDriver(prompts=["x"]), evaluator="yes")  # type: ignore[arg-type]
