"""The per-process cap on LLM requests in flight, shared by every LLM feature.

asyncio semaphores belong to one event loop, but the cap is per process: tests may run
event loops in several threads at once. So the slots are counted under a thread lock,
and a waiter on any loop is woken on its own loop when a slot is handed to it.
"""

from __future__ import annotations

import asyncio
import threading
from collections import deque
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

__all__ = ["concurrency_slot"]

_WAITING, _GRANTED, _ABANDONED = "waiting", "granted", "abandoned"


class _Waiter:
    __slots__ = ("future", "loop", "state")

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.future: asyncio.Future[None] = loop.create_future()
        self.state = _WAITING


def _wake(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)


class _ProcessSlots:
    """A counting semaphore usable from any number of event loops and threads."""

    def __init__(self, limit: int) -> None:
        self._limit = limit
        self._used = 0
        self._lock = threading.Lock()
        self._waiters: deque[_Waiter] = deque()

    async def acquire(self) -> None:
        with self._lock:
            if self._used < self._limit and not self._waiters:
                self._used += 1
                return
            waiter = _Waiter(asyncio.get_running_loop())
            self._waiters.append(waiter)
        try:
            await waiter.future
        except BaseException:
            with self._lock:
                granted = waiter.state == _GRANTED
                if not granted:
                    waiter.state = _ABANDONED
                    self._waiters.remove(waiter)
            if granted:  # the slot arrived as we were cancelled: pass it on
                self.release()
            raise

    def release(self) -> None:
        with self._lock:
            while self._waiters:
                waiter = self._waiters.popleft()
                if waiter.loop.is_closed():
                    continue
                # The slot moves straight to the waiter; ``_used`` stays the same.
                waiter.state = _GRANTED
                waiter.loop.call_soon_threadsafe(_wake, waiter.future)
                return
            self._used -= 1


_registry_lock = threading.Lock()
_registry: dict[tuple[str, int], _ProcessSlots] = {}


def _slots(key: str, limit: int) -> _ProcessSlots:
    with _registry_lock:
        slots = _registry.get((key, limit))
        if slots is None:
            slots = _registry[(key, limit)] = _ProcessSlots(limit)
        return slots


@asynccontextmanager
async def concurrency_slot(key: str, limit: int) -> AsyncIterator[None]:
    """Hold one of ``limit`` process-wide slots shared by all callers using ``key``."""
    slots = _slots(key, max(1, limit))
    await slots.acquire()
    try:
        yield
    finally:
        slots.release()
