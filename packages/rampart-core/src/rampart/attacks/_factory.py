"""The ``Attacks`` factory: the public way to build attack executions."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from rampart.attacks._xpia import XPIAExecution, coerce_handles
from rampart.core.prompt_driver import PromptDriver
from rampart.core.types import Request
from rampart.drivers._static import StaticDriver

if TYPE_CHECKING:
    from rampart.core.evaluator import Evaluator
    from rampart.core.execution import BaseExecution, ExecutionEventHandler
    from rampart.core.injection import InjectionHandle

__all__ = ["Attacks"]


def _coerce_trigger(trigger: object) -> PromptDriver:
    """A driver as is; a prompt or a list of prompts as a ``StaticDriver`` (R-XPIA-1)."""
    if isinstance(trigger, str | Request):
        return StaticDriver(prompts=[trigger])
    if isinstance(trigger, list):
        return StaticDriver(prompts=trigger)
    if isinstance(trigger, PromptDriver):
        return trigger
    raise TypeError(
        "trigger must be a str, a Request, a list of str/Request, or a PromptDriver; "
        f"got {type(trigger).__name__}"
    )


class Attacks:
    """Factories for attack executions."""

    @staticmethod
    def xpia(
        *,
        inject: InjectionHandle | Sequence[InjectionHandle] | None = None,
        trigger: str | Request | list[str] | list[Request] | PromptDriver,
        evaluator: Evaluator,
        max_turns: int = 5,
        event_handlers: list[ExecutionEventHandler] | None = None,
    ) -> BaseExecution:
        """A cross-prompt injection attack.

        ``inject`` plants the payloads, ``trigger`` makes the agent read them, and
        ``evaluator`` detects the attack objective. The attack stops at the first turn
        that detects it, or after ``max_turns`` turns (5 by default).
        """
        return XPIAExecution(
            handles=coerce_handles(inject),
            driver=_coerce_trigger(trigger),
            evaluator=evaluator,
            max_turns=max_turns,
            event_handlers=event_handlers,
        )
