"""The pytest11 entry point ``rampart``: option registration, configuration and fixtures.

Only stdlib, pytest and cheap rampart-pytest modules are imported here; the per-test machinery
lives in a plugin object registered at configure time, so ``-p no:rampart`` costs nothing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from rampart_pytest._options import add_options

if TYPE_CHECKING:
    from rampart.collection import ResultCollector
    from rampart_pytest._runtime import RampartRuntime
    from rampart_pytest.session import RampartSession

RUNTIME_KEY: pytest.StashKey[RampartRuntime] = pytest.StashKey()
_RUNTIME_NAME = "rampart-runtime"
_UPSTREAM_MESSAGE = "the 'rampart' distribution is installed alongside rampart-core: uninstall it"


def pytest_addhooks(pluginmanager: pytest.PytestPluginManager) -> None:
    from rampart_pytest import hooks

    pluginmanager.add_hookspecs(hooks)


def pytest_addoption(parser: pytest.Parser) -> None:
    add_options(parser)


def _upstream_installed() -> bool:
    from importlib.metadata import PackageNotFoundError, distribution

    try:
        distribution("rampart")
    except PackageNotFoundError:
        return False
    return True


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    if _upstream_installed():
        raise pytest.UsageError(_UPSTREAM_MESSAGE)
    config.addinivalue_line(
        "markers",
        "harm(*categories): the harm categories this test's results belong to",
    )
    config.addinivalue_line(
        "markers",
        "trial(n=1, threshold=1.0, concurrency=1): run the test n times and gate on the "
        "share of safe trials",
    )
    from rampart_pytest._options import Options
    from rampart_pytest._runtime import RampartRuntime
    from rampart_pytest.session import RampartSession

    options = Options.from_config(config)
    options.publish(config)
    runtime = RampartRuntime(config=config, session=RampartSession(), options=options)
    config.stash[RUNTIME_KEY] = runtime
    runtime.start()
    config.pluginmanager.register(runtime, _RUNTIME_NAME)


def pytest_unconfigure(config: pytest.Config) -> None:
    runtime = config.stash.get(RUNTIME_KEY, None)
    if runtime is not None:
        runtime.stop()
        del config.stash[RUNTIME_KEY]


def get_session(config: pytest.Config) -> RampartSession | None:
    """The session of a configured run, or ``None`` when the plugin is not active."""
    runtime = config.stash.get(RUNTIME_KEY, None)
    return None if runtime is None else runtime.session


@pytest.fixture(autouse=True)
def _rampart_collect() -> ResultCollector | None:
    """The running test's result collector (the plugin manages its lifetime).

    It asks for no other fixture: requesting ``request`` would build a fixture definition per
    test, which is most of what an autouse fixture costs.
    """
    from rampart.collection import active_collector

    return active_collector()


@pytest.fixture(scope="session", autouse=True)
def _rampart_sink_bootstrap() -> None:
    """Marks where the deprecated ``rampart_sinks`` fixture is resolved for the session.

    The resolution itself happens as the first test is set up (through that test's fixture
    request), so that no fixture here asks for ``request``, which would cost every test a
    fixture definition.
    """
