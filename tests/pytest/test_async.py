"""Async tests with and without pytest-asyncio and anyio (R-ASYNC-1..3, R-GEN-4)."""

from __future__ import annotations

import pytest

ASYNC_SUITE = """
import asyncio
import contextvars

import pytest
from rampart.collection import active_collector
from helpers import SAFE, rec

leak = contextvars.ContextVar("leak", default="clean")
started = []


async def test_records_from_task():
    assert active_collector() is not None
    await asyncio.get_running_loop().create_task(asyncio.sleep(0))
    rec(SAFE, "from a coroutine test")


async def test_leaves_a_task_behind():
    leak.set("dirty")

    async def forever():
        started.append(asyncio.get_running_loop())
        await asyncio.sleep(3600)

    asyncio.get_running_loop().create_task(forever())
    await asyncio.sleep(0)


async def test_next_test_starts_clean():
    assert leak.get() == "clean"
    assert started and started[0] is not asyncio.get_running_loop()
    assert started[0].is_closed()
"""


def test_async_tests_run_with_no_configuration_R_ASYNC_1(rp: pytest.Pytester) -> None:
    rp.makepyfile(test_plain_async=ASYNC_SUITE)
    result = rp.runpytest("-p", "no:asyncio", "-p", "no:anyio")
    result.assert_outcomes(passed=3)
    result.stdout.fnmatch_lines(["UNCATEGORIZED * 1 runs: 1 safe*"])


def test_strict_mode_coexists_R_ASYNC_1(rp: pytest.Pytester) -> None:
    """pytest-asyncio owns the marked test (and its async fixture); rampart runs the rest."""
    rp.makepyfile(
        test_strict="""
        import asyncio
        import pytest
        import pytest_asyncio
        from helpers import SAFE, rec

        loops = {}

        @pytest_asyncio.fixture
        async def value():
            loops["fixture"] = asyncio.get_running_loop()
            return 41

        @pytest.mark.asyncio
        async def test_marked(value):
            assert asyncio.get_running_loop() is loops["fixture"]
            rec(SAFE, "marked")

        async def test_unmarked():
            rec(SAFE, "unmarked")
        """
    )
    result = rp.runpytest("-o", "asyncio_mode=strict")
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines(["UNCATEGORIZED * 2 runs: 2 safe*"])


def test_auto_mode_coexists_R_GEN_4(rp: pytest.Pytester) -> None:
    rp.makepyfile(
        test_auto="""
        import asyncio
        import pytest
        from helpers import SAFE, rec

        @pytest.fixture
        async def value():
            return asyncio.get_running_loop()

        async def test_auto(value):
            assert value is asyncio.get_running_loop()
            rec(SAFE, "auto")
        """
    )
    result = rp.runpytest("-o", "asyncio_mode=auto")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["UNCATEGORIZED * 1 runs: 1 safe*"])


def test_anyio_tests_are_left_to_anyio_R_ASYNC_1(rp: pytest.Pytester) -> None:
    rp.makepyfile(
        test_anyio="""
        import pytest
        import sniffio
        from helpers import SAFE, rec

        @pytest.fixture
        def anyio_backend():
            return "asyncio"

        @pytest.mark.anyio
        async def test_under_anyio():
            assert sniffio.current_async_library() == "asyncio"
            import anyio
            from anyio import pytest_plugin

            assert pytest_plugin._current_runner is not None  # anyio's own runner drives it
            await anyio.sleep(0)
            rec(SAFE, "anyio")
        """
    )
    # Auto mode is left out on purpose: there pytest-asyncio itself claims anyio's tests.
    for args in (("-o", "asyncio_mode=strict"), ("-p", "no:asyncio")):
        result = rp.runpytest(*args)
        result.assert_outcomes(passed=1)
        result.stdout.fnmatch_lines(["UNCATEGORIZED * 1 runs: 1 safe*"])


def test_sync_tests_record_results(rp: pytest.Pytester) -> None:
    rp.makepyfile(
        test_sync="""
        import threading
        from helpers import SAFE, UNSAFE, rec

        def test_direct():
            rec(SAFE)

        def test_from_thread():
            worker = threading.Thread(target=rec, args=(UNSAFE, "from a thread"))
            worker.start()
            worker.join()
        """
    )
    result = rp.runpytest()
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines(
        ["  FAIL  test_sync.py::test_from_thread -- from a thread (response_only)"]
    )
