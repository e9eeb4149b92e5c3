"""The report handed to sinks, its population statistics, and the sink protocol."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar, Protocol, runtime_checkable

from rampart.reporting._statistics import wilson_interval

if TYPE_CHECKING:
    from rampart.core.result import HarmCategory, Result

__all__ = ["PopulationSummary", "ReportSink", "TestRunReport", "TrialGroupView"]

UNCATEGORIZED = "uncategorized"


def category_key(category: object) -> str:
    """The ``by_harm_category`` key of a result's category."""
    if category is None or category == "":
        return UNCATEGORIZED
    return str(category)


@runtime_checkable
class TrialGroupView(Protocol):
    """What a sink may read about one trial group (the aggregate of a ``trial`` marker)."""

    @property
    def base_nodeid(self) -> str: ...
    @property
    def total(self) -> int: ...
    @property
    def safe(self) -> int: ...
    @property
    def unsafe(self) -> int: ...
    @property
    def errors(self) -> int: ...
    @property
    def no_result(self) -> int: ...
    @property
    def undetermined(self) -> int: ...
    @property
    def threshold(self) -> float: ...
    @property
    def pass_rate(self) -> float: ...
    @property
    def passed(self) -> bool: ...
    @property
    def verdict(self) -> str: ...
    @property
    def terminal_label(self) -> str: ...
    @property
    def detail(self) -> str: ...
    @property
    def has_unsafe(self) -> bool: ...
    @property
    def pass_rate_interval(self) -> tuple[float, float] | None: ...
    @property
    def tolerated(self) -> int: ...


@dataclass(frozen=True, kw_only=True)
class PopulationSummary:
    """Counts and rates over a set of results. Rates exclude ERROR results from the
    denominator, since an errored run says nothing about the agent's safety."""

    total_runs: int
    safe_count: int
    unsafe_count: int
    undetermined_count: int
    error_count: int
    attack_success_rate: float
    safety_pass_rate: float

    @property
    def has_failures(self) -> bool:
        """Whether any result was UNSAFE."""
        return self.unsafe_count > 0

    @property
    def is_clean_run(self) -> bool:
        """No UNSAFE, UNDETERMINED or ERROR result (an empty run is clean)."""
        return self.unsafe_count == 0 and self.undetermined_count == 0 and self.error_count == 0

    @property
    def evaluated_count(self) -> int:
        """The runs that produced a verdict: the denominator of both rates."""
        return self.total_runs - self.error_count

    @property
    def attack_success_rate_interval(self) -> tuple[float, float] | None:
        """Wilson 95% interval of the attack success rate, or ``None`` with no verdicts."""
        return wilson_interval(self.unsafe_count, self.evaluated_count)

    @property
    def safety_pass_rate_interval(self) -> tuple[float, float] | None:
        """Wilson 95% interval of the safety pass rate, or ``None`` with no verdicts."""
        return wilson_interval(self.safe_count, self.evaluated_count)

    @classmethod
    def from_results(cls, results: Iterable[Result], /) -> PopulationSummary:
        """Count ``results`` by status."""
        counts = _count_statuses(results)
        total, safe, unsafe, undetermined, errors = counts
        evaluated = total - errors
        return cls(
            total_runs=total,
            safe_count=safe,
            unsafe_count=unsafe,
            undetermined_count=undetermined,
            error_count=errors,
            attack_success_rate=unsafe / evaluated if evaluated else 0.0,
            safety_pass_rate=safe / evaluated if evaluated else 0.0,
        )


def _count_statuses(results: Iterable[Result]) -> tuple[int, int, int, int, int]:
    # Compare by value so statuses decoded from plain strings count too.
    counts = {"safe": 0, "unsafe": 0, "undetermined": 0, "error": 0}
    total = 0
    for result in results:
        total += 1
        key = str(result.status)
        if key in counts:
            counts[key] += 1
    return total, counts["safe"], counts["unsafe"], counts["undetermined"], counts["error"]


@dataclass(kw_only=True)
class TestRunReport:
    """Everything one run produced, as handed to each report sink."""

    __test__: ClassVar[bool] = False  # not a pytest test class despite the name

    results: list[Result] = field(default_factory=list)
    total_runs: int = 0
    passed: int = 0
    failed: int = 0
    undetermined: int = 0
    errors: int = 0
    duration_seconds: float = 0.0
    metadata: dict[str, Any] = field(default_factory=dict)
    trial_groups: dict[str, TrialGroupView] = field(default_factory=dict)
    incomplete_details: list[dict[str, Any]] = field(default_factory=list)

    def by_harm_category(self) -> dict[str, list[Result]]:
        """Results grouped by category string (``"uncategorized"`` for none), in order of
        first appearance."""
        groups: dict[str, list[Result]] = {}
        for result in self.results:
            key = category_key(result.harm_category)
            bucket = groups.get(key)
            if bucket is None:
                groups[key] = [result]
            else:
                bucket.append(result)
        return groups

    def population_summary(
        self, *, harm_category: HarmCategory | str | None = None
    ) -> PopulationSummary:
        """Counts and rates over all results, or over one category's."""
        if harm_category is None:
            return PopulationSummary.from_results(self.results)
        key = category_key(harm_category)
        return PopulationSummary.from_results(
            r for r in self.results if category_key(r.harm_category) == key
        )

    @classmethod
    def from_results(
        cls, results: Iterable[Result], *, metadata: dict[str, Any] | None = None
    ) -> TestRunReport:
        """A report whose counts are computed from ``results``; for use without pytest.

        ``duration_seconds`` is the sum of the results' durations.
        """
        kept = list(results)
        _total, safe, unsafe, undetermined, errors = _count_statuses(kept)
        return cls(
            results=kept,
            total_runs=len(kept),
            passed=safe,
            failed=unsafe,
            undetermined=undetermined,
            errors=errors,
            duration_seconds=sum(r.duration_seconds for r in kept),
            metadata=dict(metadata) if metadata else {},
        )


@runtime_checkable
class ReportSink(Protocol):
    """Receives the final report once per run."""

    async def emit_async(self, *, report: TestRunReport) -> None: ...
