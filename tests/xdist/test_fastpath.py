"""The codec's fast paths give exactly what the general paths give (R-XD-4, R-XD-7, R-XD-8)."""

from __future__ import annotations

import dataclasses
import datetime
import enum
import json
from pathlib import Path
from typing import Any

import pytest
from rampart.core.result import HarmCategory, InjectionRecord, Result, SafetyStatus
from rampart.core.types import (
    EvalOutcome,
    EvalResult,
    ObservabilityLevel,
    Payload,
    Request,
    Response,
    SideEffect,
    ToolCall,
    Turn,
)
from rampart.reporting.json_file import to_json_safe
from rampart_xdist import _assemble, _codec, decode_record, encode_record, record_to_results
from rampart_xdist.wire import RecordV1

pytestmark = pytest.mark.xdist


class _Loud(str):
    """A str subclass whose str() differs from its data: only to_json_safe calls str()."""

    def __str__(self) -> str:
        return "loud"


class _Level(enum.IntEnum):
    HIGH = 3


class _Half(float):
    pass


_NOT_PLAIN: list[object] = [
    {"s": _Loud("quiet")},
    {"e": _Level.HIGH},
    {"f": _Half(0.5)},
    {"b": True, "when": datetime.datetime(2024, 1, 2, tzinfo=datetime.UTC)},
    {"set": {3, 1, 2}},
    {"bytes": b"\x00\xff"},
    {1: "int key", "ok": 1},
    {"nested": {"deeper": [1, (2, 3)]}},
    {"k": SafetyStatus.SAFE, SafetyStatus.UNSAFE: "enum key"},
    {"nan": float("nan"), "inf": float("-inf")},
    {"lone\ud800": "v\udfff"},
    [1, 2, 3],
]
_PLAIN: list[object] = [
    {"latency_ms": 10.5, "model": "m", "ok": True, "none": None, "n": -3, "big": -(2**70)},
    {"text": "é ☃ \x1b[31m\r"},
]


@pytest.mark.parametrize("value", _NOT_PLAIN + _PLAIN)
def test_opaque_fields_are_exactly_to_json_safe_R_XD_4(value: object) -> None:
    """The flat-mapping shortcut and the general path both embed to_json_safe's form."""
    expected = to_json_safe(value)
    if not isinstance(expected, dict):
        expected = {"_rampart_value": expected}
    result = Result(status=SafetyStatus.SAFE, summary="", metadata=value)  # type: ignore[arg-type]
    text = encode_record(
        nodeid="t.py::test_x", results=[result], trial=None, seq=0, run_nonce="n", worker="gw0"
    )
    text.encode("utf-8")  # never a lone surrogate (R-XD-8)
    record = decode_record(data=text)
    assert isinstance(record, RecordV1)
    assert record.results[0].metadata == expected


def test_non_json_metadata_still_goes_through_to_json_safe_R_JSON_4() -> None:
    """A value the shortcut cannot prove plain is never encoded by msgspec's own rules."""
    metadata: dict[object, object] = {
        "s": _Loud("quiet"),
        "when": datetime.datetime(2024, 1, 2, tzinfo=datetime.UTC),
        "set": {3, 1, 2},
    }
    assert _codec._opaque(metadata) == {
        "s": "loud",
        "when": "2024-01-02T00:00:00+00:00",
        "set": [1, 2, 3],
    }


def _rich_result(i: int) -> Result:
    turns = [
        Turn(
            request=Request(prompt="" if n == 1 else f"p{n}"),
            response=Response(
                text=f"r{n}",
                tool_calls=[
                    ToolCall(name="a", arguments={"x": n}, result="ok"),
                    ToolCall(
                        name="b",
                        arguments={},
                        result=None,
                        timestamp=datetime.datetime(2025, 1, 1, 0, 0, n),
                    ),
                ],
                side_effects=[SideEffect(kind="k", details={"d": [1, {"e": None}]})],
                metadata={} if n else {"m": 1.5},
            ),
            eval_result=None
            if n == 2
            else EvalResult(outcome=EvalOutcome.UNDETERMINED, confidence=0.5, evidence=["e"]),
            turn_number=n,
            timestamp=datetime.datetime(2025, 1, 1, tzinfo=datetime.UTC),
            driver_reasoning="why" if n else "",
        )
        for n in range(3)
    ]
    return Result(
        status=SafetyStatus.ERROR,
        summary=f"s{i}",
        turns=turns,
        duration_seconds=2.0,
        harm_category="custom" if i else HarmCategory.JAILBREAK,
        strategy="st",
        observability_level=ObservabilityLevel.TOOL_AND_SIDE_EFFECTS,
        injections=[InjectionRecord(payload_id=None, surface_name="inbox")],
        metadata={"i": i},
    )


def _decoded(results: list[Result]) -> RecordV1:
    text = encode_record(
        nodeid="t.py::test_x",
        results=results,
        trial=None,
        seq=0,
        run_nonce="n",
        worker="gw0",
    )
    record = decode_record(data=text)
    assert isinstance(record, RecordV1)
    return record


def test_direct_rebuild_equals_constructor_rebuild_R_XD_7(monkeypatch: pytest.MonkeyPatch) -> None:
    """Filling validated instances directly gives the objects the constructors give."""
    assert _assemble.FAST
    record = _decoded([_rich_result(0), _rich_result(1)])
    fast = record_to_results(record=record)
    monkeypatch.setattr(_assemble, "FAST", False)
    slow = record_to_results(record=record)
    assert fast == slow
    for a, b in zip(fast, slow, strict=True):
        assert type(a.status) is SafetyStatus
        assert type(a.observability_level) is ObservabilityLevel
        assert type(a.harm_category) is type(b.harm_category)
        assert vars(a).keys() == vars(b).keys()
        for ta, tb in zip(a.turns, b.turns, strict=True):
            assert vars(ta) == vars(tb)
            assert vars(ta.request) == vars(tb.request)
            assert type(ta.eval_result) is type(tb.eval_result)
            if ta.eval_result is not None:
                assert type(ta.eval_result.outcome) is EvalOutcome
    # A rebuilt Turn is still frozen; the others stay ordinary mutable dataclasses.
    with pytest.raises(dataclasses.FrozenInstanceError):
        fast[0].turns[0].turn_number = 9  # type: ignore[misc]
    fast[0].summary = "changed"
    assert dataclasses.replace(fast[0].turns[0], turn_number=7).turn_number == 7


def test_fast_rebuild_steps_aside_for_unexpected_classes() -> None:
    """A slotted or reshaped core class is detected, so the constructors are used."""

    @dataclasses.dataclass(slots=True)
    class Slotted:
        a: int

    @dataclasses.dataclass
    class Reshaped:
        a: int
        b: int

    assert not _assemble._plain(Slotted, frozenset({"a"}))
    assert not _assemble._plain(Reshaped, frozenset({"a"}))
    assert _assemble._plain(Reshaped, frozenset({"a", "b"}))


def test_lone_surrogates_anywhere_are_replaced_after_conversion_R_XD_8(tmp_path: Path) -> None:
    """Every string of the record is repaired, not only the ones the fast path touches."""
    bad = "x\ud800y"
    turn = Turn(
        request=Request(prompt=bad, attachments=[Payload(content=bad, id=bad)]),
        response=Response(
            text=bad,
            tool_calls=[ToolCall(name=bad, arguments={bad: bad}, result=bad)],
            side_effects=[SideEffect(kind=bad, details={"k": bad})],
            metadata={"m": bad},
        ),
        eval_result=EvalResult(outcome=EvalOutcome.DETECTED, evidence=[bad], rationale=bad),
        driver_reasoning=bad,
    )
    result = Result(
        status=SafetyStatus.UNSAFE,
        summary=bad,
        turns=[turn],
        harm_category=bad,
        strategy=bad,
        injections=[InjectionRecord(payload_id=bad, surface_name=bad)],
    )
    text = encode_record(
        nodeid="t.py::t", results=[result], trial=None, seq=0, run_nonce="n", worker="gw0"
    )
    assert "encode_error" not in json.loads(text)
    assert "\\ud800" not in text
    (back,) = record_to_results(record=_as_record(text))
    good = "x\ufffdy"
    rebuilt = back.turns[0]
    seen: list[Any] = [
        back.summary,
        back.harm_category,
        back.strategy,
        back.injections[0].payload_id,
        back.injections[0].surface_name,
        rebuilt.request.prompt,
        rebuilt.request.attachments[0].content,
        rebuilt.request.attachments[0].id,
        rebuilt.response.text,
        rebuilt.response.tool_calls[0].name,
        rebuilt.response.tool_calls[0].arguments[good],
        rebuilt.response.tool_calls[0].result,
        rebuilt.response.side_effects[0].kind,
        rebuilt.response.side_effects[0].details["k"],
        rebuilt.response.metadata["m"],
        rebuilt.eval_result.evidence[0] if rebuilt.eval_result else None,
        rebuilt.eval_result.rationale if rebuilt.eval_result else None,
        rebuilt.driver_reasoning,
    ]
    assert seen == [good] * len(seen)


def _as_record(text: str) -> RecordV1:
    record = decode_record(data=text)
    assert isinstance(record, RecordV1)
    return record


def _turn_with(call_name: str, kind: str, verdict: EvalResult | None) -> Turn:
    return Turn(
        request=Request(prompt="p"),
        response=Response(
            text="r",
            tool_calls=[ToolCall(name=call_name, arguments={"a": 1}, result=None)],
            side_effects=[SideEffect(kind=kind, details={"d": [1, 2]})],
        ),
        eval_result=verdict,
    )


_VERDICTS: list[EvalResult | None] = [
    None,
    EvalResult(outcome=EvalOutcome.DETECTED, confidence=0.5, evidence=["one"]),
    EvalResult(outcome=EvalOutcome.DETECTED, confidence=0.5, evidence=[]),
    EvalResult(outcome=EvalOutcome.UNDETERMINED, confidence=2.0, evidence=["a", "b"]),
    EvalResult(outcome=EvalOutcome.NOT_DETECTED, confidence=float("nan")),
    EvalResult(outcome=EvalOutcome.NOT_DETECTED, confidence=1, evidence=[3]),  # type: ignore[list-item]
]


@pytest.mark.parametrize("verdict", _VERDICTS)
@pytest.mark.parametrize("long_name", [False, True])
def test_inline_turn_conversion_equals_the_general_helpers_R_XD_4(
    verdict: EvalResult | None, long_name: bool
) -> None:
    """A turn's single tool call, side effect and verdict convert as the helpers convert them."""
    name = "n" * (5000 if long_name else 10)
    turn = _turn_with(name, name, verdict)
    cuts = _codec._Cuts()
    wire = _codec._turn_to_wire(turn, 0, 0, cuts)
    reference = _codec._Cuts()
    assert wire.tool_calls == _codec._tool_calls(turn.response.tool_calls, 0, 0, reference)
    assert wire.side_effects == _codec._side_effects(turn.response.side_effects, 0, 0, reference)
    expected_eval = None if verdict is None else _codec._eval_to_wire(verdict, 0, 0, reference)
    assert wire.eval == expected_eval
    assert cuts.items == reference.items
    assert len(cuts.items) == (2 if long_name else 0)
    if wire.eval is not None:
        assert 0.0 <= wire.eval.confidence <= 1.0
        assert all(type(e) is str for e in wire.eval.evidence)
