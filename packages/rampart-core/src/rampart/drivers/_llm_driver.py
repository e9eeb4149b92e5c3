"""``LLMDriver``: an LLM adversary that writes the next prompt from the history (R-LLM-4)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rampart._llm import resolve_chat_target
from rampart.core.errors import DriverError
from rampart.core.persona import Persona
from rampart.core.prompt_driver import PromptDecision
from rampart.core.types import Payload, Request

if TYPE_CHECKING:
    from rampart.core.llm import ChatTarget, LLMConfig
    from rampart.core.types import Turn

__all__ = ["LLMDriver"]

_OPENING = (
    "Begin the conversation now. Write the first message you send to the target agent. "
    "Reply with only that message."
)


class LLMDriver:
    """Plays ``persona`` against the agent, one LLM call per turn.

    The conversation is rebuilt from ``history`` on every call, so the driver holds no
    state between calls: from the adversary's point of view its own prompts are the
    ``assistant`` messages and the agent's replies are the ``user`` messages.
    ``injections`` ride along as attachments of the first request only.
    """

    def __init__(
        self,
        *,
        persona: Persona,
        llm: LLMConfig | None = None,
        target: ChatTarget | None = None,
        objective: str | None = None,
        injections: list[Payload] | None = None,
    ) -> None:
        if not isinstance(persona, Persona):
            raise TypeError(f"persona must be a Persona, got {type(persona).__name__}")
        if objective is not None and not isinstance(objective, str):
            raise TypeError(f"objective must be a str or None, got {type(objective).__name__}")
        if injections is not None and (
            not isinstance(injections, list) or not all(isinstance(p, Payload) for p in injections)
        ):
            raise TypeError("injections must be a list of Payload or None")
        self._persona = persona
        self._objective = objective
        self._injections = list(injections or [])
        self._target = resolve_chat_target(llm=llm, target=target)

    @classmethod
    def from_target(
        cls,
        *,
        target: ChatTarget,
        persona: Persona,
        objective: str | None = None,
        injections: list[Payload] | None = None,
    ) -> LLMDriver:
        """Build a driver over an existing ``ChatTarget``."""
        return cls(persona=persona, target=target, objective=objective, injections=injections)

    def __repr__(self) -> str:
        return f"LLMDriver(persona={self._persona.name!r}, objective={self._objective!r})"

    def _messages(self, history: list[Turn]) -> list[dict[str, str]]:
        system = self._persona.system_prompt.strip()
        if self._objective:
            system = f"{system}\n\nObjective: {self._objective}".strip()
        messages = [{"role": "system", "content": system}]
        for turn in history:
            messages.append({"role": "assistant", "content": _sent_text(turn.request)})
            messages.append({"role": "user", "content": turn.response.text})
        if not history:
            messages.append({"role": "user", "content": _OPENING})
        return messages

    async def next_prompt_async(self, *, history: list[Turn]) -> PromptDecision | None:
        """Ask the LLM for the next prompt; never returns ``None``."""
        try:
            reply = await self._target.complete_async(messages=self._messages(history))
        except Exception as exc:
            raise DriverError(f"LLM driver could not get a reply: {exc}") from exc
        prompt = reply.strip() if isinstance(reply, str) else ""
        if not prompt:
            raise DriverError("LLM driver received an empty reply")
        attachments = list(self._injections) if not history else []
        return PromptDecision(request=Request(prompt=prompt, attachments=attachments))


def _sent_text(request: Request) -> str:
    if request.prompt is not None:
        return request.prompt
    ids = ", ".join(a.id for a in request.attachments)
    return f"(sent attachments only: {ids})"
