"""Concurrent trials: one item runs its coroutine body n times on one loop (R-CONC-1..5)."""

from __future__ import annotations

import asyncio
import functools
import os
import traceback
from collections.abc import Callable, Coroutine
from contextvars import ContextVar
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pytest
from rampart.collection import ResultCollector, activate_collector
from rampart_pytest.trials import NO_RESULT, SAFE, UNSAFE, bucket_of, required_safe

if TYPE_CHECKING:
    from rampart.core.result import Result

__all__ = ["TRIAL_INDEX", "ConcurrentTrials", "RunOutcome"]

#: The trial index of the run in progress; sub-tasks and ``asyncio.to_thread`` inherit it.
TRIAL_INDEX: ContextVar[int | None] = ContextVar("rampart_trial_index", default=None)
_MAX_LISTED = 20
_FAILED = pytest.fail.Exception
_SEVERITY = ("unsafe", "error", "undetermined")


@dataclass(frozen=True, slots=True)
class RunOutcome:
    """What one run produced: its results and the exception it raised, if any."""

    index: int
    results: list[Result]
    error: BaseException | None


def _slot() -> Any:
    try:
        from rampart._limits import execution_slot
    except ImportError:  # pragma: no cover - an older core without the process-wide cap
        return None
    return execution_slot()


def _where(error: BaseException) -> str:
    frames = traceback.extract_tb(error.__traceback__)
    if not frames:
        return "?"
    frame = frames[-1]
    return f"{os.path.basename(frame.filename)}:{frame.lineno}"


def _first_line(error: BaseException) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else ""


def _failed_run_result(index: int, error: BaseException) -> Result:
    from rampart.core.result import Result, SafetyStatus

    type_name = type(error).__name__
    first = _first_line(error)
    return Result(
        status=SafetyStatus.ERROR,
        summary=f"trial {index} failed: {type_name}: {first}"
        if first
        else f"trial {index} failed: {type_name}",
        metadata={"error": first, "error_type": type_name, "location": _where(error)},
    )


def _describe(outcome: RunOutcome, bucket: str) -> str:
    error = outcome.error
    if error is not None:
        return (
            f"trial {outcome.index}: {type(error).__name__}: {_first_line(error)} ({_where(error)})"
        )
    if bucket == NO_RESULT:
        return f"trial {outcome.index}: no result recorded"
    # No exception: name the worst verdict the run recorded.
    worst = next(
        result
        for status in _SEVERITY
        for result in outcome.results
        if str(getattr(result.status, "value", result.status)) == status
    )
    first = (worst.summary.strip().splitlines() or [""])[0]
    return f"trial {outcome.index}: {str(getattr(worst.status, 'value', worst.status)).upper()}: {first}"


class ConcurrentTrials:
    """Builds the fan-out that replaces an item's test function for its call phase."""

    def __init__(
        self, function: Callable[..., Coroutine[Any, Any, Any]], *, n: int, concurrency: int
    ) -> None:
        self.function = function
        self.n = n
        self.concurrency = concurrency
        self.outcomes: list[RunOutcome] | None = None

    def fan_out(self) -> Callable[..., Coroutine[Any, Any, None]]:
        """A coroutine function with the test's signature that runs every trial."""
        original = self.function

        async def one(index: int, limit: asyncio.Semaphore, kwargs: dict[str, Any]) -> RunOutcome:
            async with limit:
                collector = ResultCollector()
                # Each run is its own task, so these bindings stay within the run and its
                # sub-tasks.
                activate_collector(collector)
                TRIAL_INDEX.set(index)
                error: BaseException | None = None
                slot = _slot()
                try:
                    if slot is None:
                        await original(**kwargs)
                    else:
                        async with slot:
                            await original(**kwargs)
                except (Exception, _FAILED) as exc:
                    # ``pytest.fail`` is a failed assertion in all but its base class; skip,
                    # xfail, cancellation and interrupts propagate and stop every run.
                    error = exc
                results = collector.close()
                if error is not None and bucket_of(results) == SAFE:
                    # A run that failed is a failed trial (R-CONC-3) even if every verdict it
                    # recorded was SAFE (the body asserted something else); an ERROR result
                    # says so, so the report's trial group and the item's gate agree.
                    results.append(_failed_run_result(index, error))
                return RunOutcome(index, results, error)

        @functools.wraps(original)
        async def run_all(**kwargs: Any) -> None:
            try:
                asyncio.get_running_loop()
            except RuntimeError:
                raise RuntimeError(
                    "concurrent trials need an asyncio event loop (trio is not supported)"
                ) from None
            limit = asyncio.Semaphore(self.concurrency)
            tasks = [asyncio.ensure_future(one(i, limit, kwargs)) for i in range(self.n)]
            try:
                outcomes = await asyncio.gather(*tasks)
            except BaseException:
                # Cancellation, KeyboardInterrupt, skip/xfail: stop every run, then re-raise.
                for task in tasks:
                    task.cancel()
                await asyncio.gather(*tasks, return_exceptions=True)
                raise
            self.outcomes = list(outcomes)

        return run_all

    def failure(self, *, threshold: float) -> str | None:
        """The gate's ``AssertionError`` message, or ``None`` when the gate passes."""
        from rampart.core.text import sanitize_text

        assert self.outcomes is not None
        buckets = [bucket_of(outcome.results) for outcome in self.outcomes]
        safe = buckets.count(SAFE)
        unsafe = buckets.count(UNSAFE)
        if unsafe == 0 and safe >= required_safe(threshold=threshold, total=self.n):
            return None
        lines = [
            f"trial gate failed: {safe}/{self.n} safe, {unsafe} unsafe, threshold: {threshold:.0%}"
        ]
        # A failing trial is a run that raised, or one whose verdicts were not all SAFE.
        failed = [
            (outcome, bucket)
            for outcome, bucket in zip(self.outcomes, buckets, strict=True)
            if outcome.error is not None or bucket != SAFE
        ]
        for outcome, bucket in failed[:_MAX_LISTED]:
            lines.append(sanitize_text(_describe(outcome, bucket), single_line=True))
        if len(failed) > _MAX_LISTED:
            lines.append(f"... and {len(failed) - _MAX_LISTED} more")
        return "\n".join(lines)
