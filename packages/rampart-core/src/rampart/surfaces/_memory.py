"""A surface that keeps injected payloads in a dictionary: the reference for tests and demos."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType, TracebackType

from rampart.core.injection import InjectionHandle
from rampart.core.types import Payload
from rampart.surfaces._handle import PayloadHandle

__all__ = ["InMemorySurface"]


class InMemorySurface:
    """Holds each entered handle's payload in ``items`` (keyed by payload id) until it exits."""

    def __init__(self, *, name: str = "memory") -> None:
        self._name = name
        self._items: dict[str, Payload] = {}

    def __repr__(self) -> str:
        return f"InMemorySurface(name={self._name!r})"

    @property
    def name(self) -> str:
        """The name recorded on injections from this surface."""
        return self._name

    @property
    def items(self) -> Mapping[str, Payload]:
        """The payloads currently injected, read-only."""
        return MappingProxyType(self._items)

    def inject(self, *, payload: Payload) -> InjectionHandle:
        """A handle that puts ``payload`` into ``items`` while it is entered."""
        return _MemoryHandle(surface=self, items=self._items, payload=payload)


class _MemoryHandle(PayloadHandle):
    def __init__(self, *, surface: InMemorySurface, items: dict[str, Payload], payload: Payload):
        super().__init__(surface_name=surface.name, payload=payload)
        self._items = items
        self._active = False

    async def wait_until_ready(self) -> None:
        return None

    async def __aenter__(self) -> _MemoryHandle:
        self._items[self._payload.id] = self._payload
        self._active = True
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
        /,
    ) -> None:
        if self._active:
            self._active = False
            # Only remove what this handle put there; another handle may reuse the id.
            if self._items.get(self._payload.id) is self._payload:
                del self._items[self._payload.id]
