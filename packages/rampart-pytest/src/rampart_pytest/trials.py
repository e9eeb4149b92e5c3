"""The ``trial`` marker: argument checks, expansion by parametrization, and gate arithmetic."""

from __future__ import annotations

import inspect
import math
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pytest

# The gate arithmetic lives in core (batches use it too); these names stay importable from here.
from rampart._gate import BUDGET_BUCKETS as BUDGET_BUCKETS
from rampart._gate import ERRORS as ERRORS
from rampart._gate import NO_RESULT as NO_RESULT
from rampart._gate import SAFE as SAFE
from rampart._gate import UNDETERMINED as UNDETERMINED
from rampart._gate import UNSAFE as UNSAFE
from rampart._gate import bucket_of as bucket_of
from rampart._gate import failure_budget as failure_budget
from rampart._gate import required_safe as required_safe

if TYPE_CHECKING:
    pass

TRIAL_PARAM = "_rampart_trial"
_ALLOWED_KWARGS = frozenset({"n", "threshold", "concurrency"})
_TRIAL_ID = re.compile(r"(?:^|-)trial-\d+$")


@dataclass(frozen=True, slots=True, kw_only=True)
class TrialArgs:
    """The validated arguments of one ``trial`` marker."""

    n: int
    threshold: float
    concurrency: int


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _problem(args: tuple[Any, ...], kwargs: dict[str, Any]) -> str | TrialArgs:
    if len(args) > 1 or (args and "n" in kwargs):
        return "trial() takes n once, as the first positional argument or as n="
    unexpected = sorted(set(kwargs) - _ALLOWED_KWARGS)
    if unexpected:
        return f"trial() got unexpected arguments: {', '.join(unexpected)}"
    n = args[0] if args else kwargs.get("n", 1)
    if not _is_int(n):
        return f"trial(n=) must be an integer, got {n!r}"
    if n < 1:
        return f"trial(n=) must be >= 1, got {n}"
    threshold = kwargs.get("threshold", 1.0)
    if (
        isinstance(threshold, bool)
        or not isinstance(threshold, int | float)
        or not math.isfinite(threshold)
        or not 0 <= threshold <= 1
    ):
        return f"trial(threshold=) must be a number between 0 and 1, got {threshold!r}"
    concurrency = kwargs.get("concurrency", 1)
    if not _is_int(concurrency) or concurrency < 1:
        return f"trial(concurrency=) must be an integer >= 1, got {concurrency!r}"
    return TrialArgs(n=n, threshold=float(threshold), concurrency=concurrency)


def parse_trial_marker(marker: pytest.Mark, *, nodeid: str) -> TrialArgs:
    """Validate a ``trial`` marker (R-TRIAL-1); a bad one becomes a one-line collection error."""
    parsed = _problem(tuple(marker.args), dict(marker.kwargs))
    if isinstance(parsed, str):
        raise pytest.Collector.CollectError(f"{parsed} (test: {nodeid})")
    return parsed


def expand_trials(metafunc: pytest.Metafunc) -> TrialArgs | None:
    """Parametrize a ``trial``-marked test over the hidden ``_rampart_trial`` index (R-TRIAL-2).

    The index is added last so the trial part is the innermost id (``test_p[1-trial-0]``); the
    hidden name is not a real fixture, and pytest prunes it from the closure afterwards.
    """
    marker = metafunc.definition.get_closest_marker("trial")
    if marker is None:
        return None
    args = parse_trial_marker(marker, nodeid=metafunc.definition.nodeid)
    if args.concurrency > 1:
        # Concurrent trials stay one item that runs the body n times (R-CONC-1).
        if not inspect.iscoroutinefunction(metafunc.function):
            raise pytest.Collector.CollectError(
                f"concurrency needs an async test (test: {metafunc.definition.nodeid})"
            )
        return args
    if TRIAL_PARAM not in metafunc.fixturenames:
        metafunc.fixturenames.append(TRIAL_PARAM)
    metafunc.parametrize(
        TRIAL_PARAM,
        list(range(args.n)),
        indirect=True,
        ids=[f"trial-{i}" for i in range(args.n)],
    )
    return args


def trial_index(item: pytest.Item) -> int | None:
    """The trial index of an expanded trial instance, or ``None`` for any other item."""
    callspec = getattr(item, "callspec", None)
    if callspec is None:
        return None
    index = callspec.params.get(TRIAL_PARAM)
    return index if _is_int(index) else None


def strip_group_suffix(nodeid: str) -> str:
    """``nodeid`` without the ``@group`` suffix xdist's loadgroup adds on pytest <= 9.1."""
    head, sep, tail = nodeid.rpartition("::")
    at = tail.rfind("@")
    if at != -1 and at > tail.rfind("]"):
        tail = tail[:at]
    return head + sep + tail


def is_concurrent_instance(nodeid: str, base: str) -> bool:
    """Whether ``nodeid`` is a concurrent-trials item (its own group) rather than one trial."""
    return strip_group_suffix(nodeid) == base


def base_nodeid(nodeid: str) -> str:
    """The trial group id of an instance: without xdist's ``@group`` suffix and ``trial-i`` id."""
    head, sep, tail = strip_group_suffix(nodeid).rpartition("::")
    if tail.endswith("]"):
        bracket = tail.find("[")
        if bracket != -1:
            ids = tail[bracket + 1 : -1]
            match = _TRIAL_ID.search(ids)
            if match is not None:
                rest = ids[: match.start()]
                tail = tail[:bracket] + (f"[{rest}]" if rest else "")
    return head + sep + tail
