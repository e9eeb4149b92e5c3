"""Personas give LLM-backed drivers and judges their role."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Persona"]


@dataclass(kw_only=True)
class Persona:
    """A named role, described by the system prompt an LLM component runs under."""

    name: str
    description: str = ""
    system_prompt: str = ""
