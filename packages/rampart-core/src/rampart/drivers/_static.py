"""A driver that replays a fixed list of prompts."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from rampart.core.prompt_driver import PromptDecision
from rampart.core.types import Request

if TYPE_CHECKING:
    from rampart.core.types import Turn

__all__ = ["StaticDriver"]


class StaticDriver:
    """Sends the given prompts in order, one per turn, then stops."""

    def __init__(self, *, prompts: Sequence[str | Request]) -> None:
        if not isinstance(prompts, list | tuple):
            raise TypeError(
                f"prompts must be a list of str or Request, got {type(prompts).__name__}"
            )
        requests: list[Request] = []
        for item in prompts:
            if isinstance(item, str):
                requests.append(Request(prompt=item))
            elif isinstance(item, Request):
                requests.append(item)
            else:
                raise TypeError(
                    f"StaticDriver prompts must be str or Request, got {type(item).__name__}"
                )
        self._requests = requests

    def __repr__(self) -> str:
        return f"StaticDriver(prompts={len(self._requests)})"

    async def next_prompt_async(self, *, history: list[Turn]) -> PromptDecision | None:
        """The prompt at position ``len(history)``, or ``None`` once all were sent."""
        index = len(history)
        if index >= len(self._requests):
            return None
        return PromptDecision(request=self._requests[index])
