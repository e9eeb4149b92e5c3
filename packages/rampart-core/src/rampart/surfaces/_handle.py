"""What the reference surfaces' injection handles have in common."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rampart.core.injection import InjectionHandle

if TYPE_CHECKING:
    from rampart.core.types import Payload


class PayloadHandle(InjectionHandle):
    """A handle for one payload on one named surface; subclasses say how it is placed there."""

    def __init__(self, *, surface_name: str, payload: Payload) -> None:
        self._surface_name = surface_name
        self._payload = payload

    def __repr__(self) -> str:
        return f"<injection {self._payload.id} on {self._surface_name}>"

    @property
    def payload_id(self) -> str | None:
        return self._payload.id

    @property
    def surface_name(self) -> str:
        return self._surface_name
