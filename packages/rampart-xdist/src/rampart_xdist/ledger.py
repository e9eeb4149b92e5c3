"""The controller's ledger: which tests it expects, and which arrived complete (R-XD-10).

A test is complete when both its teardown report and a valid record arrived. Per-test reasons
(crashed, rejected, missing payload) are cleared by a later complete attempt of the same test;
worker-level reasons (negotiation failure, worker error, count mismatch) stay.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Final

__all__ = ["CLEARABLE_KINDS", "Entry", "Ledger"]

CLEARABLE_KINDS: Final = frozenset({"crashed", "rejected", "missing_payload"})


@dataclass(frozen=True, kw_only=True)
class Entry:
    """One incomplete reason, shaped like ``rampart_pytest.IncompleteReason``."""

    kind: str
    message: str
    nodeid: str | None = None
    worker: str | None = None


@dataclass
class Ledger:
    """Expected versus received, keyed by node id (``{worker}::{nodeid}`` under ``each``)."""

    expected: dict[str, tuple[str, str | None]] = field(default_factory=dict)
    reported: set[str] = field(default_factory=set)
    complete: set[str] = field(default_factory=set)
    per_test: dict[str, list[Entry]] = field(default_factory=dict)
    per_worker: list[Entry] = field(default_factory=list)

    def expect(self, keys: Iterable[tuple[str, str, str | None]]) -> None:
        """Add (key, nodeid, worker) triples the run should deliver."""
        for key, nodeid, worker in keys:
            self.expected.setdefault(key, (nodeid, worker))

    def saw_teardown(self, key: str) -> None:
        self.reported.add(key)

    def crashed(self, key: str, *, nodeid: str, worker: str | None, message: str) -> None:
        # A crash is this test's last word: it will not report a teardown of its own.
        self.reported.add(key)
        self.complete.discard(key)
        self._add(key, Entry(kind="crashed", message=message, nodeid=nodeid, worker=worker))

    def problem(
        self, key: str, *, kind: str, nodeid: str, worker: str | None, message: str
    ) -> None:
        """A per-test reason: ``rejected`` or ``missing_payload``."""
        self.complete.discard(key)
        self._add(key, Entry(kind=kind, message=message, nodeid=nodeid, worker=worker))

    def completed(self, key: str) -> None:
        """A complete attempt: clears that test's earlier per-test reasons."""
        self.complete.add(key)
        reasons = self.per_test.get(key)
        if reasons:
            kept = [r for r in reasons if r.kind not in CLEARABLE_KINDS]
            if kept:
                self.per_test[key] = kept
            else:
                del self.per_test[key]

    def worker_problem(self, *, kind: str, worker: str, message: str) -> None:
        entry = Entry(kind=kind, message=message, worker=worker)
        if entry not in self.per_worker:
            self.per_worker.append(entry)

    def _add(self, key: str, entry: Entry) -> None:
        reasons = self.per_test.setdefault(key, [])
        if entry not in reasons:
            reasons.append(entry)

    def reasons(self) -> list[Entry]:
        """Every reason left at the end of the run, worker-level ones first."""
        found = list(self.per_worker)
        for key in sorted(self.per_test):
            found.extend(self.per_test[key])
        for key, (nodeid, worker) in self.expected.items():
            if key in self.reported or key in self.complete:
                continue
            where = f" on worker {worker}" if worker else ""
            found.append(
                Entry(
                    kind="not_run",
                    message=f"{nodeid} did not run{where} (the session stopped early)",
                    nodeid=nodeid,
                    worker=worker,
                )
            )
        return found
