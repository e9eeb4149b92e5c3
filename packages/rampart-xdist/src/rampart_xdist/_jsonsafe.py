"""JSON-safe conversion and boundary text hygiene for the wire (R-JSON-4, R-XD-8).

The canonical ``to_json_safe`` lives in rampart-core's reporting package so that the report and
the wire agree; this module prefers it and carries a private equivalent only for a checkout in
which core's reporting is not importable.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from datetime import date, datetime, time
from enum import Enum
from pathlib import PurePath
from typing import Any, Final

__all__ = ["fix_surrogates", "json_safe", "scrub_surrogates"]

_DEPTH: Final = 16
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def fix_surrogates(text: str, /) -> str:
    """Replace each lone surrogate with U+FFFD and change nothing else (R-XD-8)."""
    return _LONE_SURROGATE.sub("\ufffd", text)


def scrub_surrogates(value: object, /) -> object:
    """``fix_surrogates`` applied to every string (and key) of a JSON-safe value."""
    if isinstance(value, str):
        return fix_surrogates(value)
    if isinstance(value, dict):
        return {fix_surrogates(str(k)): scrub_surrogates(v) for k, v in value.items()}
    if isinstance(value, list):
        return [scrub_surrogates(v) for v in value]
    return value


def _sort_key(value: object) -> Any:
    return value


def _fallback(value: object, depth: int, max_depth: int) -> object:
    if value is None or isinstance(value, bool | int):
        return value
    if isinstance(value, str):
        return fix_surrogates(value)
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, Enum):
        return _fallback(value.value, depth, max_depth)
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, PurePath):
        return fix_surrogates(str(value))
    if isinstance(value, Mapping | list | tuple | set | frozenset):
        if depth > max_depth:
            return fix_surrogates(str(value))
        if isinstance(value, Mapping):
            return {
                fix_surrogates(str(k)): _fallback(v, depth + 1, max_depth) for k, v in value.items()
            }
        items: list[Any] = list(value)
        if isinstance(value, set | frozenset):
            try:
                items = sorted(items)
            except TypeError:
                items = sorted(items, key=repr)
        return [_fallback(v, depth + 1, max_depth) for v in items]
    return fix_surrogates(str(value))


def _fallback_to_json_safe(value: object, /, *, max_depth: int = _DEPTH) -> object:
    return _fallback(value, 0, max_depth)


def _resolve() -> Callable[..., object]:
    try:
        from rampart.reporting.json_file import to_json_safe
    except ImportError:
        return _fallback_to_json_safe
    return to_json_safe


_TO_JSON_SAFE: Callable[..., object] | None = None


def json_safe(value: object, /) -> object:
    """The canonical JSON-safe form of ``value`` (core's ``to_json_safe``)."""
    global _TO_JSON_SAFE
    if _TO_JSON_SAFE is None:
        _TO_JSON_SAFE = _resolve()
    return _TO_JSON_SAFE(value)
