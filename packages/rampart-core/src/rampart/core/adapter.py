"""The two protocols a team implements to put its agent under test."""

from __future__ import annotations

from types import TracebackType
from typing import TYPE_CHECKING, Protocol, runtime_checkable

if TYPE_CHECKING:
    from rampart.core.manifest import AppManifest
    from rampart.core.types import ObservabilityLevel, Request, Response

__all__ = ["AgentAdapter", "Session"]


@runtime_checkable
class Session(Protocol):
    """One conversation with the agent; an async context manager whose exit is idempotent."""

    async def send_async(self, request: Request, /) -> Response: ...

    async def __aenter__(self) -> object: ...

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
        /,
    ) -> bool | None: ...


@runtime_checkable
class AgentAdapter(Protocol):
    """The agent under test: opens sessions and says what it can observe."""

    async def create_session_async(self) -> Session: ...

    @property
    def manifest(self) -> AppManifest | None: ...

    @property
    def observability_profile(self) -> ObservabilityLevel: ...
