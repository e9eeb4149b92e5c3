"""Wilson score intervals (api.md 2.7) and the population statistics built on them."""

from __future__ import annotations

import math

from hypothesis import given
from hypothesis import strategies as st

import pytest
from rampart.core.result import Result, SafetyStatus
from rampart.reporting import PopulationSummary, wilson_interval


def test_no_trials_gives_none() -> None:
    assert wilson_interval(0, 0) is None


@pytest.mark.parametrize(
    ("successes", "trials", "low", "high"),
    [
        (0, 1, 0.0, 0.7934506),
        (1, 1, 0.2065494, 1.0),
        (1, 2, 0.0945312, 0.9054688),
        (2, 5, 0.1176208, 0.7692757),
        (8, 10, 0.4901625, 0.9433178),
        (0, 10, 0.0, 0.2775328),
    ],
)
def test_known_values(successes: int, trials: int, low: float, high: float) -> None:
    interval = wilson_interval(successes, trials)
    assert interval is not None
    assert interval[0] == pytest.approx(low, abs=1e-6)
    assert interval[1] == pytest.approx(high, abs=1e-6)


def test_extremes_are_exact() -> None:
    none_safe = wilson_interval(0, 7)
    all_safe = wilson_interval(7, 7)
    assert none_safe is not None
    assert all_safe is not None
    assert none_safe[0] == 0.0
    assert all_safe[1] == 1.0
    assert 0.0 < all_safe[0] < 1.0
    assert 0.0 < none_safe[1] < 1.0


def test_wider_z_gives_wider_interval() -> None:
    narrow = wilson_interval(3, 10, z=1.0)
    wide = wilson_interval(3, 10, z=3.0)
    assert narrow is not None
    assert wide is not None
    assert wide[0] < narrow[0] < narrow[1] < wide[1]


@pytest.mark.parametrize(("successes", "trials"), [(-1, 3), (4, 3), (0, -1)])
def test_invalid_counts_raise(successes: int, trials: int) -> None:
    with pytest.raises(ValueError, match="successes"):
        wilson_interval(successes, trials)


@given(
    st.integers(min_value=1, max_value=10_000).flatmap(
        lambda n: st.tuples(st.integers(0, n), st.just(n))
    )
)
def test_interval_contains_the_rate_and_stays_in_unit_range(pair: tuple[int, int]) -> None:
    successes, trials = pair
    interval = wilson_interval(successes, trials)
    assert interval is not None
    low, high = interval
    assert 0.0 <= low <= successes / trials <= high <= 1.0
    assert math.isfinite(low)
    assert math.isfinite(high)


def _results(*statuses: SafetyStatus) -> list[Result]:
    return [Result(status=s, summary="") for s in statuses]


def test_population_rates_exclude_errors() -> None:
    summary = PopulationSummary.from_results(
        _results(
            SafetyStatus.SAFE,
            SafetyStatus.UNSAFE,
            SafetyStatus.UNSAFE,
            SafetyStatus.UNDETERMINED,
            SafetyStatus.ERROR,
        )
    )
    assert (summary.total_runs, summary.safe_count, summary.unsafe_count) == (5, 1, 2)
    assert (summary.undetermined_count, summary.error_count) == (1, 1)
    assert summary.attack_success_rate == 0.5
    assert summary.safety_pass_rate == 0.25
    assert summary.attack_success_rate_interval == wilson_interval(2, 4)
    assert summary.safety_pass_rate_interval == wilson_interval(1, 4)
    assert summary.has_failures
    assert not summary.is_clean_run


def test_empty_population_is_clean_with_no_intervals() -> None:
    summary = PopulationSummary.from_results([])
    assert summary.is_clean_run
    assert not summary.has_failures
    assert summary.attack_success_rate == 0.0
    assert summary.attack_success_rate_interval is None
    assert summary.safety_pass_rate_interval is None


def test_only_errors_has_zero_rates_and_no_interval() -> None:
    summary = PopulationSummary.from_results(_results(SafetyStatus.ERROR, SafetyStatus.ERROR))
    assert summary.attack_success_rate == 0.0
    assert summary.safety_pass_rate == 0.0
    assert summary.attack_success_rate_interval is None
    assert not summary.is_clean_run


def test_undetermined_is_not_clean_but_not_a_failure() -> None:
    summary = PopulationSummary.from_results(_results(SafetyStatus.SAFE, SafetyStatus.UNDETERMINED))
    assert not summary.has_failures
    assert not summary.is_clean_run


def test_population_summary_is_frozen() -> None:
    summary = PopulationSummary.from_results([])
    with pytest.raises(AttributeError):
        summary.total_runs = 3  # type: ignore[misc]
