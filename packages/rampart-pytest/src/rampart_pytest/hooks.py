"""Hook specifications that rampart-pytest adds to pytest (registered in ``pytest_addhooks``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from rampart.reporting import ReportSink

__all__ = ["pytest_rampart_sinks"]


@pytest.hookspec
def pytest_rampart_sinks(config: pytest.Config) -> list[ReportSink]:  # type: ignore[empty-body]
    """Return the report sinks this plugin or conftest contributes.

    Not firstresult: the lists of every implementation are merged in call order, and an object
    returned twice is used once. Anything that is not a list, and any item that is not a sink,
    is dropped with a ``RampartWarning``.
    """
