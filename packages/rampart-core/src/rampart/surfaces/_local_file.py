"""A surface that writes payloads as files into a directory the agent reads from."""

from __future__ import annotations

import logging
import shutil
from contextlib import suppress
from pathlib import Path
from types import TracebackType

from rampart.core.errors import InfrastructureError
from rampart.core.injection import InjectionHandle, sleep_until_ready
from rampart.core.types import Payload
from rampart.surfaces._handle import PayloadHandle

__all__ = ["LocalFileSurface"]

_log = logging.getLogger(__name__)


def _check_delay(delay: float) -> float:
    if delay < 0:
        raise ValueError(f"ready_delay must be >= 0, got {delay}")
    return delay


class LocalFileSurface:
    """Writes ``<directory>/<payload.id><extension>`` on enter and deletes it on exit.

    Text payloads are written as UTF-8; binary payloads copy their artifact. An existing file
    is never overwritten. ``ready_delay`` models a backend that indexes files with a lag.
    """

    def __init__(
        self, *, directory: Path | str, name: str = "local_file", ready_delay: float = 0.0
    ) -> None:
        self._directory = Path(directory)
        self._name = name
        self._ready_delay = _check_delay(ready_delay)

    def __repr__(self) -> str:
        return f"LocalFileSurface(directory={str(self._directory)!r}, name={self._name!r})"

    @property
    def name(self) -> str:
        """The name recorded on injections from this surface."""
        return self._name

    @property
    def directory(self) -> Path:
        """Where payload files are written."""
        return self._directory

    def path_for(self, payload: Payload) -> Path:
        """The file a payload is written to."""
        return self._directory / f"{payload.id}{payload.format.extension}"

    def inject(self, *, payload: Payload) -> InjectionHandle:
        """A handle that writes ``payload`` to its file while it is entered."""
        return _FileHandle(surface=self, payload=payload, ready_delay=self._ready_delay)


class _FileHandle(PayloadHandle):
    def __init__(self, *, surface: LocalFileSurface, payload: Payload, ready_delay: float):
        super().__init__(surface_name=surface.name, payload=payload)
        self._surface = surface
        self._ready_delay = ready_delay
        self._written: Path | None = None

    async def wait_until_ready(self) -> None:
        await sleep_until_ready(self._ready_delay)

    async def __aenter__(self) -> _FileHandle:
        path = self._surface.path_for(self._payload)
        created = False
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            # Exclusive creation: a file that is already there belongs to someone else.
            if self._payload.format.is_text:
                with path.open("x", encoding="utf-8", newline="") as out:
                    created = True
                    out.write(self._payload.content)
            else:
                assert self._payload.artifact is not None  # guaranteed by Payload
                with self._payload.artifact.open("rb") as src, path.open("xb") as dst:
                    created = True
                    shutil.copyfileobj(src, dst)
        except FileExistsError as exc:
            raise InfrastructureError(f"refusing to overwrite existing file: {path}") from exc
        except OSError as exc:
            if created:
                # Do not leave a half-written payload behind after a failed enter.
                with suppress(OSError):
                    path.unlink(missing_ok=True)
            raise InfrastructureError(f"could not write payload file {path}: {exc}") from exc
        self._written = path
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
        /,
    ) -> None:
        path, self._written = self._written, None
        if path is None:
            return
        try:
            path.unlink(missing_ok=True)
        except OSError:
            _log.warning("RAMPART: could not remove payload file %s", path, exc_info=True)
