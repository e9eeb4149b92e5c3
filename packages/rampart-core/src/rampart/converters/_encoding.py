"""Stdlib converters that obfuscate text: Base64 and ROT13."""

from __future__ import annotations

import base64

from rampart.converters._common import converted, require_text
from rampart.core.types import Payload

__all__ = ["Base64Converter", "Rot13Converter"]

_ROT13 = str.maketrans(
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz",
    "NOPQRSTUVWXYZABCDEFGHIJKLMnopqrstuvwxyzabcdefghijklm",
)


class Base64Converter:
    """TEXT whose content is the standard, padded Base64 of the UTF-8 bytes."""

    def __repr__(self) -> str:
        return "Base64Converter()"

    async def convert_async(self, *, payload: Payload) -> Payload:
        source = require_text(self, payload)
        encoded = base64.b64encode(source.content.encode("utf-8")).decode("ascii")
        return converted(self, source, content=encoded)


class Rot13Converter:
    """TEXT with ASCII letters rotated by 13; everything else is left alone."""

    def __repr__(self) -> str:
        return "Rot13Converter()"

    async def convert_async(self, *, payload: Payload) -> Payload:
        source = require_text(self, payload)
        return converted(self, source, content=source.content.translate(_ROT13))
