"""The JSON report: its canonical dict form, the JSON-safe value mapping, and the file sink."""

from __future__ import annotations

import json
import os
import re
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from datetime import date, datetime
from datetime import time as dt_time
from enum import Enum
from math import isfinite
from pathlib import Path, PurePath
from typing import TYPE_CHECKING, Any

from rampart.reporting.sink import TestRunReport, TrialGroupView

if TYPE_CHECKING:
    from rampart.core.result import Result
    from rampart.core.types import Turn

__all__ = ["MAX_JSON_DEPTH", "JsonFileReportSink", "report_to_dict", "to_json_safe"]

MAX_JSON_DEPTH = 16
REPORT_SCHEMA = "rampart.report.v1"

_SURROGATE = re.compile("[\ud800-\udfff]")
_REPLACEMENT = "\ufffd"


def _text(value: str) -> str:
    # isascii() is O(1) on CPython, so the common case costs nothing.
    if value.isascii() or _SURROGATE.search(value) is None:
        return value
    return _SURROGATE.sub(_REPLACEMENT, value)


def _optional_text(value: str | None) -> str | None:
    return None if value is None else _text(value)


def _number(value: float) -> float | None:
    return value if isfinite(value) else None


def to_json_safe(value: object, /, *, max_depth: int = MAX_JSON_DEPTH) -> object:
    """Map ``value`` onto plain JSON types, the same way for the report and the xdist wire.

    Keys become strings, tuples lists, enums their value, datetimes ISO 8601, paths strings,
    sets sorted lists; non-finite floats become ``None`` and lone surrogates U+FFFD. Anything
    else, and any container nested deeper than ``max_depth`` (the value itself is depth 0),
    becomes its ``str()``. Other text is kept exactly, escape sequences included.
    """
    return _safe(value, 0, max_depth)


def _safe(value: object, depth: int, max_depth: int) -> object:
    kind = type(value)
    if kind is str:
        return _text(value)  # type: ignore[arg-type]
    if value is None or kind is bool or kind is int:
        return value
    if kind is float:
        return value if isfinite(value) else None  # type: ignore[arg-type]
    if kind is dict:
        if depth > max_depth:
            return _text(str(value))
        return _safe_dict(value, depth, max_depth)  # type: ignore[arg-type]
    if kind is list:
        if depth > max_depth:
            return _text(str(value))
        return [_safe(item, depth + 1, max_depth) for item in value]  # type: ignore[attr-defined]
    return _safe_other(value, depth, max_depth)


def _safe_dict(value: dict[Any, Any], depth: int, max_depth: int) -> dict[str, Any]:
    # The hot path of every report: small metadata dicts of plain keys and scalars.
    out: dict[str, Any] = {}
    for key, item in value.items():
        if type(key) is not str or not key.isascii():
            key = _key(key)
        kind = type(item)
        if kind is str:
            out[key] = item if item.isascii() else _text(item)
        elif item is None or kind is int or kind is bool:
            out[key] = item
        elif kind is float:
            out[key] = item if isfinite(item) else None
        else:
            out[key] = _safe(item, depth + 1, max_depth)
    return out


def _safe_other(value: object, depth: int, max_depth: int) -> object:
    # Enums first: StrEnum and IntEnum members are also str and int instances.
    if isinstance(value, Enum):
        return _safe(value.value, depth, max_depth)
    if isinstance(value, bool):
        return bool(value)
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value) if isfinite(value) else None
    if isinstance(value, str):
        return _text(str(value))
    if isinstance(value, datetime | date | dt_time):
        return value.isoformat()
    if isinstance(value, PurePath):
        return _text(str(value))
    is_container = isinstance(value, Mapping | list | tuple | set | frozenset)
    if is_container and depth > max_depth:
        return _text(str(value))
    if isinstance(value, Mapping):
        return _safe_dict(dict(value.items()), depth, max_depth)
    if isinstance(value, list | tuple):
        return [_safe(item, depth + 1, max_depth) for item in value]
    if isinstance(value, set | frozenset):
        try:
            ordered = sorted(value)
        except TypeError:
            ordered = sorted(value, key=repr)
        return [_safe(item, depth + 1, max_depth) for item in ordered]
    return _text(str(value))


def _safe_top(value: object) -> object:
    """``to_json_safe(value)``, with a shortcut for the plain dicts that fill every report."""
    if type(value) is dict:
        return _safe_dict(value, 0, MAX_JSON_DEPTH) if value else {}
    return _safe(value, 0, MAX_JSON_DEPTH)


def _key(key: object) -> str:
    if type(key) is str:
        return _text(key)
    if isinstance(key, Enum):
        return _text(str(key.value))
    return _text(str(key))


# ---------------------------------------------------------------------------------------------
# The report as a dict


def _result_to_dict(result: Result) -> dict[str, Any]:
    metadata = result.metadata
    category = result.harm_category
    data: dict[str, Any] = {
        "safe": str(result.status) == "safe",
        "status": str(result.status),
        "summary": _text(result.summary),
        "harm_category": None if category is None else _text(str(category)),
        "strategy": _text(result.strategy),
        "duration_seconds": _number(result.duration_seconds),
        "metadata": _safe_top(metadata),
        "turns": [_turn_to_dict(turn) for turn in result.turns],
        "observability_level": str(result.observability_level),
        "injections": [
            {
                "payload_id": _optional_text(record.payload_id),
                "surface_name": _text(record.surface_name),
            }
            for record in result.injections
        ],
    }
    trial = metadata.get("_rampart_trial")
    if isinstance(trial, Mapping):
        data["trial"] = {
            key: to_json_safe(trial.get(key)) for key in ("base_nodeid", "index", "n", "threshold")
        }
    truncated = metadata.get("_rampart_truncated")
    if truncated:
        data["truncated"] = [
            {"path": to_json_safe(item.get("path")), "original_len": item.get("original_len")}
            if isinstance(item, Mapping)
            else to_json_safe(item)
            for item in truncated
        ]
    return data


def _turn_to_dict(turn: Turn) -> dict[str, Any]:
    response = turn.response
    data: dict[str, Any] = {
        "turn_number": turn.turn_number,
        "prompt": _optional_text(turn.request.prompt),
        "response_text": _text(response.text),
        "response_metadata": _safe_top(response.metadata),
    }
    if response.tool_calls:
        data["tool_calls"] = [
            {
                "name": _text(call.name),
                "arguments": _safe_top(call.arguments),
                "result": _optional_text(call.result),
            }
            for call in response.tool_calls
        ]
    if response.side_effects:
        data["side_effects"] = [
            {"kind": _text(effect.kind), "details": _safe_top(effect.details)}
            for effect in response.side_effects
        ]
    if turn.driver_reasoning:
        data["driver_reasoning"] = _text(turn.driver_reasoning)
    evaluation = turn.eval_result
    if evaluation is not None:
        data["eval_outcome"] = str(evaluation.outcome)
        confidence = evaluation.confidence
        data["eval_confidence"] = (
            confidence
            if type(confidence) is float and isfinite(confidence)
            else _safe_top(confidence)
        )
        data["eval_rationale"] = _text(evaluation.rationale)
    return data


def _interval(interval: tuple[float, float] | None) -> list[float] | None:
    return None if interval is None else [interval[0], interval[1]]


def _trial_group_to_dict(key: str, group: TrialGroupView) -> dict[str, Any]:
    return {
        "base_nodeid": _text(str(getattr(group, "base_nodeid", key))),
        "total": group.total,
        "safe": group.safe,
        "unsafe": group.unsafe,
        "errors": group.errors,
        "undetermined": group.undetermined,
        "no_result": group.no_result,
        "threshold": to_json_safe(group.threshold),
        "pass_rate": to_json_safe(group.pass_rate),
        "pass_rate_ci": _interval(group.pass_rate_interval),
        "passed": bool(group.passed),
        "verdict": to_json_safe(group.verdict),
    }


def _versions() -> dict[str, str | None]:
    from rampart._version import package_version

    info = sys.version_info
    return {
        "rampart_core": package_version("rampart-core"),
        "rampart_pytest": package_version("rampart-pytest"),
        "rampart_xdist": package_version("rampart-xdist"),
        "python": f"{info.major}.{info.minor}.{info.micro}",
        "pytest": package_version("pytest"),
    }


_BY_CATEGORY = "by_harm_category"


def _document_items(report: TestRunReport) -> list[tuple[str, Any]]:
    """The top-level keys in order; the ``by_harm_category`` value holds Result objects."""
    summary = report.population_summary()
    reasons = [
        {
            "kind": to_json_safe(detail.get("kind")),
            "message": to_json_safe(detail.get("message")),
            "nodeid": to_json_safe(detail.get("nodeid")),
            "worker": to_json_safe(detail.get("worker")),
        }
        for detail in report.incomplete_details
    ]
    complete = not reasons and not report.metadata.get("incomplete")
    return [
        ("total_runs", report.total_runs),
        ("passed", report.passed),
        ("failed", report.failed),
        ("undetermined", report.undetermined),
        ("errors", report.errors),
        ("duration_seconds", to_json_safe(report.duration_seconds)),
        ("metadata", to_json_safe(report.metadata)),
        (
            "population_summary",
            {
                "total_runs": summary.total_runs,
                "safe_count": summary.safe_count,
                "unsafe_count": summary.unsafe_count,
                "undetermined_count": summary.undetermined_count,
                "error_count": summary.error_count,
                "attack_success_rate": summary.attack_success_rate,
                "safety_pass_rate": summary.safety_pass_rate,
                "attack_success_rate_ci": _interval(summary.attack_success_rate_interval),
                "safety_pass_rate_ci": _interval(summary.safety_pass_rate_interval),
            },
        ),
        (_BY_CATEGORY, report.by_harm_category()),
        (
            "trial_groups",
            [
                _trial_group_to_dict(key, report.trial_groups[key])
                for key in sorted(report.trial_groups)
            ],
        ),
        ("completeness", {"complete": complete, "reasons": reasons}),
        ("versions", _versions()),
        ("report_schema", REPORT_SCHEMA),
    ]


def report_to_dict(*, report: TestRunReport) -> dict[str, Any]:
    """The exact object :class:`JsonFileReportSink` writes for ``report``."""
    document: dict[str, Any] = {}
    for key, value in _document_items(report):
        if key == _BY_CATEGORY:
            value = {
                category: [_result_to_dict(result) for result in results]
                for category, results in value.items()
            }
        document[key] = value
    return document


# ---------------------------------------------------------------------------------------------
# Encoding: strict JSON, indent 2, ASCII only, no trailing newline (R-JSON-5).
#
# The document is streamed one result at a time so that writing never holds a second copy of
# the whole report. Each piece is the C-accelerated compact encoding; msgspec, when importable,
# re-indents it (copying tokens verbatim, so escapes and float spellings stay json's own),
# otherwise the stdlib's indenting encoder does. Both give byte-identical documents.

_compact = json.JSONEncoder(separators=(",", ":"), ensure_ascii=True, allow_nan=False).encode
_pretty = json.JSONEncoder(indent=2, ensure_ascii=True, allow_nan=False).encode


def _select_formatter() -> Callable[[Any], str]:
    try:
        from msgspec.json import format as msgspec_format
    except ImportError:
        return _pretty

    def formatter(value: Any) -> str:
        formatted: str = msgspec_format(_compact(value), indent=2)
        return formatted

    return formatter


_formatter: Callable[[Any], str] | None = None


def _format(value: Any, level: int, *, use_msgspec: bool | None = None) -> str:
    """``value`` indented as if nested ``level`` containers deep (its first line unindented)."""
    global _formatter
    if use_msgspec is None:
        if _formatter is None:
            _formatter = _select_formatter()
        formatter = _formatter
    else:
        formatter = _select_formatter() if use_msgspec else _pretty
    text = formatter(value)
    if level and "\n" in text:
        text = text.replace("\n", "\n" + "  " * level)
    return text


def iter_report_json(report: TestRunReport, /, *, use_msgspec: bool | None = None) -> Iterator[str]:
    """Yield the JSON document of ``report`` in pieces; joined they equal
    ``json.dumps(report_to_dict(report=report), indent=2, ensure_ascii=True, allow_nan=False)``.
    ``use_msgspec`` forces the encoder choice (``None``: msgspec when importable)."""
    items = _document_items(report)
    yield "{"
    for position, (key, value) in enumerate(items):
        yield ("\n  " if position == 0 else ",\n  ") + _compact(key) + ": "
        if key != _BY_CATEGORY:
            yield _format(value, 1, use_msgspec=use_msgspec)
            continue
        if not value:
            yield "{}"
            continue
        yield "{"
        for index, (category, results) in enumerate(value.items()):
            yield ("\n    " if index == 0 else ",\n    ") + _compact(category) + ": ["
            for number, result in enumerate(results):
                yield ("\n      " if number == 0 else ",\n      ") + _format(
                    _result_to_dict(result), 3, use_msgspec=use_msgspec
                )
            yield "\n    ]"
        yield "\n  }"
    yield "\n}"


# ---------------------------------------------------------------------------------------------
# The sink

_BUFFER_CHARS = 1 << 20


def _write_document(fd: int, report: TestRunReport) -> None:
    with open(fd, "w", encoding="ascii", newline="") as handle:
        buffer: list[str] = []
        size = 0
        for piece in iter_report_json(report):
            buffer.append(piece)
            size += len(piece)
            if size >= _BUFFER_CHARS:
                handle.write("".join(buffer))
                buffer.clear()
                size = 0
        handle.write("".join(buffer))


def _create_temporary(directory: Path) -> tuple[int, Path]:
    # os.open with 0o666 lets the umask decide the final permissions, as for any new file.
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    while True:
        candidate = directory / f".rampart-report-{os.getpid()}-{os.urandom(6).hex()}.tmp"
        try:
            return os.open(candidate, flags, 0o666), candidate
        except FileExistsError:
            continue


def _publish_new(temporary: Path, final: Path) -> None:
    """Publish ``temporary`` as ``final`` atomically, failing if ``final`` exists."""
    try:
        os.link(temporary, final)
    except FileExistsError:
        raise
    except OSError:
        # No hard links on this filesystem: reserve the name exclusively, then swap it in.
        os.close(os.open(final, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))
        os.replace(temporary, final)


def _publish_numbered(temporary: Path, directory: Path, stamp: str, extension: str) -> Path:
    """Publish under the first free ``run_report_<stamp>[_<n>].<extension>`` (R-JSON-6)."""
    suffix = 1
    while True:
        tail = "" if suffix == 1 else f"_{suffix}"
        final = directory / f"run_report_{stamp}{tail}.{extension}"
        try:
            _publish_new(temporary, final)
        except FileExistsError:
            suffix += 1
            continue
        return final


def _write_report_file(
    *,
    path: Path | None,
    output_dir: Path | None,
    extension: str,
    fill: Callable[[int], None],
) -> Path:
    """The publishing rules every file sink shares (R-JSON-6); returns the file written.

    ``fill`` writes the content into (and closes) the descriptor of a fresh temporary file in
    the target directory. ``path`` is then replaced atomically; in ``output_dir`` the file takes
    a new timestamped name and never overwrites an existing one.
    """
    stamp = time.strftime("%Y-%m-%dT%H-%M-%S", time.gmtime())
    directory = path.parent if path is not None else output_dir
    assert directory is not None
    directory.mkdir(parents=True, exist_ok=True)
    fd, temporary = _create_temporary(directory)
    try:
        fill(fd)
        if path is not None:
            os.replace(temporary, path)
            return path
        return _publish_numbered(temporary, directory, stamp, extension)
    finally:
        temporary.unlink(missing_ok=True)


class JsonFileReportSink:
    """Writes the report as one JSON file (R-JSON-5, R-JSON-6).

    Give exactly one of ``output_dir`` (a new ``run_report_<UTC time>.json`` per run, never
    overwriting an earlier one) or ``path`` (exactly that file, replaced atomically).
    """

    def __init__(
        self,
        *,
        output_dir: str | os.PathLike[str] | None = None,
        path: str | os.PathLike[str] | None = None,
    ) -> None:
        if (output_dir is None) == (path is None):
            raise TypeError("JsonFileReportSink takes exactly one of 'output_dir' or 'path'.")
        self.output_dir: Path | None = None if output_dir is None else Path(output_dir)
        self.path: Path | None = None if path is None else Path(path)
        self.last_path: Path | None = None

    def __repr__(self) -> str:
        target = (
            f"path={self.path!r}" if self.path is not None else f"output_dir={self.output_dir!r}"
        )
        return f"JsonFileReportSink({target})"

    async def emit_async(self, *, report: TestRunReport) -> None:
        """Write ``report``; the written file is then in :attr:`last_path`."""
        self.write(report)

    def write(self, report: TestRunReport, /) -> Path:
        """Write ``report`` synchronously and return the file written."""
        final = _write_report_file(
            path=self.path,
            output_dir=self.output_dir,
            extension="json",
            fill=lambda fd: _write_document(fd, report),
        )
        self.last_path = final
        return final
