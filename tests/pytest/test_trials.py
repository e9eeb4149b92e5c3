"""Trial marker parsing and expansion (R-TRIAL-1..4)."""

from __future__ import annotations

import pytest
from rampart_pytest.trials import base_nodeid, failure_budget, required_safe


def test_trial_ids_are_appended_last_R_TRIAL_2(rp: pytest.Pytester) -> None:
    rp.makepyfile(
        test_ids="""
        import pytest

        @pytest.mark.trial(2)
        def test_x():
            pass

        @pytest.mark.parametrize("p", [1, 2])
        @pytest.mark.trial(n=2)
        def test_p(p):
            pass
        """
    )
    result = rp.runpytest("--collect-only", "-q")
    result.stdout.fnmatch_lines(
        [
            "test_ids.py::test_x[[]trial-0[]]",
            "test_ids.py::test_x[[]trial-1[]]",
            "test_ids.py::test_p[[]1-trial-0[]]",
            "test_ids.py::test_p[[]1-trial-1[]]",
            "test_ids.py::test_p[[]2-trial-0[]]",
            "test_ids.py::test_p[[]2-trial-1[]]",
        ]
    )
    assert result.ret == 0


def test_closest_marker_wins_and_is_not_duplicated_R_TRIAL_3(rp: pytest.Pytester) -> None:
    rp.makepyfile(
        test_closest="""
        import pytest
        from helpers import SAFE, rec

        pytestmark = pytest.mark.trial(5)

        @pytest.mark.trial(2)
        def test_x(request):
            rec(SAFE)
            names = [m.name for m in request.node.iter_markers()]
            assert names.count("trial") == 2  # the function's and the module's, once each
            assert "xdist_group" not in names
            assert "_rampart_trial" not in request.fixturenames
        """
    )
    result = rp.runpytest("-v")
    result.assert_outcomes(passed=2)
    assert result.ret == 0


BAD_MARKERS = [
    ("trial('3')", "trial(n=) must be an integer, got '3'"),
    ("trial(True)", "trial(n=) must be an integer, got True"),
    ("trial(0)", "trial(n=) must be >= 1, got 0"),
    ("trial(2, threshold=1.5)", "trial(threshold=) must be a number between 0 and 1, got 1.5"),
    (
        "trial(2, threshold=float('nan'))",
        "trial(threshold=) must be a number between 0 and 1, got nan",
    ),
    ("trial(2, threshold=True)", "trial(threshold=) must be a number between 0 and 1, got True"),
    ("trial(2, thresold=0.5)", "trial() got unexpected arguments: thresold"),
    ("trial(5, n=3)", "trial() takes n once, as the first positional argument or as n="),
    ("trial(5, 3)", "trial() takes n once, as the first positional argument or as n="),
    ("trial(2, concurrency=0)", "trial(concurrency=) must be an integer >= 1, got 0"),
]


def test_bad_trial_marker_is_a_one_line_collection_error_R_TRIAL_1(rp: pytest.Pytester) -> None:
    for number, (marker, _) in enumerate(BAD_MARKERS):
        rp.makepyfile(
            **{
                f"test_bad{number}": f"""
                import pytest

                @pytest.mark.{marker}
                def test_x():
                    pass
                """
            }
        )
    result = rp.runpytest()
    assert result.ret == pytest.ExitCode.INTERRUPTED
    for number, (_, message) in enumerate(BAD_MARKERS):
        result.stdout.fnmatch_lines(
            [
                f"*ERROR collecting test_bad{number}.py*",
                f"{message} (test: test_bad{number}.py::test_x)",
            ]
        )
    result.stdout.no_fnmatch_line("*Traceback*")
    result.stdout.fnmatch_lines([f"*{len(BAD_MARKERS)} errors*"])


@pytest.mark.parametrize(
    ("nodeid", "base"),
    [
        ("f.py::test_x[trial-0]", "f.py::test_x"),
        ("f.py::test_p[1-trial-3]", "f.py::test_p[1]"),
        ("f.py::test_x[trial-12]@grp", "f.py::test_x"),
        ("f.py::C::test_p[a-b-trial-0]@g", "f.py::C::test_p[a-b]"),
        ("f.py::test_plain", "f.py::test_plain"),
        ("f.py::test_p[mytrial-0]", "f.py::test_p[mytrial-0]"),
    ],
)
def test_base_nodeid_strips_group_then_trial_id_R_TRIAL_4(nodeid: str, base: str) -> None:
    assert base_nodeid(nodeid) == base


def test_budget_is_exact_R_EXIT_1() -> None:
    # 0.7 * 10 is 7.000000000000001 in binary floating point; the exact answer is 7.
    assert required_safe(threshold=0.7, total=10) == 7
    assert failure_budget(threshold=0.7, n=10) == 3
    assert failure_budget(threshold=1.0, n=10) == 0
    assert failure_budget(threshold=0, n=4) == 4
