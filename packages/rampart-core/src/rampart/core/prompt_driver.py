"""Prompt drivers decide what to send the agent next."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol, runtime_checkable

if TYPE_CHECKING:
    from rampart.core.types import Request, Turn

__all__ = ["PromptDecision", "PromptDriver"]


@dataclass(kw_only=True)
class PromptDecision:
    """The next request to send, with the driver's reasoning for it."""

    request: Request
    reasoning: str = ""


@runtime_checkable
class PromptDriver(Protocol):
    """Produces the next request from the turns so far; ``None`` ends the conversation."""

    async def next_prompt_async(self, *, history: list[Turn]) -> PromptDecision | None: ...
