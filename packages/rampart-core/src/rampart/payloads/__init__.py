"""Payload templates, LLM-generated payloads and the on-disk payload store."""

from __future__ import annotations

from rampart.payloads._generate import Payloads
from rampart.payloads._store import DEFAULT_ROOT as DEFAULT_ROOT
from rampart.payloads._store import PayloadStore
from rampart.payloads._template import PayloadTemplate

__all__ = ["PayloadStore", "PayloadTemplate", "Payloads"]
