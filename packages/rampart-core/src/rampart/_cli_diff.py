"""``rampart report diff OLD NEW``: the regression receipt between two runs."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rampart.core.result import Result
    from rampart.reporting.sink import PopulationSummary, TestRunReport, TrialGroupView

__all__ = ["diff_reports"]

_BAD = frozenset({"unsafe", "error"})
_MAX_OTHER_LINES = 20
_SUMMARY_CAP = 120

Key = tuple[str, int]


def _nodeid(result: Result) -> str | None:
    value = result.metadata.get("_pytest_nodeid")
    return value if isinstance(value, str) and value else None


def _keyed(results: list[Result], *, by_nodeid: bool) -> dict[Key, Result]:
    """Results keyed for matching: (node id, n-th result of that node), or by position.

    The n-th result of a node is stable across runs of the same suite, unlike xdist worker
    names or wall-clock order, so it pairs multi-result tests correctly.
    """
    if not by_nodeid:
        return {(f"result #{i + 1}", 0): r for i, r in enumerate(results)}
    keyed: dict[Key, Result] = {}
    seen: dict[str, int] = {}
    for result in results:
        nodeid = _nodeid(result) or ""
        occurrence = seen.get(nodeid, 0)
        seen[nodeid] = occurrence + 1
        keyed[(nodeid, occurrence)] = result
    return keyed


def _label(key: Key, multi: set[str]) -> str:
    nodeid, occurrence = key
    return f"{nodeid} (result {occurrence + 1})" if nodeid in multi else nodeid


def _multi(*maps: dict[Key, Result]) -> set[str]:
    return {nodeid for keyed in maps for nodeid, occurrence in keyed if occurrence > 0}


def _status(result: Result) -> str:
    return str(result.status)


def _summary(result: Result) -> str:
    text = result.summary
    return text if len(text) <= _SUMMARY_CAP else text[:_SUMMARY_CAP] + "..."


def _ci(interval: tuple[float, float] | None) -> str:
    return "n/a" if interval is None else f"{interval[0]:.1%}-{interval[1]:.1%}"


def _asr(summary: PopulationSummary) -> str:
    return (
        f"{summary.attack_success_rate:.1%} (95% CI {_ci(summary.attack_success_rate_interval)}, "
        f"{summary.unsafe_count} unsafe of {summary.total_runs - summary.error_count} evaluated)"
    )


def _group_state(group: TrialGroupView) -> str:
    return f"{group.detail}, {group.pass_rate:.0%} pass rate, threshold {group.threshold:.0%}"


def _trial_changes(old: TestRunReport, new: TestRunReport) -> tuple[list[str], list[str]]:
    regressions: list[str] = []
    fixes: list[str] = []
    for base in sorted(set(old.trial_groups) & set(new.trial_groups)):
        before, after = old.trial_groups[base], new.trial_groups[base]
        was, now = str(before.verdict), str(after.verdict)
        if was == "PASSED" and now == "FAILED":
            regressions.append(
                f"  FAIL    {base} trial group (was PASS: {_group_state(before)}; "
                f"now {_group_state(after)})"
            )
        elif was == "FAILED" and now == "PASSED":
            fixes.append(
                f"  PASS    {base} trial group (was FAIL: {_group_state(before)}; "
                f"now {_group_state(after)})"
            )
    return regressions, fixes


def diff_reports(old_path: str, new_path: str) -> tuple[int, list[str]]:
    """The diff lines and exit status (1 when NEW has any regression against OLD)."""
    from rampart._cli import EXIT_FINDINGS, EXIT_OK, is_incomplete, load

    old, new = load(old_path), load(new_path)
    by_nodeid = all(_nodeid(r) for r in old.results) and all(_nodeid(r) for r in new.results)
    before = _keyed(old.results, by_nodeid=by_nodeid)
    after = _keyed(new.results, by_nodeid=by_nodeid)
    multi = _multi(before, after)

    regressions: list[str] = []
    fixes: list[str] = []
    others: list[str] = []
    for key, result in after.items():
        now = _status(result)
        previous = before.get(key)
        was = None if previous is None else _status(previous)
        if now == was:
            continue
        was_text = "new" if was is None else f"was {was.upper()}"
        line = f"  {now.upper():<8}{_label(key, multi)} ({was_text}) -- {_summary(result)}"
        if now in _BAD:
            regressions.append(line)
        elif was in _BAD:
            fixes.append(line)
        elif was is not None:
            others.append(line)
    gone = [key for key in before if key not in after]
    trial_regressions, trial_fixes = _trial_changes(old, new)
    regressions.extend(trial_regressions)
    fixes.extend(trial_fixes)

    lines = [f"RAMPART report diff: {old_path} -> {new_path}"]
    if not by_nodeid:
        lines.append("note: results matched by position (a report has no pytest node ids)")
    for name, report in (("OLD", old), ("NEW", new)):
        if is_incomplete(report):
            lines.append(f"note: {name} is from an incomplete run; some results may be missing")
    lines.append(f"Regressions ({len(regressions)}):" if regressions else "Regressions: none")
    lines.extend(regressions)
    lines.append(f"Fixes ({len(fixes)}):" if fixes else "Fixes: none")
    lines.extend(fixes)
    if others:
        lines.append(f"Other status changes ({len(others)}):")
        lines.extend(others[:_MAX_OTHER_LINES])
        if len(others) > _MAX_OTHER_LINES:
            lines.append(f"  ... and {len(others) - _MAX_OTHER_LINES} more")
    if gone:
        lines.append(f"Results only in OLD: {len(gone)}")
    old_summary, new_summary = old.population_summary(), new.population_summary()
    delta = (new_summary.attack_success_rate - old_summary.attack_success_rate) * 100
    lines.append(f"ASR: {_asr(old_summary)} -> {_asr(new_summary)}; change {delta:+.1f} points")
    lines.append(f"{len(regressions)} regression(s), {len(fixes)} fix(es)")
    return (EXIT_FINDINGS if regressions else EXIT_OK), lines
