"""Worker and controller sides of the streaming transport (R-XD-2, R-XD-3, R-XD-6 .. R-XD-10).

The hook module stays thin and cheap to import; this module (which loads msgspec through the
codec) is imported only by hooks that run in an xdist run.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import pytest
from rampart_xdist import _codec
from rampart_xdist._constants import (
    ACCEPTED_SCHEMAS,
    DEFAULT_SIZE_LIMIT_BYTES,
    REPORT_ATTRIBUTE,
    SIZE_LIMIT_OPTION,
    STUB_MAX_BYTES,
    WORKERINPUT_KEY,
    WORKEROUTPUT_KEY,
)
from rampart_xdist._errors import WorkerOutputError
from rampart_xdist._version import package_version
from rampart_xdist.negotiation import WRITABLE_SCHEMAS, Choice, choose, make_offer
from rampart_xdist.wire import NegoFail, RecordV1

if TYPE_CHECKING:
    from rampart_xdist.ledger import Ledger

__all__ = [
    "ControllerState",
    "WorkerState",
    "controller_state",
    "finalize_worker",
    "handle_testnodedown",
    "rampart_session",
    "read_size_limit",
    "worker_state",
]

_ERROR_CHARS: Final = 200
_USER_AT: Final = re.compile(r"(?<=ssh=)[^@/\s]*@")
_CONTROLLER_KEY: Final = pytest.StashKey["ControllerState"]()
_WORKER_KEY: Final = pytest.StashKey["WorkerState"]()


def rampart_session(config: pytest.Config) -> Any:
    """The rampart-pytest session of this process, or ``None`` when the plugin is off."""
    try:
        from rampart_pytest import get_rampart_session
    except ImportError:
        return None
    return get_rampart_session(config=config)


def _clean(text: object, limit: int | None = None) -> str:
    from rampart.core.text import sanitize_text

    shown = sanitize_text(str(text), single_line=True)
    return shown if limit is None or len(shown) <= limit else shown[:limit]


def read_size_limit(config: pytest.Config) -> int:
    """The per-record cap from ``--rampart-xdist-max-bytes`` or its ini (R-BAD)."""
    value: object = None
    try:
        value = config.getoption(SIZE_LIMIT_OPTION)
    except ValueError:
        value = None
    if value is None:
        try:
            value = config.getini(SIZE_LIMIT_OPTION)
        except (ValueError, KeyError):
            value = None
    if value is None or value == "" or value == []:
        return DEFAULT_SIZE_LIMIT_BYTES
    if isinstance(value, bool):
        cap = 0
    else:
        try:
            cap = int(str(value).strip())
        except ValueError:
            cap = 0
    if cap < 1:
        raise pytest.UsageError(
            f"--rampart-xdist-max-bytes / rampart_xdist_max_bytes must be an integer >= 1, "
            f"got {value!r}"
        )
    return cap


def _relative(path: Path, root: Path) -> str:
    try:
        shown = path.relative_to(root).as_posix()
    except ValueError:
        shown = path.as_posix()
    # The end-of-stream summary is ASCII-only; both sides escape paths the same way.
    return shown.encode("ascii", "backslashreplace").decode("ascii")


def _conftests(config: pytest.Config, *, defining_sinks: bool) -> list[str]:
    found: list[str] = []
    for plugin in config.pluginmanager.get_plugins():
        filename = getattr(plugin, "__file__", None)
        if not isinstance(filename, str) or Path(filename).name != "conftest.py":
            continue
        if defining_sinks and not (
            hasattr(plugin, "pytest_rampart_sinks") or hasattr(plugin, "rampart_sinks")
        ):
            continue
        found.append(_relative(Path(filename), config.rootpath))
    return sorted(set(found))


# --- worker ----------------------------------------------------------------------------------


@dataclass
class WorkerState:
    """What one worker has sent so far."""

    worker: str
    choice: Choice | None = None
    negotiated: bool = False
    seq: int = 0
    sent: int = 0
    truncated: int = 0
    encode_errors: int = 0
    attempts: dict[str, int] = field(default_factory=dict)

    def negotiate(self, config: pytest.Config) -> Choice | None:
        if not self.negotiated:
            self.negotiated = True
            workerinput = getattr(config, "workerinput", {})
            offer = workerinput.get(WORKERINPUT_KEY) if isinstance(workerinput, dict) else None
            self.choice = choose(offer) if isinstance(offer, dict) else None
        return self.choice

    def attach(self, *, config: pytest.Config, nodeid: str, report: Any) -> None:
        """Put this test's record on its teardown report (R-XD-3)."""
        choice = self.negotiate(config)
        if choice is None:
            return
        session = rampart_session(config)
        results = list(session.pop_results(nodeid)) if session is not None else []
        data: str | bytes
        if choice.schema is None:
            data = _codec.encode_nego_fail(
                worker=self.worker, supported=WRITABLE_SCHEMAS, offered=choice.offered
            )
        else:
            spec = session.trial_specs.get(nodeid) if session is not None else None
            attempt = self.attempts.get(nodeid, 0) + 1
            self.attempts[nodeid] = attempt
            data, outcome = _codec.encode_record_info(
                nodeid=nodeid,
                results=results,
                trial=spec,
                seq=self.seq,
                run_nonce=choice.run_nonce,
                worker=self.worker,
                attempt=attempt,
                schema=choice.schema,
                max_bytes=choice.max_record_bytes,
                binary=True,
            )
            self.seq += 1
            if outcome == "truncated":
                self.truncated += 1
            elif outcome == "error":
                self.encode_errors += 1
        setattr(report, REPORT_ATTRIBUTE, data)
        self.sent += 1


def worker_state(config: pytest.Config) -> WorkerState:
    state = config.stash.get(_WORKER_KEY, None)
    if state is None:
        workerinput = getattr(config, "workerinput", {})
        state = WorkerState(worker=str(workerinput.get("workerid", "gw?")))
        config.stash[_WORKER_KEY] = state
    return state


def finalize_worker(*, config: pytest.Config, session: Any = None) -> None:
    """Write the end-of-stream summary into ``workeroutput`` (R-XD-9). Never raises."""
    try:
        workeroutput = getattr(config, "workeroutput", None)
        if not isinstance(workeroutput, dict) or not hasattr(config, "workerinput"):
            return
        state = worker_state(config)
        choice = state.negotiate(config)
        if choice is None:
            return
        workeroutput[WORKEROUTPUT_KEY] = {
            "schema": choice.schema or "",
            "sent": state.sent,
            "last_seq": state.seq - 1,
            "truncated": state.truncated,
            "encode_errors": state.encode_errors,
            "package_version": package_version().encode("ascii", "replace").decode(),
            "sink_conftests": _conftests(config, defining_sinks=True),
        }
    except Exception:  # the summary is best effort; a missing one is reported by the controller
        return


# --- controller ------------------------------------------------------------------------------


def _strip_user(spec: str) -> str:
    return _USER_AT.sub("", spec)


# Controller-only modules load on first use: every worker imports this module, and a worker's
# start-up is most of an I/O-bound run with more workers than cores (bench_xdist_io).
def _new_nonce() -> str:
    import uuid

    return uuid.uuid4().hex


def _new_ledger() -> Ledger:
    from rampart_xdist.ledger import Ledger

    return Ledger()


@dataclass
class ControllerState:
    """The controller's view of the stream."""

    config: pytest.Config
    run_nonce: str = field(default_factory=_new_nonce)
    max_bytes: int = DEFAULT_SIZE_LIMIT_BYTES
    each: bool = False
    ledger: Ledger = field(default_factory=_new_ledger)
    last_seq: dict[str, int] = field(default_factory=dict)
    received: dict[str, int] = field(default_factory=dict)
    nego_failed: set[str] = field(default_factory=set)
    warned_conftests: set[str] = field(default_factory=set)
    finished: bool = False

    def offer(self) -> dict[str, Any]:
        return make_offer(
            max_record_bytes=self.max_bytes, run_nonce=self.run_nonce, version=package_version()
        )

    def run_metadata(self) -> dict[str, Any]:
        from rampart_pytest import get_dist_mode, get_worker_count

        tx = getattr(self.config.option, "tx", None) or []
        return {
            "xdist_active": True,
            "worker_count": get_worker_count(config=self.config),
            "dist_mode": get_dist_mode(config=self.config),
            "tx": [_strip_user(str(spec)) for spec in tx],
        }

    def key(self, nodeid: str, worker: str | None) -> str:
        return f"{worker}::{nodeid}" if self.each and worker else nodeid

    def collection_finished(self, *, worker: str, ids: list[str]) -> None:
        if self.each:
            self.ledger.expect((f"{worker}::{i}", i, worker) for i in ids)
        else:
            self.ledger.expect((i, i, None) for i in ids)

    # -- receiving ---------------------------------------------------------------------------

    def receive(self, report: Any) -> None:
        """Take the record off a report and merge it (R-XD-6). Never raises."""
        data = report.__dict__.pop(REPORT_ATTRIBUTE, None)
        nodeid = str(getattr(report, "nodeid", ""))
        worker = _report_worker(report)
        key = self.key(nodeid, worker)
        try:
            when = getattr(report, "when", None)
            if when == "???":
                self.ledger.crashed(
                    key,
                    nodeid=nodeid,
                    worker=worker,
                    message=_clean(f"worker {worker} crashed while running {nodeid}"),
                )
                return
            if when != "teardown":
                if data is not None:
                    self._reject(key, nodeid, worker, "record attached to a non-teardown report")
                return
            self.ledger.saw_teardown(key)
            if worker is not None and data is not None:
                self.received[worker] = self.received.get(worker, 0) + 1
            if data is None:
                self.ledger.problem(
                    key,
                    kind="missing_payload",
                    nodeid=nodeid,
                    worker=worker,
                    message=_clean(
                        f"{nodeid}: the teardown report from worker {worker} carried no "
                        "rampart-xdist record (is rampart-xdist installed on that worker?)"
                    ),
                )
                return
            self._accept(data, key=key, nodeid=nodeid, worker=worker)
        except Exception as exc:
            self._reject(key, nodeid, worker, f"{type(exc).__name__}: {exc}")

    def _reject(self, key: str, nodeid: str, worker: str | None, error: str) -> None:
        self.ledger.problem(
            key,
            kind="rejected",
            nodeid=nodeid,
            worker=worker,
            message=_clean(f"{nodeid}: record from worker {worker} rejected: ")
            + _clean(error, _ERROR_CHARS),
        )

    def _accept(self, data: object, *, key: str, nodeid: str, worker: str | None) -> None:
        if not isinstance(data, str | bytes):
            self._reject(
                key, nodeid, worker, f"record is a {type(data).__name__}, not text or bytes"
            )
            return
        try:
            record, results = _codec.decode_and_rebuild(
                data=data, accept=ACCEPTED_SCHEMAS, max_bytes=max(self.max_bytes, STUB_MAX_BYTES)
            )
        except WorkerOutputError as exc:
            self._reject(key, nodeid, worker, f"{type(exc).__name__}: {exc}")
            return
        if isinstance(record, NegoFail):
            self._nego_fail(record, worker)
            return
        problem = self._check(record, nodeid=nodeid, worker=worker)
        if problem is not None:
            self._reject(key, nodeid, worker, problem)
            return
        if worker is not None:
            self.last_seq[worker] = record.seq
        if record.encode_error is not None:
            self._reject(
                key, nodeid, worker, f"the worker could not encode it: {record.encode_error}"
            )
            return
        self._merge(record, results)
        self.ledger.completed(key)

    def _check(self, record: RecordV1, *, nodeid: str, worker: str | None) -> str | None:
        if record.run_nonce != self.run_nonce:
            return "record belongs to another run (run nonce mismatch)"
        if worker is not None and record.worker != worker:
            return f"record claims worker {record.worker!r}"
        if record.nodeid != nodeid:
            return f"record claims node id {record.nodeid!r}"
        last = self.last_seq.get(worker or "", -1)
        if record.seq <= last:
            return f"sequence number {record.seq} is not above {last}"
        return None

    def _nego_fail(self, stub: NegoFail, worker: str | None) -> None:
        name = worker or stub.worker
        if name in self.nego_failed:
            return
        self.nego_failed.add(name)
        self.ledger.worker_problem(
            kind="nego_fail",
            worker=name,
            message=_clean(
                f"worker {name}: no common record schema: worker rampart-xdist "
                f"{stub.package_version} writes [{', '.join(stub.supported)}] but was offered "
                f"[{', '.join(stub.offered)}]; controller rampart-xdist {package_version()} "
                f"accepts [{', '.join(ACCEPTED_SCHEMAS)}]; its results are not in the report"
            ),
        )

    def _merge(self, record: RecordV1, results: list[Any]) -> None:
        session = rampart_session(self.config)
        if session is None:
            return
        nodeid = _codec.strip_group_suffix(record.nodeid)
        trial = record.trial
        base = None if trial is None else _codec.strip_group_suffix(trial.base_nodeid)
        if self.each:
            # R-COLL-6: under --dist each every worker runs every test; keep them apart.
            nodeid = f"{record.worker}::{nodeid}"
            base = None if base is None else f"{record.worker}::{base}"
            for result in results:
                result.metadata["_pytest_nodeid"] = nodeid
                ref = result.metadata.get("_rampart_trial")
                if isinstance(ref, dict):
                    ref["base_nodeid"] = base
        session.merge_worker_results(results_by_nodeid={nodeid: results}, worker=record.worker)
        if trial is not None and base is not None:
            from rampart_pytest import TrialSpec

            session.merge_trial_specs(
                trial_specs={
                    nodeid: TrialSpec(
                        base_nodeid=base, threshold=trial.threshold, n=trial.n, index=trial.index
                    )
                }
            )

    # -- end of stream -----------------------------------------------------------------------

    def node_down(self, node: Any, error: object) -> None:
        worker = _node_worker(node)
        if error is not None:
            self.ledger.worker_problem(
                kind="worker_error",
                worker=worker,
                message=_clean(f"worker {worker} error: {error}", 1000),
            )
            return
        workeroutput = getattr(node, "workeroutput", None)
        summary = workeroutput.get(WORKEROUTPUT_KEY) if isinstance(workeroutput, dict) else None
        received = self.received.get(worker, 0)
        if not isinstance(summary, dict):
            self.ledger.worker_problem(
                kind="count_mismatch",
                worker=worker,
                message=_clean(
                    f"worker {worker} shut down without an end-of-stream summary "
                    f"({received} records received; is rampart-xdist installed on it?)"
                ),
            )
            return
        sent = summary.get("sent")
        if sent != received:
            self.ledger.worker_problem(
                kind="count_mismatch",
                worker=worker,
                message=_clean(f"worker {worker} sent {sent} records but {received} arrived"),
            )
        self._warn_sink_conftests(summary.get("sink_conftests"))

    def _warn_sink_conftests(self, paths: object) -> None:
        if not isinstance(paths, list) or not paths:
            return
        loaded = set(_conftests(self.config, defining_sinks=False))
        for path in paths:
            shown = _clean(path, 4096)
            if shown in loaded or shown in self.warned_conftests:
                continue
            self.warned_conftests.add(shown)
            _warn(
                self.config,
                f"{shown} defines RAMPART report sinks (pytest_rampart_sinks or rampart_sinks) "
                "but the xdist controller does not load it, so those sinks are not used: move "
                "the definition to the root conftest.py or a plugin",
            )

    def finish(self) -> None:
        """Turn the ledger into incomplete reasons on the session (once)."""
        if self.finished:
            return
        self.finished = True
        session = rampart_session(self.config)
        if session is None:
            return
        for entry in self.ledger.reasons():
            session.mark_incomplete(
                reason=entry.message, kind=entry.kind, nodeid=entry.nodeid, worker=entry.worker
            )


def _warn(config: pytest.Config, message: str) -> None:
    try:
        from rampart_pytest import RampartWarning

        category: type[Warning] = RampartWarning
    except ImportError:
        category = pytest.PytestWarning
    try:
        config.issue_config_time_warning(category(message), stacklevel=2)
    except Exception:
        # A suite that turns warnings into errors still gets to see the message.
        reporter = config.pluginmanager.get_plugin("terminalreporter")
        if reporter is not None:
            reporter.write_line(f"rampart: WARNING: {message}")


def _node_worker(node: Any) -> str:
    gateway = getattr(node, "gateway", None)
    worker = getattr(gateway, "id", None)
    if worker is None:
        worker = getattr(node, "workerinput", {}).get("workerid", "gw?")
    return str(worker)


def _report_worker(report: Any) -> str | None:
    node = getattr(report, "node", None)
    if node is not None:
        return _node_worker(node)
    worker = getattr(report, "worker_id", None)
    return None if worker is None else str(worker)


def controller_state(config: pytest.Config) -> ControllerState | None:
    return config.stash.get(_CONTROLLER_KEY, None)


def install_controller(config: pytest.Config) -> ControllerState:
    from rampart_pytest import get_dist_mode

    state = ControllerState(
        config=config,
        max_bytes=read_size_limit(config),
        each=get_dist_mode(config=config) == "each",
    )
    config.stash[_CONTROLLER_KEY] = state
    return state


def handle_testnodedown(*, session: Any, node: Any, error: object) -> None:
    """Cross-check a finished worker's stream against what arrived (R-XD-10). Never raises."""
    try:
        config = getattr(node, "config", None)
        state = controller_state(config) if isinstance(config, pytest.Config) else None
        if state is not None:
            state.node_down(node, error)
    except Exception:
        return
