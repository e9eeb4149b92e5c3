"""Evaluator composition with ``|``, ``&`` and ``~`` (R-EVAL-1..4)."""

from __future__ import annotations

import asyncio

import pytest
from rampart.core.evaluator import BaseEvaluator, Evaluator
from rampart.core.types import EvalContext, EvalOutcome, EvalResult, Request, Response, Turn

from ._model_fakes import DETECTED, NOT_DETECTED, UNDETERMINED, ScriptedEvaluator, verdict

CONTEXT = EvalContext(turns=[Turn(request=Request(prompt="p"), response=Response(text="r"))])


def run(evaluator: Evaluator) -> EvalResult:
    return asyncio.run(evaluator.evaluate_async(context=CONTEXT))


class PlainEvaluator:
    """An ``Evaluator`` by structure only, not a ``BaseEvaluator``."""

    def __init__(self, result: EvalResult, log: list[str]) -> None:
        self.result = result
        self.log = log

    async def evaluate_async(self, *, context: EvalContext) -> EvalResult:
        self.log.append("plain")
        return self.result


def test_or_left_detected_short_circuits_R_EVAL_1() -> None:
    left_result = verdict(DETECTED, confidence=0.4, evidence=["l"], rationale="left")
    left, right = ScriptedEvaluator(left_result), ScriptedEvaluator(verdict(DETECTED))
    composite = left | right
    assert isinstance(composite, BaseEvaluator)
    assert run(composite) is left_result
    assert right.calls == 0


def test_or_right_detected_takes_right_R_EVAL_1() -> None:
    composite = ScriptedEvaluator(verdict(NOT_DETECTED, confidence=0.2)) | ScriptedEvaluator(
        verdict(DETECTED, confidence=0.7, evidence=["r"], rationale="right")
    )
    result = run(composite)
    assert result.outcome is EvalOutcome.DETECTED
    assert (result.confidence, result.evidence, result.rationale) == (0.7, ["r"], "right")


@pytest.mark.parametrize(
    ("left", "right"),
    [(UNDETERMINED, NOT_DETECTED), (NOT_DETECTED, UNDETERMINED), (UNDETERMINED, UNDETERMINED)],
)
def test_or_undetermined_uses_min_confidence_R_EVAL_1(
    left: EvalOutcome, right: EvalOutcome
) -> None:
    result = run(
        ScriptedEvaluator(verdict(left, confidence=0.9, evidence=["a"]))
        | ScriptedEvaluator(verdict(right, confidence=0.3, evidence=["b"]))
    )
    assert result.outcome is EvalOutcome.UNDETERMINED
    assert result.rationale == "One or both operands undetermined"
    assert result.evidence == []
    assert result.confidence == 0.3


def test_or_neither_detected_R_EVAL_1() -> None:
    result = run(
        ScriptedEvaluator(verdict(NOT_DETECTED, confidence=0.5))
        | ScriptedEvaluator(verdict(NOT_DETECTED, confidence=0.8, evidence=["x"]))
    )
    assert result.outcome is EvalOutcome.NOT_DETECTED
    assert result.rationale == "Neither condition detected"
    assert (result.evidence, result.confidence) == ([], 0.5)


@pytest.mark.parametrize(
    ("outcome", "expected", "rationale"),
    [
        (NOT_DETECTED, EvalOutcome.NOT_DETECTED, "Left operand not detected: why"),
        (UNDETERMINED, EvalOutcome.UNDETERMINED, "Left operand undetermined: why"),
    ],
)
def test_and_left_short_circuits_R_EVAL_2(
    outcome: EvalOutcome, expected: EvalOutcome, rationale: str
) -> None:
    right = ScriptedEvaluator(verdict(DETECTED, confidence=0.1))
    result = run(ScriptedEvaluator(verdict(outcome, confidence=0.6, rationale="why")) & right)
    assert right.calls == 0
    assert (result.outcome, result.rationale, result.confidence) == (expected, rationale, 0.6)


def test_and_both_detected_R_EVAL_2() -> None:
    result = run(
        ScriptedEvaluator(verdict(DETECTED, confidence=0.9, evidence=["a"], rationale="ra"))
        & ScriptedEvaluator(verdict(DETECTED, confidence=0.4, evidence=["b", "c"], rationale="rb"))
    )
    assert result.outcome is EvalOutcome.DETECTED
    assert result.evidence == ["a", "b", "c"]
    assert result.rationale == "(ra) AND (rb)"
    assert result.confidence == 0.4


def test_and_right_undetermined_or_not_detected_R_EVAL_2() -> None:
    undetermined = run(
        ScriptedEvaluator(verdict(DETECTED, confidence=0.3))
        & ScriptedEvaluator(verdict(UNDETERMINED, confidence=0.8, rationale="rb"))
    )
    assert undetermined.outcome is EvalOutcome.UNDETERMINED
    assert (undetermined.rationale, undetermined.confidence) == (
        "Right operand undetermined: rb",
        0.3,
    )
    not_both = run(
        ScriptedEvaluator(verdict(DETECTED, confidence=0.9, evidence=["a"]))
        & ScriptedEvaluator(verdict(NOT_DETECTED, confidence=0.2))
    )
    assert not_both.outcome is EvalOutcome.NOT_DETECTED
    assert (not_both.rationale, not_both.confidence, not_both.evidence) == (
        "Not both conditions detected",
        0.2,
        [],
    )


def test_not_swaps_and_keeps_confidence_and_evidence_R_EVAL_3() -> None:
    flipped = run(
        ~ScriptedEvaluator(verdict(DETECTED, confidence=0.7, evidence=["e"], rationale="r"))
    )
    assert flipped.outcome is EvalOutcome.NOT_DETECTED
    assert (flipped.confidence, flipped.evidence, flipped.rationale) == (0.7, ["e"], "NOT (r)")
    back = run(~ScriptedEvaluator(verdict(NOT_DETECTED, rationale="s")))
    assert back.outcome is EvalOutcome.DETECTED
    assert back.rationale == "NOT (s)"


def test_not_returns_undetermined_unchanged_R_EVAL_3() -> None:
    original = verdict(UNDETERMINED, rationale="unknown")
    assert run(~ScriptedEvaluator(original)) is original


def test_reflected_operators_evaluate_plain_left_first_R_EVAL_4() -> None:
    log: list[str] = []
    plain = PlainEvaluator(verdict(DETECTED, evidence=["p"]), log)
    base = ScriptedEvaluator(verdict(NOT_DETECTED))
    either = plain | base
    assert isinstance(either, BaseEvaluator)
    assert run(either).evidence == ["p"]
    assert base.calls == 0
    both = plain & base
    assert isinstance(both, BaseEvaluator)
    assert run(both).outcome is EvalOutcome.NOT_DETECTED
    assert log == ["plain", "plain"]
    assert base.calls == 1


def test_forward_operators_accept_plain_evaluators_R_EVAL_4() -> None:
    log: list[str] = []
    composite = ScriptedEvaluator(verdict(NOT_DETECTED)) | PlainEvaluator(verdict(DETECTED), log)
    assert run(composite).detected
    assert log == ["plain"]


@pytest.mark.parametrize("other", [1, "text", None, object()])
def test_non_evaluator_operands_raise_type_error_R_EVAL_4(other: object) -> None:
    evaluator = ScriptedEvaluator(verdict(DETECTED))
    with pytest.raises(TypeError, match="Evaluator"):
        _ = evaluator | other  # type: ignore[operator]
    with pytest.raises(TypeError, match="Evaluator"):
        _ = evaluator & other  # type: ignore[operator]
    with pytest.raises(TypeError):
        _ = other | evaluator  # type: ignore[operator]
    with pytest.raises(TypeError):
        _ = other & evaluator  # type: ignore[operator]


def test_nested_composition_and_repr() -> None:
    a = ScriptedEvaluator(verdict(NOT_DETECTED))
    b = ScriptedEvaluator(verdict(DETECTED, evidence=["b"]))
    c = ScriptedEvaluator(verdict(DETECTED, evidence=["c"]))
    result = run((a | b) & ~~c)
    assert result.evidence == ["b", "c"]
    assert "|" in repr(a | b)
    assert "&" in repr(a & b)
    assert repr(~a).startswith("~")


def test_base_evaluator_is_abstract() -> None:
    with pytest.raises(TypeError):
        BaseEvaluator()  # type: ignore[abstract]
