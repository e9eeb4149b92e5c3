"""Property-based fuzzing of the record boundary (R-XD-6, R-XD-8).

The decoder faces whatever a worker (or anything pretending to be one) attached to a report: it
must never raise anything but the documented transport errors, and never accept a record that
breaks the schema.
"""

from __future__ import annotations

import datetime
import json
import math
from collections.abc import Callable
from typing import Any

import msgspec
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import pytest
from rampart.core.result import Result, SafetyStatus
from rampart.core.types import EvalOutcome, EvalResult, Request, Response, ToolCall, Turn
from rampart_xdist import WorkerOutputError, decode_record, record_to_results
from rampart_xdist._codec import encode_record_info
from rampart_xdist.wire import NegoFail, RecordV1

pytestmark = pytest.mark.xdist

FUZZ = settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=20,
)

any_text = st.text(alphabet=st.characters(codec=None, categories=None), max_size=50)


@st.composite
def results(draw: st.DrawFn) -> Result:
    turns = [
        Turn(
            request=Request(prompt=draw(any_text)),
            response=Response(
                text=draw(any_text),
                tool_calls=[ToolCall(name=draw(any_text), arguments={"a": draw(json_values)})],
                metadata=draw(st.dictionaries(any_text, json_values, max_size=3)),
            ),
            eval_result=EvalResult(
                outcome=draw(st.sampled_from(list(EvalOutcome))),
                confidence=draw(st.floats(0, 1)),
                evidence=draw(st.lists(any_text, max_size=3)),
            ),
            turn_number=n,
        )
        for n in range(draw(st.integers(0, 3)))
    ]
    return Result(
        status=draw(st.sampled_from(list(SafetyStatus))),
        summary=draw(any_text),
        turns=turns,
        duration_seconds=draw(st.floats(allow_nan=True, allow_infinity=True)),
        harm_category=draw(st.none() | any_text),
        metadata=draw(st.dictionaries(any_text, json_values, max_size=3)),
    )


def encoded(items: list[Result], binary: bool = False) -> str | bytes:
    """A record as JSON text, or as the MessagePack bytes the transport sends (JSON text again
    when it holds an integer beyond 64 bits, which MessagePack cannot carry)."""
    data, _ = encode_record_info(
        nodeid="t.py::test_x",
        results=items,
        trial=None,
        seq=3,
        run_nonce="n",
        worker="gw1",
        binary=binary,
    )
    return data


def loads(data: str | bytes) -> Any:
    return msgspec.msgpack.decode(data) if isinstance(data, bytes) else json.loads(data)


def dumps(value: object, binary: bool) -> str | bytes:
    return msgspec.msgpack.encode(value) if binary else json.dumps(value)


def decode_or_error(data: Any) -> RecordV1 | NegoFail | None:
    try:
        return decode_record(data=data)
    except WorkerOutputError:
        return None


@FUZZ
@given(st.text() | st.binary())
def test_arbitrary_input_only_raises_transport_errors(data: str | bytes) -> None:
    decode_or_error(data)


@FUZZ
@given(json_values)
def test_arbitrary_json_only_raises_transport_errors(value: object) -> None:
    assert decode_or_error(json.dumps(value)) is None


msgpack_ints = st.integers(-(2**63), 2**64 - 1)
# What MessagePack can carry beyond JSON: bytes, extension types, timestamps, non-string keys.
msgpack_values = st.recursive(
    st.none()
    | st.booleans()
    | msgpack_ints
    | st.floats()
    | st.text()
    | st.binary(max_size=8)
    | st.builds(msgspec.msgpack.Ext, st.integers(0, 127), st.binary(max_size=4))
    | st.datetimes(timezones=st.just(datetime.UTC)),
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(st.text() | msgpack_ints | st.binary(max_size=4), inner, max_size=4)
    ),
    max_leaves=20,
)


@FUZZ
@given(msgpack_values)
def test_arbitrary_msgpack_only_raises_transport_errors(value: object) -> None:
    assert decode_or_error(msgspec.msgpack.encode(value)) is None


@pytest.mark.parametrize("binary", [False, True], ids=["json", "msgpack"])
@FUZZ
@given(items=st.lists(results(), max_size=3))
def test_encoded_records_always_decode_with_verdicts_intact(
    items: list[Result], binary: bool
) -> None:
    data = encoded(items, binary)
    if isinstance(data, str):
        data.encode("utf-8")  # R-XD-8: valid UTF-8 whatever the input text held
    record = decode_record(data=data)
    assert isinstance(record, RecordV1)
    assert record.encode_error is None
    rebuilt = record_to_results(record=record)
    assert [r.status for r in rebuilt] == [r.status for r in items]


Mutation = Callable[[dict[str, Any]], None]


def _set(path: list[str | int], value: object) -> Mutation:
    def mutate(record: dict[str, Any]) -> None:
        node: Any = record
        for step in path[:-1]:
            node = node[step]
        node[path[-1]] = value

    return mutate


def _delete(path: list[str | int]) -> Mutation:
    def mutate(record: dict[str, Any]) -> None:
        node: Any = record
        for step in path[:-1]:
            node = node[step]
        del node[path[-1]]

    return mutate


R0: list[str | int] = ["results", 0]
T0: list[str | int] = [*R0, "turns", 0]
INVALID_MUTATIONS = {
    "missing schema": _delete(["schema"]),
    "missing nonce": _delete(["run_nonce"]),
    "missing seq": _delete(["seq"]),
    "negative seq": _set(["seq"], -1),
    "float seq": _set(["seq"], 1.5),
    "string seq": _set(["seq"], "1"),
    "zero attempt": _set(["attempt"], 0),
    "unknown top field": _set(["surprise"], 1),
    "unknown result field": _set([*R0, "surprise"], 1),
    "unknown turn field": _set([*T0, "surprise"], 1),
    "status case": _set([*R0, "status"], "SAFE"),
    "status unknown": _set([*R0, "status"], "fine"),
    "observability unknown": _set([*R0, "observability_level"], "all"),
    "outcome unknown": _set([*T0, "eval", "outcome"], "maybe"),
    "confidence high": _set([*T0, "eval", "confidence"], 1.01),
    "confidence negative": _set([*T0, "eval", "confidence"], -0.1),
    "index out of order": _set([*R0, "index"], 5),
    "metadata as a string": _set([*R0, "metadata"], "{}"),
    "metadata not object": _set([*R0, "metadata"], [1, 2]),
    "metadata too deep": _set([*R0, "metadata"], {"a": json.loads("[" * 30 + "]" * 30)}),
    "arguments not object": _set([*T0, "tool_calls", 0, "arguments"], 3),
    "details too deep": _set(
        [*T0, "side_effects"], [{"kind": "k", "details": {"a": json.loads("[" * 17 + "]" * 17)}}]
    ),
    "strategy too long": _set([*R0, "strategy"], "s" * 5000),
    "summary not text": _set([*R0, "summary"], 7),
    "results not list": _set(["results"], {"0": {}}),
    "encode error with results": _set(["encode_error"], "boom"),
    "trial threshold": _set(["trial"], {"base_nodeid": "x", "threshold": 2.0}),
    "trial n zero": _set(["trial"], {"base_nodeid": "x", "n": 0}),
    "timestamp garbage": _set([*T0, "timestamp"], "yesterday"),
}


def _nested(value: object, levels: int) -> object:
    """``value`` in a list ``levels`` mappings deep: below the typed levels of the opaque type,
    where only the decoder's hook sees it."""
    node: Any = [value]
    for _ in range(levels):
        node = {"d": node}
    return node


# Values only MessagePack can carry; each must be refused wherever it is put.
_ODD = {
    "bytes": b"x",
    "ext": msgspec.msgpack.Ext(1, b"x"),
    "timestamp": datetime.datetime(2025, 1, 1, tzinfo=datetime.UTC),
    "int key": {1: "x"},
    "bytes key": {b"k": "x"},
}
BINARY_MUTATIONS = {
    "bytes for text": _set([*R0, "summary"], b"bytes"),
    "bytes tag": _set(["schema"], b"rampart.xdist.v1"),
    "int key in arguments": _set([*T0, "tool_calls", 0, "arguments"], {7: "x"}),
    "NaN confidence": _set([*T0, "eval", "confidence"], math.nan),
    "NaN duration": _set([*R0, "duration_seconds"], math.nan),
    "infinite duration": _set([*R0, "duration_seconds"], math.inf),
    **{f"{name} in metadata": _set([*R0, "metadata"], {"k": odd}) for name, odd in _ODD.items()},
    **{
        f"{name} deep in details": _set(
            [*T0, "side_effects"], [{"kind": "k", "details": _nested(odd, 6)}]
        )
        for name, odd in _ODD.items()
    },
}


@pytest.mark.parametrize(
    ("binary", "mutations"),
    [(False, INVALID_MUTATIONS), (True, INVALID_MUTATIONS), (True, BINARY_MUTATIONS)],
    ids=["json", "msgpack", "msgpack-only-values"],
)
@FUZZ
@given(items=st.lists(results(), min_size=1, max_size=2), data=st.data())
def test_invalid_records_are_never_accepted(
    items: list[Result], data: st.DataObject, binary: bool, mutations: dict[str, Mutation]
) -> None:
    mutation = data.draw(st.sampled_from(sorted(mutations)))
    original = encoded(items, binary)
    assume(isinstance(original, bytes) == binary)
    record = loads(original)
    first = record["results"][0]
    if not first.get("turns"):
        first["turns"] = [
            {
                "turn_number": 0,
                "prompt": "p",
                "eval": {"outcome": "detected"},
                "tool_calls": [{"name": "t"}],
            }
        ]
    turn = first["turns"][0]
    turn.setdefault("eval", {"outcome": "detected"})
    turn.setdefault("tool_calls", [{"name": "t"}])
    assert decode_or_error(dumps(record, binary)) is not None, "the unmutated record must decode"
    mutations[mutation](record)
    with pytest.raises(WorkerOutputError):
        decode_record(data=dumps(record, binary))


@pytest.mark.parametrize("binary", [False, True], ids=["json", "msgpack"])
@FUZZ
@given(items=st.lists(results(), min_size=1, max_size=2), data=st.data())
def test_corrupted_records_only_raise_transport_errors(
    items: list[Result], data: st.DataObject, binary: bool
) -> None:
    """Bytes changed anywhere in a valid record (invalid UTF-8 inside a string, a length or a
    type byte gone wrong): the decoder accepts the record or names a transport error."""
    original = encoded(items, binary)
    raw = bytearray(original if isinstance(original, bytes) else original.encode("utf-8"))
    for _ in range(data.draw(st.integers(1, 4))):
        raw[data.draw(st.integers(0, len(raw) - 1))] = data.draw(st.integers(0, 255))
    decode_or_error(bytes(raw))
