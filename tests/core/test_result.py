"""``Result``, its enums and the resolution rules (api.md 2.3-2.4, R-RES)."""

from __future__ import annotations

import pytest
from rampart.core.result import (
    HarmCategory,
    InjectionRecord,
    Result,
    SafetyStatus,
    resolve_as_attack,
    resolve_as_probe,
)
from rampart.core.types import EvalOutcome, EvalResult, ObservabilityLevel, Request, Response, Turn

D, N, U = EvalOutcome.DETECTED, EvalOutcome.NOT_DETECTED, EvalOutcome.UNDETERMINED


def _results(*outcomes: EvalOutcome) -> list[EvalResult]:
    return [EvalResult(outcome=o) for o in outcomes]


def test_status_and_category_values() -> None:
    assert [s.value for s in SafetyStatus] == ["safe", "unsafe", "undetermined", "error"]
    assert [c.name.lower() for c in HarmCategory] == [c.value for c in HarmCategory]
    assert len(HarmCategory) == 9
    assert str(HarmCategory.PROMPT_INJECTION) == "prompt_injection"
    assert isinstance(HarmCategory.JAILBREAK, str)


def test_result_defaults() -> None:
    result = Result(status=SafetyStatus.SAFE, summary="ok")
    assert result.turns == []
    assert result.duration_seconds == 0.0
    assert result.harm_category is None
    assert result.strategy == ""
    assert result.observability_level is ObservabilityLevel.RESPONSE_ONLY
    assert result.injections == []
    assert result.metadata == {}
    other = Result(status=SafetyStatus.SAFE, summary="ok")
    result.metadata["x"] = 1
    result.turns.append(Turn(request=Request(prompt="p"), response=Response(text="r")))
    assert other.metadata == {}
    assert other.turns == []


def test_safe_is_a_property_not_a_field() -> None:
    with pytest.raises(TypeError):
        Result(safe=True, status=SafetyStatus.SAFE, summary="x")  # type: ignore[call-arg]
    assert Result(status=SafetyStatus.SAFE, summary="").safe is True
    for status in (SafetyStatus.UNSAFE, SafetyStatus.UNDETERMINED, SafetyStatus.ERROR):
        assert Result(status=status, summary="").safe is False


def test_bool_is_safe() -> None:
    assert bool(Result(status=SafetyStatus.SAFE, summary=""))
    assert not bool(Result(status=SafetyStatus.UNSAFE, summary=""))
    assert not bool(Result(status=SafetyStatus.ERROR, summary=""))


def test_repr() -> None:
    result = Result(status=SafetyStatus.UNSAFE, summary="it's bad")
    assert repr(result) == 'Result(safe=False, status=unsafe, summary="it\'s bad")'
    assert repr(Result(status=SafetyStatus.SAFE, summary="ok")) == (
        "Result(safe=True, status=safe, summary='ok')"
    )


def test_plain_string_harm_category_is_accepted() -> None:
    result = Result(status=SafetyStatus.SAFE, summary="", harm_category="custom_harm")
    assert result.harm_category == "custom_harm"


def test_eval_results_skips_unevaluated_turns() -> None:
    judged = EvalResult(outcome=D)
    turns = [
        Turn(request=Request(prompt="a"), response=Response(text="r")),
        Turn(request=Request(prompt="b"), response=Response(text="r"), eval_result=judged),
    ]
    assert Result(status=SafetyStatus.UNSAFE, summary="", turns=turns).eval_results == [judged]


def test_injection_record_requires_both_fields() -> None:
    record = InjectionRecord(payload_id=None, surface_name="mail")
    assert record.payload_id is None
    with pytest.raises(TypeError):
        InjectionRecord(surface_name="mail")  # type: ignore[call-arg]


@pytest.mark.parametrize(
    ("outcomes", "expected"),
    [
        ((N, D), SafetyStatus.UNSAFE),
        ((U, D), SafetyStatus.UNSAFE),
        ((N, U), SafetyStatus.UNDETERMINED),
        ((N, N), SafetyStatus.SAFE),
        ((), SafetyStatus.ERROR),
    ],
)
def test_resolve_as_attack_R_RES_1(
    outcomes: tuple[EvalOutcome, ...], expected: SafetyStatus
) -> None:
    assert resolve_as_attack(eval_results=_results(*outcomes)) is expected


@pytest.mark.parametrize(
    ("outcomes", "expected"),
    [
        ((N, D), SafetyStatus.SAFE),
        ((U, D), SafetyStatus.SAFE),
        ((N, U), SafetyStatus.UNDETERMINED),
        ((N, N), SafetyStatus.UNSAFE),
        ((), SafetyStatus.ERROR),
    ],
)
def test_resolve_as_probe_R_RES_2(
    outcomes: tuple[EvalOutcome, ...], expected: SafetyStatus
) -> None:
    assert resolve_as_probe(eval_results=_results(*outcomes)) is expected


def test_plain_string_statuses_become_members() -> None:
    result = Result(status="safe", summary="", observability_level="tool_only")  # type: ignore[arg-type]
    assert result.status is SafetyStatus.SAFE
    assert result.safe
    assert result.observability_level is ObservabilityLevel.TOOL_ONLY
    assert EvalResult(outcome="detected").detected  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        Result(status="fine", summary="")  # type: ignore[arg-type]
