"""The one internal LLM client every LLM-backed feature shares (judge, driver, payloads).

The openai SDK is imported only when a feature built from an ``LLMConfig`` is
constructed, so ``import rampart`` stays cheap and works without the ``llm`` extra.
"""

from __future__ import annotations

from rampart._llm._client import OpenAIChatTarget, require_openai
from rampart._llm._errors import LLMConfigurationError, LLMUnavailableError
from rampart._llm._limit import concurrency_slot
from rampart._llm._resolve import resolve_chat_target

__all__ = [
    "LLMConfigurationError",
    "LLMUnavailableError",
    "OpenAIChatTarget",
    "concurrency_slot",
    "require_openai",
    "resolve_chat_target",
]
