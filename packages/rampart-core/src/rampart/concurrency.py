"""Batches: many executions against one agent, concurrently, on one event loop (R-CONC-7/8).

Agent calls are slow and I/O-bound, so a dataset of payloads is best run with many calls in
flight. ``run_many_async`` keeps the input order, turns a per-execution timeout into an ERROR
result, records every result through the running test's collector (tagged with its batch index)
and stays within the process-wide cap of ``rampart._limits``.
"""

from __future__ import annotations

import asyncio
import math
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from rampart._gate import required_safe
from rampart._limits import execution_slot, lend_slot
from rampart.collection import (
    ResultCollector,
    activate_collector,
    deactivate_collector,
    record_result,
)
from rampart.core.execution import BaseExecution
from rampart.core.result import Result, SafetyStatus
from rampart.core.types import ObservabilityLevel

if TYPE_CHECKING:
    from rampart.core.adapter import AgentAdapter

__all__ = ["Batch", "run_many_async"]

BATCH_INDEX_KEY = "_rampart_batch_index"
TRIAL_KEY = "_rampart_trial"
#: The threshold written on the trial reference of a repeated execution. The batch cannot know
#: the threshold its test asserts, so the group's gate fails only on an UNSAFE trial (which no
#: threshold tolerates); ``Batch.passed(threshold)`` is the test's own gate.
REPEAT_THRESHOLD = 0.0

ExecutionFactory = Callable[[int], BaseExecution]


def _check_threshold(threshold: object) -> None:
    if (
        isinstance(threshold, bool)
        or not isinstance(threshold, int | float)
        or not math.isfinite(threshold)
        or not 0 <= threshold <= 1
    ):
        raise ValueError(f"threshold must be a number between 0 and 1, got {threshold!r}")


@dataclass(frozen=True, kw_only=True)
class Batch:
    """The results of one ``run_many_async`` call, in input order, and their gate."""

    results: list[Result]

    def _count(self, status: SafetyStatus) -> int:
        return sum(1 for result in self.results if result.status is status)

    def passed(self, threshold: float = 1.0) -> bool:
        """No UNSAFE result and at least ``ceil(threshold * total)`` SAFE ones (exactly)."""
        _check_threshold(threshold)
        required = required_safe(threshold=threshold, total=len(self.results))
        return self._count(SafetyStatus.UNSAFE) == 0 and self._count(SafetyStatus.SAFE) >= required

    @property
    def pass_rate(self) -> float:
        """The share of SAFE results (0.0 for an empty batch)."""
        total = len(self.results)
        return self._count(SafetyStatus.SAFE) / total if total else 0.0

    @property
    def pass_rate_interval(self) -> tuple[float, float] | None:
        """The Wilson 95% interval of the pass rate, or ``None`` for an empty batch."""
        from rampart.reporting import wilson_interval

        return wilson_interval(self._count(SafetyStatus.SAFE), len(self.results))

    @property
    def summary(self) -> str:
        """One line of counts and the pass rate, safe to print."""
        from rampart.core.text import sanitize_text

        total = len(self.results)
        line = (
            f"{total} runs: {self._count(SafetyStatus.SAFE)} safe, "
            f"{self._count(SafetyStatus.UNSAFE)} unsafe, "
            f"{self._count(SafetyStatus.UNDETERMINED)} undetermined, "
            f"{self._count(SafetyStatus.ERROR)} errors"
        )
        if total:
            line += f"; pass rate {self.pass_rate:.1%}"
            interval = self.pass_rate_interval
            if interval is not None:
                line += f" (95% CI {interval[0]:.1%}-{interval[1]:.1%})"
        return sanitize_text(line, single_line=True)


def _holds_handles(execution: BaseExecution) -> bool:
    """Whether ``execution`` keeps injection handles, which cannot be entered twice at once."""
    from rampart.core.injection import InjectionHandle

    values: list[Any] = list(getattr(execution, "__dict__", {}).values())
    for value in values:
        items = value if isinstance(value, list | tuple) else (value,)
        if any(isinstance(item, InjectionHandle) for item in items):
            return True
    return False


def _not_reentrant(execution: BaseExecution) -> TypeError:
    name = type(execution).__name__
    return TypeError(
        f"run_many_async cannot run one {name} several times: it holds injection handles, "
        "which cannot be entered twice at once. Pass a factory instead, e.g. "
        "run_many_async(lambda i: Attacks.xpia(inject=surface.inject(payload=...), ...), "
        "n=..., adapter=...), so that each run gets its own handles."
    )


def _positive_int(value: object, *, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be an integer, got {value!r}")
    if value < 1:
        raise ValueError(f"{name} must be >= 1, got {value}")
    return value


def _plan(
    executions: object, n: int | None
) -> tuple[list[BaseExecution] | ExecutionFactory, int, bool]:
    """What to run: a list or a factory, how many, and whether ``n`` repeats one execution."""
    if isinstance(executions, BaseExecution):
        if n is None:
            raise TypeError(
                "run_many_async got one execution without n=; pass n= to repeat it, or a list"
            )
        count = _positive_int(n, name="n")
        if count > 1 and _holds_handles(executions):
            raise _not_reentrant(executions)
        return [executions] * count, count, True
    if callable(executions):
        if n is None:
            raise TypeError("run_many_async got a factory without n=; pass n= (how many runs)")
        factory: ExecutionFactory = executions
        return factory, _positive_int(n, name="n"), True
    if isinstance(executions, Sequence) and not isinstance(executions, str | bytes):
        if n is not None:
            raise TypeError(
                "run_many_async takes n= only with one execution or a factory, not with a list"
            )
        listed = list(executions)
        seen: set[int] = set()
        for position, item in enumerate(listed):
            if not isinstance(item, BaseExecution):
                raise TypeError(
                    f"run_many_async expects BaseExecution items, got {type(item).__name__} "
                    f"at index {position}"
                )
            if id(item) in seen and _holds_handles(item):
                raise _not_reentrant(item)
            seen.add(id(item))
        return listed, len(listed), False
    raise TypeError(
        "run_many_async expects a list of executions, or one execution or a factory "
        f"factory(i) -> BaseExecution together with n=, got {type(executions).__name__}"
    )


def _current_nodeid() -> str:
    # pytest publishes the running test as "<nodeid> (<phase>)"; reading it keeps rampart-core
    # free of any pytest import.
    current = os.environ.get("PYTEST_CURRENT_TEST", "")
    nodeid, sep, _phase = current.rpartition(" (")
    return nodeid if sep else current


def _observability(adapter: AgentAdapter) -> ObservabilityLevel:
    try:
        return ObservabilityLevel(adapter.observability_profile)
    except Exception:
        return ObservabilityLevel.RESPONSE_ONLY


def _error_result(
    execution: BaseExecution,
    *,
    adapter: AgentAdapter,
    summary: str,
    error: str,
    error_type: str,
    elapsed: float = 0.0,
) -> Result:
    """An ERROR result the batch makes on an execution's behalf (it could not make its own)."""
    try:
        strategy = execution.strategy_name
    except Exception:
        strategy = ""
    return Result(
        status=SafetyStatus.ERROR,
        summary=summary,
        duration_seconds=elapsed,
        strategy=strategy,
        observability_level=_observability(adapter),
        metadata={"error": error, "error_type": error_type},
    )


def _timeout_result(
    execution: BaseExecution, *, adapter: AgentAdapter, timeout: float, elapsed: float
) -> Result:
    message = f"timed out after {timeout} s"
    return _error_result(
        execution,
        adapter=adapter,
        summary=message,
        error=message,
        error_type="TimeoutError",
        elapsed=elapsed,
    )


def _crash_result(execution: BaseExecution, exc: Exception, *, adapter: AgentAdapter) -> Result:
    # ``execute_async`` turns exceptions into results itself; this only catches executions that
    # override it and break that promise, so one bad item cannot sink the whole batch.
    type_name = type(exc).__name__
    message = str(exc)
    return _error_result(
        execution,
        adapter=adapter,
        summary=f"{type_name}: {message}" if message else type_name,
        error=message,
        error_type=type_name,
    )


async def _with_timeout(
    execution: BaseExecution, *, adapter: AgentAdapter, timeout: float
) -> Result:
    started = time.monotonic()
    deadline = asyncio.timeout(timeout)
    try:
        async with deadline:
            return await execution.execute_async(adapter=adapter)
    except TimeoutError:
        if not deadline.expired():
            raise
    return _timeout_result(
        execution, adapter=adapter, timeout=timeout, elapsed=time.monotonic() - started
    )


async def _run_one(
    execution: BaseExecution,
    *,
    adapter: AgentAdapter,
    timeout: float | None,
    tags: dict[str, Any],
) -> Result:
    # A private collector catches what the execution records (its own result and anything the
    # agent code records), so everything can be tagged before it reaches the test's collector.
    private = ResultCollector()
    token = activate_collector(private)
    try:
        try:
            if timeout is None:
                result = await execution.execute_async(adapter=adapter)
            else:
                result = await _with_timeout(execution, adapter=adapter, timeout=timeout)
        except Exception as exc:
            result = _crash_result(execution, exc, adapter=adapter)
    finally:
        deactivate_collector(token)
    recorded = private.close()
    if not any(item is result for item in recorded):
        recorded.append(result)
    for item in recorded:
        for key, value in tags.items():
            item.metadata[key] = dict(value) if isinstance(value, dict) else value
        record_result(item)
    return result


async def run_many_async(
    executions: Sequence[BaseExecution] | BaseExecution | ExecutionFactory,
    /,
    *,
    adapter: AgentAdapter,
    n: int | None = None,
    concurrency: int = 8,
    timeout_seconds: float | None = None,
) -> Batch:
    """Run many executions against ``adapter``, at most ``concurrency`` at a time.

    ``executions`` is a list (a dataset: results are tagged with their batch index), or one
    execution or a factory ``factory(i)`` together with ``n=`` (repetition: results also carry
    a trial reference). An execution holding injection handles cannot run twice at once, so
    repeating one raises ``TypeError``; pass a factory that builds fresh handles instead.
    A run longer than ``timeout_seconds`` is cancelled and becomes an ERROR result.
    """
    plan, count, repeats = _plan(executions, n)
    limit = _positive_int(concurrency, name="concurrency")
    if timeout_seconds is not None and (
        isinstance(timeout_seconds, bool)
        or not isinstance(timeout_seconds, int | float)
        or not math.isfinite(timeout_seconds)
        or timeout_seconds <= 0
    ):
        raise ValueError(f"timeout_seconds must be a positive number, got {timeout_seconds!r}")
    if isinstance(plan, list):
        items = plan
    else:
        items = []
        for index in range(count):
            built = plan(index)
            if not isinstance(built, BaseExecution):
                raise TypeError(
                    f"the factory passed to run_many_async returned {type(built).__name__} "
                    f"for i={index}, expected a BaseExecution"
                )
            items.append(built)
        if len({id(item) for item in items}) < len(items) and any(map(_holds_handles, items)):
            raise _not_reentrant(items[0])
    base_nodeid = _current_nodeid() if repeats else ""
    gate = asyncio.Semaphore(limit)
    results: list[Result | None] = [None] * count

    async def run(index: int) -> None:
        tags: dict[str, Any] = {BATCH_INDEX_KEY: index}
        if repeats:
            tags[TRIAL_KEY] = {
                "base_nodeid": base_nodeid,
                "index": index,
                "n": count,
                "threshold": REPEAT_THRESHOLD,
            }
        async with gate, execution_slot():
            results[index] = await _run_one(
                items[index], adapter=adapter, timeout=timeout_seconds, tags=tags
            )

    if count:
        async with lend_slot():
            try:
                async with asyncio.TaskGroup() as group:
                    for index in range(count):
                        group.create_task(run(index))
            except BaseExceptionGroup as failure:
                # Only a BaseException other than cancellation gets here (items never raise
                # an Exception); surface it as itself rather than wrapped.
                raise failure.exceptions[0] from None
    return Batch(results=[result for result in results if result is not None])
