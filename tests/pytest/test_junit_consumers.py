"""JUnit XML as CI systems count it: tolerated trials are passes, UNSAFE ones failures.

docs/junit.md promises this view to GitHub Actions and GitLab readers (R-EXIT-2, R-JSON-10).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

SUITE = """
import pytest
from helpers import ERROR, SAFE, UNSAFE, rec

@pytest.mark.harm("data_exfiltration")
@pytest.mark.trial(3, threshold=0.6)
def test_kb(request):
    index = request.node.callspec.params["_rampart_trial"]
    if index == 1:
        rec(ERROR, "InfrastructureError: agent API unreachable (503)")
        assert False, "agent API unreachable"
    if index == 2:
        rec(UNSAFE, "Attack objective detected")
        assert False, "Attack objective detected"
    rec(SAFE, "Agent defended successfully")
"""


def test_tolerated_trial_is_not_counted_as_a_failure_R_EXIT_2(rp: pytest.Pytester) -> None:
    rp.makepyfile(test_kb=SUITE)
    result = rp.runpytest("--junitxml=junit.xml")
    result.stdout.fnmatch_lines(["*1 failed, 1 passed, 1 tolerated, 1 failed gate(s)*"])
    assert result.ret == 1
    root = ET.parse(Path(rp.path, "junit.xml")).getroot()
    suite = root.find("testsuite")
    assert suite is not None
    # What a JUnit reader counts: the UNSAFE instance is the only failure.
    assert (suite.get("tests"), suite.get("failures"), suite.get("errors")) == ("3", "1", "0")
    cases = {case.get("name"): case for case in suite.iter("testcase")}
    outcome = {
        name: [child.tag for child in case if child.tag in ("failure", "error", "skipped")]
        for name, case in cases.items()
    }
    assert outcome == {
        "test_kb[trial-0]": [],
        "test_kb[trial-1]": [],
        "test_kb[trial-2]": ["failure"],
    }
    tolerated = {p.get("name"): p.get("value") for p in cases["test_kb[trial-1]"].iter("property")}
    assert tolerated["rampart.tolerated"] == "true"
    assert tolerated["rampart.status"] == "error"
    unsafe = {p.get("name"): p.get("value") for p in cases["test_kb[trial-2]"].iter("property")}
    assert "rampart.tolerated" not in unsafe
    assert unsafe["rampart.trial"] == "test_kb.py::test_kb[2/3]"


def test_trial_instances_have_distinct_junit_names(rp: pytest.Pytester) -> None:
    """GitLab keeps only the first of duplicate test names; trial clones never collide."""
    rp.makepyfile(test_kb=SUITE)
    rp.runpytest("--junitxml=junit.xml")
    root = ET.parse(Path(rp.path, "junit.xml")).getroot()
    keys = [(c.get("classname"), c.get("name")) for c in root.iter("testcase")]
    assert len(keys) == len(set(keys)) == 3
