"""Runs ``async def`` tests that no other plugin claimed, each on a fresh event loop (R-ASYNC)."""

from __future__ import annotations

import asyncio
import inspect
from typing import Any

import pytest

__all__ = ["run_unclaimed_coroutine"]


def _claimed_elsewhere(item: pytest.Function) -> bool:
    # anyio always owns tests that request its backend, whatever the plugin order. pytest-asyncio
    # replaces the test function with a synchronous wrapper for the tests it claims (auto mode,
    # or marked in strict mode), so those never look like coroutine functions here.
    return "anyio_backend" in item.fixturenames


def run_unclaimed_coroutine(item: pytest.Function) -> bool | None:
    """Run ``item`` if it is a coroutine test nobody else handles; ``None`` lets others run it."""
    function = item.obj
    if not inspect.iscoroutinefunction(function) or _claimed_elsewhere(item):
        return None
    funcargs = item.funcargs
    arguments: dict[str, Any] = {name: funcargs[name] for name in item._fixtureinfo.argnames}
    # A fresh Runner per test: leftover tasks are cancelled and async generators closed when it
    # exits, so nothing leaks into the next test (R-ASYNC-2).
    with asyncio.Runner() as runner:
        # ``run_until_complete`` rather than ``runner.run``: the latter swaps the SIGINT handler
        # twice per test, which costs more than the loop itself. An interrupt still leaves
        # through the ``with``, which cancels what is left.
        runner.get_loop().run_until_complete(function(**arguments))
    return True
