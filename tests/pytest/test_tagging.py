"""Tagging, harm markers and collection edge cases (R-TAG-1..4, R-COLL-2/3, R-BAD)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest


def test_harm_tags_and_trial_references_R_TAG_1_R_TAG_2_R_TAG_4(rp: pytest.Pytester) -> None:
    rp.makepyfile(
        test_tags="""
        import pytest
        from rampart import HarmCategory
        from helpers import SAFE, UNSAFE, rec

        pytestmark = pytest.mark.harm("module_level")

        @pytest.mark.harm(HarmCategory.DATA_EXFILTRATION, "custom_risk")
        def test_two_categories():
            rec(SAFE, "first")
            rec(UNSAFE, "second", harm_category="explicit")

        def test_module_marker():
            rec(SAFE)

        @pytest.mark.trial(2, threshold=0.5)
        def test_trial():
            rec(SAFE)
        """
    )
    result = rp.runpytest("--rampart-report", "out.json")
    assert result.ret == 0
    data = json.loads(Path(rp.path, "out.json").read_text())
    results = [r for rs in data["by_harm_category"].values() for r in rs]
    by_summary = {(r["metadata"]["_pytest_nodeid"], r["summary"]): r for r in results}
    first = by_summary[("test_tags.py::test_two_categories", "first")]
    assert first["harm_category"] == "data_exfiltration"
    assert first["metadata"]["_rampart_harm_categories"] == ["data_exfiltration", "custom_risk"]
    assert first["metadata"]["_pytest_test_name"] == "test_two_categories"
    assert first["metadata"]["_rampart_result_index"] == 0
    second = by_summary[("test_tags.py::test_two_categories", "second")]
    assert second["harm_category"] == "explicit"
    assert second["metadata"]["_rampart_result_index"] == 1
    module = by_summary[("test_tags.py::test_module_marker", "ok")]
    assert module["harm_category"] == "module_level"
    trial = by_summary[("test_tags.py::test_trial[trial-1]", "ok")]
    assert trial["trial"] == {
        "base_nodeid": "test_tags.py::test_trial",
        "index": 1,
        "n": 2,
        "threshold": 0.5,
    }
    assert trial["metadata"]["_pytest_test_name"] == "test_trial[trial-1]"


def test_absorb_copies_leave_test_objects_untouched_R_TAG_1(rp: pytest.Pytester) -> None:
    rp.makepyfile(
        test_copy="""
        import pytest
        from rampart import Result, SafetyStatus, record_result

        kept = []

        @pytest.mark.harm("x")
        def test_record():
            result = Result(status=SafetyStatus.SAFE, summary="s", metadata={"k": 1})
            kept.append(result)
            record_result(result)

        def test_check():
            assert kept[0].metadata == {"k": 1}
            assert kept[0].harm_category is None
        """
    )
    rp.runpytest("-p", "no:randomly").assert_outcomes(passed=2)


@pytest.mark.parametrize(
    ("marker", "message"),
    [
        ("harm()", "harm() needs at least one category (test: test_bad.py::test_x)"),
        (
            "harm('ok', 3)",
            "harm() categories must be HarmCategory or str, got 3 (test: test_bad.py::test_x)",
        ),
    ],
)
def test_bad_harm_marker_is_a_usage_error_R_BAD(
    rp: pytest.Pytester, marker: str, message: str
) -> None:
    rp.makepyfile(
        test_bad=f"""
        import pytest

        @pytest.mark.{marker}
        def test_x():
            pass
        """
    )
    result = rp.runpytest()
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([f"ERROR: {message}"])


def test_harm_without_results_warns_R_TAG_3_and_outside_test_warns_R_COLL_3(
    rp: pytest.Pytester,
) -> None:
    rp.makepyfile(
        test_warn="""
        import pytest
        from helpers import SAFE, rec

        rec(SAFE, "at import time")
        rec(SAFE, "again at import time")

        @pytest.mark.harm("x")
        def test_forgot():
            pass

        @pytest.mark.harm("x")
        @pytest.mark.skip(reason="no call phase, no warning")
        def test_skipped():
            pass
        """
    )
    result = rp.runpytest()
    result.assert_outcomes(passed=1, skipped=1, warnings=2)
    result.stdout.fnmatch_lines(
        [
            "*RampartWarning: record_result() called outside a running test; result dropped",
            "*RampartWarning: Test test_warn.py::test_forgot is marked @harm but recorded no "
            "results \u2014 did you forget record_result() or assert result?",
        ]
    )


def test_session_fixture_setup_records_onto_the_item_R_COLL_2(rp: pytest.Pytester) -> None:
    rp.makepyfile(
        test_fixture="""
        import pytest
        from helpers import SAFE, UNSAFE, rec

        @pytest.fixture(scope="session")
        def warmed():
            rec(UNSAFE, "recorded by a session fixture")
            yield
            rec(SAFE, "recorded at session teardown")

        def test_uses(warmed):
            pass
        """
    )
    result = rp.runpytest()
    result.stdout.fnmatch_lines(
        ["  FAIL  test_fixture.py::test_uses -- recorded by a session fixture (response_only)"]
    )
    result.stdout.fnmatch_lines(["Population: 2 runs - 1 unsafe*"])
