"""``Payloads.generate_async``: ask an LLM for payload variants (R-LLM-5)."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import TYPE_CHECKING, Any

from rampart._llm import resolve_chat_target
from rampart.core.converter import PayloadConverter
from rampart.core.errors import InfrastructureError
from rampart.core.llm import ChatTarget, LLMConfig
from rampart.core.persona import Persona
from rampart.core.types import Payload, PayloadFormat
from rampart.payloads._template import PayloadTemplate

if TYPE_CHECKING:
    from rampart.core.manifest import AppManifest

__all__ = ["Payloads"]

_DEFAULT_CONCURRENCY = 8
_OUTPUT_ONLY = (
    "Output only the content of the payload itself: no preamble, explanation, labels or "
    "quotation marks."
)


class Payloads:
    """Factory for payloads."""

    @staticmethod
    async def generate_async(
        *,
        template: PayloadTemplate,
        llm: LLMConfig | ChatTarget,
        persona: Persona,
        manifest: AppManifest | None = None,
        converters: list[PayloadConverter] | None = None,
        count: int = 10,
    ) -> list[Payload]:
        """Generate ``count`` TEXT variants, plus one converted copy of each with converters.

        At most ``max_concurrency`` requests are in flight (8 for a bare ``ChatTarget``);
        the first failure cancels the rest and is raised.
        """
        if isinstance(count, bool) or not isinstance(count, int):
            raise TypeError(f"count must be an int, got {type(count).__name__}")
        if count < 1:
            raise ValueError(f"count must be >= 1, got {count}")
        if not isinstance(template, PayloadTemplate):
            raise TypeError(f"template must be a PayloadTemplate, got {type(template).__name__}")
        if not isinstance(persona, Persona):
            raise TypeError(f"persona must be a Persona, got {type(persona).__name__}")
        chain = list(converters or [])
        for converter in chain:
            if not isinstance(converter, PayloadConverter):
                raise TypeError(
                    f"converters must implement PayloadConverter, got {type(converter).__name__}"
                )
        if isinstance(llm, LLMConfig):
            target = resolve_chat_target(llm=llm, target=None)
            limit = llm.max_concurrency
        elif isinstance(llm, ChatTarget):
            target = llm
            limit = _DEFAULT_CONCURRENCY
        else:
            raise TypeError(
                f"llm must be an LLMConfig or a ChatTarget (an object with "
                f"'async def complete_async(*, messages)'), got {type(llm).__name__}"
            )
        messages = _messages(template, persona, manifest)
        semaphore = asyncio.Semaphore(max(1, limit))

        async def one(index: int) -> Payload:
            async with semaphore:
                reply = await target.complete_async(messages=messages)
            content = reply.strip() if isinstance(reply, str) else ""
            if not content:
                raise InfrastructureError(f"LLM returned an empty payload for variant {index}")
            return Payload(
                content=content,
                format=PayloadFormat.TEXT,
                metadata={
                    "template": template.name,
                    "persona": persona.name,
                    "objective": template.objective,
                    "variant_index": index,
                },
            )

        generated = await _all_or_nothing([one(i) for i in range(count)])
        converted: list[Payload] = []
        for payload in generated if chain else []:
            for converter in chain:
                payload = await converter.convert_async(payload=payload)
            converted.append(payload)
        return [*generated, *converted]


def _messages(
    template: PayloadTemplate, persona: Persona, manifest: AppManifest | None
) -> list[dict[str, str]]:
    blocks = [f"OBJECTIVE: {template.objective}", f"INSTRUCTION:\n{template.resolve()}"]
    described = str(manifest) if manifest is not None else ""
    if described.strip():
        blocks.append(described)
    blocks.append(_OUTPUT_ONLY)
    return [
        {"role": "system", "content": persona.system_prompt},
        {"role": "user", "content": "\n\n".join(blocks)},
    ]


async def _all_or_nothing(coroutines: list[Coroutine[Any, Any, Payload]]) -> list[Payload]:
    """Run all; on the first failure cancel the others and raise that failure itself."""
    tasks = [asyncio.ensure_future(c) for c in coroutines]
    try:
        done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_EXCEPTION)
        for task in tasks:
            error = task.exception() if task in done and not task.cancelled() else None
            if error is not None:
                raise error
        return [task.result() for task in tasks]
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
