"""Schema negotiation between the controller and each worker (R-XD-2).

The controller offers, through ``workerinput``, the record schemas it decodes (newest first)
together with the per-record cap and the run nonce. A worker writes the first offered tag it
can write; with none in common it sends ``NegoFail`` stubs so that the controller can name both
sides' versions instead of silently losing results.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from rampart_xdist._constants import ACCEPTED_SCHEMAS, DEFAULT_SIZE_LIMIT_BYTES

__all__ = ["PROTOCOL", "WRITABLE_SCHEMAS", "Choice", "choose", "make_offer"]

PROTOCOL: Final = 1
# The tags this version can write, newest first.
WRITABLE_SCHEMAS: Final[tuple[str, ...]] = ACCEPTED_SCHEMAS


def make_offer(*, max_record_bytes: int, run_nonce: str, version: str) -> dict[str, Any]:
    """The controller's offer; plain builtins so that execnet can carry it."""
    return {
        "proto": PROTOCOL,
        "accept": list(ACCEPTED_SCHEMAS),
        "max_record_bytes": int(max_record_bytes),
        "run_nonce": run_nonce,
        "version": version,
    }


@dataclass(frozen=True, kw_only=True)
class Choice:
    """What a worker decided: the schema to write, or why it cannot write any."""

    schema: str | None
    max_record_bytes: int
    run_nonce: str
    offered: tuple[str, ...]
    controller_version: str

    @property
    def failed(self) -> bool:
        return self.schema is None


def _strings(value: object) -> tuple[str, ...]:
    if isinstance(value, str) or not isinstance(value, Sequence):
        return ()
    return tuple(str(item) for item in value)


def choose(offer: Mapping[str, Any], *, writable: Sequence[str] = WRITABLE_SCHEMAS) -> Choice:
    """Pick the first offered tag this side can write (never raises on a malformed offer)."""
    offered = _strings(offer.get("accept"))
    cap = offer.get("max_record_bytes")
    if isinstance(cap, bool) or not isinstance(cap, int) or cap < 1:
        cap = DEFAULT_SIZE_LIMIT_BYTES
    nonce = offer.get("run_nonce")
    version = offer.get("version")
    schema = None
    if offer.get("proto") == PROTOCOL:
        schema = next((tag for tag in offered if tag in writable), None)
    return Choice(
        schema=schema,
        max_record_bytes=cap,
        run_nonce=nonce if isinstance(nonce, str) else "",
        offered=offered,
        controller_version=version if isinstance(version, str) else "unknown",
    )
