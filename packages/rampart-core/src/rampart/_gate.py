"""Gate arithmetic shared by batches, trial groups and the pytest plugin (R-TRIAL-5, R-EXIT-1).

One instance's results fall into exactly one bucket; a group passes with no UNSAFE instance and
at least ``ceil(threshold * total)`` SAFE ones, the ceiling taken exactly.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterable

    from rampart.core.result import Result

NO_RESULT = "no_result"
UNSAFE = "unsafe"
ERRORS = "errors"
UNDETERMINED = "undetermined"
SAFE = "safe"
#: Buckets that spend a group's failure budget (R-EXIT-1).
BUDGET_BUCKETS = frozenset({NO_RESULT, ERRORS, UNDETERMINED})


def bucket_of(results: Iterable[Result]) -> str:
    """The first R-TRIAL-5 bucket that matches one instance's results."""
    statuses = {str(result.status.value) for result in results}
    if not statuses:
        return NO_RESULT
    for status, bucket in (("unsafe", UNSAFE), ("error", ERRORS), ("undetermined", UNDETERMINED)):
        if status in statuses:
            return bucket
    return SAFE


def required_safe(*, threshold: float, total: int) -> int:
    """``ceil(threshold * total)``, computed exactly from the threshold's decimal text."""
    # The decimal text, not the binary float: 0.7 * 10 must require exactly 7.
    from fractions import Fraction  # exact arithmetic; loaded only when a gate is evaluated

    return math.ceil(Fraction(str(threshold)) * total)


def failure_budget(*, threshold: float, n: int) -> int:
    """How many non-safe, non-unsafe instances a group may have (R-EXIT-1)."""
    return n - required_safe(threshold=threshold, total=n)


class GroupCounts:
    """What a trial group says about its counts; shared by live groups and ones read back."""

    total: int
    safe: int
    unsafe: int
    no_result: int

    @property
    def detail(self) -> str:
        """A short count string such as ``8/10 safe, 2 no-result``."""
        text = f"{self.safe}/{self.total} safe"
        if self.no_result > 0:
            text += f", {self.no_result} no-result"
        return text

    @property
    def has_unsafe(self) -> bool:
        """Whether any instance was UNSAFE."""
        return self.unsafe > 0
