from __future__ import annotations

import importlib.util
from collections.abc import Iterator

import pytest

pytest_plugins = ["pytester"]

XDIST_AVAILABLE = (
    importlib.util.find_spec("xdist") is not None
    and importlib.util.find_spec("rampart_xdist") is not None
)

# The transport's own tests import msgspec and rampart_xdist at module level: in the xdist-off leg
# the whole directory is left out (tests elsewhere that need xdist carry the ``xdist`` marker).
collect_ignore = [] if XDIST_AVAILABLE else ["xdist"]


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    # The xdist-off leg of the matrix has neither pytest-xdist nor rampart-xdist installed.
    if XDIST_AVAILABLE:
        return
    skip = pytest.mark.skip(reason="pytest-xdist / rampart-xdist not installed (xdist-off leg)")
    for item in items:
        if "xdist" in item.keywords:
            item.add_marker(skip)


@pytest.fixture
def no_outer_recording() -> Iterator[None]:
    """Run executions in-process without recording their results into this suite's own run.

    Our suite runs with the rampart plugin active, whose default handler factory records every
    execution's result onto the running test: deliberately unsafe or failing executions would
    then show up as FAIL lines in the suite's own RAMPART Safety Summary. The factory is
    switched off for the test and the previous one (if any) put back afterwards.
    """
    from rampart.core import execution

    saved = execution._default_factory
    execution.clear_default_handler_factory()
    yield
    if saved is None:
        execution.clear_default_handler_factory()
    else:
        execution.register_default_handler_factory(saved)
