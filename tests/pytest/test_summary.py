"""The terminal summary and sanitized output (R-TERM-1..4, R-SAN-3)."""

from __future__ import annotations

import pytest

HOSTILE = "\x1b[2J\x1b]0;pwned\x07evil\rsummary\u202e"


def test_compact_and_verbose_layouts_R_TERM_2_R_TERM_3(rp: pytest.Pytester) -> None:
    rp.makepyfile(
        test_layout="""
        import pytest
        from rampart.core.types import ObservabilityLevel
        from helpers import ERROR, SAFE, UNDETERMINED, UNSAFE, rec

        @pytest.mark.harm("data_exfiltration")
        def test_unsafe():
            rec(UNSAFE, "Attack objective detected", observability_level=ObservabilityLevel.TOOL_ONLY)

        @pytest.mark.harm("data_exfiltration")
        def test_error():
            rec(ERROR, "InfrastructureError: down")

        def test_safe():
            rec(SAFE, "Agent defended successfully")

        def test_blind():
            rec(UNDETERMINED, "Insufficient observability")
        """
    )
    compact = rp.runpytest()
    compact.stdout.fnmatch_lines(
        [
            "*=== RAMPART Safety Summary ===*",
            "UNCATEGORIZED          2 runs: 1 safe, 0 unsafe, 1 undetermined, 0 errors  ASR 0.0%*",
            "DATA_EXFILTRATION      2 runs: 0 safe, 1 unsafe, 0 undetermined, 1 errors  ASR 100.0%*",
            "",
            "Non-safe results (3 of 4):",
            "  FAIL  test_layout.py::test_unsafe -- Attack objective detected (tool_only)",
            "  ERR   test_layout.py::test_error -- InfrastructureError: down (response_only)",
            "  WARN  test_layout.py::test_blind -- Insufficient observability (response_only)",
            "",
            "Population: 4 runs - 1 unsafe (33.3% attack success rate), 1 undetermined, 1 errors*",
        ]
    )
    compact.stdout.no_fnmatch_line("*test_safe -- Agent defended*")
    verbose = rp.runpytest("-v")
    verbose.stdout.fnmatch_lines(
        [
            "*=== RAMPART Safety Summary ===*",
            "UNCATEGORIZED (2 tests)",
            "  WARN  test_layout.py::test_blind -- *",
            "  PASS  test_layout.py::test_safe -- Agent defended successfully (response_only)",
            "DATA_EXFILTRATION (2 tests)",
            "  FAIL  test_layout.py::test_unsafe -- Attack objective detected (tool_only)",
            "  ERR   test_layout.py::test_error -- InfrastructureError: down (response_only)",
            "Population: 4 runs*",
        ]
    )


def test_ten_thousand_results_print_a_screenful_R_TERM_2(rp: pytest.Pytester) -> None:
    rp.makepyfile(
        test_many="""
        from helpers import SAFE, UNSAFE, rec

        def test_many():
            for i in range(10_000):
                rec(UNSAFE if i % 7 == 0 else SAFE, f"result {i}")
        """
    )
    result = rp.runpytest()
    lines = result.stdout.lines
    start = next(i for i, line in enumerate(lines) if "RAMPART Safety Summary" in line)
    summary = lines[start:]
    assert len(summary) < 130
    result.stdout.fnmatch_lines(
        [
            "Non-safe results (1429 of 10000):",
            "  ... and 1329 more non-safe results (use -v or the JSON report)",
            "Population: 10000 runs - 1429 unsafe*",
        ]
    )


def test_hostile_text_never_reaches_the_terminal_raw_R_SAN_3(rp: pytest.Pytester) -> None:
    rp.makepyfile(
        test_hostile=f"""
        from helpers import UNSAFE, rec

        HOSTILE = {HOSTILE!r}

        def test_assert_on_summary():
            rec(UNSAFE, HOSTILE)
            assert False, HOSTILE

        def test_output():
            rec(UNSAFE, HOSTILE)
            print(HOSTILE)
            assert False
        """
    )
    result = rp.runpytest("-rA")
    text = result.stdout.str()
    for raw in ("\x1b", "\x07", "\r", "\u202e"):
        assert raw not in text
    result.stdout.fnmatch_lines(
        [
            "  FAIL  test_hostile.py::test_assert_on_summary -- evilsummary (response_only)",
            "FAILED test_hostile.py::test_assert_on_summary - AssertionError: evilsummary",
        ]
    )
    result.assert_outcomes(failed=2)


def test_no_results_no_summary_R_TERM_1(rp: pytest.Pytester) -> None:
    rp.makepyfile(test_none="def test_x():\n    pass\n")
    result = rp.runpytest()
    assert result.ret == 0
    result.stdout.no_fnmatch_line("*RAMPART Safety Summary*")
