"""The plugin's warning category and fixed user-facing strings."""

from __future__ import annotations

import pytest

__all__ = ["TRANSPORT_MISSING_REASON", "RampartWarning"]

TRANSPORT_MISSING_REASON = "results from xdist workers are not transported: install rampart-xdist"


class RampartWarning(pytest.PytestWarning):
    """Category of the warnings rampart-pytest issues (the fixture deprecation excepted)."""

    __module__ = "rampart_pytest"
