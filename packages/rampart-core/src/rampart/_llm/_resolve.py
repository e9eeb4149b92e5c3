"""Turns the ``llm=``/``target=`` pair every LLM feature accepts into one ``ChatTarget``."""

from __future__ import annotations

from rampart.core.llm import ChatTarget, LLMConfig

__all__ = ["resolve_chat_target"]


def resolve_chat_target(*, llm: object, target: object) -> ChatTarget:
    """Validate the pair (R-LLM-2) and build the SDK-backed target for an ``LLMConfig``."""
    if (llm is None) == (target is None):
        raise TypeError("Specify exactly one of 'llm' or 'target'.")
    if llm is not None:
        if not isinstance(llm, LLMConfig):
            raise TypeError(f"llm must be an LLMConfig, got {type(llm).__name__}")
        from rampart._llm._client import OpenAIChatTarget

        return OpenAIChatTarget(llm)
    if not isinstance(target, ChatTarget):
        raise TypeError(
            "target must implement ChatTarget (an object with "
            "'async def complete_async(*, messages)'), got "
            f"{type(target).__name__}; PyRIT targets are not supported"
        )
    return target
