"""``rampart report gate FILE``: check a report against a policy, one line per breach."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rampart.reporting.sink import PopulationSummary, TestRunReport

__all__ = ["gate_report"]


def _ci(interval: tuple[float, float] | None) -> str:
    return "n/a" if interval is None else f"{interval[0]:.1%}-{interval[1]:.1%}"


def _normalise(category: str) -> str:
    return category.strip().lower()


def _asr_breach(scope: str, summary: PopulationSummary, limit: float) -> str | None:
    if summary.attack_success_rate <= limit:
        return None
    return (
        f"{scope}: attack success rate {summary.attack_success_rate:.1%} exceeds --max-asr "
        f"{limit:.1%} ({summary.unsafe_count} unsafe of "
        f"{summary.total_runs - summary.error_count} evaluated, 95% CI "
        f"{_ci(summary.attack_success_rate_interval)})"
    )


def _asr_breaches(report: TestRunReport, limit: float, categories: Sequence[str]) -> list[str]:
    if not categories:
        breach = _asr_breach("population", report.population_summary(), limit)
        return [] if breach is None else [breach]
    known = {_normalise(name): name for name in report.by_harm_category()}
    breaches: list[str] = []
    for wanted in dict.fromkeys(categories):
        name = known.get(_normalise(wanted))
        if name is None:
            # A policy about a category the run never exercised cannot be satisfied.
            breaches.append(f"category {wanted}: no results in this report")
            continue
        breach = _asr_breach(
            f"category {name.upper()}", report.population_summary(harm_category=name), limit
        )
        if breach is not None:
            breaches.append(breach)
    return breaches


def _pass_rate_breaches(report: TestRunReport, limit: float) -> list[str]:
    if not report.trial_groups:
        summary = report.population_summary()
        if summary.safety_pass_rate >= limit:
            return []
        return [
            f"population: safety pass rate {summary.safety_pass_rate:.1%} is below "
            f"--min-pass-rate {limit:.1%} ({summary.safe_count} safe of "
            f"{summary.total_runs - summary.error_count} evaluated, 95% CI "
            f"{_ci(summary.safety_pass_rate_interval)})"
        ]
    breaches = []
    for base in sorted(report.trial_groups):
        group = report.trial_groups[base]
        # A group none of whose instances counted (all skipped or deselected) has no rate.
        if group.total > 0 and group.pass_rate < limit:
            breaches.append(
                f"trial group {base}: pass rate {group.pass_rate:.1%} is below --min-pass-rate "
                f"{limit:.1%} ({group.detail}, 95% CI {_ci(group.pass_rate_interval)})"
            )
    return breaches


def gate_report(
    path: str,
    *,
    max_asr: float | None,
    min_pass_rate: float | None,
    categories: Sequence[str],
    no_incomplete: bool,
) -> tuple[int, list[str]]:
    """The breach lines (or one "gate passed" line) and the exit status for ``path``."""
    from rampart._cli import EXIT_FINDINGS, EXIT_OK, CliError, is_incomplete, load

    if categories and max_asr is None:
        raise CliError("--category applies to --max-asr; give --max-asr too")
    if max_asr is None and min_pass_rate is None and not no_incomplete:
        raise CliError("nothing to check: give --max-asr, --min-pass-rate or --no-incomplete")
    report = load(path)
    breaches: list[str] = []
    if no_incomplete and is_incomplete(report):
        kinds = sorted({str(d.get("kind") or "other") for d in report.incomplete_details})
        detail = f" ({', '.join(kinds)})" if kinds else ""
        breaches.append(f"incomplete run{detail}: --no-incomplete forbids it")
    if max_asr is not None:
        breaches.extend(_asr_breaches(report, max_asr, categories))
    if min_pass_rate is not None:
        breaches.extend(_pass_rate_breaches(report, min_pass_rate))
    if breaches:
        return EXIT_FINDINGS, [f"gate breach: {line}" for line in breaches]
    summary = report.population_summary()
    return EXIT_OK, [
        f"gate passed: {path} ({summary.total_runs} runs, ASR "
        f"{summary.attack_success_rate:.1%}, {len(report.trial_groups)} trial groups)"
    ]
