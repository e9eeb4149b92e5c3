"""The terminal summary shared by the pytest plugin and ``rampart report show``, and the
reader that turns a JSON report back into a :class:`TestRunReport`."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rampart._gate import GroupCounts
from rampart.core.text import sanitize_text
from rampart.reporting.sink import PopulationSummary, TestRunReport, TrialGroupView

if TYPE_CHECKING:
    from rampart.core.result import Result
    from rampart.core.types import Turn

__all__ = ["load_report", "render_summary"]

NON_SAFE_LINE_CAP = 100
TRIAL_GROUP_LINE_CAP = 50
SUMMARY_CHAR_CAP = 200
_CATEGORY_WIDTH = 22

_LABELS = {"unsafe": "FAIL", "error": "ERR", "undetermined": "WARN", "safe": "PASS"}
_RANK = {"unsafe": 0, "error": 1, "undetermined": 2, "safe": 3}


def _status(result: Result) -> str:
    return str(result.status)


def _nodeid(result: Result) -> str:
    metadata = result.metadata
    for key in ("_pytest_nodeid", "_pytest_test_name"):
        value = metadata.get(key)
        if isinstance(value, str) and value:
            return value
    return result.strategy or "(no test id)"


def _result_line(result: Result, *, cap: bool) -> str:
    summary = sanitize_text(result.summary, single_line=True)
    if cap and len(summary) > SUMMARY_CHAR_CAP:
        summary = summary[:SUMMARY_CHAR_CAP] + "..."
    label = _LABELS.get(_status(result), "WARN")
    observability = str(result.observability_level)
    return f"  {label:<4}  {_nodeid(result)} -- {summary} ({observability})"


def _by_severity(results: Iterable[Result]) -> list[Result]:
    return sorted(results, key=lambda r: _RANK.get(_status(r), 2))


def _ci(interval: tuple[float, float] | None, spec: str) -> tuple[str, str] | None:
    if interval is None:
        return None
    return format(interval[0], spec), format(interval[1], spec)


def _category_line(name: str, summary: PopulationSummary, width: int) -> str:
    line = (
        f"{name:<{width}} {summary.total_runs} runs: {summary.safe_count} safe, "
        f"{summary.unsafe_count} unsafe, {summary.undetermined_count} undetermined, "
        f"{summary.error_count} errors  ASR {summary.attack_success_rate:.1%}"
    )
    bounds = _ci(summary.attack_success_rate_interval, ".1%")
    if bounds is not None:
        line += f"  (95% CI {bounds[0]}-{bounds[1]})"
    return line


def _word(value: object) -> str:
    return value.name if isinstance(value, Enum) else str(value)


def _trial_line(key: str, group: TrialGroupView) -> str:
    base = getattr(group, "base_nodeid", key)
    detail = str(group.detail)
    tolerated = getattr(group, "tolerated", 0)
    if tolerated:
        detail += f", {tolerated} tolerated"
    line = (
        f"  {_word(group.terminal_label)}  {base} [{detail}, {group.pass_rate:.0%} pass rate, "
        f"threshold: {group.threshold:.0%}] -- {_word(group.verdict)}"
    )
    bounds = _ci(group.pass_rate_interval, ".0%")
    if bounds is not None:
        line += f" (95% CI {bounds[0]}-{bounds[1]})"
    return line


def _trial_section(report: TestRunReport, *, cap: bool) -> list[str]:
    groups = report.trial_groups
    if not groups:
        return []
    ordered = sorted(groups, key=lambda key: (bool(groups[key].passed), key))
    lines = [f"Trial groups ({len(ordered)}):"]
    shown = ordered[:TRIAL_GROUP_LINE_CAP] if cap else ordered
    lines.extend(_trial_line(key, groups[key]) for key in shown)
    if len(shown) < len(ordered):
        lines.append(f"  ... and {len(ordered) - len(shown)} more trial groups")
    return lines


def _population_line(summary: PopulationSummary) -> str:
    line = (
        f"Population: {summary.total_runs} runs - {summary.unsafe_count} unsafe "
        f"({summary.attack_success_rate:.1%} attack success rate), "
        f"{summary.undetermined_count} undetermined, {summary.error_count} errors"
    )
    bounds = _ci(summary.attack_success_rate_interval, ".1%")
    if bounds is not None:
        line += f"; ASR 95% CI {bounds[0]}-{bounds[1]}"
    return line


def _superseded_line(results: Iterable[Result]) -> str | None:
    # The plugin may copy a node's replaced statuses onto each surviving result, so each node
    # id is counted once, from the first of its results that carries the list.
    seen: set[str] = set()
    total = unsafe = 0
    for result in results:
        statuses = result.metadata.get("_rampart_superseded")
        if not statuses:
            continue
        node = _nodeid(result)
        if node in seen:
            continue
        seen.add(node)
        for status in statuses:
            total += 1
            if str(status).lower().rsplit(".", 1)[-1] == "unsafe":
                unsafe += 1
    if not total:
        return None
    return f"{total} results superseded by reruns ({unsafe} were UNSAFE)"


def render_summary(report: TestRunReport, /, *, verbose: bool = False) -> list[str]:
    """The RAMPART summary lines for ``report``, without the title separator (R-TERM).

    Compact by default: one line per category, the non-safe results (at most 100), the trial
    groups (at most 50) and the population line. ``verbose`` lists every result under its
    category instead. Every line is sanitized for a terminal.
    """
    by_category = report.by_harm_category()
    sections: list[list[str]] = []
    if verbose:
        for category, results in by_category.items():
            lines = [f"{category.upper()} ({len(results)} tests)"]
            lines.extend(_result_line(r, cap=False) for r in _by_severity(results))
            sections.append(lines)
    else:
        width = max([_CATEGORY_WIDTH, *(len(name) + 1 for name in by_category)])
        sections.append(
            [
                _category_line(name.upper(), PopulationSummary.from_results(results), width)
                for name, results in by_category.items()
            ]
        )
        non_safe = _by_severity(r for r in report.results if _status(r) != "safe")
        if non_safe:
            lines = [f"Non-safe results ({len(non_safe)} of {len(report.results)}):"]
            lines.extend(_result_line(r, cap=True) for r in non_safe[:NON_SAFE_LINE_CAP])
            if len(non_safe) > NON_SAFE_LINE_CAP:
                lines.append(
                    f"  ... and {len(non_safe) - NON_SAFE_LINE_CAP} more non-safe results "
                    "(use -v or the JSON report)"
                )
            sections.append(lines)
    sections.append(_trial_section(report, cap=not verbose))
    population = [_population_line(report.population_summary())]
    superseded = _superseded_line(report.results)
    if superseded is not None:
        population.append(superseded)
    sections.append(population)

    out: list[str] = []
    for section in sections:
        if not section:
            continue
        if out or verbose:
            out.append("")
        out.extend(sanitize_text(line, single_line=True) for line in section)
    return out


# ---------------------------------------------------------------------------------------------
# Reading reports back

_SCHEMA_PATTERN = re.compile(r"rampart\.report\.v(\d+)")


@dataclass(frozen=True, kw_only=True)
class _LoadedTrialGroup(GroupCounts):
    """A trial group read from a JSON report; satisfies :class:`TrialGroupView`."""

    base_nodeid: str
    total: int
    safe: int
    unsafe: int
    errors: int
    undetermined: int
    no_result: int
    threshold: float
    pass_rate: float
    passed: bool
    verdict: str
    pass_rate_interval: tuple[float, float] | None
    tolerated: int = 0

    @property
    def terminal_label(self) -> str:
        return "PASS" if self.passed else "FAIL"


def _check_schema(schema: object, path: object) -> None:
    from rampart.reporting.json_file import REPORT_SCHEMA

    if schema is None or schema == REPORT_SCHEMA:
        return
    supported = _SCHEMA_PATTERN.fullmatch(REPORT_SCHEMA)
    found = _SCHEMA_PATTERN.fullmatch(schema) if isinstance(schema, str) else None
    assert supported is not None
    if found is not None and int(found.group(1)) > int(supported.group(1)):
        raise ValueError(
            f"{path}: report schema {schema!r} is newer than {REPORT_SCHEMA!r}, the newest this "
            "rampart-core reads; upgrade rampart-core"
        )
    raise ValueError(f"{path}: unknown report schema {schema!r} (expected {REPORT_SCHEMA!r})")


def _int(value: object, default: int = 0) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else default


def _float(value: object, default: float = 0.0) -> float:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    return default


def _interval(value: object) -> tuple[float, float] | None:
    if isinstance(value, list) and len(value) == 2:
        return (_float(value[0]), _float(value[1]))
    return None


def _enum_value(value: object, default: str) -> str:
    # Accept "unsafe", "UNSAFE" and "SafetyStatus.UNSAFE" alike; upstream tools varied.
    if not isinstance(value, str) or not value:
        return default
    return value.rsplit(".", 1)[-1].lower()


def _dict(value: object) -> dict[str, Any]:
    return dict(value) if isinstance(value, Mapping) else {}


def _turn(data: Mapping[str, Any]) -> Turn:
    from rampart.core.types import (
        EvalOutcome,
        EvalResult,
        Request,
        Response,
        SideEffect,
        ToolCall,
        Turn,
    )

    tool_calls = [
        ToolCall(
            name=str(call.get("name", "")),
            arguments=_dict(call.get("arguments")),
            result=call.get("result") if isinstance(call.get("result"), str) else None,
        )
        for call in data.get("tool_calls") or []
        if isinstance(call, Mapping)
    ]
    side_effects = [
        SideEffect(kind=str(effect.get("kind", "")), details=_dict(effect.get("details")))
        for effect in data.get("side_effects") or []
        if isinstance(effect, Mapping)
    ]
    evaluation = None
    if data.get("eval_outcome") is not None:
        evaluation = EvalResult(
            outcome=EvalOutcome(_enum_value(data["eval_outcome"], "undetermined")),
            confidence=_float(data.get("eval_confidence"), 0.0),
            rationale=str(data.get("eval_rationale") or ""),
        )
    prompt = data.get("prompt")
    return Turn(
        # The report does not keep attachments, so a prompt-less turn gets an empty prompt.
        request=Request(prompt=prompt if isinstance(prompt, str) else ""),
        response=Response(
            text=str(data.get("response_text") or ""),
            tool_calls=tool_calls,
            side_effects=side_effects,
            metadata=_dict(data.get("response_metadata")),
        ),
        eval_result=evaluation,
        turn_number=_int(data.get("turn_number")),
        driver_reasoning=str(data.get("driver_reasoning") or ""),
    )


def _result(data: Mapping[str, Any]) -> Result:
    from rampart.core.result import HarmCategory, InjectionRecord, Result, SafetyStatus
    from rampart.core.types import ObservabilityLevel

    harm_values = {member.value for member in HarmCategory}
    category: HarmCategory | str | None = data.get("harm_category")
    if isinstance(category, str):
        if category in harm_values:
            category = HarmCategory(category)
    else:
        category = None
    return Result(
        status=SafetyStatus(_enum_value(data.get("status"), "error")),
        summary=str(data.get("summary") or ""),
        turns=[_turn(t) for t in data.get("turns") or [] if isinstance(t, Mapping)],
        duration_seconds=_float(data.get("duration_seconds")),
        harm_category=category,
        strategy=str(data.get("strategy") or ""),
        observability_level=ObservabilityLevel(
            _enum_value(data.get("observability_level"), "response_only")
        ),
        injections=[
            InjectionRecord(
                payload_id=i.get("payload_id"), surface_name=str(i.get("surface_name", ""))
            )
            for i in data.get("injections") or []
            if isinstance(i, Mapping)
        ],
        metadata=_dict(data.get("metadata")),
    )


def _sort_key(result: Result) -> tuple[str, int, str]:
    metadata = result.metadata
    return (
        str(metadata.get("_pytest_nodeid")),
        _int(metadata.get("_rampart_result_index")),
        str(metadata.get("_rampart_source_worker") or ""),
    )


def load_report(path: str | os.PathLike[str], /) -> TestRunReport:
    """Read a JSON report written by this project or by upstream RAMPART.

    Raises ``ValueError`` for a file that is not a report, or whose ``report_schema`` is newer
    than this version understands (the message names both); ``OSError`` if it cannot be read.
    """
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(f"{path}: not a JSON report ({exc})") from exc
    if not isinstance(data, dict) or not isinstance(data.get("by_harm_category"), dict):
        raise ValueError(f"{path}: not a RAMPART report (no 'by_harm_category' object)")
    _check_schema(data.get("report_schema"), path)

    try:
        results = [
            _result(item)
            for items in data["by_harm_category"].values()
            if isinstance(items, list)
            for item in items
            if isinstance(item, Mapping)
        ]
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{path}: malformed result in report ({exc})") from exc
    # Reports list results by category; put them back in run order when node ids allow it.
    if results and all(isinstance(r.metadata.get("_pytest_nodeid"), str) for r in results):
        results.sort(key=_sort_key)

    groups: dict[str, TrialGroupView] = {}
    for item in data.get("trial_groups") or []:
        if not isinstance(item, Mapping) or not isinstance(item.get("base_nodeid"), str):
            continue
        group = _LoadedTrialGroup(
            base_nodeid=item["base_nodeid"],
            total=_int(item.get("total")),
            safe=_int(item.get("safe")),
            unsafe=_int(item.get("unsafe")),
            errors=_int(item.get("errors")),
            undetermined=_int(item.get("undetermined")),
            no_result=_int(item.get("no_result")),
            threshold=_float(item.get("threshold"), 1.0),
            pass_rate=_float(item.get("pass_rate")),
            passed=bool(item.get("passed")),
            verdict=str(item.get("verdict") or ("PASSED" if item.get("passed") else "FAILED")),
            pass_rate_interval=_interval(item.get("pass_rate_ci")),
        )
        groups[group.base_nodeid] = group

    completeness = _dict(data.get("completeness"))
    details = [
        {key: reason.get(key) for key in ("kind", "message", "nodeid", "worker")}
        for reason in completeness.get("reasons") or []
        if isinstance(reason, Mapping)
    ]
    counts = PopulationSummary.from_results(results)
    return TestRunReport(
        results=results,
        total_runs=_int(data.get("total_runs"), counts.total_runs),
        passed=_int(data.get("passed"), counts.safe_count),
        failed=_int(data.get("failed"), counts.unsafe_count),
        undetermined=_int(data.get("undetermined"), counts.undetermined_count),
        errors=_int(data.get("errors"), counts.error_count),
        duration_seconds=_float(data.get("duration_seconds")),
        metadata=_dict(data.get("metadata")),
        trial_groups=groups,
        incomplete_details=details,
    )
