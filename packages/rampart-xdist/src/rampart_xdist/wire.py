"""The typed wire schema of rampart-xdist (R-XD-4).

Every struct is frozen and rejects unknown fields. Records are tagged through the ``schema``
field; a released tag never changes its shape, a new shape gets a new tag. The same structs
are encoded as JSON text or as MessagePack (what the transport sends). Free-form mappings
(result metadata, tool arguments, side-effect details, response and attachment metadata) travel
as opaque JSON objects, the ``to_json_safe`` form of the mapping embedded in the record: the
schema says nothing of their keys, only that they hold JSON values (in MessagePack too: no
bytes, extension types or non-string keys) nested at most ``MAX_METADATA_DEPTH`` deep, which
the decoder enforces while it decodes (see docs/decisions.md for why they are not JSON strings
and why the transport sends MessagePack). Decoders of these structs must pass
``dec_hook=check_deep_json``.
"""

from __future__ import annotations

import abc
import datetime
from typing import TYPE_CHECKING, Annotated, Any, Final, Literal, Union

import msgspec

from rampart_xdist._constants import (
    ACCEPTED_SCHEMAS,
    MAX_METADATA_DEPTH,
    NEGO_FAIL_TAG,
    SCHEMA_VERSION,
)

__all__ = [
    "ACCEPTED_SCHEMAS",
    "MAX_IDENTIFIER_CHARS",
    "MAX_LIST_ITEMS",
    "MAX_LONG_IDENTIFIER_CHARS",
    "MAX_METADATA_DEPTH",
    "NEGO_FAIL_TAG",
    "SCHEMA_VERSION",
    "AttachmentV1",
    "DeepJson",
    "EvalV1",
    "InjectionV1",
    "NegoFail",
    "RecordV1",
    "ResultV1",
    "SideEffectV1",
    "ToolCallV1",
    "TrialRefV1",
    "TruncationV1",
    "TurnV1",
    "check_deep_json",
]


MAX_IDENTIFIER_CHARS: Final = 4096
MAX_LONG_IDENTIFIER_CHARS: Final = 65536
MAX_LIST_ITEMS: Final = 100_000
_MAX_INT: Final = 2**53
_MAX_FLOAT: Final = 1.7976931348623157e308

Ident = Annotated[str, msgspec.Meta(max_length=MAX_IDENTIFIER_CHARS)]
LongIdent = Annotated[str, msgspec.Meta(max_length=MAX_LONG_IDENTIFIER_CHARS)]
Count = Annotated[int, msgspec.Meta(ge=0, le=_MAX_INT)]
Int = Annotated[int, msgspec.Meta(ge=-_MAX_INT, le=_MAX_INT)]
Finite = Annotated[float, msgspec.Meta(ge=-_MAX_FLOAT, le=_MAX_FLOAT)]
Unit = Annotated[float, msgspec.Meta(ge=0.0, le=1.0)]
Text = str


class DeepJson(abc.ABC):  # noqa: B024 -- a marker, only virtual subclasses
    """Marks JSON values deeper than the typed levels of ``OpaqueJson``.

    msgspec decodes such a value as plain JSON and hands it to ``check_deep_json`` (the
    decoders' ``dec_hook``), which enforces the rest of the depth bound. Typing every level
    would make the type's size grow as 2**depth (each level refers to the next twice). The
    JSON types are registered as virtual subclasses because msgspec checks that the hook
    returns an instance of the marked type.
    """


for _kind in (dict, list, str, int, float, bool, type(None)):
    DeepJson.register(_kind)


TYPED_LEVELS: Final = 4
# The exact types of JSON's scalar values (subclasses, such as enum members, are not).
_JSON_SCALARS: Final = frozenset({str, int, float, bool, type(None)})


def _bounded_json(typed_levels: int) -> Any:
    """``dict[str, V]`` whose first ``typed_levels`` levels are checked by the type itself."""
    level: Any = DeepJson
    for _ in range(typed_levels):
        level = Union[str, int, float, bool, None, list[level], dict[str, level]]  # noqa: UP007
    return dict[str, level]


def check_deep_json(kind: type, value: Any) -> Any:
    """``dec_hook`` for ``DeepJson``: ``value`` sits ``TYPED_LEVELS + 1`` levels below its mapping."""
    if kind is not DeepJson:
        raise NotImplementedError(f"cannot decode {kind!r}")
    # Any: exact type checks (a dict or list subclass is not JSON) do not narrow for mypy.
    stack: list[tuple[Any, int]] = [(value, TYPED_LEVELS + 1)]
    while stack:
        node, depth = stack.pop()
        node_type = type(node)
        if node_type is dict:
            # A MessagePack map may have keys of any type, and values that JSON has no form
            # for (bytes, extension types, timestamps): only JSON is accepted at any depth.
            for key in node:
                if type(key) is not str:
                    raise ValueError(f"a {type(key).__name__} key where JSON allows strings")
            children: Any = node.values()
        elif node_type is list:
            children = node
        elif node_type in _JSON_SCALARS:
            continue
        else:
            raise ValueError(f"a {node_type.__name__} value, which is not JSON")
        if depth > MAX_METADATA_DEPTH:
            raise ValueError(f"nested deeper than {MAX_METADATA_DEPTH}")
        stack.extend((child, depth + 1) for child in children)
    return value


if TYPE_CHECKING:
    OpaqueJson = dict[str, Any]
else:
    OpaqueJson = _bounded_json(TYPED_LEVELS)

Status = Literal["safe", "unsafe", "undetermined", "error"]
Observability = Literal["tool_and_side_effects", "tool_only", "response_only"]
Outcome = Literal["detected", "not_detected", "undetermined"]
Format = Literal["text", "html", "markdown", "image", "pdf", "docx", "xlsx", "audio"]


class _Base(msgspec.Struct, frozen=True, forbid_unknown_fields=True, omit_defaults=True, gc=False):
    """Shared struct options: immutable, closed, compact.

    ``gc=False``: a wire struct holds scalars, strings, tuples of other wire structs and
    JSON-only mappings, none of which can refer back to it, so it is never part of a
    reference cycle; leaving it untracked spares the cyclic collector from scanning every
    decoded record.
    """


class TruncationV1(_Base, frozen=True):
    """One cut made to fit the record under the size cap."""

    path: Ident
    original_len: Count


class TrialRefV1(_Base, frozen=True):
    """The trial group a test instance belongs to."""

    base_nodeid: LongIdent
    index: Count = 0
    n: Annotated[int, msgspec.Meta(ge=1, le=_MAX_INT)] = 1
    threshold: Unit = 1.0


class InjectionV1(_Base, frozen=True):
    """An injection that was active during the execution."""

    surface_name: Ident
    payload_id: Ident | None = None


class AttachmentV1(_Base, frozen=True):
    """A request attachment; binary artifacts are not carried, only their path."""

    id: Ident
    content: Text = ""
    format: Format = "text"
    artifact: Ident | None = None
    metadata: OpaqueJson = {}


class ToolCallV1(_Base, frozen=True):
    """One tool call the agent made."""

    name: Ident
    arguments: OpaqueJson = {}
    result: Text | None = None
    timestamp: datetime.datetime | None = None


class SideEffectV1(_Base, frozen=True):
    """One observed side effect."""

    kind: Ident
    details: OpaqueJson = {}


class EvalV1(_Base, frozen=True):
    """An evaluator's verdict on one turn."""

    outcome: Outcome
    confidence: Unit = 1.0
    evidence: Annotated[tuple[Text, ...], msgspec.Meta(max_length=MAX_LIST_ITEMS)] = ()
    rationale: Text = ""


class TurnV1(_Base, frozen=True):
    """One request/response exchange."""

    turn_number: Int = 0
    prompt: Text | None = None
    attachments: Annotated[tuple[AttachmentV1, ...], msgspec.Meta(max_length=MAX_LIST_ITEMS)] = ()
    response_text: Text = ""
    tool_calls: Annotated[tuple[ToolCallV1, ...], msgspec.Meta(max_length=MAX_LIST_ITEMS)] = ()
    side_effects: Annotated[tuple[SideEffectV1, ...], msgspec.Meta(max_length=MAX_LIST_ITEMS)] = ()
    response_metadata: OpaqueJson = {}
    eval: EvalV1 | None = None
    timestamp: datetime.datetime | None = None
    driver_reasoning: Text = ""


class ResultV1(_Base, frozen=True):
    """One execution result; ``index`` is its position in the test's results."""

    index: Count
    status: Status
    summary: Text = ""
    harm_category: Ident | None = None
    strategy: Ident = ""
    observability_level: Observability = "response_only"
    duration_seconds: Finite = 0.0
    injections: Annotated[tuple[InjectionV1, ...], msgspec.Meta(max_length=MAX_LIST_ITEMS)] = ()
    metadata: OpaqueJson = {}
    turns: Annotated[tuple[TurnV1, ...], msgspec.Meta(max_length=MAX_LIST_ITEMS)] = ()
    turns_dropped: Count = 0


class RecordV1(_Base, frozen=True, tag_field="schema", tag=SCHEMA_VERSION):
    """Everything one test produced on a worker, sent on its teardown report."""

    run_nonce: Ident
    worker: LongIdent
    seq: Count
    nodeid: LongIdent
    attempt: Annotated[int, msgspec.Meta(ge=1, le=_MAX_INT)] = 1
    package_version: Ident = ""
    results: Annotated[tuple[ResultV1, ...], msgspec.Meta(max_length=MAX_LIST_ITEMS)] = ()
    trial: TrialRefV1 | None = None
    truncated: Annotated[tuple[TruncationV1, ...], msgspec.Meta(max_length=MAX_LIST_ITEMS)] = ()
    original_bytes: Count | None = None
    encode_error: Annotated[str, msgspec.Meta(max_length=MAX_IDENTIFIER_CHARS)] | None = None


class NegoFail(_Base, frozen=True, tag_field="schema", tag=NEGO_FAIL_TAG):
    """Sent instead of records by a worker that shares no schema with the controller."""

    worker: LongIdent
    package_version: Ident
    supported: Annotated[tuple[Ident, ...], msgspec.Meta(max_length=64)] = ()
    offered: Annotated[tuple[Ident, ...], msgspec.Meta(max_length=64)] = ()
