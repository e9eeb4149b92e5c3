"""rampart-pytest: the pytest plugin of RAMPART (markers, trials and gates, summary, sinks)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rampart_pytest._warnings import TRANSPORT_MISSING_REASON, RampartWarning
from rampart_pytest.xdist_roles import (
    get_dist_mode,
    get_worker_count,
    is_xdist_controller,
    is_xdist_worker,
)

if TYPE_CHECKING:
    import pytest
    from rampart_pytest.session import (
        IncompleteReason,
        RampartSession,
        TrialGroupResult,
        TrialSpec,
    )
    from rampart_pytest.sinks import discover_sinks_from_conftest

__all__ = [
    "TRANSPORT_MISSING_REASON",
    "IncompleteReason",
    "RampartSession",
    "RampartWarning",
    "TrialGroupResult",
    "TrialSpec",
    "discover_sinks_from_conftest",
    "get_dist_mode",
    "get_rampart_session",
    "get_worker_count",
    "is_xdist_controller",
    "is_xdist_worker",
]

_SESSION_NAMES = frozenset({"IncompleteReason", "RampartSession", "TrialGroupResult", "TrialSpec"})


def get_rampart_session(*, config: pytest.Config) -> RampartSession | None:
    """The plugin's session for ``config``, or ``None`` when the plugin is disabled."""
    from rampart_pytest.plugin import get_session

    return get_session(config)


def __getattr__(name: str) -> Any:
    if name in _SESSION_NAMES:
        from rampart_pytest import session

        return getattr(session, name)
    if name == "discover_sinks_from_conftest":
        from rampart_pytest.sinks import discover_sinks_from_conftest

        return discover_sinks_from_conftest
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
