"""Where the report goes: the sink hook, the deprecated fixture, conftest discovery, emission."""

from __future__ import annotations

import asyncio
import inspect
import logging
import threading
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from rampart_pytest._warnings import RampartWarning

if TYPE_CHECKING:
    from rampart.reporting import ReportSink, TestRunReport

__all__ = [
    "FIXTURE_DEPRECATION",
    "FIXTURE_IGNORED",
    "collect_hook_sinks",
    "conftests_defining_sinks",
    "discover_sinks_from_conftest",
    "emit_report",
    "hook_is_implemented",
    "is_sink",
    "option_sinks",
]

_log = logging.getLogger("rampart_pytest")

FIXTURE_DEPRECATION = (
    "The rampart_sinks fixture is deprecated and will be removed in 0.3.0. "
    "Use the pytest_rampart_sinks hook instead."
)
FIXTURE_IGNORED = "rampart_sinks fixture ignored because pytest_rampart_sinks is implemented"


def is_sink(candidate: object) -> bool:
    """Whether ``candidate`` looks like a ``ReportSink`` (it has a callable ``emit_async``)."""
    return not isinstance(candidate, type) and callable(getattr(candidate, "emit_async", None))


def _warn(message: str) -> None:
    warnings.warn(RampartWarning(message), stacklevel=3)


def _keep_sinks(value: object, *, origin: str, into: list[ReportSink]) -> None:
    if not isinstance(value, list):
        _warn(f"{origin} returned {type(value).__name__}, not a list of sinks; ignored")
        return
    for candidate in value:
        if not is_sink(candidate):
            _warn(f"{origin} returned a non-sink {type(candidate).__name__}; dropped")
        elif not any(candidate is known for known in into):
            into.append(candidate)


def _implementations(config: pytest.Config) -> list[Any]:
    hook = config.pluginmanager.hook.pytest_rampart_sinks
    return [
        impl
        for impl in hook.get_hookimpls()
        if not (getattr(impl, "hookwrapper", False) or getattr(impl, "wrapper", False))
    ]


def hook_is_implemented(config: pytest.Config) -> bool:
    """Whether any plugin or conftest implements ``pytest_rampart_sinks``."""
    return bool(_implementations(config))


def collect_hook_sinks(config: pytest.Config) -> list[ReportSink]:
    """Merge every ``pytest_rampart_sinks`` list in call order, each object once (R-SINK-1)."""
    sinks: list[ReportSink] = []
    # pluggy calls the most recently registered implementation first.
    for impl in reversed(_implementations(config)):
        origin = f"pytest_rampart_sinks in {impl.plugin_name}"
        try:
            value = impl.function(**dict.fromkeys(impl.argnames, config))
        except Exception as exc:
            _warn(f"{origin} raised {type(exc).__name__}: {exc}; ignored")
            continue
        if value is None:
            continue
        _keep_sinks(value, origin=origin, into=sinks)
    return sinks


def fixture_sinks(value: object) -> list[ReportSink]:
    """The sinks of a ``rampart_sinks`` fixture value; a malformed value is ignored, warned."""
    sinks: list[ReportSink] = []
    _keep_sinks(value, origin="the rampart_sinks fixture", into=sinks)
    return sinks


def _unwrap_fixture(value: object) -> Callable[..., Any] | None:
    getter = getattr(value, "_get_wrapped_function", None)
    if callable(getter):
        wrapped = getter()
        return wrapped if callable(wrapped) else None
    legacy = getattr(value, "__pytest_wrapped__", None)
    function = getattr(legacy, "obj", None)
    return function if callable(function) else None


def _takes_no_arguments(function: Callable[..., Any]) -> bool:
    try:
        signature = inspect.signature(function)
    except (TypeError, ValueError):
        return False
    return all(
        parameter.default is not parameter.empty
        or parameter.kind in (parameter.VAR_POSITIONAL, parameter.VAR_KEYWORD)
        for parameter in signature.parameters.values()
    )


def discover_sinks_from_conftest(*, config: pytest.Config) -> list[ReportSink]:
    """Read ``rampart_sinks`` from the loaded conftest modules (R-SINK-3).

    A list is used as is; a zero-argument callable is called; a zero-argument fixture is
    unwrapped and called, with a warning; anything else is skipped, with a warning. Non-sinks
    are dropped with a warning.
    """
    sinks: list[ReportSink] = []
    for _name, plugin in config.pluginmanager.list_name_plugin():
        filename = getattr(plugin, "__file__", None)
        if not filename or Path(filename).name != "conftest.py":
            continue
        if not hasattr(plugin, "rampart_sinks"):
            continue
        value = plugin.rampart_sinks
        origin = f"rampart_sinks in {filename}"
        fixture_function = _unwrap_fixture(value)
        try:
            if isinstance(value, list):
                produced: object = value
            elif fixture_function is not None and _takes_no_arguments(fixture_function):
                _warn(f"{origin} is a fixture; calling it outside pytest's fixture system")
                produced = fixture_function()
            elif fixture_function is None and callable(value) and _takes_no_arguments(value):
                produced = value()
            else:
                _warn(f"{origin} is neither a list nor a zero-argument callable; skipped")
                continue
        except Exception as exc:
            _warn(f"{origin} raised {type(exc).__name__}: {exc}; skipped")
            continue
        _keep_sinks(produced, origin=origin, into=sinks)
    return sinks


def conftests_defining_sinks(*, config: pytest.Config) -> list[str]:
    """Paths of the loaded conftest files that define ``pytest_rampart_sinks`` or
    ``rampart_sinks``; an xdist worker lists them so the controller can warn about any it did
    not load itself (R-SINK-1)."""
    paths: list[str] = []
    for _name, plugin in config.pluginmanager.list_name_plugin():
        filename = getattr(plugin, "__file__", None)
        if not filename or Path(filename).name != "conftest.py":
            continue
        if hasattr(plugin, "pytest_rampart_sinks") or hasattr(plugin, "rampart_sinks"):
            paths.append(str(filename))
    return paths


def option_sinks(*, json_path: Path | None, html_path: Path | None) -> list[ReportSink]:
    """The sinks of ``--rampart-report`` and ``--rampart-html`` (always last, R-SINK-4)."""
    sinks: list[ReportSink] = []
    if json_path is not None:
        from rampart.reporting import JsonFileReportSink

        sinks.append(JsonFileReportSink(path=json_path))
    if html_path is not None:
        from rampart.reporting.html import HtmlReportSink

        sinks.append(HtmlReportSink(path=html_path))
    return sinks


def emit_report(*, report: TestRunReport, sinks: list[ReportSink]) -> list[str]:
    """Emit ``report`` to each sink in order, to completion, on a fresh event loop (R-SINK-5).

    A failing sink is logged and described in the returned lines; the others still run.
    """
    failures: list[str] = []

    async def run_all() -> None:
        for sink in sinks:
            try:
                await sink.emit_async(report=report)
            except Exception as exc:
                _log.warning("report sink %s failed", type(sink).__name__, exc_info=exc)
                failures.append(
                    f"RAMPART: sink {type(sink).__name__} failed: {type(exc).__name__}: {exc}"
                )

    try:
        asyncio.get_running_loop()
    except RuntimeError:
        asyncio.run(run_all())
    else:
        # A loop already runs in this thread (a plugin drove the session from one): use a
        # helper thread so the sinks still get a loop of their own.
        worker = threading.Thread(target=asyncio.run, args=(run_all(),), name="rampart-sinks")
        worker.start()
        worker.join()
    return failures
