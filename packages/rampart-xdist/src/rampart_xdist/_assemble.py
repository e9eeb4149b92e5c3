"""Rebuilding core results from decoded wire structs, filling the dataclasses directly.

By the time a record reaches this module the strict decoder has enforced everything the core
dataclasses check in ``__post_init__``: statuses, levels and outcomes are mapped to the enum
members themselves, a request always has a prompt (an empty one if needed) or attachments,
and rebuilt payloads are text without an artifact. Running the generated ``__init__`` again
would only repeat that work, and it is the dominant cost of a rebuild (a frozen ``Turn`` pays
an ``object.__setattr__`` per field), so instances are created with ``object.__new__`` and
their fields stored directly (plain attribute stores, which keep CPython's compact instance
layout; only the frozen ``Turn`` gets its dict filled).

``FAST`` is false when a core class is not a plain dataclass with exactly the fields written
here (a future core change); the codec then uses the ordinary constructors.
"""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Callable, Iterable
from typing import Any, Final

import msgspec

from rampart.core.result import HarmCategory, InjectionRecord, Result, SafetyStatus
from rampart.core.types import (
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
from rampart_xdist._errors import WorkerOutputError
from rampart_xdist.wire import ResultV1, TurnV1

__all__ = ["FAST", "Tagger", "assemble_results", "copy_json"]

Tagger = Callable[[dict[str, Any], ResultV1], None]
"""Adds the transport's per-result tags to a rebuilt result's metadata, in place."""

_COPY: Final = msgspec.json.Decoder(dict[str, Any]).decode
_ENCODE: Final = msgspec.json.Encoder().encode


def copy_json(value: dict[str, Any]) -> dict[str, Any]:
    """A deep copy of a JSON-only mapping (a msgspec round trip is the fastest one)."""
    if not value:
        return {}
    try:
        copied: dict[str, Any] = _COPY(_ENCODE(value))
    except UnicodeEncodeError:
        # A lone surrogate (possible in data handed over in memory) cannot be encoded.
        copied = copy.deepcopy(value)
    return copied


_FIELDS: Final[dict[type, frozenset[str]]] = {
    Result: frozenset(
        {
            "status",
            "summary",
            "turns",
            "duration_seconds",
            "harm_category",
            "strategy",
            "observability_level",
            "injections",
            "metadata",
        }
    ),
    InjectionRecord: frozenset({"payload_id", "surface_name"}),
    Turn: frozenset(
        {"request", "response", "eval_result", "turn_number", "timestamp", "driver_reasoning"}
    ),
    Request: frozenset({"prompt", "attachments"}),
    Response: frozenset({"text", "tool_calls", "side_effects", "metadata"}),
    ToolCall: frozenset({"name", "arguments", "result", "timestamp"}),
    SideEffect: frozenset({"kind", "details"}),
    EvalResult: frozenset({"outcome", "confidence", "evidence", "rationale"}),
    Payload: frozenset({"content", "id", "format", "artifact", "metadata"}),
}


def _plain(cls: type, names: frozenset[str]) -> bool:
    if not dataclasses.is_dataclass(cls) or "__slots__" in cls.__dict__:
        return False
    if frozenset(f.name for f in dataclasses.fields(cls)) != names:
        return False
    try:
        object.__new__(cls).__dict__  # noqa: B018 -- probing for an instance dict
    except (AttributeError, TypeError):
        return False
    return True


FAST: Final = all(_plain(cls, names) for cls, names in _FIELDS.items())

# Wire values to the core enum members (shared with the codec's constructor fallback).
STATUS: Final = {m.value: m for m in SafetyStatus}
OUTCOME: Final = {m.value: m for m in EvalOutcome}
OBSERVABILITY: Final = {m.value: m for m in ObservabilityLevel}
HARM: Final[dict[str, HarmCategory | str]] = {m.value: m for m in HarmCategory}
_new = object.__new__


def _payloads(turn: TurnV1, owned: bool) -> list[Payload]:
    attachments: list[Payload] = []
    for a in turn.attachments:
        metadata = a.metadata if owned else copy_json(a.metadata)
        metadata["_rampart_worker_format"] = a.format
        metadata["_rampart_worker_artifact_path"] = a.artifact
        payload = _new(Payload)
        payload.content = a.content
        payload.id = a.id
        payload.format = PayloadFormat.TEXT
        payload.artifact = None
        payload.metadata = metadata
        attachments.append(payload)
    return attachments


def _turn(turn: TurnV1, owned: bool) -> Turn:
    # Attachments are rare, so they are built out of line.
    attachments = _payloads(turn, owned) if turn.attachments else []
    request = _new(Request)
    prompt = turn.prompt
    request.prompt = "" if prompt is None and not attachments else prompt
    request.attachments = attachments

    response = _new(Response)
    response.text = turn.response_text
    calls: list[ToolCall] = []
    for c in turn.tool_calls:
        call = _new(ToolCall)
        call.name = c.name
        call.arguments = c.arguments if owned else copy_json(c.arguments)
        call.result = c.result
        call.timestamp = c.timestamp
        calls.append(call)
    response.tool_calls = calls
    effects: list[SideEffect] = []
    for e in turn.side_effects:
        effect = _new(SideEffect)
        effect.kind = e.kind
        effect.details = e.details if owned else copy_json(e.details)
        effects.append(effect)
    response.side_effects = effects
    response.metadata = turn.response_metadata if owned else copy_json(turn.response_metadata)

    verdict = turn.eval
    eval_result: EvalResult | None = None
    if verdict is not None:
        eval_result = _new(EvalResult)
        eval_result.outcome = OUTCOME[verdict.outcome]
        eval_result.confidence = verdict.confidence
        eval_result.evidence = list(verdict.evidence)
        eval_result.rationale = verdict.rationale

    # Turn is frozen (its __setattr__ refuses), so its fields go straight into the dict.
    rebuilt = _new(Turn)
    f = rebuilt.__dict__
    f["request"] = request
    f["response"] = response
    f["eval_result"] = eval_result
    f["turn_number"] = turn.turn_number
    f["timestamp"] = turn.timestamp
    f["driver_reasoning"] = turn.driver_reasoning
    return rebuilt


def assemble_results(
    results: Iterable[ResultV1],
    *,
    extra: Tagger | None,
    owned: bool,
) -> list[Result]:
    """Core results from decoded wire results; ``extra`` adds per-result metadata in place.

    With ``owned`` the results take the structs' opaque mappings themselves (the caller drops
    the structs); otherwise each is deep-copied, so two rebuilds never share a mapping.
    """
    rebuilt: list[Result] = []
    for position, item in enumerate(results):
        if item.index != position:
            raise WorkerOutputError(f"results[{position}]: index {item.index} out of order")
        metadata = item.metadata if owned else copy_json(item.metadata)
        if extra is not None:
            extra(metadata, item)
        injections: list[InjectionRecord] = []
        for r in item.injections:
            injection = _new(InjectionRecord)
            injection.payload_id = r.payload_id
            injection.surface_name = r.surface_name
            injections.append(injection)
        category = item.harm_category
        result = _new(Result)
        result.status = STATUS[item.status]
        result.summary = item.summary
        result.turns = [_turn(t, owned) for t in item.turns]
        result.duration_seconds = item.duration_seconds
        result.harm_category = None if category is None else HARM.get(category, category)
        result.strategy = item.strategy
        result.observability_level = OBSERVABILITY[item.observability_level]
        result.injections = injections
        result.metadata = metadata
        rebuilt.append(result)
    return rebuilt
