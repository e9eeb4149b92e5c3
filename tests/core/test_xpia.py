"""XPIA attacks: coercion, lifecycle, readiness, summaries and the turn loop (R-XPIA, R-LOOP)."""

from __future__ import annotations

import asyncio
import logging

import pytest
from rampart.attacks import Attacks, XPIAExecution
from rampart.core.injection import InjectionHandle
from rampart.core.manifest import AppManifest
from rampart.core.prompt_driver import PromptDecision
from rampart.core.result import InjectionRecord, Result, SafetyStatus
from rampart.core.types import ObservabilityLevel, Request, Response, ToolCall, Turn
from rampart.drivers import StaticDriver

from ._model_fakes import (
    DETECTED,
    NOT_DETECTED,
    UNDETERMINED,
    FakeAdapter,
    RecordingHandle,
    ScriptedEvaluator,
    tool_response,
    verdict,
)

TOOLS = ObservabilityLevel.TOOL_AND_SIDE_EFFECTS


# Executions run in-process here; their results stay out of this suite's own summary.
pytestmark = pytest.mark.usefixtures("no_outer_recording")


def run(execution: object, adapter: FakeAdapter) -> Result:
    assert isinstance(execution, XPIAExecution)
    return asyncio.run(execution.execute_async(adapter=adapter))


class CountingDriver:
    def __init__(self, decisions: list[PromptDecision | None] | None = None) -> None:
        self.decisions = decisions
        self.histories: list[list[Turn]] = []

    async def next_prompt_async(self, *, history: list[Turn]) -> PromptDecision | None:
        self.histories.append(history)
        if self.decisions is None:
            return PromptDecision(request=Request(prompt=f"turn {len(history)}"), reasoning="why")
        return self.decisions[len(history)] if len(history) < len(self.decisions) else None


# --- coercion (R-XPIA-1, R-BAD) ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("trigger", "prompts"),
    [
        ("hello", ["hello"]),
        (Request(prompt="req"), ["req"]),
        (["a", "b"], ["a", "b"]),
        ([Request(prompt="x"), Request(prompt="y")], ["x", "y"]),
    ],
)
def test_trigger_coercion_R_XPIA_1(trigger: object, prompts: list[str]) -> None:
    adapter = FakeAdapter()
    execution = Attacks.xpia(
        trigger=trigger,  # type: ignore[arg-type]
        evaluator=ScriptedEvaluator(verdict(NOT_DETECTED)),
    )
    result = run(execution, adapter)
    assert [r.prompt for r in adapter.sessions[0].sent] == prompts
    assert len(result.turns) == len(prompts)


def test_driver_trigger_is_used_as_is_R_XPIA_1() -> None:
    driver = CountingDriver()
    adapter = FakeAdapter()
    result = run(
        Attacks.xpia(trigger=driver, evaluator=ScriptedEvaluator(verdict(NOT_DETECTED))), adapter
    )
    # The default max_turns of Attacks.xpia is 5.
    assert len(result.turns) == 5
    assert len(driver.histories) == 5


@pytest.mark.parametrize("trigger", [("a", "b"), 3, None, {"prompt": "x"}, [1]])
def test_bad_trigger_raises_type_error_R_XPIA_1(trigger: object) -> None:
    with pytest.raises(TypeError, match="str"):
        Attacks.xpia(trigger=trigger, evaluator=ScriptedEvaluator(verdict(DETECTED)))  # type: ignore[arg-type]


def test_inject_coercion_R_XPIA_1() -> None:
    log: list[str] = []
    handle = RecordingHandle("a", log=log)
    single = Attacks.xpia(
        inject=handle, trigger="t", evaluator=ScriptedEvaluator(verdict(DETECTED))
    )
    assert isinstance(single, XPIAExecution)
    assert single.handles == [handle]
    none = Attacks.xpia(trigger="t", evaluator=ScriptedEvaluator(verdict(DETECTED)))
    assert isinstance(none, XPIAExecution)
    assert none.handles == []
    with pytest.raises(TypeError, match="InjectionHandle"):
        Attacks.xpia(inject=[handle, "nope"], trigger="t", evaluator=ScriptedEvaluator())  # type: ignore[list-item]
    with pytest.raises(TypeError, match="InjectionHandle"):
        Attacks.xpia(inject=42, trigger="t", evaluator=ScriptedEvaluator())  # type: ignore[arg-type]


@pytest.mark.parametrize("bad", [True, 2.0, "3", None])
def test_max_turns_type_R_BAD(bad: object) -> None:
    with pytest.raises(TypeError, match="max_turns"):
        Attacks.xpia(trigger="t", evaluator=ScriptedEvaluator(), max_turns=bad)  # type: ignore[arg-type]


@pytest.mark.parametrize("bad", [0, -2])
def test_max_turns_value_R_BAD(bad: int) -> None:
    with pytest.raises(ValueError) as info:
        Attacks.xpia(trigger="t", evaluator=ScriptedEvaluator(), max_turns=bad)
    assert str(info.value) == f"max_turns must be >= 1, got {bad}"


def test_xpia_execution_checks_driver_and_evaluator() -> None:
    with pytest.raises(TypeError, match="PromptDriver"):
        XPIAExecution(driver="prompt", evaluator=ScriptedEvaluator())  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="Evaluator"):
        XPIAExecution(driver=StaticDriver(prompts=["x"]), evaluator=object())  # type: ignore[arg-type]


def test_xpia_execution_default_max_turns_is_25() -> None:
    adapter = FakeAdapter()
    execution = XPIAExecution(
        driver=CountingDriver(), evaluator=ScriptedEvaluator(verdict(NOT_DETECTED))
    )
    assert execution.strategy_name == "xpia"
    assert len(run(execution, adapter).turns) == 25


# --- lifecycle (R-XPIA-2..4) ------------------------------------------------------------------


def test_lifecycle_order_R_XPIA_2() -> None:
    adapter = FakeAdapter()
    handles = [RecordingHandle("a", log=adapter.log), RecordingHandle("b", log=adapter.log)]
    result = run(
        Attacks.xpia(
            inject=handles,
            trigger=["one", "two"],
            evaluator=ScriptedEvaluator(verdict(NOT_DETECTED)),
        ),
        adapter,
    )
    assert adapter.log == [
        "enter a",
        "enter b",
        "ready start a",
        "ready start b",
        "ready a",
        "ready b",
        "session enter",
        "send one",
        "send two",
        "session exit",
        "exit b",
        "exit a",
    ]
    assert result.injections == [
        InjectionRecord(payload_id="payload-a", surface_name="surface-a"),
        InjectionRecord(payload_id="payload-b", surface_name="surface-b"),
    ]


def test_readiness_is_awaited_concurrently_R_XPIA_2() -> None:
    adapter = FakeAdapter()
    handles = [
        RecordingHandle("slow", log=adapter.log, ready_delay=0.05),
        RecordingHandle("fast", log=adapter.log, ready_delay=0.01),
    ]
    run(
        Attacks.xpia(inject=handles, trigger="go", evaluator=ScriptedEvaluator(verdict(DETECTED))),
        adapter,
    )
    assert adapter.log[2:6] == ["ready start slow", "ready start fast", "ready fast", "ready slow"]


def test_readiness_failure_raises_handles_own_error_and_cancels_others_R_XPIA_3() -> None:
    adapter = FakeAdapter()
    slow = RecordingHandle("slow", log=adapter.log, ready_delay=5)
    failing = RecordingHandle("bad", log=adapter.log, ready_error=LookupError("not indexed"))
    result = run(
        Attacks.xpia(
            inject=[slow, failing], trigger="go", evaluator=ScriptedEvaluator(verdict(DETECTED))
        ),
        adapter,
    )
    assert result.status is SafetyStatus.ERROR
    assert result.summary == "LookupError: not indexed"
    assert result.metadata["error_type"] == "LookupError"
    assert slow.ready_cancelled
    assert adapter.sessions == []
    assert adapter.log[-2:] == ["exit bad", "exit slow"]
    assert len(result.injections) == 2


def test_simultaneous_readiness_failures_report_the_first_handle_R_XPIA_3() -> None:
    adapter = FakeAdapter()
    handles = [
        RecordingHandle("a", log=adapter.log, ready_error=KeyError("a failed")),
        RecordingHandle("b", log=adapter.log, ready_error=ValueError("b failed")),
    ]
    result = run(Attacks.xpia(inject=handles, trigger="go", evaluator=ScriptedEvaluator()), adapter)
    assert result.metadata["error_type"] == "KeyError"


def test_single_handle_readiness_failure_R_XPIA_3() -> None:
    adapter = FakeAdapter()
    handle = RecordingHandle("a", log=adapter.log, ready_error=TimeoutError("slow index"))
    result = run(Attacks.xpia(inject=handle, trigger="go", evaluator=ScriptedEvaluator()), adapter)
    assert result.summary == "TimeoutError: slow index"
    assert adapter.log[-1] == "exit a"


def test_readiness_wait_cancelled_by_the_handle_is_an_error() -> None:
    class SelfCancelling(RecordingHandle):
        async def wait_until_ready(self) -> None:
            raise asyncio.CancelledError

    adapter = FakeAdapter()
    handles = [
        SelfCancelling("a", log=adapter.log),
        RecordingHandle("b", log=adapter.log, ready_delay=1),
    ]
    result = run(Attacks.xpia(inject=handles, trigger="go", evaluator=ScriptedEvaluator()), adapter)
    assert result.status is SafetyStatus.ERROR
    assert result.metadata["error_type"] == "InfrastructureError"


def test_enter_failure_exits_earlier_handles_R_XPIA_2() -> None:
    adapter = FakeAdapter()
    first = RecordingHandle("a", log=adapter.log)
    second = RecordingHandle("b", log=adapter.log, enter_error=PermissionError("denied"))
    result = run(
        Attacks.xpia(inject=[first, second], trigger="go", evaluator=ScriptedEvaluator()), adapter
    )
    assert result.status is SafetyStatus.ERROR
    assert result.summary == "PermissionError: denied"
    assert adapter.log == ["enter a", "exit a"]
    assert result.injections == [InjectionRecord(payload_id="payload-a", surface_name="surface-a")]


def test_exit_errors_are_logged_and_swallowed_R_XPIA_4(caplog: pytest.LogCaptureFixture) -> None:
    adapter = FakeAdapter(session_exit_error=RuntimeError("session close failed"))
    handles = [
        RecordingHandle("a", log=adapter.log),
        RecordingHandle("b", log=adapter.log, exit_error=OSError("cleanup failed")),
    ]
    evaluator = ScriptedEvaluator(verdict(DETECTED, evidence=["leak"]))
    with caplog.at_level(logging.ERROR):
        result = run(Attacks.xpia(inject=handles, trigger="go", evaluator=evaluator), adapter)
    assert result.status is SafetyStatus.UNSAFE
    assert adapter.log[-3:] == ["session exit", "exit b", "exit a"]
    assert "session close failed" in caplog.text
    assert "cleanup failed" in caplog.text


def test_original_error_stands_when_exits_fail_R_XPIA_4() -> None:
    adapter = FakeAdapter(send_error=ConnectionResetError("agent died"))
    adapter.session_exit_error = RuntimeError("also broken")
    handle = RecordingHandle("a", log=adapter.log, exit_error=RuntimeError("cleanup broken"))
    result = run(Attacks.xpia(inject=handle, trigger="go", evaluator=ScriptedEvaluator()), adapter)
    assert result.summary == "ConnectionResetError: agent died"
    assert adapter.log[-2:] == ["session exit", "exit a"]


def test_error_mid_loop_keeps_turns_and_injections_R_EXEC_4() -> None:
    adapter = FakeAdapter()
    calls = 0

    def responder(request: Request) -> Response:
        nonlocal calls
        calls += 1
        if calls == 2:
            raise ConnectionError("dropped")
        return Response(text="ok", metadata={"trace": calls})

    adapter.responder = responder
    handle = RecordingHandle("a", log=adapter.log)
    result = run(
        Attacks.xpia(
            inject=handle,
            trigger=["one", "two"],
            evaluator=ScriptedEvaluator(verdict(NOT_DETECTED)),
        ),
        adapter,
    )
    assert result.status is SafetyStatus.ERROR
    assert result.strategy == "xpia"
    assert [t.request.prompt for t in result.turns] == ["one"]
    assert result.injections == [InjectionRecord(payload_id="payload-a", surface_name="surface-a")]
    assert result.metadata == {"trace": 1, "error": "dropped", "error_type": "ConnectionError"}
    assert adapter.log[-2:] == ["session exit", "exit a"]


def test_cancellation_runs_cleanup_and_propagates_R_EXEC_6() -> None:
    adapter = FakeAdapter()
    handle = RecordingHandle("a", log=adapter.log)

    class Hanging(CountingDriver):
        async def next_prompt_async(self, *, history: list[Turn]) -> PromptDecision | None:
            await asyncio.sleep(10)
            return None

    execution = Attacks.xpia(inject=handle, trigger=Hanging(), evaluator=ScriptedEvaluator())

    async def main() -> None:
        await asyncio.wait_for(execution.execute_async(adapter=adapter), timeout=0.05)

    with pytest.raises(TimeoutError):
        asyncio.run(main())
    assert adapter.log == [
        "enter a",
        "ready start a",
        "ready a",
        "session enter",
        "session exit",
        "exit a",
    ]


def test_cancellation_during_readiness_cancels_waits() -> None:
    adapter = FakeAdapter()
    handles = [
        RecordingHandle("a", log=adapter.log, ready_delay=10),
        RecordingHandle("b", log=adapter.log, ready_delay=10),
    ]
    execution = Attacks.xpia(inject=handles, trigger="go", evaluator=ScriptedEvaluator())

    async def main() -> None:
        await asyncio.wait_for(execution.execute_async(adapter=adapter), timeout=0.05)

    with pytest.raises(TimeoutError):
        asyncio.run(main())
    assert all(h.ready_cancelled for h in handles)
    assert adapter.log[-2:] == ["exit b", "exit a"]


# --- the loop (R-LOOP) ------------------------------------------------------------------------


def test_loop_stops_at_first_detection_R_LOOP_1() -> None:
    adapter = FakeAdapter(app_manifest=AppManifest(name="bot"))
    evaluator = ScriptedEvaluator(verdict(NOT_DETECTED), verdict(DETECTED), verdict(NOT_DETECTED))
    driver = CountingDriver()
    result = run(Attacks.xpia(trigger=driver, evaluator=evaluator, max_turns=5), adapter)
    assert [t.turn_number for t in result.turns] == [0, 1]
    assert [t.driver_reasoning for t in result.turns] == ["why", "why"]
    assert [len(h) for h in driver.histories] == [0, 1]
    assert all(c.manifest is adapter.app_manifest for c in evaluator.contexts)
    assert [len(c.turns) for c in evaluator.contexts] == [1, 2]
    assert result.status is SafetyStatus.UNSAFE


def test_driver_none_stops_and_exhaustion_is_not_error_R_LOOP_2() -> None:
    adapter = FakeAdapter()
    driver = CountingDriver([PromptDecision(request=Request(prompt="only")), None])
    result = run(
        Attacks.xpia(trigger=driver, evaluator=ScriptedEvaluator(verdict(NOT_DETECTED))), adapter
    )
    assert len(result.turns) == 1
    exhausted = run(
        Attacks.xpia(
            trigger=CountingDriver(),
            evaluator=ScriptedEvaluator(verdict(NOT_DETECTED)),
            max_turns=2,
        ),
        FakeAdapter(),
    )
    assert len(exhausted.turns) == 2
    assert exhausted.status is SafetyStatus.SAFE


def test_zero_turns_is_error_R_LOOP_3() -> None:
    adapter = FakeAdapter()
    handle = RecordingHandle("a", log=adapter.log)
    result = run(Attacks.xpia(inject=handle, trigger=[], evaluator=ScriptedEvaluator()), adapter)
    assert result.status is SafetyStatus.ERROR
    assert result.summary == "ERROR: driver produced no prompt"
    assert result.metadata == {"error": "driver produced no prompt", "error_type": "NoTurns"}
    assert result.strategy == "xpia"
    assert len(result.injections) == 1


def test_driver_returning_wrong_type_is_error() -> None:
    class Wrong:
        async def next_prompt_async(self, *, history: list[Turn]) -> PromptDecision | None:
            return Request(prompt="x")  # type: ignore[return-value]

    result = run(Attacks.xpia(trigger=Wrong(), evaluator=ScriptedEvaluator()), FakeAdapter())
    assert result.status is SafetyStatus.ERROR
    assert result.metadata["error_type"] == "DriverError"


# --- result shape (R-XPIA-5..7) ---------------------------------------------------------------


def test_result_shape_and_single_turn_metadata_R_XPIA_5() -> None:
    adapter = FakeAdapter(profile=ObservabilityLevel.TOOL_ONLY)
    adapter.responder = lambda r: Response(text="x", metadata={"run": r.prompt})
    result = run(
        Attacks.xpia(trigger=["a", "b"], evaluator=ScriptedEvaluator(verdict(NOT_DETECTED))),
        adapter,
    )
    assert result.strategy == "xpia"
    assert result.observability_level is ObservabilityLevel.TOOL_ONLY
    assert result.metadata == {"turn_0": {"run": "a"}, "turn_1": {"run": "b"}}
    adapter.responder = lambda r: Response(text="x", metadata={"run": 1} if r.prompt == "b" else {})
    single = run(
        Attacks.xpia(trigger=["a", "b"], evaluator=ScriptedEvaluator(verdict(NOT_DETECTED))),
        adapter,
    )
    assert single.metadata == {"run": 1}


def test_safe_summary_R_XPIA_6() -> None:
    result = run(
        Attacks.xpia(trigger="go", evaluator=ScriptedEvaluator(verdict(NOT_DETECTED))),
        FakeAdapter(),
    )
    assert result.status is SafetyStatus.SAFE
    assert result.summary == "Agent defended successfully"
    assert result.injections == []


def test_unsafe_summary_lists_three_evidence_items_R_XPIA_6() -> None:
    evaluator = ScriptedEvaluator(verdict(DETECTED, evidence=["e1", "e2", "e3", "e4"]))
    result = run(Attacks.xpia(trigger="go", evaluator=evaluator), FakeAdapter())
    assert result.summary == "Attack objective detected: e1; e2; e3"
    bare = run(
        Attacks.xpia(trigger="go", evaluator=ScriptedEvaluator(verdict(DETECTED))), FakeAdapter()
    )
    assert bare.summary == "Attack objective detected"


def test_undetermined_summary_R_XPIA_6() -> None:
    evaluator = ScriptedEvaluator(
        verdict(UNDETERMINED, rationale="r1"),
        verdict(UNDETERMINED, rationale=""),
        verdict(UNDETERMINED, rationale="r2"),
        verdict(UNDETERMINED, rationale="r3"),
    )
    result = run(Attacks.xpia(trigger=["a", "b", "c", "d"], evaluator=evaluator), FakeAdapter())
    assert result.status is SafetyStatus.UNDETERMINED
    assert result.summary == "Evaluation undetermined: r1; r2"
    silent = run(
        Attacks.xpia(trigger="a", evaluator=ScriptedEvaluator(verdict(UNDETERMINED))), FakeAdapter()
    )
    assert silent.summary == "Evaluation undetermined: Insufficient observability"


def test_response_only_without_tool_calls_downgrades_safe_R_XPIA_7() -> None:
    adapter = FakeAdapter(profile=ObservabilityLevel.RESPONSE_ONLY)
    result = run(
        Attacks.xpia(
            trigger="go", evaluator=ScriptedEvaluator(verdict(NOT_DETECTED, rationale="clean"))
        ),
        adapter,
    )
    assert result.status is SafetyStatus.UNDETERMINED
    assert result.summary == "Evaluation undetermined: Insufficient observability"
    assert result.observability_level is ObservabilityLevel.RESPONSE_ONLY


def test_no_downgrade_with_tool_calls_or_richer_profile_R_XPIA_7() -> None:
    with_calls = FakeAdapter(profile=ObservabilityLevel.RESPONSE_ONLY)
    with_calls.responder = lambda r: tool_response("x", "lookup")
    result = run(
        Attacks.xpia(trigger="go", evaluator=ScriptedEvaluator(verdict(NOT_DETECTED))), with_calls
    )
    assert result.status is SafetyStatus.SAFE
    tool_only = FakeAdapter(profile=ObservabilityLevel.TOOL_ONLY)
    result = run(
        Attacks.xpia(trigger="go", evaluator=ScriptedEvaluator(verdict(NOT_DETECTED))), tool_only
    )
    assert result.status is SafetyStatus.SAFE
    unsafe = run(
        Attacks.xpia(trigger="go", evaluator=ScriptedEvaluator(verdict(DETECTED))),
        FakeAdapter(profile=ObservabilityLevel.RESPONSE_ONLY),
    )
    assert unsafe.status is SafetyStatus.UNSAFE


def test_structural_handles_are_accepted() -> None:
    log: list[str] = []

    class Plain:
        payload_id = None
        surface_name = "plain"

        async def wait_until_ready(self) -> None:
            log.append("ready")

        async def __aenter__(self) -> Plain:
            log.append("enter")
            return self

        async def __aexit__(self, *args: object) -> None:
            log.append("exit")

    handle = Plain()
    assert isinstance(handle, InjectionHandle)
    result = run(
        Attacks.xpia(
            inject=handle, trigger="go", evaluator=ScriptedEvaluator(verdict(NOT_DETECTED))
        ),
        FakeAdapter(),
    )
    assert log == ["enter", "ready", "exit"]
    assert result.injections == [InjectionRecord(payload_id=None, surface_name="plain")]


def test_tool_calls_in_response_are_kept() -> None:
    adapter = FakeAdapter()
    adapter.responder = lambda r: Response(text="x", tool_calls=[ToolCall(name="send")])
    result = run(
        Attacks.xpia(trigger="go", evaluator=ScriptedEvaluator(verdict(NOT_DETECTED))), adapter
    )
    assert result.turns[0].response.tool_calls[0].name == "send"


def test_non_awaitable_readiness_is_an_error_and_cancels_started_waits() -> None:
    class SyncReady(RecordingHandle):
        def wait_until_ready(self) -> None:  # type: ignore[override]
            return None

    adapter = FakeAdapter()
    slow = RecordingHandle("slow", log=adapter.log, ready_delay=5)
    handles = [slow, SyncReady("sync", log=adapter.log)]
    result = run(Attacks.xpia(inject=handles, trigger="go", evaluator=ScriptedEvaluator()), adapter)
    assert result.status is SafetyStatus.ERROR
    assert result.metadata["error_type"] == "TypeError"
    assert adapter.log[-2:] == ["exit sync", "exit slow"]
