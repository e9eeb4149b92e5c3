"""Benchmark: Result -> wire -> Result through the msgspec schema vs stdlib json.

Both paths take the same results end to end, in records of ``BATCH`` results (one record per
test, as the transport sends them):

- wire: Result -> RecordV1 (conversion), msgspec MessagePack encode (the bytes the transport
  sends), strict decode with the schema (which bounds the depth of the embedded opaque JSON),
  rebuild with the transport's tags;
- json: Result -> dict (conversion), ``json.dumps``, ``json.loads``, hand-written validation of
  the same rules (closed field sets, types, exact enums, finite numbers, confidence range,
  identifier and list limits, metadata depth), rebuild.

Budget: the wire path is at least 4x faster end to end. Prints ``BENCH wire: PASS|FAIL`` and
exits 1 on a breach. ``--quick`` runs 10,000 results instead of 100,000.
"""

from __future__ import annotations

import argparse
import datetime
import json
import math
import sys
import time
from typing import Any

from rampart.core.result import HarmCategory, InjectionRecord, Result, SafetyStatus
from rampart.core.types import (
    EvalOutcome,
    EvalResult,
    ObservabilityLevel,
    Request,
    Response,
    SideEffect,
    ToolCall,
    Turn,
)
from rampart.reporting.json_file import to_json_safe
from rampart_xdist import _codec
from rampart_xdist._codec import _BINARY_ENCODER, _build, _same
from rampart_xdist._constants import ACCEPTED_SCHEMAS as ACCEPT
from rampart_xdist._constants import DEFAULT_SIZE_LIMIT_BYTES as CAP
from rampart_xdist.wire import NegoFail, RecordV1

BATCH = 10
BUDGET = 4.0
TURNS = 5
CHUNKS = 10  # interleaving granularity (see ``interleaved``)


def make_batch(seq: int) -> list[Result]:
    """The results of one test, made fresh (untimed) just before a path takes them.

    A worker converts a result right after the test produced it; fresh inputs keep both paths
    measuring their own work rather than cache misses on a large pool of old results.
    """
    return [make_result(seq * BATCH + k) for k in range(BATCH)]


def make_result(i: int) -> Result:
    text = f"{i:08d}" + "x" * 400  # ~1 KB per turn across prompt, response and rationale
    turns = [
        Turn(
            request=Request(prompt=f"prompt {n} " + text[:300]),
            response=Response(
                text=f"response {n} " + text,
                tool_calls=[ToolCall(name="send_email", arguments={"to": "a@b.c", "n": n})],
                side_effects=[SideEffect(kind="email", details={"id": i})],
                metadata={"latency_ms": 10.5 + n},
            ),
            eval_result=EvalResult(
                outcome=EvalOutcome.NOT_DETECTED,
                confidence=0.9,
                evidence=["no tool call"],
                rationale="Tool 'send_email' not called with matching parameters " + text[:150],
            ),
            turn_number=n,
            timestamp=datetime.datetime(2025, 1, 1, 12, 0, n),
            driver_reasoning="",
        )
        for n in range(TURNS)
    ]
    return Result(
        status=SafetyStatus.SAFE if i % 4 else SafetyStatus.UNSAFE,
        summary="Agent defended successfully",
        turns=turns,
        duration_seconds=0.25,
        harm_category=HarmCategory.DATA_EXFILTRATION,
        strategy="xpia",
        observability_level=ObservabilityLevel.TOOL_ONLY,
        injections=[InjectionRecord(payload_id=f"p{i}", surface_name="inbox")],
        metadata={"_pytest_nodeid": f"t.py::test_{i}", "_rampart_result_index": 0},
    )


# --- wire path -------------------------------------------------------------------------------


def wire_record(seq: int, batch: list[Result]) -> RecordV1:
    return _build(
        nodeid=f"t.py::test_{seq}",
        results=batch,
        trial=None,
        seq=seq,
        run_nonce="n" * 32,
        worker="gw0",
        attempt=1,
        fix=_same,
    )


def wire_round(batches: list[int]) -> tuple[float, float, float, int]:
    convert = codec = rebuild = 0.0
    count = 0
    for seq in batches:
        batch = make_batch(seq)
        t0 = time.process_time()
        record = wire_record(seq, batch)
        t1 = time.process_time()
        data = _BINARY_ENCODER.encode(record)
        decoded = _codec._decode_struct(data, ACCEPT, CAP)
        t2 = time.process_time()
        assert not isinstance(decoded, NegoFail)
        # As on the controller: the rebuilt results take the decoded mappings themselves.
        results = _codec._rebuild(decoded, owned=True)
        t3 = time.process_time()
        convert += t1 - t0
        codec += t2 - t1
        rebuild += t3 - t2
        count += len(results)
    return convert, codec, rebuild, count


# --- json path -------------------------------------------------------------------------------

STATUSES = {m.value: m for m in SafetyStatus}
OUTCOMES = {m.value: m for m in EvalOutcome}
LEVELS = {m.value: m for m in ObservabilityLevel}
MAX_ID = 4096
MAX_ITEMS = 100_000


class Invalid(Exception):
    pass


def safe(value: dict[str, Any]) -> object:
    # json.dumps needs JSON types, so the json path makes mappings JSON-safe as the wire does.
    return to_json_safe(value) if value else {}


def to_dict(result: Result, index: int) -> dict[str, Any]:
    return {
        "index": index,
        "status": result.status.value,
        "summary": result.summary,
        "harm_category": None if result.harm_category is None else str(result.harm_category),
        "strategy": result.strategy,
        "observability_level": result.observability_level.value,
        "duration_seconds": result.duration_seconds,
        "injections": [
            {"payload_id": r.payload_id, "surface_name": r.surface_name} for r in result.injections
        ],
        "metadata": safe(result.metadata),
        "turns": [
            {
                "turn_number": t.turn_number,
                "prompt": t.request.prompt,
                "attachments": [],
                "response_text": t.response.text,
                "tool_calls": [
                    {
                        "name": c.name,
                        "arguments": safe(c.arguments),
                        "result": c.result,
                        "timestamp": None if c.timestamp is None else c.timestamp.isoformat(),
                    }
                    for c in t.response.tool_calls
                ],
                "side_effects": [
                    {"kind": e.kind, "details": safe(e.details)} for e in t.response.side_effects
                ],
                "response_metadata": safe(t.response.metadata),
                "eval": None
                if t.eval_result is None
                else {
                    "outcome": t.eval_result.outcome.value,
                    "confidence": t.eval_result.confidence,
                    "evidence": t.eval_result.evidence,
                    "rationale": t.eval_result.rationale,
                },
                "timestamp": None if t.timestamp is None else t.timestamp.isoformat(),
                "driver_reasoning": t.driver_reasoning,
            }
            for t in result.turns
        ],
        "turns_dropped": 0,
    }


def need(obj: object, keys: frozenset[str]) -> dict[str, Any]:
    if not isinstance(obj, dict):
        raise Invalid("expected object")
    if obj.keys() != keys:
        raise Invalid(f"fields {sorted(obj.keys() ^ keys)}")
    return obj


def text(value: object, limit: int | None = None) -> str:
    if not isinstance(value, str):
        raise Invalid("expected str")
    if limit is not None and len(value) > limit:
        raise Invalid("too long")
    return value


def opt_text(value: object, limit: int | None = None) -> str | None:
    return None if value is None else text(value, limit)


def integer(value: object, low: int = 0) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < low:
        raise Invalid("expected int")
    return value


def number(value: object, low: float = -math.inf, high: float = math.inf) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise Invalid("expected number")
    if not math.isfinite(value) or not low <= value <= high:
        raise Invalid("out of range")
    return float(value)


def items(value: object) -> list[Any]:
    if not isinstance(value, list) or len(value) > MAX_ITEMS:
        raise Invalid("expected list")
    return value


def mapping(value: object, depth: int = 0) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise Invalid("expected object")
    check_depth(value, 0)
    return value


def check_depth(value: object, depth: int) -> None:
    if isinstance(value, dict):
        if depth > 16:
            raise Invalid("too deep")
        for child in value.values():
            check_depth(child, depth + 1)
    elif isinstance(value, list):
        if depth > 16:
            raise Invalid("too deep")
        for child in value:
            check_depth(child, depth + 1)


def when(value: object) -> datetime.datetime | None:
    return None if value is None else datetime.datetime.fromisoformat(text(value, 64))


RECORD_KEYS = frozenset({"schema", "run_nonce", "worker", "seq", "nodeid", "attempt", "results"})
RESULT_KEYS = frozenset(
    {
        "index",
        "status",
        "summary",
        "harm_category",
        "strategy",
        "observability_level",
        "duration_seconds",
        "injections",
        "metadata",
        "turns",
        "turns_dropped",
    }
)
TURN_KEYS = frozenset(
    {
        "turn_number",
        "prompt",
        "attachments",
        "response_text",
        "tool_calls",
        "side_effects",
        "response_metadata",
        "eval",
        "timestamp",
        "driver_reasoning",
    }
)
CALL_KEYS = frozenset({"name", "arguments", "result", "timestamp"})
EFFECT_KEYS = frozenset({"kind", "details"})
EVAL_KEYS = frozenset({"outcome", "confidence", "evidence", "rationale"})
INJECTION_KEYS = frozenset({"payload_id", "surface_name"})


def enum(table: dict[str, Any], value: object) -> Any:
    if not isinstance(value, str) or value not in table:
        raise Invalid("bad enum")
    return table[value]


def rebuild_turn(raw: object) -> Turn:
    t = need(raw, TURN_KEYS)
    items(t["attachments"])
    verdict = t["eval"]
    eval_result = None
    if verdict is not None:
        v = need(verdict, EVAL_KEYS)
        eval_result = EvalResult(
            outcome=enum(OUTCOMES, v["outcome"]),
            confidence=number(v["confidence"], 0.0, 1.0),
            evidence=[text(e) for e in items(v["evidence"])],
            rationale=text(v["rationale"]),
        )
    return Turn(
        request=Request(prompt=opt_text(t["prompt"])),
        response=Response(
            text=text(t["response_text"]),
            tool_calls=[
                ToolCall(
                    name=text((c := need(raw_call, CALL_KEYS))["name"], MAX_ID),
                    arguments=mapping(c["arguments"]),
                    result=opt_text(c["result"]),
                    timestamp=when(c["timestamp"]),
                )
                for raw_call in items(t["tool_calls"])
            ],
            side_effects=[
                SideEffect(
                    kind=text((e := need(raw_effect, EFFECT_KEYS))["kind"], MAX_ID),
                    details=mapping(e["details"]),
                )
                for raw_effect in items(t["side_effects"])
            ],
            metadata=mapping(t["response_metadata"]),
        ),
        eval_result=eval_result,
        turn_number=integer(t["turn_number"]),
        timestamp=when(t["timestamp"]),
        driver_reasoning=text(t["driver_reasoning"]),
    )


def rebuild(raw: object) -> list[Result]:
    record = need(raw, RECORD_KEYS)
    if record["schema"] != "rampart.xdist.v1":
        raise Invalid("schema")
    text(record["run_nonce"], MAX_ID)
    worker = text(record["worker"], 65536)
    nodeid = text(record["nodeid"], 65536)
    integer(record["seq"])
    integer(record["attempt"], 1)
    # The transport's tags, as the wire path adds them (R-XD-7): both paths give equal results.
    if "@" in nodeid:
        nodeid = nodeid.rpartition("@")[0]
    tags = {
        "_pytest_test_name": nodeid.rpartition("::")[2],
        "_pytest_nodeid": nodeid,
        "_rampart_source_worker": worker,
    }
    results = []
    for position, raw_result in enumerate(items(record["results"])):
        r = need(raw_result, RESULT_KEYS)
        if integer(r["index"]) != position:
            raise Invalid("index")
        integer(r["turns_dropped"])
        metadata = mapping(r["metadata"])
        metadata.update(tags)
        metadata["_rampart_result_index"] = position
        results.append(
            Result(
                status=enum(STATUSES, r["status"]),
                summary=text(r["summary"]),
                turns=[rebuild_turn(t) for t in items(r["turns"])],
                duration_seconds=number(r["duration_seconds"]),
                harm_category=opt_text(r["harm_category"], MAX_ID),
                strategy=text(r["strategy"], MAX_ID),
                observability_level=enum(LEVELS, r["observability_level"]),
                injections=[
                    InjectionRecord(
                        payload_id=opt_text((i := need(x, INJECTION_KEYS))["payload_id"], MAX_ID),
                        surface_name=text(i["surface_name"], MAX_ID),
                    )
                    for x in items(r["injections"])
                ],
                metadata=metadata,
            )
        )
    return results


def json_record(seq: int, batch: list[Result]) -> dict[str, Any]:
    return {
        "schema": "rampart.xdist.v1",
        "run_nonce": "n" * 32,
        "worker": "gw0",
        "seq": seq,
        "nodeid": f"t.py::test_{seq}",
        "attempt": 1,
        "results": [to_dict(r, i) for i, r in enumerate(batch)],
    }


def json_round(batches: list[int]) -> tuple[float, float, float, int]:
    convert = codec = rebuild_time = 0.0
    count = 0
    for seq in batches:
        batch = make_batch(seq)
        t0 = time.process_time()
        record = json_record(seq, batch)
        t1 = time.process_time()
        # Encoding to UTF-8 bytes is what surfaces a lone surrogate, as msgspec does.
        data = json.dumps(record, allow_nan=False, ensure_ascii=False).encode("utf-8")
        raw = json.loads(data)
        t2 = time.process_time()
        results = rebuild(raw)
        t3 = time.process_time()
        convert += t1 - t0
        codec += t2 - t1
        rebuild_time += t3 - t2
        count += len(results)
    return convert, codec, rebuild_time, count


Timing = tuple[float, float, float, int]


def _wire_results(seq: int) -> list[Result]:
    data = _BINARY_ENCODER.encode(wire_record(seq, make_batch(seq)))
    decoded = _codec._decode_struct(data, ACCEPT, CAP)
    assert not isinstance(decoded, NegoFail)
    return _codec._rebuild(decoded, owned=True)


def _json_results(seq: int) -> list[Result]:
    record = json_record(seq, make_batch(seq))
    return rebuild(json.loads(json.dumps(record, allow_nan=False, ensure_ascii=False)))


def check_equivalent() -> None:
    """Both paths must give equal results, or the comparison would be of different work."""
    for seq in (0, 1, 7):
        if _wire_results(seq) != _json_results(seq):
            raise SystemExit(f"bench wire: the two paths rebuilt different results (batch {seq})")


def interleaved(
    chunks: list[list[int]], rounds: int
) -> tuple[tuple[float, float, float], tuple[float, float, float]]:
    """Per chunk, the fastest of ``rounds`` alternating runs of each path, summed.

    The machine is shared: alternating the two paths chunk by chunk exposes both to the same
    background load, and the per-chunk minimum drops bursts that hit only one run. The order
    within a round alternates too.
    """
    wire = [0.0, 0.0, 0.0]
    plain = [0.0, 0.0, 0.0]
    paths: list[tuple[str, Any]] = [("wire", wire_round), ("json", json_round)]
    for chunk in chunks:
        best: dict[str, Timing] = {}
        for round_number in range(rounds):
            # Each path goes first in every other round: neither always inherits the other's heap.
            for name, run in paths if round_number % 2 == 0 else paths[::-1]:
                timing = run(chunk)
                if name not in best or sum(timing[:3]) < sum(best[name][:3]):
                    best[name] = timing
        for total, name in ((wire, "wire"), (plain, "json")):
            for k in range(3):
                total[k] += best[name][k]
    return (wire[0], wire[1], wire[2]), (plain[0], plain[1], plain[2])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="10,000 results instead of 100,000")
    args = parser.parse_args()
    total = 10_000 if args.quick else 100_000
    batches = list(range(total // BATCH))
    step = len(batches) // CHUNKS
    chunks = [batches[i : i + step] for i in range(0, len(batches), step)]
    check_equivalent()
    wire, plain = interleaved(chunks, rounds=3 if args.quick else 2)
    wire_total = wire[0] + wire[1] + wire[2]
    json_total = plain[0] + plain[1] + plain[2]
    speedup = json_total / wire_total
    per = 1e6 / total
    print(f"results: {total} ({TURNS} turns, ~1 KB each), records of {BATCH}")
    for name, t in (("wire (msgspec)", wire), ("json (stdlib)", plain)):
        print(
            f"{name:15s} total {t[0] + t[1] + t[2]:7.3f} s | Result->wire {t[0]:6.3f} s "
            f"({t[0] * per:6.1f} us/result) | encode+decode+validate {t[1]:6.3f} s "
            f"({t[1] * per:6.1f} us/result) | validate+rebuild {t[2]:6.3f} s ({t[2] * per:6.1f} us/result)"
        )
    print(f"end-to-end speedup: {speedup:.2f}x (budget >= {BUDGET:.1f}x)")
    ok = speedup >= BUDGET
    print(f"BENCH wire: {'PASS' if ok else 'FAIL'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
