"""Fitting a record under the per-record cap (R-XD-5).

Stages, each tried only when the previous one does not fit: clip free text (and replace large
opaque JSON), then drop middle turns, then send a verdict-only stub. Sizes are estimated from
the few long fields so that a large record is re-encoded only a handful of times.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, Final

import msgspec

from rampart_xdist._constants import STUB_MAX_BYTES
from rampart_xdist.wire import (
    AttachmentV1,
    EvalV1,
    RecordV1,
    ResultV1,
    SideEffectV1,
    ToolCallV1,
    TruncationV1,
    TurnV1,
)

__all__ = ["CLIP_SIZES", "STUB_SUMMARY_CHARS", "BudgetError", "clip_text", "fit"]

CLIP_SIZES: Final = (65536, 16384, 4096, 1024, 256)
STUB_SUMMARY_CHARS: Final = 120
_SUFFIX: Final = "…[truncated {k} chars]"
# Bytes of one {"path":…,"original_len":…} entry besides the path (at most, in either encoding).
_CUT_OVERHEAD: Final = 48
# How far the estimate of a clipped record may err per cut (the overhead above and the marker's
# allowance are upper bounds): a size is skipped unencoded only when its estimate is over the
# cap by more than this, so the largest size that fits is never skipped for a few bytes.
_ESTIMATE_SLACK: Final = 64
_ENCODER: Final = msgspec.json.Encoder()
_replace = msgspec.structs.replace
Encode = Callable[[Any], bytes]


class BudgetError(Exception):
    """Even the verdict-only stub is larger than ``STUB_MAX_BYTES``."""


def clip_text(text: str, limit: int, /) -> str:
    """``text`` cut to ``limit`` characters plus the truncation marker, or unchanged."""
    if len(text) <= limit:
        return text
    return text[:limit] + _SUFFIX.format(k=len(text) - limit)


# A visitor sees (path, text, mapping) and returns the replacement text; an opaque mapping is
# shown as its JSON text, and any replacement turns it into {"_rampart_truncated": <length>}.
Visit = Callable[[str, str, "dict[str, Any] | None"], str]


def _opaque(path: str, value: dict[str, Any], visit: Visit) -> dict[str, Any]:
    text = _ENCODER.encode(value).decode() if value else "{}"
    return value if visit(path, text, value) is text else {"_rampart_truncated": len(text)}


def _turn(turn: TurnV1, path: str, visit: Visit) -> TurnV1:
    changes: dict[str, object] = {}
    if turn.prompt is not None:
        prompt = visit(f"{path}.prompt", turn.prompt, None)
        if prompt is not turn.prompt:
            changes["prompt"] = prompt
    text = visit(f"{path}.response_text", turn.response_text, None)
    if text is not turn.response_text:
        changes["response_text"] = text
    meta = _opaque(f"{path}.response_metadata", turn.response_metadata, visit)
    if meta is not turn.response_metadata:
        changes["response_metadata"] = meta
    reasoning = visit(f"{path}.driver_reasoning", turn.driver_reasoning, None)
    if reasoning is not turn.driver_reasoning:
        changes["driver_reasoning"] = reasoning
    if turn.attachments:
        attachments = tuple(
            _attachment(a, f"{path}.attachments[{i}]", visit)
            for i, a in enumerate(turn.attachments)
        )
        if any(x is not y for x, y in zip(attachments, turn.attachments, strict=True)):
            changes["attachments"] = attachments
    if turn.tool_calls:
        calls = tuple(
            _call(c, f"{path}.tool_calls[{i}]", visit) for i, c in enumerate(turn.tool_calls)
        )
        if any(x is not y for x, y in zip(calls, turn.tool_calls, strict=True)):
            changes["tool_calls"] = calls
    if turn.side_effects:
        effects = tuple(
            _effect(e, f"{path}.side_effects[{i}]", visit) for i, e in enumerate(turn.side_effects)
        )
        if any(x is not y for x, y in zip(effects, turn.side_effects, strict=True)):
            changes["side_effects"] = effects
    if turn.eval is not None:
        verdict = _eval(turn.eval, f"{path}.eval", visit)
        if verdict is not turn.eval:
            changes["eval"] = verdict
    return _replace(turn, **changes) if changes else turn


def _attachment(item: AttachmentV1, path: str, visit: Visit) -> AttachmentV1:
    content = visit(f"{path}.content", item.content, None)
    meta = _opaque(f"{path}.metadata", item.metadata, visit)
    if content is item.content and meta is item.metadata:
        return item
    return _replace(item, content=content, metadata=meta)


def _call(item: ToolCallV1, path: str, visit: Visit) -> ToolCallV1:
    arguments = _opaque(f"{path}.arguments", item.arguments, visit)
    result = item.result if item.result is None else visit(f"{path}.result", item.result, None)
    if arguments is item.arguments and result is item.result:
        return item
    return _replace(item, arguments=arguments, result=result)


def _effect(item: SideEffectV1, path: str, visit: Visit) -> SideEffectV1:
    details = _opaque(f"{path}.details", item.details, visit)
    return item if details is item.details else _replace(item, details=details)


def _eval(item: EvalV1, path: str, visit: Visit) -> EvalV1:
    rationale = visit(f"{path}.rationale", item.rationale, None)
    evidence = tuple(visit(f"{path}.evidence[{i}]", e, None) for i, e in enumerate(item.evidence))
    changed = any(x is not y for x, y in zip(evidence, item.evidence, strict=True))
    if rationale is item.rationale and not changed:
        return item
    return _replace(item, rationale=rationale, evidence=evidence)


def _result(item: ResultV1, path: str, visit: Visit) -> ResultV1:
    changes: dict[str, object] = {}
    summary = visit(f"{path}.summary", item.summary, None)
    if summary is not item.summary:
        changes["summary"] = summary
    meta = _opaque(f"{path}.metadata", item.metadata, visit)
    if meta is not item.metadata:
        changes["metadata"] = meta
    if item.turns:
        turns = tuple(_turn(t, f"{path}.turns[{n}]", visit) for n, t in enumerate(item.turns))
        if any(x is not y for x, y in zip(turns, item.turns, strict=True)):
            changes["turns"] = turns
    return _replace(item, **changes) if changes else item


def _walk(record: RecordV1, visit: Visit) -> RecordV1:
    results = tuple(_result(r, f"results[{r.index}]", visit) for r in record.results)
    return _replace(record, results=results)


class _Field:
    __slots__ = ("chars", "encoded", "opaque", "path")

    def __init__(self, path: str, chars: int, encoded: int, opaque: bool) -> None:
        self.path = path
        self.chars = chars
        self.encoded = encoded
        self.opaque = opaque

    def estimate(self, limit: int) -> int:
        if self.opaque:
            return 24 + len(str(self.chars))
        return math.ceil(self.encoded * limit / self.chars) + 24 + len(str(self.chars))


def _long_fields(record: RecordV1, shortest: int, encode: Encode) -> list[_Field]:
    found: list[_Field] = []

    def visit(path: str, text: str, mapping: dict[str, Any] | None) -> str:
        if len(text) > shortest:
            # Only long fields can be cut, so only they need their encoded size: the text's,
            # or for an opaque mapping (shown as its JSON text) the mapping's own.
            size = len(encode(text if mapping is None else mapping))
            found.append(_Field(path, len(text), size, mapping is not None))
        return text

    _walk(record, visit)
    return found


def _clip(record: RecordV1, limit: int) -> RecordV1:
    cuts: list[TruncationV1] = []

    def visit(path: str, text: str, mapping: dict[str, Any] | None) -> str:
        if len(text) <= limit:
            return text
        cuts.append(TruncationV1(path=path, original_len=len(text)))
        return "" if mapping is not None else clip_text(text, limit)

    clipped = _walk(record, visit)
    return _replace(clipped, truncated=(*record.truncated, *cuts))


def _stage_text(record: RecordV1, size: int, max_bytes: int, encode: Encode) -> bytes | None:
    fields = _long_fields(record, CLIP_SIZES[-1], encode)
    if not fields:
        return None
    for limit in CLIP_SIZES:
        over = [f for f in fields if f.chars > limit]
        if not over:
            continue
        estimate = size - sum(
            f.encoded - f.estimate(limit) - len(f.path) - _CUT_OVERHEAD for f in over
        )
        if estimate - _ESTIMATE_SLACK * len(over) > max_bytes and limit != CLIP_SIZES[-1]:
            continue
        data = encode(_clip(record, limit))
        if len(data) <= max_bytes:
            return data
    return None


def _drop_middle(record: RecordV1) -> RecordV1:
    results: list[ResultV1] = []
    cuts: list[TruncationV1] = []
    for item in record.results:
        if len(item.turns) <= 2:
            results.append(item)
            continue
        cuts.append(TruncationV1(path=f"results[{item.index}].turns", original_len=len(item.turns)))
        results.append(
            _replace(
                item,
                turns=(item.turns[0], item.turns[-1]),
                turns_dropped=item.turns_dropped + len(item.turns) - 2,
            )
        )
    if not cuts:
        return record
    return _replace(record, results=tuple(results), truncated=(*record.truncated, *cuts))


def _stub(record: RecordV1, original: int, summary_chars: int, encode: Encode) -> bytes:
    results = tuple(
        ResultV1(
            index=r.index,
            status=r.status,
            summary=_short(r.summary, summary_chars),
            harm_category=r.harm_category,
            strategy=r.strategy,
            observability_level=r.observability_level,
            duration_seconds=r.duration_seconds,
        )
        for r in record.results
    )
    cuts = tuple(TruncationV1(path=f"results[{r.index}]", original_len=original) for r in results)
    stub = _replace(
        record, results=results, truncated=(*record.truncated, *cuts), original_bytes=original
    )
    return encode(stub)


def _short(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    if limit == 0:
        return ""
    suffix = _SUFFIX.format(k=len(text))
    keep = max(0, limit - len(suffix))
    suffix = _SUFFIX.format(k=len(text) - keep)
    return (text[:keep] + suffix)[:limit]


def fit(record: RecordV1, data: bytes, max_bytes: int, encode: Encode = _ENCODER.encode) -> bytes:
    """Encode ``record`` (whose full encoding by ``encode`` is ``data``) within ``max_bytes``,
    or as a stub; ``encode`` is the JSON or the MessagePack encoder's.

    Raises ``BudgetError`` only when the stub itself exceeds ``STUB_MAX_BYTES``.
    """
    original = len(data)
    fitted = _stage_text(record, original, max_bytes, encode)
    if fitted is not None:
        return fitted
    trimmed = _drop_middle(record)
    if trimmed is not record:
        data = encode(trimmed)
        if len(data) <= max_bytes:
            return data
        fitted = _stage_text(trimmed, len(data), max_bytes, encode)
        if fitted is not None:
            return fitted
    for chars in (STUB_SUMMARY_CHARS, 0):
        stub = _stub(record, original, chars, encode)
        if len(stub) <= STUB_MAX_BYTES:
            return stub
    raise BudgetError(f"even the verdict-only stub of this record is over {STUB_MAX_BYTES} bytes")
