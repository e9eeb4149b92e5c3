"""rampart-xdist: a typed, bounded, streaming transport of RAMPART results from xdist workers.

Importing the package is cheap: the msgspec-backed codec is loaded on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rampart_xdist._constants import (
    ACCEPTED_SCHEMAS,
    DEFAULT_SIZE_LIMIT_BYTES,
    MAX_METADATA_DEPTH,
    NEGO_FAIL_TAG,
    REPORT_ATTRIBUTE,
    SCHEMA_VERSION,
    SIZE_LIMIT_OPTION,
    STUB_MAX_BYTES,
    WORKERINPUT_KEY,
    WORKEROUTPUT_KEY,
)
from rampart_xdist._errors import SchemaVersionError, SizeLimitError, WorkerOutputError

if TYPE_CHECKING:
    from rampart_pytest import (
        discover_sinks_from_conftest,
        get_dist_mode,
        get_worker_count,
        is_xdist_controller,
        is_xdist_worker,
    )
    from rampart_xdist._codec import decode_record, encode_record, record_to_results
    from rampart_xdist._session_data import (
        deserialize_trial_specs,
        deserialize_worker_data,
        serialize_worker_data,
    )
    from rampart_xdist._transport import finalize_worker, handle_testnodedown

__all__ = [
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

_LAZY = {
    "decode_record": "rampart_xdist._codec",
    "encode_record": "rampart_xdist._codec",
    "record_to_results": "rampart_xdist._codec",
    "serialize_worker_data": "rampart_xdist._session_data",
    "deserialize_worker_data": "rampart_xdist._session_data",
    "deserialize_trial_specs": "rampart_xdist._session_data",
    "finalize_worker": "rampart_xdist._transport",
    "handle_testnodedown": "rampart_xdist._transport",
    "discover_sinks_from_conftest": "rampart_pytest",
    "get_dist_mode": "rampart_pytest",
    "get_worker_count": "rampart_pytest",
    "is_xdist_controller": "rampart_pytest",
    "is_xdist_worker": "rampart_pytest",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'rampart_xdist' has no attribute {name!r}")
    from importlib import import_module

    value = getattr(import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
