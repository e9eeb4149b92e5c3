"""Prompt drivers: where the requests of a conversation come from."""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING

from rampart.drivers._static import StaticDriver

if TYPE_CHECKING:
    from rampart.drivers._llm_driver import LLMDriver

__all__ = ["LLMDriver", "StaticDriver"]

# Resolved on access: the LLM driver's module is only worth importing when it is used.
_LAZY = {"LLMDriver": "rampart.drivers._llm_driver"}


def __getattr__(name: str) -> object:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
