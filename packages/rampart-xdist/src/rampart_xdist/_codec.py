"""Result <-> wire conversion, record encoding and strict decoding (R-XD-3 .. R-XD-8).

A record has two encodings of the one schema: JSON text (``encode_record``, for tools and
tests, and the transport's fallback) and MessagePack bytes (what the transport sends). The
decoder takes either and tells them apart by the first byte: JSON text of an object starts
with ``{`` or whitespace, a MessagePack record with a map header. See docs/decisions.md.
"""

from __future__ import annotations

import datetime
import math
import re
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from functools import cache
from itertools import repeat
from typing import TYPE_CHECKING, Any, Final, TypeVar, cast

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
from rampart_xdist._constants import DEFAULT_SIZE_LIMIT_BYTES
from rampart_xdist._errors import SchemaVersionError, SizeLimitError, WorkerOutputError
from rampart_xdist._jsonsafe import fix_surrogates, json_safe
from rampart_xdist._version import package_version
from rampart_xdist.wire import (
    _JSON_SCALARS,
    ACCEPTED_SCHEMAS,
    MAX_IDENTIFIER_CHARS,
    MAX_LIST_ITEMS,
    MAX_LONG_IDENTIFIER_CHARS,
    MAX_METADATA_DEPTH,
    NEGO_FAIL_TAG,
    SCHEMA_VERSION,
    AttachmentV1,
    EvalV1,
    InjectionV1,
    NegoFail,
    RecordV1,
    ResultV1,
    SideEffectV1,
    ToolCallV1,
    TrialRefV1,
    TruncationV1,
    TurnV1,
    check_deep_json,
)

if TYPE_CHECKING:
    from rampart_xdist import _assemble

__all__ = [
    "decode_and_rebuild",
    "decode_record",
    "encode_nego_fail",
    "encode_record",
    "encode_record_info",
    "record_to_results",
    "result_to_wire",
    "results_from_wire",
    "strip_group_suffix",
]

_ENCODER: Final = msgspec.json.Encoder()
_BINARY_ENCODER: Final = msgspec.msgpack.Encoder()
# Bytes that can open JSON text of an object; no MessagePack map header is among them.
_JSON_START: Final = frozenset(b"{ \t\r\n")


class _TagProbe(msgspec.Struct):
    schema: object = None


_Decode = Callable[[Any], Any]  # str or bytes for JSON, bytes for MessagePack


@cache
def _decoders(binary: bool) -> tuple[_Decode, _Decode]:
    """The record decoder and the tag probe of one encoding, built on first use (only a
    controller decodes)."""
    if binary:
        return (
            msgspec.msgpack.Decoder(RecordV1 | NegoFail, dec_hook=check_deep_json).decode,
            msgspec.msgpack.Decoder(_TagProbe).decode,
        )
    return (
        msgspec.json.Decoder(RecordV1 | NegoFail, dec_hook=check_deep_json).decode,
        msgspec.json.Decoder(_TagProbe).decode,
    )


def _is_binary(data: str | bytes) -> bool:
    return isinstance(data, bytes) and len(data) > 0 and data[0] not in _JSON_START


_SUFFIX: Final = "…[truncated {k} chars]"
_RESULT_PATH: Final = re.compile(r"results\[(\d+)\]")
_GROUP_SUFFIX: Final = re.compile(r"@[^@:/\[\]]*\Z")
_MAX_FLOAT: Final = sys.float_info.max
# How msgspec reports check_deep_json's refusal of an opaque value.
_TOO_DEEP: Final = re.compile(
    r"nested deeper than \d+ - at `\$\.(.*?\.(?:metadata|arguments|details|response_metadata))[\[`]"
)

Fix = Callable[[str], str]
_T = TypeVar("_T")


def _same(text: str) -> str:
    return text


def strip_group_suffix(nodeid: str, /) -> str:
    """Drop the ``@group`` suffix that xdist's loadgroup mode appends to node ids."""
    if "@" not in nodeid:
        return nodeid
    return _GROUP_SUFFIX.sub("", nodeid)


class _Cuts:
    """Collects the cuts made while shaping a record to the R-XD-4 limits."""

    __slots__ = ("items",)

    def __init__(self) -> None:
        self.items: list[TruncationV1] = []

    def ident(self, value: str, path: str, limit: int = MAX_IDENTIFIER_CHARS) -> str:
        if len(value) <= limit:
            return value
        self.items.append(TruncationV1(path=path[:MAX_IDENTIFIER_CHARS], original_len=len(value)))
        suffix = _SUFFIX.format(k=len(value) - limit)
        return value[: limit - len(suffix)] + suffix

    def items_of(self, values: Sequence[_T], path: str) -> Sequence[_T]:
        if len(values) <= MAX_LIST_ITEMS:
            return values
        self.items.append(TruncationV1(path=path, original_len=len(values)))
        return values[:MAX_LIST_ITEMS]


def _opaque(value: object) -> dict[str, Any]:
    """The JSON-safe form of a free-form mapping, as the record embeds it (R-XD-4)."""
    if type(value) is dict:
        # Fast path: a flat mapping of exact str keys and exact scalars is its own JSON-safe
        # form (NaN and infinities travel as themselves in MessagePack and as null in JSON, and
        # either way a report writes null, as to_json_safe does; a lone surrogate makes the
        # record's encode fail, which repairs every string). A plain loop is the cheapest check.
        for key, item in value.items():
            if type(key) is not str or type(item) not in _JSON_SCALARS:
                break
        else:
            return value
    elif not value:
        return {}
    safe = json_safe(value)
    return safe if isinstance(safe, dict) else {"_rampart_value": safe}


def _when(value: datetime.datetime | None) -> Any:
    """A timestamp as the record carries it: the datetime itself, or RFC 3339 text when it has
    a UTC offset other than zero.

    MessagePack writes an aware datetime as a UTC timestamp, which would lose the offset (and a
    report would show another time than a serial run's); the text form, which is exactly what
    JSON writes, keeps it, and the decoder reads either into the same datetime. Any: the text
    goes into a field typed ``datetime``.
    """
    if value is None or value.tzinfo is None or not value.utcoffset():
        return value
    return _ENCODER.encode(value)[1:-1].decode()


def _finite(value: float) -> float:
    number = float(value)
    return number if math.isfinite(number) else 0.0


def _unit(value: float) -> float:
    number = float(value)
    if number != number:  # NaN
        return 0.0
    return min(max(number, 0.0), 1.0)


def _enum_value(value: object) -> Any:
    # Any: the result feeds Literal-typed wire fields; the decoder checks the actual value.
    raw = getattr(value, "value", value)
    return str(raw)


def _texts(values: Sequence[object]) -> tuple[str, ...]:
    for value in values:
        if type(value) is not str:
            return tuple([str(v) for v in values])
    return tuple(values)  # type: ignore[arg-type]


def _tpath(index: int, number: int) -> str:
    return f"results[{index}].turns[{number}]"


def _attachments(
    payloads: Sequence[Payload], index: int, number: int, cuts: _Cuts
) -> tuple[AttachmentV1, ...]:
    return tuple(
        AttachmentV1(
            id=cuts.ident(p.id, f"{_tpath(index, number)}.attachments[{a}].id"),
            content=p.content,
            format=_enum_value(p.format),
            artifact=None
            if p.artifact is None
            else cuts.ident(str(p.artifact), f"{_tpath(index, number)}.attachments[{a}].artifact"),
            metadata=_opaque(p.metadata),
        )
        for a, p in enumerate(cuts.items_of(payloads, f"{_tpath(index, number)}.attachments"))
    )


def _tool_calls(
    calls: Sequence[ToolCall], index: int, number: int, cuts: _Cuts
) -> tuple[ToolCallV1, ...]:
    if len(calls) > MAX_LIST_ITEMS:
        calls = cuts.items_of(calls, f"{_tpath(index, number)}.tool_calls")
    built: list[ToolCallV1] = []
    for c in calls:
        name = c.name
        if len(name) > MAX_IDENTIFIER_CHARS:
            name = cuts.ident(name, f"{_tpath(index, number)}.tool_calls[{len(built)}].name")
        result = c.result
        arguments = c.arguments
        built.append(
            ToolCallV1(
                name,
                _opaque(arguments) if arguments else {},
                result if result is None or type(result) is str else str(result),
                _when(c.timestamp),
            )
        )
    return tuple(built)


def _side_effects(
    effects: Sequence[SideEffect], index: int, number: int, cuts: _Cuts
) -> tuple[SideEffectV1, ...]:
    if len(effects) > MAX_LIST_ITEMS:
        effects = cuts.items_of(effects, f"{_tpath(index, number)}.side_effects")
    built: list[SideEffectV1] = []
    for e in effects:
        kind = e.kind
        if len(kind) > MAX_IDENTIFIER_CHARS:
            kind = cuts.ident(kind, f"{_tpath(index, number)}.side_effects[{len(built)}].kind")
        details = e.details
        built.append(SideEffectV1(kind, _opaque(details) if details else {}))
    return tuple(built)


def _eval_to_wire(verdict: EvalResult, index: int, number: int, cuts: _Cuts) -> EvalV1:
    evidence: Sequence[str] = verdict.evidence
    if len(evidence) > MAX_LIST_ITEMS:
        evidence = cuts.items_of(evidence, f"{_tpath(index, number)}.eval.evidence")
    confidence = verdict.confidence
    if type(confidence) is not float or not 0.0 <= confidence <= 1.0:
        confidence = _unit(confidence)
    # ``_value_`` is a plain attribute; ``.value`` and hashing a member go through Python code.
    outcome = verdict.outcome
    return EvalV1(
        outcome=outcome._value_ if type(outcome) is EvalOutcome else _enum_value(outcome),
        confidence=confidence,
        evidence=_texts(evidence) if evidence else (),
        rationale=verdict.rationale,
    )


def _turn_to_wire(turn: Turn, index: int, number: int, cuts: _Cuts) -> TurnV1:
    # The hot path of every record, written out flat: a turn's usual single tool call and side
    # effect, and its verdict, are converted inline (positional struct arguments, in field
    # order); anything longer or needing a cut goes through the helpers, which build path
    # strings only then.
    request = turn.request
    response = turn.response
    attachments = request.attachments
    calls = response.tool_calls
    tool_calls: tuple[ToolCallV1, ...] = ()
    if calls:
        if len(calls) == 1 and len((call := calls[0]).name) <= MAX_IDENTIFIER_CHARS:
            result = call.result
            arguments = call.arguments
            called = call.timestamp
            tool_calls = (
                ToolCallV1(
                    call.name,
                    _opaque(arguments) if arguments else {},
                    result if result is None or type(result) is str else str(result),
                    called if called is None or called.tzinfo is None else _when(called),
                ),
            )
        else:
            tool_calls = _tool_calls(calls, index, number, cuts)
    effects = response.side_effects
    side_effects: tuple[SideEffectV1, ...] = ()
    if effects:
        if len(effects) == 1 and len((effect := effects[0]).kind) <= MAX_IDENTIFIER_CHARS:
            details = effect.details
            side_effects = (SideEffectV1(effect.kind, _opaque(details) if details else {}),)
        else:
            side_effects = _side_effects(effects, index, number, cuts)
    metadata = response.metadata
    when = turn.timestamp
    verdict = turn.eval_result
    wire_eval: EvalV1 | None = None
    if verdict is not None:
        evidence = verdict.evidence
        confidence = verdict.confidence
        outcome = verdict.outcome
        # ``_value_`` is a plain attribute; ``.value`` and hashing a member go through Python.
        if (
            type(outcome) is EvalOutcome
            and type(confidence) is float
            and 0.0 <= confidence <= 1.0
            and len(evidence) <= 1
        ):
            wire_eval = EvalV1(
                outcome._value_,
                confidence,
                ()
                if not evidence
                else (evidence[0],)
                if type(evidence[0]) is str
                else _texts(evidence),
                verdict.rationale,
            )
        else:
            wire_eval = _eval_to_wire(verdict, index, number, cuts)
    return TurnV1(
        turn.turn_number,
        request.prompt,
        _attachments(attachments, index, number, cuts) if attachments else (),
        response.text,
        tool_calls,
        side_effects,
        _opaque(metadata) if metadata else {},
        wire_eval,
        when if when is None or when.tzinfo is None else _when(when),
        turn.driver_reasoning,
    )


def _injections(
    records: Sequence[InjectionRecord], index: int, cuts: _Cuts
) -> tuple[InjectionV1, ...]:
    if len(records) > MAX_LIST_ITEMS:
        records = cuts.items_of(records, f"results[{index}].injections")
    built: list[InjectionV1] = []
    for r in records:
        surface = r.surface_name
        if len(surface) > MAX_IDENTIFIER_CHARS:
            path = f"results[{index}].injections[{len(built)}].surface_name"
            surface = cuts.ident(surface, path)
        payload_id = r.payload_id
        if payload_id is not None and len(payload_id) > MAX_IDENTIFIER_CHARS:
            path = f"results[{index}].injections[{len(built)}].payload_id"
            payload_id = cuts.ident(payload_id, path)
        built.append(InjectionV1(surface_name=surface, payload_id=payload_id))
    return tuple(built)


def _scrub(value: _T, fix: Fix) -> _T:
    """``value`` (a wire struct, tuple, JSON value or scalar) with ``fix`` applied to every string."""
    if isinstance(value, str):
        return fix(value)  # type: ignore[return-value]
    if isinstance(value, dict):
        return {fix(str(k)): _scrub(v, fix) for k, v in value.items()}  # type: ignore[return-value]
    if isinstance(value, list):
        return [_scrub(v, fix) for v in value]  # type: ignore[return-value]
    if isinstance(value, tuple):
        return tuple([_scrub(v, fix) for v in value])  # type: ignore[return-value]
    if isinstance(value, msgspec.Struct):
        changes = {name: _scrub(getattr(value, name), fix) for name in value.__struct_fields__}
        return msgspec.structs.replace(value, **changes)
    return value


def result_to_wire(
    result: Result, index: int, cuts: _Cuts | None = None, fix: Fix = _same
) -> ResultV1:
    """The wire form of one result (no size budget applied).

    Lengths and list sizes are clipped to the R-XD-4 limits (each cut recorded in ``cuts``);
    ``fix`` is applied to every string afterwards (it must keep lengths, as
    ``fix_surrogates`` does).
    """
    cuts = cuts if cuts is not None else _Cuts()
    category = result.harm_category
    if category is not None:
        if type(category) is HarmCategory:
            category = category._value_
        elif type(category) is not str:
            category = _enum_value(category)
        if len(category) > MAX_IDENTIFIER_CHARS:
            category = cuts.ident(category, f"results[{index}].harm_category")
    strategy = result.strategy
    if len(strategy) > MAX_IDENTIFIER_CHARS:
        strategy = cuts.ident(strategy, f"results[{index}].strategy")
    turns: Sequence[Turn] = result.turns
    if len(turns) > MAX_LIST_ITEMS:
        turns = cuts.items_of(turns, f"results[{index}].turns")
    injections: tuple[InjectionV1, ...] = ()
    if result.injections:
        injections = _injections(result.injections, index, cuts)
    status = result.status
    level = result.observability_level
    duration = result.duration_seconds
    if type(duration) is not float or not -_MAX_FLOAT <= duration <= _MAX_FLOAT:
        duration = _finite(duration)
    # Positional arguments, in field order: keyword matching is a visible cost per result.
    wire = ResultV1(
        index,
        status._value_ if type(status) is SafetyStatus else _enum_value(status),
        result.summary,
        category,
        strategy,
        level._value_ if type(level) is ObservabilityLevel else _enum_value(level),
        duration,
        injections,
        _opaque(result.metadata),
        tuple(map(_turn_to_wire, turns, repeat(index), range(len(turns)), repeat(cuts)))
        if turns
        else (),
    )
    return wire if fix is _same else _scrub(wire, fix)


def _trial_ref(trial: object, cuts: _Cuts, fix: Fix) -> TrialRefV1 | None:
    if trial is None:
        return None
    if isinstance(trial, TrialRefV1):
        return trial
    get: Callable[[str], Any]
    if isinstance(trial, Mapping):
        get = trial.__getitem__
    else:

        def get(name: str) -> Any:
            return getattr(trial, name)

    return TrialRefV1(
        base_nodeid=cuts.ident(
            fix(str(get("base_nodeid"))), "trial.base_nodeid", MAX_LONG_IDENTIFIER_CHARS
        ),
        index=int(get("index")),
        n=int(get("n")),
        threshold=_unit(get("threshold")),
    )


def _build(
    *,
    nodeid: str,
    results: Sequence[Result],
    trial: object,
    seq: int,
    run_nonce: str,
    worker: str,
    attempt: int,
    fix: Fix,
) -> RecordV1:
    cuts = _Cuts()
    record_nodeid = cuts.ident(fix(nodeid), "nodeid", MAX_LONG_IDENTIFIER_CHARS)
    record_worker = cuts.ident(fix(worker), "worker", MAX_LONG_IDENTIFIER_CHARS)
    nonce = cuts.ident(fix(run_nonce), "run_nonce")
    trial_ref = _trial_ref(trial, cuts, fix)
    wire_results = tuple(
        [result_to_wire(r, i, cuts, fix) for i, r in enumerate(cuts.items_of(results, "results"))]
    )
    return RecordV1(
        run_nonce=nonce,
        worker=record_worker,
        seq=seq,
        nodeid=record_nodeid,
        attempt=attempt,
        package_version=package_version(),
        results=wire_results,
        trial=trial_ref,
        truncated=tuple(cuts.items),
    )


def _error_record(
    *, nodeid: str, seq: int, run_nonce: str, worker: str, attempt: int, error: str
) -> str:
    record = RecordV1(
        run_nonce=fix_surrogates(run_nonce)[:MAX_IDENTIFIER_CHARS],
        worker=fix_surrogates(worker)[:MAX_LONG_IDENTIFIER_CHARS],
        seq=max(0, seq),
        nodeid=fix_surrogates(nodeid)[:MAX_LONG_IDENTIFIER_CHARS],
        attempt=max(1, attempt),
        package_version=package_version(),
        encode_error=fix_surrogates(error)[:1000],
    )
    return _ENCODER.encode(record).decode()


def _encode(record: RecordV1, binary: bool) -> tuple[bytes, bool]:
    """The record as MessagePack if ``binary`` and possible, else as JSON; and which it is.

    MessagePack has no integers beyond 64 bits, which JSON (and an opaque mapping) may hold:
    such a record goes as JSON text rather than losing or changing the number.
    """
    if binary:
        try:
            return _BINARY_ENCODER.encode(record), True
        except OverflowError:
            pass
    return _ENCODER.encode(record), False


def encode_record_info(
    *,
    nodeid: str,
    results: Sequence[Result],
    trial: object,
    seq: int,
    run_nonce: str,
    worker: str,
    attempt: int = 1,
    schema: str = SCHEMA_VERSION,
    max_bytes: int = DEFAULT_SIZE_LIMIT_BYTES,
    binary: bool = False,
) -> tuple[str | bytes, str]:
    """``encode_record`` plus how it went: ``"ok"``, ``"truncated"`` or ``"error"``.

    With ``binary`` the record is MessagePack ``bytes`` when it can be (see ``_encode``).
    """
    try:
        if schema != SCHEMA_VERSION:
            raise WorkerOutputError(f"cannot write record schema {schema!r}")
        fields: dict[str, Any] = {
            "nodeid": str(nodeid),
            "results": list(results),
            "trial": trial,
            "seq": int(seq),
            "run_nonce": str(run_nonce),
            "worker": str(worker),
            "attempt": int(attempt),
        }
        record = _build(fix=_same, **fields)
        try:
            data, sent_binary = _encode(record, binary)
        except UnicodeEncodeError:
            # Rare: some text holds a lone surrogate. Rebuild with every string repaired.
            record = _build(fix=fix_surrogates, **fields)
            data, sent_binary = _encode(record, binary)
        outcome = "truncated" if record.truncated else "ok"
        if len(data) > max_bytes:
            from rampart_xdist import budget

            encoder = _BINARY_ENCODER if sent_binary else _ENCODER
            data = budget.fit(record, data, max_bytes, encoder.encode)
            outcome = "truncated"
        return (data if sent_binary else data.decode()), outcome
    except Exception as exc:
        message = f"{type(exc).__name__}: {exc}"
        try:
            text = _error_record(
                nodeid=str(nodeid),
                seq=int(seq),
                run_nonce=str(run_nonce),
                worker=str(worker),
                attempt=int(attempt),
                error=message,
            )
        except Exception:
            text = _error_record(
                nodeid="?", seq=0, run_nonce="?", worker="?", attempt=1, error="encode failed"
            )
        return text, "error"


def encode_record(
    *,
    nodeid: str,
    results: Sequence[Result],
    trial: object,
    seq: int,
    run_nonce: str,
    worker: str,
    attempt: int = 1,
    schema: str = SCHEMA_VERSION,
    max_bytes: int = DEFAULT_SIZE_LIMIT_BYTES,
) -> str:
    """Encode one test's results as a record that fits ``max_bytes`` (R-XD-5).

    Returns valid UTF-8 JSON text. It never raises: anything that cannot be encoded becomes a
    record that carries ``encode_error`` and no results.
    """
    data, _ = encode_record_info(
        nodeid=nodeid,
        results=results,
        trial=trial,
        seq=seq,
        run_nonce=run_nonce,
        worker=worker,
        attempt=attempt,
        schema=schema,
        max_bytes=max_bytes,
    )
    return cast(str, data)  # JSON text: ``binary`` was not asked for


def encode_nego_fail(*, worker: str, supported: Iterable[str], offered: Iterable[str]) -> str:
    """The stub a worker sends on every teardown report when negotiation failed (R-XD-2)."""
    stub = NegoFail(
        worker=fix_surrogates(worker)[:MAX_LONG_IDENTIFIER_CHARS],
        package_version=package_version(),
        supported=tuple(fix_surrogates(str(s))[:MAX_IDENTIFIER_CHARS] for s in supported)[:64],
        offered=tuple(fix_surrogates(str(s))[:MAX_IDENTIFIER_CHARS] for s in offered)[:64],
    )
    return _ENCODER.encode(stub).decode()


# --- decoding --------------------------------------------------------------------------------


def _utf8_size(data: str | bytes) -> int:
    if isinstance(data, bytes | bytearray | memoryview):
        return len(data)
    length = len(data)
    if data.isascii():
        return length
    try:
        return len(data.encode("utf-8"))
    except UnicodeEncodeError as exc:
        raise WorkerOutputError("record is not valid UTF-8 text") from exc


def _validate(record: RecordV1) -> None:
    # Everything else, opaque JSON depth included, is part of the decoded type.
    for position, result in enumerate(record.results):
        if result.index != position:
            raise WorkerOutputError(f"results[{position}]: index {result.index} out of order")


def _schema_error(
    data: str | bytes, binary: bool, accept: Sequence[str], exc: Exception
) -> WorkerOutputError:
    try:
        tag = _decoders(binary)[1](data).schema
    except (msgspec.DecodeError, UnicodeError, RecursionError):
        # The probe reads the whole input too: what it cannot read is malformed as a whole.
        return WorkerOutputError(f"malformed record: {exc}")
    if tag is None:
        return SchemaVersionError("record has no schema tag")
    deep = _TOO_DEEP.search(str(exc))
    if deep is not None:
        return WorkerOutputError(f"{deep.group(1)}: nested deeper than {MAX_METADATA_DEPTH}")
    if not isinstance(tag, str) or (tag not in accept and tag != NEGO_FAIL_TAG):
        shown = tag[:100] if isinstance(tag, str) else type(tag).__name__
        return SchemaVersionError(f"unknown record schema {shown!r}; accepted: {', '.join(accept)}")
    return WorkerOutputError(f"invalid record: {exc}")


def _decode_struct(data: str | bytes, accept: Sequence[str], max_bytes: int) -> RecordV1 | NegoFail:
    if not isinstance(data, str | bytes):
        raise WorkerOutputError(
            f"record must be JSON text or MessagePack bytes, got {type(data).__name__}"
        )
    if len(data) > max_bytes or (len(data) * 4 > max_bytes and _utf8_size(data) > max_bytes):
        raise SizeLimitError(f"record of {_utf8_size(data)} bytes is over the {max_bytes} cap")
    binary = _is_binary(data)
    try:
        record: RecordV1 | NegoFail = _decoders(binary)[0](data)
    except msgspec.ValidationError as exc:
        raise _schema_error(data, binary, accept, exc) from None
    except (msgspec.DecodeError, UnicodeError) as exc:
        # UnicodeError: text that is not valid UTF-8, in either encoding.
        raise WorkerOutputError(f"malformed record: {exc}") from None
    except RecursionError:
        raise WorkerOutputError("malformed record: nested too deeply") from None
    if isinstance(record, NegoFail):
        return record
    if SCHEMA_VERSION not in accept:
        raise SchemaVersionError(
            f"record schema {SCHEMA_VERSION!r} is not accepted: {', '.join(accept)}"
        )
    if record.encode_error is not None and record.results:
        raise WorkerOutputError("an encode_error record carries no results")
    return record


def decode_record(
    *,
    data: str | bytes,
    accept: Sequence[str] = ACCEPTED_SCHEMAS,
    max_bytes: int = DEFAULT_SIZE_LIMIT_BYTES,
) -> RecordV1 | NegoFail:
    """Strictly decode one record (R-XD-6).

    Raises ``SizeLimitError`` for a record over ``max_bytes`` (UTF-8 bytes),
    ``SchemaVersionError`` for a missing or unaccepted tag and ``WorkerOutputError`` for any
    other defect; nothing else escapes.
    """
    record = _decode_struct(data, accept, max_bytes)
    if isinstance(record, RecordV1):
        _validate(record)
    return record


def decode_and_rebuild(
    *, data: str | bytes, accept: Sequence[str], max_bytes: int
) -> tuple[RecordV1 | NegoFail, list[Result]]:
    """``decode_record`` then ``record_to_results`` in one pass (each opaque field parsed once).

    Used by the controller: the results exist only if the whole record is valid.
    """
    record = _decode_struct(data, accept, max_bytes)
    if isinstance(record, NegoFail):
        return record, []
    return record, _rebuild(record, owned=True)


# --- rebuilding ------------------------------------------------------------------------------


def _same_mapping(value: dict[str, Any]) -> dict[str, Any]:
    return value


Take = Callable[[dict[str, Any]], dict[str, Any]]


def _payload(attachment: AttachmentV1, take: Take) -> Payload:
    metadata = take(attachment.metadata)
    metadata["_rampart_worker_format"] = attachment.format
    metadata["_rampart_worker_artifact_path"] = attachment.artifact
    return Payload(
        content=attachment.content,
        id=attachment.id,
        format=PayloadFormat.TEXT,
        artifact=None,
        metadata=metadata,
    )


def _turn(turn: TurnV1, take: Take, outcomes: Mapping[str, EvalOutcome]) -> Turn:
    attachments = [_payload(a, take) for a in turn.attachments] if turn.attachments else []
    prompt = turn.prompt
    if prompt is None and not attachments:
        prompt = ""
    verdict = turn.eval
    return Turn(
        request=Request(prompt=prompt, attachments=attachments),
        response=Response(
            text=turn.response_text,
            tool_calls=[
                ToolCall(
                    name=c.name,
                    arguments=take(c.arguments),
                    result=c.result,
                    timestamp=c.timestamp,
                )
                for c in turn.tool_calls
            ],
            side_effects=[
                SideEffect(kind=e.kind, details=take(e.details)) for e in turn.side_effects
            ],
            metadata=take(turn.response_metadata),
        ),
        eval_result=None
        if verdict is None
        else EvalResult(
            outcome=outcomes[verdict.outcome],
            confidence=verdict.confidence,
            evidence=list(verdict.evidence),
            rationale=verdict.rationale,
        ),
        turn_number=turn.turn_number,
        timestamp=turn.timestamp,
        driver_reasoning=turn.driver_reasoning,
    )


def results_from_wire(
    results: Iterable[ResultV1],
    *,
    extra: _assemble.Tagger | None = None,
    owned: bool = False,
) -> list[Result]:
    """Rebuild results from their wire form; ``extra`` adds per-result metadata in place.

    The rebuilt results use the structs' opaque mappings themselves when ``owned`` (the caller
    drops the structs), and deep copies of them otherwise.
    """
    from rampart_xdist import _assemble

    if _assemble.FAST:
        return _assemble.assemble_results(results, extra=extra, owned=owned)
    take: Take = _same_mapping if owned else _assemble.copy_json
    rebuilt: list[Result] = []
    for position, item in enumerate(results):
        if item.index != position:
            raise WorkerOutputError(f"results[{position}]: index {item.index} out of order")
        metadata = take(item.metadata)
        if extra is not None:
            extra(metadata, item)
        category = item.harm_category
        rebuilt.append(
            Result(
                status=_assemble.STATUS[item.status],
                summary=item.summary,
                turns=[_turn(t, take, _assemble.OUTCOME) for t in item.turns],
                duration_seconds=item.duration_seconds,
                harm_category=None if category is None else _assemble.HARM.get(category, category),
                strategy=item.strategy,
                observability_level=_assemble.OBSERVABILITY[item.observability_level],
                injections=[
                    InjectionRecord(payload_id=r.payload_id, surface_name=r.surface_name)
                    for r in item.injections
                ],
                metadata=metadata,
            )
        )
    return rebuilt


def record_to_results(*, record: RecordV1) -> list[Result]:
    """Rebuild a record's results on the controller, tagged from the transport (R-XD-7)."""
    return _rebuild(record, owned=False)


def _rebuild(record: RecordV1, *, owned: bool) -> list[Result]:
    nodeid = strip_group_suffix(record.nodeid)
    test_name = nodeid.rpartition("::")[2]
    trial = record.trial
    common: dict[str, Any] = {
        "_pytest_test_name": test_name,
        "_pytest_nodeid": nodeid,
        "_rampart_source_worker": record.worker,
    }
    # A concurrent-trials item is its own group (its id is the base id); each of its results
    # already carries the trial reference of the run that produced it (R-CONC-2), which the
    # record's one spec must not overwrite.
    if trial is not None and strip_group_suffix(trial.base_nodeid) == nodeid:
        trial = None
    trial_tag: dict[str, Any] | None = None
    if trial is not None:
        trial_tag = {
            "base_nodeid": strip_group_suffix(trial.base_nodeid),
            "index": trial.index,
            "n": trial.n,
            "threshold": trial.threshold,
        }
    per_result: dict[int, list[dict[str, Any]]] = {}
    everywhere: list[dict[str, Any]] = []
    for cut in record.truncated:
        entry = {"path": cut.path, "original_len": cut.original_len}
        match = _RESULT_PATH.match(cut.path)
        if match is None:
            everywhere.append(entry)
        else:
            per_result.setdefault(int(match.group(1)), []).append(entry)
    truncated = bool(record.truncated)

    # In place, in the key order of a serial run: the common tags, the trial, the index, cuts.
    def extra(metadata: dict[str, Any], item: ResultV1) -> None:
        metadata.update(common)
        if trial_tag is not None:
            metadata["_rampart_trial"] = dict(trial_tag)
        metadata["_rampart_result_index"] = item.index
        if truncated:
            cuts = everywhere + per_result.get(item.index, [])
            if cuts:
                metadata["_rampart_truncated"] = [dict(c) for c in cuts]

    return results_from_wire(record.results, extra=extra, owned=owned)
