from __future__ import annotations

import importlib.util

import pytest

pytest_plugins = ["pytester"]

XDIST_AVAILABLE = (
    importlib.util.find_spec("xdist") is not None
    and importlib.util.find_spec("rampart_xdist") is not None
)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    # The xdist-off leg of the matrix has neither pytest-xdist nor rampart-xdist installed.
    if XDIST_AVAILABLE:
        return
    skip = pytest.mark.skip(reason="pytest-xdist / rampart-xdist not installed (xdist-off leg)")
    for item in items:
        if "xdist" in item.keywords:
            item.add_marker(skip)
