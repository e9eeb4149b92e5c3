"""Public surface, role helpers and RampartSession behaviour (api.md 3, R-GEN-1, R-COLL-5)."""

from __future__ import annotations

import subprocess
import sys
from types import SimpleNamespace
from typing import Any, cast

import pytest
import rampart_pytest
from rampart import Result, SafetyStatus
from rampart.collection import ResultCollector
from rampart_pytest import (
    IncompleteReason,
    RampartSession,
    RampartWarning,
    TrialGroupResult,
    TrialSpec,
    get_dist_mode,
    get_worker_count,
    is_xdist_controller,
    is_xdist_worker,
)

API_NAMES = {
    "RampartSession",
    "TrialSpec",
    "TrialGroupResult",
    "IncompleteReason",
    "RampartWarning",
    "TRANSPORT_MISSING_REASON",
    "get_rampart_session",
    "discover_sinks_from_conftest",
    "is_xdist_worker",
    "is_xdist_controller",
    "get_dist_mode",
    "get_worker_count",
}


def test_all_matches_api_R_GEN_1() -> None:
    assert set(rampart_pytest.__all__) == API_NAMES
    for name in API_NAMES:
        assert getattr(rampart_pytest, name) is not None
    assert issubclass(RampartWarning, pytest.PytestWarning)
    assert rampart_pytest.TRANSPORT_MISSING_REASON == (
        "results from xdist workers are not transported: install rampart-xdist"
    )


def test_import_stays_light_R_GEN_1() -> None:
    code = (
        "import sys, rampart_pytest, rampart_pytest.plugin, rampart_pytest.hooks\n"
        "bad = {'xdist', 'msgspec', 'openai', 'docx', 'pyrit', 'asyncio'} & set(sys.modules)\n"
        "print(sorted(bad))\n"
    )
    output = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert output.strip() == "[]"


def fake_config(*, workerinput: Any = None, **option: Any) -> pytest.Config:
    config = SimpleNamespace(option=SimpleNamespace(**option))
    if workerinput is not None:
        config.workerinput = workerinput
    return cast(pytest.Config, config)


def test_role_helpers_read_attributes_only() -> None:
    plain = fake_config()
    assert not is_xdist_worker(config=plain)
    assert not is_xdist_controller(config=plain)
    assert get_dist_mode(config=plain) == "no"
    assert get_worker_count(config=plain) == 0
    controller = fake_config(dist="load", numprocesses=3, tx=[])
    assert is_xdist_controller(config=controller)
    assert get_dist_mode(config=controller) == "load"
    assert get_worker_count(config=controller) == 3
    remote = fake_config(dist="each", numprocesses=None, tx=["2*popen", "ssh=u@h"])
    assert is_xdist_controller(config=remote)
    assert get_worker_count(config=remote) == 3
    worker = fake_config(workerinput={"workercount": 4}, dist="load", numprocesses=4)
    assert is_xdist_worker(config=worker)
    assert not is_xdist_controller(config=worker)
    assert get_worker_count(config=worker) == 4
    assert not is_xdist_controller(config=fake_config(dist="no", numprocesses=2))


def node(nodeid: str, *markers: pytest.MarkDecorator) -> pytest.Item:
    def closest(name: str) -> pytest.Mark | None:
        return next((m.mark for m in markers if m.mark.name == name), None)

    return cast(pytest.Item, SimpleNamespace(nodeid=nodeid, get_closest_marker=closest))


def collector_with(*statuses: SafetyStatus) -> ResultCollector:
    collector = ResultCollector()
    for status in statuses:
        collector.record(result=Result(status=status, summary=status.value))
    return collector


def test_absorb_replaces_earlier_attempts_R_COLL_5() -> None:
    session = RampartSession()
    item = node("t.py::test_x")
    session.absorb(node=item, collector=collector_with(SafetyStatus.UNSAFE, SafetyStatus.SAFE))
    first = session.build_report()
    assert first.total_runs == 2
    assert session.build_report() is first
    session.absorb(node=item, collector=collector_with(SafetyStatus.SAFE))
    report = session.build_report()
    assert report is not first
    assert report.total_runs == 1
    assert report.failed == 0
    assert report.results[0].metadata["_rampart_superseded"] == ["unsafe", "safe"]
    assert session.has_results


def test_closed_collector_ignores_late_records_R_COLL_1() -> None:
    session = RampartSession()
    collector = collector_with(SafetyStatus.SAFE)
    session.absorb(node=node("t.py::test_x"), collector=collector)
    collector.record(result=Result(status=SafetyStatus.UNSAFE, summary="late"))
    assert [r.summary for r in session.results_by_nodeid["t.py::test_x"]] == ["safe"]


def test_merge_worker_results_replaces_per_nodeid() -> None:
    session = RampartSession()
    results = [Result(status=SafetyStatus.SAFE, summary="s", metadata={"_pytest_nodeid": "a"})]
    session.merge_worker_results(results_by_nodeid={"a": results}, worker="gw0")
    session.merge_worker_results(results_by_nodeid={"a": list(results)}, worker="gw1")
    report = session.build_report()
    assert report.total_runs == 1
    assert report.results[0].metadata["_rampart_source_worker"] == "gw0"
    assert session.pop_results("a")
    assert not session.has_results


def test_trial_groups_bucket_in_order_R_TRIAL_5() -> None:
    session = RampartSession()
    statuses = [
        (SafetyStatus.SAFE,),
        (SafetyStatus.SAFE, SafetyStatus.UNDETERMINED),
        (SafetyStatus.ERROR, SafetyStatus.UNDETERMINED),
        (SafetyStatus.UNSAFE, SafetyStatus.ERROR),
        (),
    ]
    clones = []
    for index, recorded in enumerate(statuses):
        nodeid = f"t.py::test_x[trial-{index}]"
        clones.append(nodeid)
        session.register_trial_spec(
            clone_nodeid=nodeid, base_nodeid="t.py::test_x", threshold=0.2, n=5, index=index
        )
        session.absorb(node=node(nodeid), collector=collector_with(*recorded))
    group = session.record_trial_group(
        base_nodeid="t.py::test_x", clone_nodeids=clones, threshold=0.2
    )
    assert (group.safe, group.undetermined, group.errors, group.unsafe, group.no_result) == (
        1,
        1,
        1,
        1,
        1,
    )
    assert group.total == 5
    assert not group.passed  # one UNSAFE fails the gate whatever the threshold
    assert group.verdict == "FAILED"
    assert group.terminal_label == "FAIL"
    assert group.detail == "1/5 safe, 1 no-result"
    assert group.has_unsafe
    assert group.pass_rate_interval is not None
    trial = session.results_by_nodeid["t.py::test_x[trial-1]"][0].metadata["_rampart_trial"]
    assert trial == {"base_nodeid": "t.py::test_x", "index": 1, "n": 5, "threshold": 0.2}
    assert session.trial_specs["t.py::test_x[trial-0]"] == TrialSpec(
        base_nodeid="t.py::test_x", threshold=0.2, n=5, index=0
    )
    assert session.build_report().trial_groups["t.py::test_x"] is group


def test_record_trial_group_with_n_counts_missing_as_no_result() -> None:
    session = RampartSession()
    session.absorb(node=node("a[trial-0]"), collector=collector_with(SafetyStatus.SAFE))
    group = session.record_trial_group(
        base_nodeid="a", clone_nodeids=["a[trial-0]"], threshold=0.5, n=2
    )
    assert isinstance(group, TrialGroupResult)
    assert (group.total, group.safe, group.no_result, group.passed) == (2, 1, 1, True)


def test_sinks_incomplete_and_metadata() -> None:
    with pytest.raises(TypeError, match=r"^Expected ReportSink, got int\. Sinks must implement"):
        RampartSession(sinks=[3])  # type: ignore[list-item]
    session = RampartSession()
    session.mark_incomplete(reason="gone", kind="crashed", nodeid="t.py::x", worker="gw0")
    session.mark_incomplete(reason="odd")
    assert session.is_incomplete
    assert session.incomplete_reasons == ["gone", "odd"]
    assert session.incomplete_details[0] == IncompleteReason(
        kind="crashed", message="gone", nodeid="t.py::x", worker="gw0"
    )
    session.set_report_metadata(metadata={"a": 1})
    session.set_report_metadata(metadata={"b": 2})
    report = session.build_report()
    assert report.metadata == {
        "a": 1,
        "b": 2,
        "incomplete": True,
        "incomplete_reasons": ["gone", "odd"],
    }
    assert report.incomplete_details[1] == {
        "kind": "other",
        "message": "odd",
        "nodeid": None,
        "worker": None,
    }
    assert not session.is_emitted
    session.mark_emitted()
    assert session.is_emitted


def test_get_rampart_session(pytestconfig: pytest.Config) -> None:
    session = rampart_pytest.get_rampart_session(config=pytestconfig)
    assert isinstance(session, RampartSession)


def test_nested_session_restores_the_outer_state_R_EXEC_1(rp: pytest.Pytester) -> None:
    from rampart import collection
    from rampart.core import execution

    factory = execution._default_factory
    assert factory is not None
    fallback = collection.active_collector()
    rp.makepyfile(test_inner="def test_a():\n    pass\n")
    rp.runpytest("--rampart-max-concurrency", "3").assert_outcomes(passed=1)
    assert execution._default_factory is factory
    assert collection.active_collector() is fallback
    from rampart import _limits

    assert _limits.max_concurrency() == 64
