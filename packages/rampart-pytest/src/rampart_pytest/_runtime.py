"""The plugin object registered at configure: per-test collection, trials, gates, emission.

``plugin.py`` stays import-cheap; this module is imported once the plugin is configured.
"""

from __future__ import annotations

import contextlib
import time
import warnings
from collections.abc import Generator
from typing import TYPE_CHECKING, cast

import pytest
from rampart.collection import (
    ResultCollector,
    activate_collector,
    deactivate_collector,
    set_dropped_result_callback,
    set_fallback_collector,
)
from rampart_pytest import sinks as sink_support
from rampart_pytest._sanitize import sanitize_report
from rampart_pytest._warnings import TRANSPORT_MISSING_REASON, RampartWarning
from rampart_pytest.asyncio_runner import run_unclaimed_coroutine
from rampart_pytest.session import RampartSession, TrialSpec
from rampart_pytest.terminal import TRANSPORT_HEADER, write_incomplete_banner, write_summary
from rampart_pytest.trials import (
    BUDGET_BUCKETS,
    ERRORS,
    UNDETERMINED,
    TrialArgs,
    base_nodeid,
    bucket_of,
    expand_trials,
    failure_budget,
    is_concurrent_instance,
    parse_trial_marker,
    trial_index,
)
from rampart_pytest.xdist_roles import is_xdist_controller, is_xdist_worker

if TYPE_CHECKING:
    from rampart.core.execution import ExecutionEventHandler
    from rampart.core.result import Result
    from rampart.reporting import ReportSink
    from rampart_pytest._options import Options

__all__ = ["COLLECTOR_KEY", "RampartRuntime"]

COLLECTOR_KEY = pytest.StashKey[ResultCollector]()
_TOLERATED_KEY = pytest.StashKey[bool]()
_CALL_RAN_KEY = pytest.StashKey[bool]()
_CONCURRENT_KEY = pytest.StashKey[TrialArgs]()
_RUN_INDEX_KEY = pytest.StashKey[dict[int, int]]()
_DROPPED_MESSAGE = "record_result() called outside a running test; result dropped"
_GATE_STAT = "failed gate(s)"
_SEVERITY = {"unsafe": 0, "error": 1, "undetermined": 2, "safe": 3}


def _validate_harm(item: pytest.Item) -> None:
    marker = item.get_closest_marker("harm")
    if marker is None:
        return
    if marker.kwargs or not marker.args:
        raise pytest.UsageError(f"harm() needs at least one category (test: {item.nodeid})")
    for category in marker.args:
        if not isinstance(category, str):
            raise pytest.UsageError(
                "harm() categories must be HarmCategory or str, "
                f"got {category!r} (test: {item.nodeid})"
            )


def _status(result: Result) -> str:
    return str(getattr(result.status, "value", result.status))


def _one_line(text: str, limit: int = 200) -> str:
    from rampart.core.text import sanitize_text

    clean = sanitize_text(text, single_line=True)
    return clean if len(clean) <= limit else clean[: limit - 3] + "..."


def _process_cap() -> int | None:
    try:
        from rampart import _limits
    except ImportError:  # pragma: no cover - an older core without the cap
        return None
    return _limits.max_concurrency()


def _set_process_cap(limit: int | None) -> None:
    """Apply ``--rampart-max-concurrency`` to core's process-wide cap (R-CONC-6)."""
    try:
        from rampart import _limits
    except ImportError:  # pragma: no cover - an older core without the cap
        return
    _limits.set_max_concurrency(_limits.DEFAULT_MAX_CONCURRENCY if limit is None else limit)


class RampartRuntime:
    """Hook implementations that need the session; one instance per configured pytest run."""

    def __init__(self, *, config: pytest.Config, session: RampartSession, options: Options):
        self.config = config
        self.session = session
        self.options = options
        self.is_worker = is_xdist_worker(config=config)
        self.max_concurrency = options.max_concurrency
        self._started = time.perf_counter()
        self._ran_tests = False
        self._skipped: set[str] = set()
        self._xfail_groups: set[str] = set()
        self._tolerated: dict[str, int] = {}
        self._budget_used: dict[str, int] = {}
        self._warned_dropped = False
        self._transport_missing = False
        self._fixture_sinks: list[ReportSink] = []
        self._sink_failures: list[str] = []
        self._failed_gates = 0
        self._concurrent_functions: set[object] = set()
        self._bootstrapped = False
        self._verbose = config.get_verbosity() > 0
        # JUnit properties are only worth building when a JUnit file is written (workers
        # forward them to a controller that may write one).
        self._junit = bool(getattr(config.option, "xmlpath", None))

    # -- configuration -----------------------------------------------------------------------

    def start(self) -> None:
        """Install the collection handler factory, the dropped-result warning and the cap."""
        from rampart import collection
        from rampart.collection import ResultCollectionHandler
        from rampart.core import execution
        from rampart.core.execution import register_default_handler_factory

        # A session started inside another one (pytester's in-process runs) puts the outer
        # session's state back when it ends, instead of leaving it cleared.
        self._previous = (
            getattr(execution, "_default_factory", None),
            getattr(collection, "_dropped_callback", None),
            getattr(collection, "_fallback", None),
            _process_cap(),
        )

        def factory() -> list[ExecutionEventHandler]:
            return [ResultCollectionHandler()]

        register_default_handler_factory(factory)
        _set_process_cap(self.options.max_concurrency)
        set_dropped_result_callback(self._on_dropped_result)
        # A session started inside another test must not record onto that outer test: a
        # closed collector in the context counts as none (R-COLL-1).
        shield = ResultCollector()
        shield.close()
        self._shield = activate_collector(shield)
        set_fallback_collector(None)

    def stop(self) -> None:
        """Undo ``start`` (R-EXEC-1: the factory is cleared, or the outer one restored)."""
        from rampart.core.execution import (
            clear_default_handler_factory,
            register_default_handler_factory,
        )

        factory, callback, fallback, cap = self._previous
        if factory is None:
            clear_default_handler_factory()
        else:
            register_default_handler_factory(factory)
        _set_process_cap(cap)
        set_dropped_result_callback(callback)
        set_fallback_collector(fallback)
        # Unconfigure may run in another context than configure; then there is nothing to undo.
        with contextlib.suppress(ValueError):
            deactivate_collector(self._shield)

    def _on_dropped_result(self, result: Result) -> None:
        if not self._warned_dropped:
            self._warned_dropped = True
            warnings.warn(RampartWarning(_DROPPED_MESSAGE), stacklevel=3)

    # -- collection --------------------------------------------------------------------------

    @pytest.hookimpl(trylast=True)
    def pytest_generate_tests(self, metafunc: pytest.Metafunc) -> None:
        args = expand_trials(metafunc)
        if args is not None and args.concurrency > 1:
            self._concurrent_functions.add(metafunc.function)

    @pytest.hookimpl(trylast=True)
    def pytest_collection_modifyitems(self, items: list[pytest.Item]) -> None:
        for item in items:
            _validate_harm(item)

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        for item in session.items:
            index = trial_index(item)
            if index is None:
                # Only functions seen as concurrent trials at generation time qualify; this
                # keeps marker lookups off the thousands of ordinary items.
                if getattr(item, "function", None) not in self._concurrent_functions:
                    continue
                marker = item.get_closest_marker("trial")
                if marker is None:
                    continue
                args = parse_trial_marker(marker, nodeid=item.nodeid)
                if args.concurrency <= 1:
                    continue
                # A concurrent-trials item is its own group of n runs (R-CONC-1, R-CONC-2).
                item.stash[_CONCURRENT_KEY] = args
                index = 0
            else:
                marker = item.get_closest_marker("trial")
                if marker is None:
                    continue
                args = parse_trial_marker(marker, nodeid=item.nodeid)
            self.session.register_trial_spec(
                clone_nodeid=item.nodeid,
                base_nodeid=base_nodeid(item.nodeid),
                threshold=args.threshold,
                n=args.n,
                index=index,
            )

    # -- running -----------------------------------------------------------------------------

    @pytest.hookimpl(wrapper=True, tryfirst=True)
    def pytest_runtest_setup(self, item: pytest.Item) -> Generator[None, object, object]:
        collector = ResultCollector()
        stash = item.stash
        stash[COLLECTOR_KEY] = collector
        # A rerun reuses the item: forget what the previous attempt noted.
        stash[_CALL_RAN_KEY] = False
        stash[_TOLERATED_KEY] = False
        set_fallback_collector(collector)
        outcome = yield
        if not self._bootstrapped:
            # After the first successful setup, so the session is on pytest's setup stack.
            self._bootstrapped = True
            request = getattr(item, "_request", None)
            if request is not None:
                self.bootstrap_fixture_sinks(request)
        return outcome

    @pytest.hookimpl(wrapper=True, tryfirst=True)
    def pytest_runtest_call(self, item: pytest.Item) -> Generator[None, object, object]:
        collector = item.stash.get(COLLECTOR_KEY, None)
        if collector is None:
            return (yield)
        item.stash[_CALL_RAN_KEY] = True
        concurrent = item.stash.get(_CONCURRENT_KEY, None)
        if concurrent is not None:
            __tracebackhide__ = True
            return (yield from self._call_concurrently(item, collector, concurrent))
        token = activate_collector(collector)
        try:
            return (yield)
        finally:
            deactivate_collector(token)

    def _call_concurrently(
        self, item: pytest.Item, collector: ResultCollector, args: TrialArgs
    ) -> Generator[None, object, object]:
        """Swap in the fan-out for the call phase, then gate the runs (R-CONC-3, R-CONC-4)."""
        __tracebackhide__ = True
        from rampart_pytest._concurrency import ConcurrentTrials

        function = cast(pytest.Function, item)
        original = function.obj
        trials = ConcurrentTrials(original, n=args.n, concurrency=args.concurrency)
        function.obj = trials.fan_out()
        token = activate_collector(collector)
        try:
            outcome = yield
        finally:
            deactivate_collector(token)
            function.obj = original
        if trials.outcomes is None:
            raise RuntimeError(f"the concurrent trials of {item.nodeid} never ran")
        indices: dict[int, int] = {}
        item.stash[_RUN_INDEX_KEY] = indices
        for run in trials.outcomes:
            for result in run.results:
                indices[id(result)] = run.index
                collector.record(result=result)
        message = trials.failure(threshold=args.threshold)
        if message is not None:
            raise AssertionError(message)
        return outcome

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_teardown(self, item: pytest.Item) -> Generator[None, object, object]:
        outcome = yield
        collector = item.stash.get(COLLECTOR_KEY, None)
        # Warned here rather than at report time, so that ``filterwarnings = error`` turns it
        # into a teardown error of the test instead of an internal error (R-TAG-3).
        if (
            collector is not None
            and item.stash.get(_CALL_RAN_KEY, False)
            and item.get_closest_marker("harm") is not None
            and not collector.results
        ):
            item.warn(
                RampartWarning(
                    f"Test {item.nodeid} is marked @harm but recorded no results "
                    "\u2014 did you forget record_result() or assert result?"
                )
            )
        return outcome

    def pytest_pyfunc_call(self, pyfuncitem: pytest.Function) -> bool | None:
        return run_unclaimed_coroutine(pyfuncitem)

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_makereport(
        self, item: pytest.Item, call: pytest.CallInfo[None]
    ) -> Generator[None, pytest.TestReport, pytest.TestReport]:
        collector = item.stash.get(COLLECTOR_KEY, None)
        if call.when != "teardown":
            report = yield
            if collector is not None and report.failed:
                results = collector.results
                if results:
                    if call.when == "call":
                        self._maybe_tolerate(item, call, report, results)
                    sanitize_report(report)
            return report
        absorbed: list[Result] = []
        if collector is not None:
            absorbed = self.session.absorb(
                node=item, collector=collector, run_indices=item.stash.get(_RUN_INDEX_KEY, None)
            )
            set_fallback_collector(None)
            self._after_absorb(item, absorbed)
        report = yield
        if self.is_worker:
            report.rampart_result_count = len(absorbed)  # type: ignore[attr-defined]
        return report

    def _maybe_tolerate(
        self,
        item: pytest.Item,
        call: pytest.CallInfo[None],
        report: pytest.TestReport,
        results: list[Result],
    ) -> None:
        spec = self.session.trial_spec_for(item.nodeid)
        if spec is None or call.excinfo is None:
            return
        if is_concurrent_instance(item.nodeid, spec.base_nodeid):
            return
        if not call.excinfo.errisinstance(AssertionError):
            return
        if bucket_of(results) not in (ERRORS, UNDETERMINED):
            return
        used = self._budget_used.get(spec.base_nodeid, 0)
        if used + 1 > failure_budget(threshold=spec.threshold, n=spec.n):
            return
        report.outcome = "passed"
        report.rampart_tolerated = True  # type: ignore[attr-defined]
        item.stash[_TOLERATED_KEY] = True

    def _after_absorb(self, item: pytest.Item, results: list[Result]) -> None:
        spec = self.session.trial_spec_for(item.nodeid)
        if spec is not None and is_concurrent_instance(item.nodeid, spec.base_nodeid):
            spec = None
        if spec is not None and bucket_of(results) in BUDGET_BUCKETS:
            self._budget_used[spec.base_nodeid] = self._budget_used.get(spec.base_nodeid, 0) + 1
        if self._junit:
            self._add_user_properties(item, results, spec)

    def _add_user_properties(
        self, item: pytest.Item, results: list[Result], spec: TrialSpec | None
    ) -> None:
        """JUnit properties carrying the verdicts (R-JSON-10)."""
        properties = item.user_properties
        if results:
            worst = min(results, key=lambda result: _SEVERITY.get(_status(result), 4))
            category = worst.harm_category
            properties.append(("rampart.status", _status(worst)))
            properties.append(
                ("rampart.harm_category", "uncategorized" if category is None else str(category))
            )
        if spec is not None:
            properties.append(("rampart.trial", f"{spec.base_nodeid}[{spec.index}/{spec.n}]"))
        if results:
            properties.append(("rampart.summary", _one_line(worst.summary)))
        if item.stash.get(_TOLERATED_KEY, False):
            properties.append(("rampart.tolerated", "true"))

    @pytest.hookimpl(tryfirst=True)
    def pytest_report_teststatus(
        self, report: pytest.TestReport
    ) -> tuple[str, str, tuple[str, dict[str, bool]]] | None:
        if report.when == "call" and getattr(report, "rampart_tolerated", False):
            return "tolerated", "t", ("TOLERATED", {"yellow": True})
        return None

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        self._ran_tests = True
        when = report.when
        if when != "teardown":
            if report.skipped:
                self._skipped.add(report.nodeid)
            if when == "call":
                if hasattr(report, "wasxfail") or "xfail" in report.keywords:
                    self._xfail_groups.add(base_nodeid(report.nodeid))
                if getattr(report, "rampart_tolerated", False):
                    base = base_nodeid(report.nodeid)
                    self._tolerated[base] = self._tolerated.get(base, 0) + 1
            return
        if (
            not self._transport_missing
            and not self.is_worker
            and getattr(report, "rampart_result_count", None)
            and not self.config.pluginmanager.hasplugin("rampart_xdist")
        ):
            self._transport_missing = True
            self.session.mark_incomplete(reason=TRANSPORT_MISSING_REASON, kind="transport_missing")

    # -- reporting ---------------------------------------------------------------------------

    def _transport_absent(self) -> bool:
        return (
            not self.config.getoption("collectonly")
            and is_xdist_controller(config=self.config)
            and not self.config.pluginmanager.hasplugin("rampart_xdist")
        )

    def pytest_report_header(self) -> list[str]:
        return [TRANSPORT_HEADER] if self._transport_absent() else []

    def settle_gates(self) -> int:
        """Re-check every trial group from all results (R-EXIT-3); return the failed count."""
        failed = 0
        for base, (spec, instances) in sorted(self.session.trial_references().items()):
            counted = sorted(nodeid for nodeid in instances if nodeid not in self._skipped)
            group = self.session.record_trial_group(
                base_nodeid=base,
                clone_nodeids=counted,
                threshold=spec.threshold,
                tolerated=self._tolerated.get(base, 0),
            )
            if group.total and not group.passed and base not in self._xfail_groups:
                failed += 1
        return failed

    @pytest.hookimpl(trylast=True)
    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        if self.is_worker:
            return
        if not self._ran_tests:
            # Nothing ran (--collect-only, everything deselected): no gate, no report (R-JSON-8).
            return
        self.session.set_duration(duration_seconds=time.perf_counter() - self._started)
        self._failed_gates = self.settle_gates()
        incomplete_fails = self.session.is_incomplete and not self.options.allow_incomplete
        if session.exitstatus == pytest.ExitCode.OK and (self._failed_gates or incomplete_fails):
            session.exitstatus = pytest.ExitCode.TESTS_FAILED
        if self._failed_gates:
            self._count_failed_gates()
        if self.session.is_emitted:
            return
        self.session.mark_emitted()
        self._gather_sinks()
        if self.session.sinks:
            self._sink_failures = sink_support.emit_report(
                report=self.session.build_report(), sinks=list(self.session.sinks)
            )

    def _count_failed_gates(self) -> None:
        terminal = self.config.pluginmanager.get_plugin("terminalreporter")
        stats = getattr(terminal, "stats", None)
        if not isinstance(stats, dict):
            return
        failed = [
            group
            for base, group in self.session.trial_groups.items()
            if group.total and not group.passed and base not in self._xfail_groups
        ]
        stats.setdefault(_GATE_STAT, []).extend(failed)
        try:
            from _pytest import terminal as pytest_terminal

            pytest_terminal._color_for_type.setdefault(_GATE_STAT, "red")
        except (ImportError, AttributeError):  # pragma: no cover - other pytest layouts
            pass

    def _gather_sinks(self) -> None:
        config = self.config
        if sink_support.hook_is_implemented(config):
            chosen = sink_support.collect_hook_sinks(config)
        elif self._fixture_sinks:
            chosen = list(self._fixture_sinks)
        elif is_xdist_controller(config=config):
            chosen = sink_support.discover_sinks_from_conftest(config=config)
        else:
            chosen = []
        chosen.extend(
            sink_support.option_sinks(
                json_path=self.options.json_path, html_path=self.options.html_path
            )
        )
        known = self.session.sinks
        self.session.add_sinks(
            sinks=[sink for sink in chosen if not any(sink is other for other in known)]
        )

    def bootstrap_fixture_sinks(self, request: pytest.FixtureRequest) -> None:
        """Resolve the deprecated ``rampart_sinks`` fixture (R-SINK-2); never on workers."""
        if self.is_worker:
            return
        definitions = request._fixturemanager.getfixturedefs("rampart_sinks", request.node)
        if not definitions:
            return
        if sink_support.hook_is_implemented(self.config):
            warnings.warn(RampartWarning(sink_support.FIXTURE_IGNORED), stacklevel=2)
            return
        warnings.warn(DeprecationWarning(sink_support.FIXTURE_DEPRECATION), stacklevel=2)
        try:
            value = request.getfixturevalue("rampart_sinks")
        except Exception as exc:
            warnings.warn(
                RampartWarning(
                    f"the rampart_sinks fixture failed ({type(exc).__name__}: {exc}); ignored"
                ),
                stacklevel=2,
            )
            return
        self._fixture_sinks = sink_support.fixture_sinks(value)

    def pytest_terminal_summary(self, terminalreporter: pytest.TerminalReporter) -> None:
        if self.is_worker:
            return
        if self._transport_absent():
            terminalreporter.write_line(TRANSPORT_HEADER, yellow=True, bold=True)
        if self.session.is_incomplete:
            write_incomplete_banner(
                terminalreporter,
                reasons=self.session.incomplete_details,
                tolerated=self.options.allow_incomplete,
            )
        for failure in self._sink_failures:
            terminalreporter.write_line(_one_line(failure, limit=1000), red=True)
        if self.session.has_results or self.session.trial_groups:
            write_summary(
                terminalreporter, report=self.session.build_report(), verbose=self._verbose
            )
        self._write_tolerated(terminalreporter)

    def _write_tolerated(self, terminalreporter: pytest.TerminalReporter) -> None:
        reportchars = str(getattr(self.config.option, "reportchars", "") or "")
        if "A" not in reportchars and "t" not in reportchars:
            return
        for report in terminalreporter.stats.get("tolerated", []):
            terminalreporter.write_line(f"TOLERATED {report.nodeid}")
