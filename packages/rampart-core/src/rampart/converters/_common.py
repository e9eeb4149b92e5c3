"""What every converter shares: the text-only check and the derived payload."""

from __future__ import annotations

from pathlib import Path

from rampart.core.types import Payload, PayloadFormat

__all__ = ["converted", "require_text"]


def require_text(converter: object, payload: object) -> Payload:
    name = type(converter).__name__
    if not isinstance(payload, Payload):
        raise TypeError(f"{name} expects a Payload, got {type(payload).__name__}")
    if not payload.format.is_text:
        raise ValueError(f"{name} requires a text payload, got {payload.format.value}.")
    return payload


def converted(
    converter: object,
    source: Payload,
    *,
    content: str,
    format: PayloadFormat = PayloadFormat.TEXT,
    artifact: Path | None = None,
) -> Payload:
    """A payload with ``source``'s id and a copy of its metadata, tagged by converter."""
    metadata = {**source.metadata, "converter": type(converter).__name__}
    return Payload(
        content=content, id=source.id, format=format, artifact=artifact, metadata=metadata
    )
