"""Payload converters: re-encode or render a text payload (R-PAY-3)."""

from __future__ import annotations

from rampart.converters._docx import DocxConverter
from rampart.converters._encoding import Base64Converter, Rot13Converter

__all__ = ["Base64Converter", "DocxConverter", "Rot13Converter"]
