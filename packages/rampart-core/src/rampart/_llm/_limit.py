"""The per-process cap on LLM requests in flight, shared by every LLM feature.

asyncio primitives belong to one event loop, so a semaphore is kept per running loop
(pytest-asyncio gives each test its own loop) and per endpoint/cap pair.
"""

from __future__ import annotations

import asyncio
import threading
import weakref
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

__all__ = ["concurrency_slot"]

_lock = threading.Lock()
_semaphores: weakref.WeakKeyDictionary[
    asyncio.AbstractEventLoop, dict[tuple[str, int], asyncio.Semaphore]
] = weakref.WeakKeyDictionary()


def _semaphore(key: str, limit: int) -> asyncio.Semaphore:
    loop = asyncio.get_running_loop()
    with _lock:
        per_loop = _semaphores.setdefault(loop, {})
        semaphore = per_loop.get((key, limit))
        if semaphore is None:
            semaphore = per_loop[(key, limit)] = asyncio.Semaphore(limit)
        return semaphore


@asynccontextmanager
async def concurrency_slot(key: str, limit: int) -> AsyncIterator[None]:
    """Hold one of ``limit`` slots shared by all callers using the same ``key``."""
    async with _semaphore(key, max(1, limit)):
        yield
