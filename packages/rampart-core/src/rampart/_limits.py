"""The process-wide cap on executions in flight (R-CONC-6).

Batches and concurrent trials each bound their own fan-out; this module bounds all of them
together, so a suite cannot stampede a rate-limited endpoint. The cap is a number of slots per
event loop (asyncio primitives belong to one loop); the pytest plugin sets it from
``--rampart-max-concurrency``.

A task that holds a slot and then waits for children that need slots of their own (a trial run
that starts a batch) would deadlock a full cap, so such a parent lends its slot to its children
while it waits (``lend_slot``) and takes it back afterwards.
"""

from __future__ import annotations

import asyncio
import weakref
from contextvars import ContextVar, Token
from types import TracebackType

__all__ = [
    "DEFAULT_MAX_CONCURRENCY",
    "execution_slot",
    "lend_slot",
    "max_concurrency",
    "set_max_concurrency",
]

DEFAULT_MAX_CONCURRENCY = 64

_limit = DEFAULT_MAX_CONCURRENCY
_semaphores: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, tuple[int, asyncio.Semaphore]]
_semaphores = weakref.WeakKeyDictionary()


def set_max_concurrency(n: int, /) -> None:
    """Set how many executions may be in flight at once on each event loop of this process."""
    global _limit
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ValueError(f"max concurrency must be an integer >= 1, got {n!r}")
    _limit = n


def max_concurrency() -> int:
    """The current cap (64 unless changed)."""
    return _limit


def _semaphore() -> asyncio.Semaphore:
    loop = asyncio.get_running_loop()
    entry = _semaphores.get(loop)
    if entry is None or entry[0] != _limit:
        # A changed cap applies to acquisitions from now on; slots already held release into
        # the semaphore they came from.
        entry = (_limit, asyncio.Semaphore(_limit))
        _semaphores[loop] = entry
    return entry[1]


class _Slot:
    __slots__ = ("closed", "held", "lenders", "loop", "semaphore")

    def __init__(self, semaphore: asyncio.Semaphore) -> None:
        self.semaphore = semaphore
        self.loop = asyncio.get_running_loop()
        self.held = True
        self.closed = False
        # How many blocks are lending this slot right now (sibling sub-tasks may each start a
        # batch); it is given up by the first and taken back by the last.
        self.lenders = 0

    def release(self) -> None:
        if self.held:
            self.held = False
            self.semaphore.release()


_current: ContextVar[_Slot | None] = ContextVar("rampart_execution_slot", default=None)


class execution_slot:  # lower case: used like a function, ``async with execution_slot():``
    """Hold one of the process-wide slots for the body of an ``async with`` block."""

    __slots__ = ("_slot", "_token")

    def __init__(self) -> None:
        self._slot: _Slot | None = None
        self._token: Token[_Slot | None] | None = None

    async def __aenter__(self) -> None:
        semaphore = _semaphore()
        await semaphore.acquire()
        self._slot = _Slot(semaphore)
        self._token = _current.set(self._slot)

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._token is not None:
            _current.reset(self._token)
        if self._slot is not None:
            # A lender still running in a sub-task must not take the slot back afterwards.
            self._slot.closed = True
            self._slot.release()


class lend_slot:  # lower case: used like a function, ``async with lend_slot():``
    """Give up the slot this task holds (if any) while the block waits for child work."""

    __slots__ = ("_slot",)

    def __init__(self) -> None:
        self._slot: _Slot | None = None

    async def __aenter__(self) -> None:
        slot = _current.get()
        if slot is None or slot.closed or (not slot.held and slot.lenders == 0):
            return
        if slot.loop is not asyncio.get_running_loop():
            # A thread that runs its own loop inherited the context; the slot is not its own.
            return
        # Sub-tasks see their parent's slot through the copied context and may lend it too:
        # the parent is usually waiting for them, and a slot that cannot be lent deadlocks.
        slot.lenders += 1
        self._slot = slot
        if slot.lenders == 1:
            slot.release()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        slot = self._slot
        if slot is None:
            return
        slot.lenders -= 1
        if slot.lenders or slot.closed:
            return
        # If this wait is cancelled the slot stays released, and ``execution_slot`` sees
        # ``held`` is false and does not release it twice.
        await slot.semaphore.acquire()
        slot.held = True
