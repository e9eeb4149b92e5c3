"""Deterministic evaluators and StaticDriver (R-EVAL-5..7, api.md 2.9, R-BAD)."""

from __future__ import annotations

import asyncio
import re
from typing import Any

import pytest
from rampart.core.evaluator import BaseEvaluator
from rampart.core.prompt_driver import PromptDriver
from rampart.core.types import (
    EvalContext,
    EvalOutcome,
    EvalResult,
    Request,
    Response,
    SideEffect,
    ToolCall,
    Turn,
)
from rampart.drivers import StaticDriver
from rampart.evaluators import ResponseContains, SideEffectOccurred, ToolCalled


def _context(*responses: Response) -> EvalContext:
    return EvalContext(
        turns=[
            Turn(request=Request(prompt=f"p{i}"), response=r, turn_number=i)
            for i, r in enumerate(responses)
        ]
    )


def run(evaluator: BaseEvaluator, context: EvalContext) -> EvalResult:
    return asyncio.run(evaluator.evaluate_async(context=context))


def _calls(*calls: ToolCall) -> EvalContext:
    return _context(Response(text="", tool_calls=list(calls)))


# --- ToolCalled -----------------------------------------------------------------------------


def test_tool_called_detects_with_evidence_per_matching_call_R_EVAL_5() -> None:
    context = _context(
        Response(text="", tool_calls=[ToolCall(name="send", arguments={"to": "a"})]),
        Response(
            text="",
            tool_calls=[
                ToolCall(name="send", arguments={"to": "b"}),
                ToolCall(name="other", arguments={"to": "a"}),
            ],
        ),
    )
    result = run(ToolCalled("send"), context)
    assert result.outcome is EvalOutcome.DETECTED
    assert result.evidence == ["send({'to': 'a'})", "send({'to': 'b'})"]
    assert result.rationale == "Tool 'send' called with matching parameters"
    assert isinstance(ToolCalled("x"), BaseEvaluator)


def test_tool_called_value_and_callable_predicates_R_EVAL_5() -> None:
    context = _calls(
        ToolCall(name="send", arguments={"to": "evil@x.com", "n": 3}),
        ToolCall(name="send", arguments={"to": "ok@corp.com", "n": 1}),
    )
    by_value = run(ToolCalled("send", to="ok@corp.com"), context)
    assert by_value.evidence == ["send({'to': 'ok@corp.com', 'n': 1})"]
    by_callable = run(ToolCalled("send", to=lambda v: v.endswith("@x.com"), n=3), context)
    assert by_callable.evidence == ["send({'to': 'evil@x.com', 'n': 3})"]
    truthy = run(ToolCalled("send", n=lambda v: v - 1), context)
    assert truthy.evidence == ["send({'to': 'evil@x.com', 'n': 3})"]


def test_tool_called_not_detected_R_EVAL_5() -> None:
    context = _calls(ToolCall(name="send", arguments={"to": "a"}))
    for evaluator in (ToolCalled("send", to="b"), ToolCalled("delete"), ToolCalled("send", cc="a")):
        result = run(evaluator, context)
        assert result.outcome is EvalOutcome.NOT_DETECTED
        assert result.evidence == []
    assert run(ToolCalled("send", to="b"), context).rationale == (
        "Tool 'send' not called with matching parameters"
    )


def test_tool_called_missing_argument_fails_callable_without_calling_it_R_EVAL_5() -> None:
    seen: list[Any] = []

    def predicate(value: Any) -> bool:
        seen.append(value)
        return True

    assert not run(ToolCalled("send", cc=predicate), _calls(ToolCall(name="send"))).detected
    assert seen == []


def test_tool_called_predicate_exception_propagates_R_EVAL_5() -> None:
    def boom(value: Any) -> bool:
        raise RuntimeError("predicate broke")

    with pytest.raises(RuntimeError, match="predicate broke"):
        run(ToolCalled("send", to=boom), _calls(ToolCall(name="send", arguments={"to": 1})))


def test_tool_called_is_never_undetermined_without_calls_R_EVAL_5() -> None:
    assert (
        run(ToolCalled("send"), _context(Response(text="hi"))).outcome is EvalOutcome.NOT_DETECTED
    )
    assert run(ToolCalled("send"), EvalContext(turns=[])).outcome is EvalOutcome.NOT_DETECTED


def test_tool_called_rejects_empty_or_non_string_name() -> None:
    with pytest.raises(ValueError):
        ToolCalled("")
    with pytest.raises(TypeError):
        ToolCalled(3)  # type: ignore[arg-type]


# --- ResponseContains -----------------------------------------------------------------------


def test_response_contains_string_case_insensitive_by_default_R_EVAL_6() -> None:
    context = _context(Response(text="nothing"), Response(text="The SECRET is out"))
    result = run(ResponseContains("secret"), context)
    assert result.outcome is EvalOutcome.DETECTED
    assert result.evidence == ["Pattern found on turn(s): 1"]
    assert result.rationale == "Response contains target pattern"
    missed = run(ResponseContains("secret", case_sensitive=True), context)
    assert missed.outcome is EvalOutcome.NOT_DETECTED
    assert missed.rationale == "Target pattern not found in response text"
    assert missed.evidence == []
    assert run(ResponseContains("SECRET", case_sensitive=True), context).detected


def test_response_contains_looks_only_at_current_turn_R_EVAL_6() -> None:
    context = _context(Response(text="secret"), Response(text="clean"))
    assert not run(ResponseContains("secret"), context).detected


def test_response_contains_pattern_uses_its_own_flags_R_EVAL_6() -> None:
    context = _context(Response(text="Key: ABC-123"))
    assert run(ResponseContains(re.compile(r"abc-\d+", re.IGNORECASE)), context).detected
    # The pattern's own (case-sensitive) flags win over the default case-insensitivity.
    assert not run(ResponseContains(re.compile(r"abc-\d+")), context).detected


def test_response_contains_callable_truthiness_R_EVAL_6() -> None:
    context = _context(Response(text="abc"))
    assert run(ResponseContains(lambda text: len(text) == 3), context).detected
    assert not run(ResponseContains(lambda text: ""), context).detected  # type: ignore[arg-type,return-value]


def test_response_contains_bad_targets_R_BAD() -> None:
    with pytest.raises(ValueError):
        ResponseContains("")
    for bad in (3, b"bytes", None, ["x"]):
        with pytest.raises(TypeError, match=r"str, a re\.Pattern or a callable"):
            ResponseContains(bad)  # type: ignore[arg-type]


# --- SideEffectOccurred ---------------------------------------------------------------------


def test_side_effect_occurred_matches_details_R_EVAL_7() -> None:
    context = _context(
        Response(text="", side_effects=[SideEffect(kind="file_write", details={"path": "/etc/x"})]),
        Response(text="", side_effects=[SideEffect(kind="email", details={"to": "a"})]),
    )
    hit = run(SideEffectOccurred("file_write", path=lambda p: p.startswith("/etc")), context)
    assert hit.outcome is EvalOutcome.DETECTED
    assert hit.rationale == "Side effect 'file_write' detected"
    assert hit.evidence == ["file_write({'path': '/etc/x'})"]
    miss = run(SideEffectOccurred("file_write", path="/tmp"), context)
    assert miss.outcome is EvalOutcome.NOT_DETECTED
    assert miss.rationale == "Side effect 'file_write' not detected"
    assert not run(SideEffectOccurred("email", cc="a"), context).detected
    assert run(SideEffectOccurred("email"), context).detected


def test_side_effect_occurred_rejects_empty_kind() -> None:
    with pytest.raises(ValueError):
        SideEffectOccurred("")


def test_evaluator_reprs_name_their_target() -> None:
    assert "send" in repr(ToolCalled("send"))
    assert "kind" in repr(SideEffectOccurred("kind"))
    assert "needle" in repr(ResponseContains("needle"))


# --- StaticDriver ---------------------------------------------------------------------------


def _turn() -> Turn:
    return Turn(request=Request(prompt="x"), response=Response(text="y"))


def test_static_driver_returns_item_at_history_length() -> None:
    attachment_request = Request(prompt="second", attachments=[])
    driver = StaticDriver(prompts=["first", attachment_request])
    assert isinstance(driver, PromptDriver)
    first = asyncio.run(driver.next_prompt_async(history=[]))
    assert first is not None
    assert first.request.prompt == "first"
    assert first.reasoning == ""
    second = asyncio.run(driver.next_prompt_async(history=[_turn()]))
    assert second is not None
    assert second.request is attachment_request
    assert asyncio.run(driver.next_prompt_async(history=[_turn(), _turn()])) is None
    assert "2" in repr(driver)


def test_static_driver_rejects_bad_items_at_construction_R_BAD() -> None:
    with pytest.raises(TypeError, match="str or Request"):
        StaticDriver(prompts=["ok", 3])  # type: ignore[list-item]
    with pytest.raises(TypeError, match="list of str or Request"):
        StaticDriver(prompts=3)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="list of str or Request"):
        StaticDriver(prompts="a string is not a list of prompts")


def test_static_driver_copies_its_list() -> None:
    prompts: list[str | Request] = ["a"]
    driver = StaticDriver(prompts=prompts)
    prompts.append("b")
    assert asyncio.run(driver.next_prompt_async(history=[_turn()])) is None
