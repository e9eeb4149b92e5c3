"""Prompt drivers: where the requests of a conversation come from."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rampart import _lazy_exports
from rampart.drivers._static import StaticDriver

if TYPE_CHECKING:
    from rampart.drivers._llm_driver import LLMDriver

__all__ = ["LLMDriver", "StaticDriver"]

# Resolved on access: the LLM driver's module is only worth importing when it is used.
_LAZY = {"LLMDriver": "rampart.drivers._llm_driver"}


__getattr__, __dir__ = _lazy_exports(globals(), _LAZY)
