"""Unit tests of negotiation, the ledger and the controller's receive path (R-XD-2, -6, -10)."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
from rampart.core.result import Result, SafetyStatus
from rampart_xdist import (
    REPORT_ATTRIBUTE,
    encode_record,
    finalize_worker,
    handle_testnodedown,
)
from rampart_xdist._codec import encode_nego_fail
from rampart_xdist._transport import ControllerState, _strip_user, read_size_limit
from rampart_xdist.ledger import Ledger
from rampart_xdist.negotiation import choose, make_offer

pytestmark = pytest.mark.xdist


def test_negotiation_picks_the_first_offered_tag_it_can_write_R_XD_2() -> None:
    offer = make_offer(max_record_bytes=1000, run_nonce="abc", version="0.2.0")
    assert offer == {
        "proto": 1,
        "accept": ["rampart.xdist.v1"],
        "max_record_bytes": 1000,
        "run_nonce": "abc",
        "version": "0.2.0",
    }
    choice = choose(offer)
    assert (choice.schema, choice.max_record_bytes, choice.run_nonce) == (
        "rampart.xdist.v1",
        1000,
        "abc",
    )
    newer = {**offer, "accept": ["rampart.xdist.v3", "rampart.xdist.v2", "rampart.xdist.v1"]}
    assert choose(newer).schema == "rampart.xdist.v1"
    failed = choose({**offer, "accept": ["rampart.xdist.v9"]})
    assert failed.failed
    assert failed.offered == ("rampart.xdist.v9",)
    assert choose({**offer, "proto": 2}).failed
    garbage = choose({"accept": "nope", "max_record_bytes": True, "run_nonce": 5})
    assert garbage.failed
    assert garbage.max_record_bytes == 16 * 1024 * 1024


def test_ledger_clears_per_test_reasons_on_a_later_complete_attempt_R_XD_10() -> None:
    ledger = Ledger()
    ledger.expect([("a", "a", None), ("b", "b", None), ("c", "c", None), ("d", "d", None)])
    ledger.crashed("a", nodeid="a", worker="gw0", message="crash a")
    ledger.saw_teardown("a")
    ledger.completed("a")  # a rerun on another worker delivered it
    ledger.saw_teardown("b")
    ledger.problem("b", kind="rejected", nodeid="b", worker="gw1", message="bad b")
    ledger.saw_teardown("c")
    ledger.problem("c", kind="missing_payload", nodeid="c", worker="gw1", message="none c")
    ledger.saw_teardown("c")
    ledger.completed("c")
    ledger.worker_problem(kind="worker_error", worker="gw0", message="worker gw0 error: x")
    ledger.worker_problem(kind="worker_error", worker="gw0", message="worker gw0 error: x")
    kinds = [(r.kind, r.nodeid) for r in ledger.reasons()]
    assert kinds == [("worker_error", None), ("rejected", "b"), ("not_run", "d")]


def isolated_config() -> pytest.Config:
    """A stand-in config with no RAMPART session, so nothing leaks into this run's report."""
    config: Any = SimpleNamespace(stash=pytest.Stash())
    return config  # type: ignore[no-any-return]


class FakeReport:
    def __init__(self, nodeid: str, when: str, worker: str, data: object = None) -> None:
        self.nodeid = nodeid
        self.when = when
        self.node = SimpleNamespace(gateway=SimpleNamespace(id=worker))
        if data is not None:
            setattr(self, REPORT_ATTRIBUTE, data)


def record(nodeid: str, seq: int, *, worker: str = "gw0", nonce: str = "n1") -> str:
    return encode_record(
        nodeid=nodeid,
        results=[Result(status=SafetyStatus.SAFE, summary="ok")],
        trial=None,
        seq=seq,
        run_nonce=nonce,
        worker=worker,
    )


def test_receive_rejects_foreign_reordered_and_mismatched_records_R_XD_6() -> None:
    state = ControllerState(config=isolated_config(), run_nonce="n1")
    state.collection_finished(worker="gw0", ids=["t::a", "t::b", "t::c", "t::d", "t::e", "t::f"])
    reports = [
        FakeReport("t::a", "teardown", "gw0", record("t::a", 0)),
        FakeReport("t::b", "teardown", "gw0", record("t::b", 0)),  # seq not above 0
        FakeReport("t::c", "teardown", "gw0", record("t::c", 5, nonce="other")),
        FakeReport("t::d", "teardown", "gw0", record("t::x", 6)),  # claims another test
        FakeReport("t::e", "teardown", "gw0", "\x1b[31m{not json" + "x" * 500),
        FakeReport("t::f", "call", "gw0"),
    ]
    for report in reports:
        state.receive(report)
        assert not hasattr(report, REPORT_ATTRIBUTE)  # popped before other plugins look
    found = {(r.kind, r.nodeid) for r in state.ledger.reasons()}
    assert found == {
        ("rejected", "t::b"),
        ("rejected", "t::c"),
        ("rejected", "t::d"),
        ("rejected", "t::e"),
        ("not_run", "t::f"),
    }
    messages = {r.nodeid: r.message for r in state.ledger.reasons()}
    assert "sequence number 0 is not above 0" in messages["t::b"]
    assert "run nonce" in messages["t::c"]
    assert "\x1b" not in messages["t::e"]
    assert len(messages["t::e"]) < 300
    assert state.received == {"gw0": 5}


def test_nego_fail_is_recorded_once_per_worker_R_XD_2() -> None:
    state = ControllerState(config=isolated_config(), run_nonce="n1")
    stub = encode_nego_fail(worker="gw1", supported=["rampart.xdist.v1"], offered=["x.v9"])
    for nodeid in ("t::a", "t::b"):
        state.receive(FakeReport(nodeid, "teardown", "gw1", stub))
    (reason,) = state.ledger.reasons()
    assert reason.kind == "nego_fail"
    assert reason.worker == "gw1"
    assert "x.v9" in reason.message
    assert "rampart.xdist.v1" in reason.message


def test_node_down_cross_checks_the_stream_R_XD_9_R_XD_10() -> None:
    state = ControllerState(config=isolated_config(), run_nonce="n1")
    state.received = {"gw0": 3}
    ok = SimpleNamespace(
        gateway=SimpleNamespace(id="gw0"), workeroutput={"rampart_xdist_v1": {"sent": 3}}
    )
    state.node_down(ok, None)
    assert state.ledger.reasons() == []
    short = SimpleNamespace(
        gateway=SimpleNamespace(id="gw0"), workeroutput={"rampart_xdist_v1": {"sent": 4}}
    )
    state.node_down(short, None)
    silent = SimpleNamespace(gateway=SimpleNamespace(id="gw1"), workeroutput={})
    state.node_down(silent, None)
    crashed = SimpleNamespace(gateway=SimpleNamespace(id="gw2"), workeroutput={})
    state.node_down(crashed, "Not properly terminated")
    messages = [(r.kind, r.message) for r in state.ledger.reasons()]
    assert messages == [
        ("count_mismatch", "worker gw0 sent 4 records but 3 arrived"),
        (
            "count_mismatch",
            "worker gw1 shut down without an end-of-stream summary (0 records received; is "
            "rampart-xdist installed on it?)",
        ),
        ("worker_error", "worker gw2 error: Not properly terminated"),
    ]


def test_public_hooks_never_raise() -> None:
    # A stand-in config: this suite itself may run on an xdist worker (the xdist-on leg uses -n 2).
    config = SimpleNamespace(option=SimpleNamespace())
    finalize_worker(config=config, session=None)  # type: ignore[arg-type]  # not a worker: a no-op
    assert not hasattr(config, "workeroutput")
    handle_testnodedown(session=None, node=object(), error=None)
    handle_testnodedown(session=None, node=SimpleNamespace(config=config), error="x")


def test_gateway_specs_lose_their_user_R_XD_7() -> None:
    assert _strip_user("ssh=alice@build-1//python=python3") == "ssh=build-1//python=python3"
    assert _strip_user("popen//python=/usr/bin/python3") == "popen//python=/usr/bin/python3"
    assert _strip_user("2*ssh=bob@h") == "2*ssh=h"


def test_size_limit_must_be_a_positive_integer_R_BAD(pytestconfig: pytest.Config) -> None:
    class Options:
        def __init__(self, value: object) -> None:
            self.value = value

        def getoption(self, name: str) -> object:
            return self.value

        def getini(self, name: str) -> object:
            return ""

    assert read_size_limit(Options(None)) == 16 * 1024 * 1024  # type: ignore[arg-type]
    assert read_size_limit(Options(65536)) == 65536  # type: ignore[arg-type]
    for bad in (0, -1, "abc", True):
        with pytest.raises(pytest.UsageError, match="integer >= 1"):
            read_size_limit(Options(bad))  # type: ignore[arg-type]
