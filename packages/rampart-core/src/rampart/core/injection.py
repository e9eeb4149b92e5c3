"""Surfaces and injection handles: how a payload gets planted where the agent will read it.

``InjectionHandle`` is a runtime-checkable protocol, so any object with the right members passes
``isinstance``, and it is also a base class: a subclass inherits ``__aenter__`` (returning
``self``) and must implement the abstract members, including ``__aexit__``.
"""

from __future__ import annotations

from abc import abstractmethod
from types import TracebackType
from typing import TYPE_CHECKING, Protocol, Self, runtime_checkable

from rampart.core.result import InjectionRecord

if TYPE_CHECKING:
    from rampart.core.types import Payload

__all__ = ["InjectionHandle", "InjectionRecord", "Surface", "sleep_until_ready"]


@runtime_checkable
class InjectionHandle(Protocol):
    """One prepared injection. Entering activates it; exiting removes it.

    Exiting must be idempotent and must never raise: cleanup runs after errors and
    cancellation, and a failing cleanup must not hide the verdict.
    """

    @property
    @abstractmethod
    def payload_id(self) -> str | None:
        """The id of the planted payload."""

    @property
    @abstractmethod
    def surface_name(self) -> str:
        """The name of the surface the payload is planted on."""

    @abstractmethod
    async def wait_until_ready(self) -> None:
        """Return once the agent can see the injected payload."""

    async def __aenter__(self) -> Self:
        return self

    @abstractmethod
    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
        /,
    ) -> bool | None:
        """Remove the injection; idempotent, never raises."""


@runtime_checkable
class Surface(Protocol):
    """A place an agent reads from (a mailbox, a folder, a memory store) that tests can seed."""

    def inject(self, *, payload: Payload) -> InjectionHandle:
        """Prepare ``payload`` for injection without activating it."""
        ...


async def sleep_until_ready(delay: float, /) -> None:
    """Readiness helper for handles whose backend becomes consistent after ``delay`` seconds."""
    if delay < 0:
        raise ValueError(f"delay must be >= 0, got {delay}")
    import asyncio

    await asyncio.sleep(delay)
