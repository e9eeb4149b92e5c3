"""Reference injection surfaces. Real storage (mailboxes, drives) is a user-written ``Surface``."""

from __future__ import annotations

from rampart.surfaces._local_file import LocalFileSurface
from rampart.surfaces._memory import InMemorySurface

__all__ = ["InMemorySurface", "LocalFileSurface"]

_NOT_PROVIDED = {
    "OneDriveSurface": (
        "OneDriveSurface is not provided by rampart-core. Implement the rampart.Surface protocol "
        "for your storage (inject(*, payload) -> InjectionHandle); see "
        "rampart.surfaces.LocalFileSurface and rampart.surfaces.InMemorySurface for reference "
        "implementations."
    ),
}


def __getattr__(name: str) -> object:
    message = _NOT_PROVIDED.get(name)
    if message is not None:
        raise ImportError(message, name=name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
