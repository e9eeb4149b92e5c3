"""The ``Probes`` factory: the public way to build behaviour probes."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rampart.drivers._static import StaticDriver
from rampart.probes._single_turn import SingleTurnExecution

if TYPE_CHECKING:
    from rampart.core.evaluator import Evaluator
    from rampart.core.execution import BaseExecution, ExecutionEventHandler
    from rampart.core.prompt_driver import PromptDriver

__all__ = ["Probes"]


class Probes:
    """Factories for behaviour probes."""

    @staticmethod
    def behavior(
        *,
        prompt: str | None = None,
        prompts: list[str] | None = None,
        driver: PromptDriver | None = None,
        evaluator: Evaluator,
        max_turns: int = 25,
        event_handlers: list[ExecutionEventHandler] | None = None,
    ) -> BaseExecution:
        """A probe that is SAFE once ``evaluator`` detects the expected behaviour.

        Give exactly one source of prompts: ``prompt``, ``prompts`` or ``driver``.
        """
        sources = [source for source in (prompt, prompts, driver) if source is not None]
        if len(sources) != 1:
            raise ValueError("Specify exactly one of 'prompt', 'prompts', or 'driver'.")
        if prompt is not None:
            driver = StaticDriver(prompts=[prompt])
        elif prompts is not None:
            driver = StaticDriver(prompts=list(prompts))
        assert driver is not None
        return SingleTurnExecution(
            driver=driver,
            evaluator=evaluator,
            max_turns=max_turns,
            event_handlers=event_handlers,
        )
