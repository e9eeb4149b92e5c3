"""Payload converters re-encode or render a payload (Base64, DOCX, ...)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol, runtime_checkable

if TYPE_CHECKING:
    from rampart.core.types import Payload

__all__ = ["PayloadConverter"]


@runtime_checkable
class PayloadConverter(Protocol):
    """Turns one payload into another form of the same content."""

    async def convert_async(self, *, payload: Payload) -> Payload: ...
