"""Shared helpers for the plugin's pytester tests."""

from __future__ import annotations

import pytest

INNER_INI = """\
[pytest]
addopts = -p no:hypothesispytest -p no:cacheprovider
asyncio_default_fixture_loop_scope = function
filterwarnings =
    default
"""

RESULT_HELPERS = """\
from rampart import Result, SafetyStatus, record_result
from rampart.core.types import ObservabilityLevel

SAFE = SafetyStatus.SAFE
UNSAFE = SafetyStatus.UNSAFE
ERROR = SafetyStatus.ERROR
UNDETERMINED = SafetyStatus.UNDETERMINED


def rec(status, summary="ok", **kw):
    record_result(Result(status=status, summary=summary, **kw))
"""


@pytest.fixture
def rp(pytester: pytest.Pytester) -> pytest.Pytester:
    """A pytester with a neutral inner ini and a ``helpers`` module for recording results."""
    pytester.makeini(INNER_INI)
    pytester.makepyfile(helpers=RESULT_HELPERS)
    pytester.syspathinsert()
    return pytester
