"""Public constants of the transport (api.md section 4.1)."""

from __future__ import annotations

from typing import Final

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
]

WORKEROUTPUT_KEY: Final = "rampart_xdist_v1"
WORKERINPUT_KEY: Final = "rampart_xdist"
REPORT_ATTRIBUTE: Final = "rampart_xdist"
SIZE_LIMIT_OPTION: Final = "rampart_xdist_max_bytes"
DEFAULT_SIZE_LIMIT_BYTES: Final = 16 * 1024 * 1024
STUB_MAX_BYTES: Final = 4 * 1024 * 1024
SCHEMA_VERSION: Final = "rampart.xdist.v1"
ACCEPTED_SCHEMAS: Final[tuple[str, ...]] = ("rampart.xdist.v1",)
NEGO_FAIL_TAG: Final = "rampart.xdist.nego-fail"
# Equal to core's MAX_JSON_DEPTH, so the report and the wire agree on what is too deep.
MAX_METADATA_DEPTH: Final = 16
