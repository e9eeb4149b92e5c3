"""The pytest11 entry point of rampart-xdist.

Importing this module costs only pytest: the transport (and msgspec) is loaded by hooks that
run in an xdist run. The hooks live in two small classes registered at configure time, one for
workers and one for the controller, and only when pytest-xdist itself is active, so that a
plain ``pytest`` run never sees an xdist-only hook (and never pays for one).
"""

from __future__ import annotations

from collections.abc import Generator
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from rampart_xdist._transport import ControllerState

__all__ = ["pytest_configure"]


class _WorkerHooks:
    """Attaches one record to every teardown report (R-XD-3) and the summary at the end."""

    @pytest.hookimpl(tryfirst=True, wrapper=True)
    def pytest_runtest_makereport(
        self, item: pytest.Item, call: pytest.CallInfo[None]
    ) -> Generator[None, pytest.TestReport, pytest.TestReport]:
        report = yield
        if call.when == "teardown":
            try:
                from rampart_xdist._transport import worker_state

                worker_state(item.config).attach(
                    config=item.config, nodeid=item.nodeid, report=report
                )
            except Exception:
                # Never fail a test over transport; the controller names the missing record.
                pass
        return report

    @pytest.hookimpl(tryfirst=True)
    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        from rampart_xdist._transport import finalize_worker, rampart_session

        finalize_worker(config=session.config, session=rampart_session(session.config))


class _ControllerHooks:
    """Offers, receives, keeps the ledger and marks the run incomplete (R-XD-2, -6, -10)."""

    def __init__(self, state: ControllerState) -> None:
        self._state = state

    @pytest.hookimpl(optionalhook=True)
    def pytest_configure_node(self, node: Any) -> None:
        from rampart_xdist._constants import WORKERINPUT_KEY

        node.workerinput[WORKERINPUT_KEY] = self._state.offer()

    @pytest.hookimpl(tryfirst=True)
    def pytest_sessionstart(self, session: pytest.Session) -> None:
        from rampart_xdist._transport import rampart_session

        rampart = rampart_session(session.config)
        if rampart is not None:
            rampart.set_report_metadata(metadata=self._state.run_metadata())

    @pytest.hookimpl(optionalhook=True)
    def pytest_xdist_node_collection_finished(self, node: Any, ids: list[str]) -> None:
        from rampart_xdist._transport import _node_worker

        self._state.collection_finished(worker=_node_worker(node), ids=list(ids))

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        self._state.receive(report)

    @pytest.hookimpl(optionalhook=True)
    def pytest_testnodedown(self, node: Any, error: object) -> None:
        from rampart_xdist._transport import handle_testnodedown, rampart_session

        handle_testnodedown(session=rampart_session(self._state.config), node=node, error=error)

    @pytest.hookimpl(tryfirst=True)
    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        try:
            self._state.finish()
        except Exception as exc:  # never let bookkeeping break the run's own exit path
            reporter = session.config.pluginmanager.get_plugin("terminalreporter")
            if reporter is not None:
                reporter.write_line(f"rampart-xdist: ledger failed: {type(exc).__name__}")


def pytest_configure(config: pytest.Config) -> None:
    """Register the worker or controller hooks when this is an xdist run."""
    if not config.pluginmanager.hasplugin("xdist"):
        return
    if hasattr(config, "workerinput"):
        config.pluginmanager.register(_WorkerHooks(), "rampart_xdist.worker")
        return
    if config.getoption("collectonly", False):
        return
    from rampart_pytest import is_xdist_controller

    if not is_xdist_controller(config=config):
        return
    from rampart_xdist._transport import install_controller

    state = install_controller(config)
    config.pluginmanager.register(_ControllerHooks(state), "rampart_xdist.controller")
