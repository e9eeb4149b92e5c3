"""Configuration of an OpenAI-compatible endpoint and the minimal chat protocol.

Nothing here imports the openai SDK: the client is built lazily by ``rampart._llm``
the first time an LLM-backed component is constructed with an ``LLMConfig``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

__all__ = ["ChatTarget", "LLMConfig"]


@dataclass(frozen=True, kw_only=True)
class LLMConfig:
    """Where and how to reach an OpenAI-compatible chat-completions endpoint.

    ``api_key`` is excluded from the repr so it cannot leak into logs or reports.
    ``metadata`` is passed through as extra request parameters (``temperature``,
    ``seed``, ...). ``max_concurrency`` bounds the requests in flight per process
    across every LLM feature sharing this limit.
    """

    model: str
    endpoint: str
    api_key: str | None = field(default=None, repr=False)
    deployment: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict)
    timeout_seconds: float = 60.0
    max_retries: int = 2
    max_concurrency: int = 8


@runtime_checkable
class ChatTarget(Protocol):
    """Anything that can complete one chat conversation.

    ``messages`` is a list of ``{"role": ..., "content": ...}`` dicts with roles
    ``system``, ``user`` or ``assistant``; the return value is the assistant text.
    Implementations raise ``LLMRateLimitError`` when rate-limited and
    ``InfrastructureError`` for any other failure.
    """

    async def complete_async(self, *, messages: list[dict[str, str]]) -> str: ...
