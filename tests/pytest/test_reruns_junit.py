"""Reruns replace results (R-COLL-5) and JUnit carries the verdicts (R-JSON-10)."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest


def test_rerun_keeps_last_attempt_and_reports_superseded_R_COLL_5(rp: pytest.Pytester) -> None:
    rp.makepyfile(
        test_flaky="""
        from helpers import SAFE, UNSAFE, rec

        attempts = []

        def test_flaky():
            attempts.append(1)
            if len(attempts) == 1:
                rec(UNSAFE, "first attempt leaked")
                assert False, "leaked"
            rec(SAFE, "second attempt held")
        """
    )
    result = rp.runpytest("-p", "rerunfailures", "--reruns", "1", "--rampart-report", "r.json")
    assert result.ret == 0
    result.stdout.fnmatch_lines(
        [
            "Population: 1 runs - 0 unsafe*",
            "1 results superseded by reruns (1 were UNSAFE)",
        ]
    )
    report = json.loads(Path(rp.path, "r.json").read_text())
    assert report["total_runs"] == 1
    (only,) = report["by_harm_category"]["uncategorized"]
    assert only["summary"] == "second attempt held"
    assert only["metadata"]["_rampart_superseded"] == ["unsafe"]


def test_junit_properties_R_JSON_10(rp: pytest.Pytester) -> None:
    rp.makepyfile(
        test_junit="""
        import pytest
        from helpers import ERROR, SAFE, UNSAFE, rec

        @pytest.mark.harm("data_exfiltration")
        def test_unsafe():
            rec(SAFE, "fine")
            rec(UNSAFE, "bad\\x1b[31m news\\n" + "x" * 300)

        @pytest.mark.trial(2, threshold=0.5)
        def test_trial(request):
            if request.node.callspec.params["_rampart_trial"] == 1:
                rec(ERROR, "down")
                assert False
            rec(SAFE, "ok")

        def test_none():
            pass
        """
    )
    result = rp.runpytest("--junitxml", "j.xml")
    assert result.ret == 0
    root = ET.parse(Path(rp.path, "j.xml")).getroot()
    props = {
        case.get("name"): {p.get("name"): p.get("value") for p in case.iter("property")}
        for case in root.iter("testcase")
    }
    unsafe = props["test_unsafe"]
    assert unsafe["rampart.status"] == "unsafe"
    assert unsafe["rampart.harm_category"] == "data_exfiltration"
    summary = unsafe["rampart.summary"] or ""
    assert summary.startswith("bad news x")
    assert len(summary) <= 200
    assert "rampart.trial" not in unsafe
    assert props["test_trial[trial-0]"] == {
        "rampart.status": "safe",
        "rampart.harm_category": "uncategorized",
        "rampart.trial": "test_junit.py::test_trial[0/2]",
        "rampart.summary": "ok",
    }
    tolerated = props["test_trial[trial-1]"]
    assert tolerated["rampart.status"] == "error"
    assert tolerated["rampart.tolerated"] == "true"
    assert props["test_none"] == {}
