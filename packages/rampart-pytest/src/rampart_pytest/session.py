"""``RampartSession``: the plugin's per-process state (results, trial groups, completeness)."""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Final

from rampart._gate import GroupCounts
from rampart_pytest.trials import (
    ERRORS,
    NO_RESULT,
    SAFE,
    UNDETERMINED,
    UNSAFE,
    bucket_of,
    is_concurrent_instance,
    required_safe,
)

if TYPE_CHECKING:
    import pytest
    from rampart.collection import ResultCollector
    from rampart.core.result import Result
    from rampart.reporting import ReportSink, TestRunReport

__all__ = ["IncompleteReason", "RampartSession", "TrialGroupResult", "TrialSpec"]

INCOMPLETE_KINDS: Final = (
    "crashed",
    "not_run",
    "missing_payload",
    "rejected",
    "nego_fail",
    "worker_error",
    "count_mismatch",
    "transport_missing",
    "other",
)
_SINK_HELP = "Sinks must implement: async def emit_async(*, report: TestRunReport) -> None"


@dataclass(frozen=True, kw_only=True)
class TrialSpec:
    """Which trial group an instance belongs to, and the group's size and threshold."""

    base_nodeid: str
    threshold: float
    n: int = 1
    index: int = 0

    def as_metadata(self) -> dict[str, Any]:
        """The ``_rampart_trial`` metadata form of this spec (R-TAG-4)."""
        return {
            "base_nodeid": self.base_nodeid,
            "index": self.index,
            "n": self.n,
            "threshold": self.threshold,
        }


def _wilson(successes: int, total: int) -> tuple[float, float] | None:
    from rampart.reporting import wilson_interval

    return wilson_interval(successes, total)


@dataclass(frozen=True, kw_only=True)
class TrialGroupResult(GroupCounts):
    """One trial group's aggregate over the instances selected in this run (R-TRIAL-5)."""

    total: int
    safe: int
    unsafe: int
    errors: int
    no_result: int
    threshold: float
    pass_rate: float
    passed: bool
    undetermined: int = 0
    base_nodeid: str = ""
    #: Instances shown as tolerated; may differ between serial and xdist runs (R-EXIT-6).
    tolerated: int = 0

    @property
    def verdict(self) -> str:
        """``PASSED`` or ``FAILED`` (``SKIPPED`` when no instance counted)."""
        if self.total == 0:
            return "SKIPPED"
        return "PASSED" if self.passed else "FAILED"

    @property
    def terminal_label(self) -> str:
        """``PASS`` or ``FAIL`` (``SKIP`` when no instance counted)."""
        if self.total == 0:
            return "SKIP"
        return "PASS" if self.passed else "FAIL"

    @property
    def pass_rate_interval(self) -> tuple[float, float] | None:
        """Wilson 95% interval of ``safe / total`` (``None`` for an empty group)."""
        return _wilson(self.safe, self.total)


@dataclass(frozen=True, kw_only=True)
class IncompleteReason:
    """One reason the run lacks results it should have."""

    kind: str
    message: str
    nodeid: str | None = None
    worker: str | None = None

    def as_dict(self) -> dict[str, str | None]:
        """The report form ``{kind, message, nodeid, worker}``."""
        return {
            "kind": self.kind,
            "message": self.message,
            "nodeid": self.nodeid,
            "worker": self.worker,
        }


def _is_sink(candidate: object) -> bool:
    return callable(getattr(candidate, "emit_async", None)) and not isinstance(candidate, type)


def _status_text(result: Result) -> str:
    return str(getattr(result.status, "value", result.status))


def _shallow_copy(result: Result) -> Result:
    # ``copy.copy`` goes through ``__reduce_ex__``; a plain dataclass instance copies faster by
    # its ``__dict__`` (subclasses with slots fall back to ``copy.copy``).
    state = getattr(result, "__dict__", None)
    if state is None or hasattr(type(result), "__slots__"):
        return copy.copy(result)
    clone = object.__new__(type(result))
    clone.__dict__.update(state)
    return clone


def _spec_from_results(results: Iterable[Result]) -> TrialSpec | None:
    for result in results:
        ref = result.metadata.get("_rampart_trial")
        if isinstance(ref, dict) and isinstance(ref.get("base_nodeid"), str):
            return TrialSpec(
                base_nodeid=ref["base_nodeid"],
                threshold=float(ref.get("threshold", 1.0)),
                n=int(ref.get("n", 1)),
                index=int(ref.get("index", 0)),
            )
    return None


def _sort_key(result: Result) -> tuple[str, int, str]:
    metadata = result.metadata
    index = metadata.get("_rampart_result_index", 0)
    return (
        str(metadata.get("_pytest_nodeid", "")),
        index if isinstance(index, int) else 0,
        str(metadata.get("_rampart_source_worker") or ""),
    )


@dataclass(slots=True)
class _GroupState:
    """What the session knows about one trial group before it is aggregated."""

    spec: TrialSpec
    instances: set[str] = field(default_factory=set)


class RampartSession:
    """The plugin's state for one pytest session; one per process (workers never emit)."""

    def __init__(self, *, sinks: list[ReportSink] | None = None) -> None:
        self._sinks: list[ReportSink] = []
        self._results: dict[str, list[Result]] = {}
        self._trial_specs: dict[str, TrialSpec] = {}
        self._trial_groups: dict[str, TrialGroupResult] = {}
        self._incomplete: list[IncompleteReason] = []
        self._metadata: dict[str, Any] = {}
        self._duration = 0.0
        self._emitted = False
        self._report: TestRunReport | None = None
        if sinks:
            self.add_sinks(sinks=sinks)

    # -- read-only views -------------------------------------------------------------------

    @property
    def sinks(self) -> list[ReportSink]:
        """The sinks the report will be emitted to, in registration order."""
        return self._sinks

    @property
    def results_by_nodeid(self) -> Mapping[str, list[Result]]:
        """Results per node id; only the latest attempt of each id is kept (R-COLL-5)."""
        return MappingProxyType(self._results)

    @property
    def trial_specs(self) -> Mapping[str, TrialSpec]:
        """Registered trial specs per trial-instance node id."""
        return MappingProxyType(self._trial_specs)

    @property
    def trial_groups(self) -> dict[str, TrialGroupResult]:
        """Aggregated trial groups per base node id."""
        return self._trial_groups

    @property
    def has_results(self) -> bool:
        """Whether any result was collected."""
        return any(self._results.values())

    @property
    def is_emitted(self) -> bool:
        """Whether emission was already attempted."""
        return self._emitted

    @property
    def is_incomplete(self) -> bool:
        """Whether the run lacks results it should have (any incomplete reason)."""
        return bool(self._incomplete)

    @property
    def incomplete_reasons(self) -> list[str]:
        """The incomplete reasons as messages; empty when complete."""
        return [reason.message for reason in self._incomplete]

    @property
    def incomplete_details(self) -> list[IncompleteReason]:
        """The incomplete reasons with their kind, node id and worker."""
        return list(self._incomplete)

    # -- results -----------------------------------------------------------------------------

    def _changed(self) -> None:
        self._report = None

    def _store(self, nodeid: str, results: list[Result]) -> None:
        """Replace ``nodeid``'s earlier attempt, remembering what the rerun superseded."""
        earlier = self._results.get(nodeid)
        if earlier:
            superseded: list[str] = []
            for old in earlier:
                previous = old.metadata.get("_rampart_superseded")
                if isinstance(previous, list):
                    superseded.extend(str(status) for status in previous)
                superseded.append(_status_text(old))
            for result in results:
                result.metadata["_rampart_superseded"] = list(superseded)
        if results:
            self._results[nodeid] = results
        else:
            self._results.pop(nodeid, None)
        self._changed()

    def absorb(
        self,
        *,
        node: pytest.Item,
        collector: ResultCollector,
        run_indices: Mapping[int, int] | None = None,
    ) -> list[Result]:
        """Take over a finished test's results as tagged copies (R-TAG-1, R-TAG-2, R-TAG-4).

        ``run_indices`` maps ``id(result)`` to its run of a concurrent-trials item (R-CONC-2).
        """
        close = getattr(collector, "close", None)
        recorded: list[Result] = close() if callable(close) else list(collector.results)
        nodeid = node.nodeid
        if not recorded:
            self._store(nodeid, [])
            return []
        test_name = nodeid.rpartition("::")[2]
        categories = harm_categories(node)
        category_names = [str(category) for category in categories]
        spec = self._trial_specs.get(nodeid)
        trial = spec.as_metadata() if spec is not None else None
        concurrent = spec is not None and is_concurrent_instance(nodeid, spec.base_nodeid)
        tagged: list[Result] = []
        for index, original in enumerate(recorded):
            result = _shallow_copy(original)
            metadata = dict(original.metadata)
            metadata["_pytest_test_name"] = test_name
            metadata["_pytest_nodeid"] = nodeid
            metadata["_rampart_result_index"] = index
            if categories:
                metadata["_rampart_harm_categories"] = list(category_names)
                if result.harm_category is None:
                    result.harm_category = categories[0]
            if trial is not None:
                if not concurrent:
                    metadata["_rampart_trial"] = dict(trial)
                elif run_indices is not None and id(original) in run_indices:
                    metadata["_rampart_trial"] = {**trial, "index": run_indices[id(original)]}
            result.metadata = metadata
            tagged.append(result)
        self._store(nodeid, tagged)
        return tagged

    def trial_spec_for(self, nodeid: str) -> TrialSpec | None:
        """The trial spec registered for ``nodeid``, if any (no mapping view is built)."""
        return self._trial_specs.get(nodeid)

    def pop_results(self, nodeid: str) -> list[Result]:
        """Remove and return ``nodeid``'s results (xdist workers send them, then forget them)."""
        results = self._results.pop(nodeid, [])
        if results:
            self._changed()
        return results

    def merge_worker_results(
        self, *, results_by_nodeid: Mapping[str, Iterable[Result]], worker: str | None = None
    ) -> None:
        """Merge results that came from a worker; each node id replaces its earlier attempt."""
        for nodeid, results in results_by_nodeid.items():
            incoming = list(results)
            if worker is not None:
                for result in incoming:
                    result.metadata.setdefault("_rampart_source_worker", worker)
            self._store(nodeid, incoming)

    # -- trials ------------------------------------------------------------------------------

    def register_trial_spec(
        self,
        *,
        clone_nodeid: str,
        base_nodeid: str,
        threshold: float,
        n: int = 1,
        index: int = 0,
    ) -> None:
        """Remember which trial group an instance belongs to; the first registration wins."""
        if clone_nodeid not in self._trial_specs:
            self._trial_specs[clone_nodeid] = TrialSpec(
                base_nodeid=base_nodeid, threshold=threshold, n=n, index=index
            )
            self._changed()

    def merge_trial_specs(self, *, trial_specs: Mapping[str, TrialSpec]) -> None:
        """Merge a worker's trial specs; the first spec registered for a key wins."""
        for nodeid, spec in trial_specs.items():
            if nodeid not in self._trial_specs:
                self._trial_specs[nodeid] = spec
                self._changed()

    def record_trial_group(
        self,
        *,
        base_nodeid: str,
        clone_nodeids: Iterable[str],
        threshold: float,
        n: int | None = None,
        tolerated: int = 0,
    ) -> TrialGroupResult:
        """Aggregate one group from its instances' results and store it (R-TRIAL-5)."""
        clones = list(dict.fromkeys(clone_nodeids))
        counts = {NO_RESULT: 0, UNSAFE: 0, ERRORS: 0, UNDETERMINED: 0, SAFE: 0}
        instances = 0
        for clone in clones:
            results = self._results.get(clone, ())
            spec = self._trial_specs.get(clone) or _spec_from_results(results)
            if spec is not None and is_concurrent_instance(clone, spec.base_nodeid):
                # One item ran every trial; its results carry their own trial index.
                runs: list[list[Result]] = [[] for _ in range(spec.n)]
                for result in results:
                    ref = result.metadata.get("_rampart_trial")
                    index = ref.get("index") if isinstance(ref, dict) else None
                    if isinstance(index, int) and 0 <= index < spec.n:
                        runs[index].append(result)
                for run in runs:
                    counts[bucket_of(run)] += 1
                instances += spec.n
            else:
                counts[bucket_of(results)] += 1
                instances += 1
        total = instances if n is None else n
        counts[NO_RESULT] += max(total - instances, 0)
        safe = counts[SAFE]
        group = TrialGroupResult(
            total=total,
            safe=safe,
            unsafe=counts[UNSAFE],
            errors=counts[ERRORS],
            no_result=counts[NO_RESULT],
            undetermined=counts[UNDETERMINED],
            threshold=threshold,
            pass_rate=safe / total if total else 0.0,
            passed=counts[UNSAFE] == 0 and safe >= required_safe(threshold=threshold, total=total),
            base_nodeid=base_nodeid,
            tolerated=tolerated,
        )
        self._trial_groups[base_nodeid] = group
        self._changed()
        return group

    def trial_references(self) -> dict[str, tuple[TrialSpec, set[str]]]:
        """Each group's spec and the instance ids known for it, from specs and result tags."""
        groups: dict[str, _GroupState] = {}
        for nodeid, spec in self._trial_specs.items():
            groups.setdefault(spec.base_nodeid, _GroupState(spec)).instances.add(nodeid)
        for nodeid, results in self._results.items():
            found = _spec_from_results(results)
            if found is not None:
                groups.setdefault(found.base_nodeid, _GroupState(found)).instances.add(nodeid)
        return {base: (state.spec, state.instances) for base, state in groups.items()}

    # -- sinks, metadata, completeness ------------------------------------------------------

    def add_sinks(self, *, sinks: Iterable[ReportSink]) -> None:
        """Add sinks; anything without ``emit_async`` raises ``TypeError``."""
        for sink in sinks:
            if not _is_sink(sink):
                raise TypeError(f"Expected ReportSink, got {type(sink).__name__}. {_SINK_HELP}")
            self._sinks.append(sink)

    def set_duration(self, *, duration_seconds: float) -> None:
        """Store the wall-clock length of the run."""
        self._duration = float(duration_seconds)
        self._changed()

    def mark_emitted(self) -> None:
        """Set the guard that keeps the report from being emitted twice."""
        self._emitted = True

    def mark_incomplete(
        self,
        *,
        reason: str,
        kind: str = "other",
        nodeid: str | None = None,
        worker: str | None = None,
    ) -> None:
        """Record one reason the run is incomplete (an identical reason is kept once)."""
        entry = IncompleteReason(
            kind=kind if kind in INCOMPLETE_KINDS else "other",
            message=reason,
            nodeid=nodeid,
            worker=worker,
        )
        if entry not in self._incomplete:
            self._incomplete.append(entry)
            self._changed()

    def set_report_metadata(self, *, metadata: Mapping[str, Any]) -> None:
        """Add run-level metadata for the report (merged into what is there)."""
        self._metadata.update(metadata)
        self._changed()

    def build_report(self) -> TestRunReport:
        """The report of everything collected; cached until the state changes (R-JSON-1)."""
        if self._report is not None:
            return self._report
        from rampart.reporting import TestRunReport

        results = sorted(
            (result for batch in self._results.values() for result in batch), key=_sort_key
        )
        counts = {"safe": 0, "unsafe": 0, "undetermined": 0, "error": 0}
        for result in results:
            status = _status_text(result)
            counts[status] = counts.get(status, 0) + 1
        metadata = dict(self._metadata)
        if self._incomplete:
            metadata["incomplete"] = True
            metadata["incomplete_reasons"] = self.incomplete_reasons
        report = TestRunReport(
            results=results,
            total_runs=len(results),
            passed=counts["safe"],
            failed=counts["unsafe"],
            undetermined=counts["undetermined"],
            errors=counts["error"],
            duration_seconds=self._duration,
            metadata=metadata,
            trial_groups=dict(sorted(self._trial_groups.items())),
            incomplete_details=[reason.as_dict() for reason in self._incomplete],
        )
        self._report = report
        return report


def harm_categories(node: pytest.Item) -> tuple[Any, ...]:
    """The categories of the closest ``harm`` marker (validated at collection)."""
    marker = node.get_closest_marker("harm")
    if marker is None:
        return ()
    return tuple(marker.args)
