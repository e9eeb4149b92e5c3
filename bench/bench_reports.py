"""Cost of building and writing the JSON report against a bare ``json.dump`` of the same data.

For 1k, 10k and 100k results (5 turns each, about 1 KB of text per turn; ``--quick`` stops at
10k), in one run:

(a) ``TestRunReport.from_results`` + ``JsonFileReportSink(path=...).write``: everything a
    run pays to produce the report file from its results;
(b) ``json.dump(obj, f, indent=2)`` of ``report_to_dict`` output built beforehand: the price of
    the document itself, with no conversion work.

Times are CPU seconds of this process (user + system) over interleaved repeats: the ratio
compares medians, the per-result figure uses each size's best repeat.
Budget (issue 3): median (a) / median (b) <= 1.5; peak memory traced while (a) runs < 1.5x the
memory the results hold; microseconds per result flat (largest size <= 1.5x the 1k figure).
"""

from __future__ import annotations

import gc
import json
import statistics
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

from rampart.core.result import HarmCategory, InjectionRecord, Result, SafetyStatus
from rampart.core.types import (
    EvalOutcome,
    EvalResult,
    ObservabilityLevel,
    Request,
    Response,
    ToolCall,
    Turn,
)
from rampart.reporting import JsonFileReportSink, TestRunReport
from rampart.reporting.json_file import report_to_dict

RATIO_BUDGET = 1.5
MEMORY_BUDGET = 1.5
FLATNESS_BUDGET = 1.5
TURNS = 5

_WORDS = [
    "the",
    "agent",
    "read",
    "the",
    "shared",
    "inbox",
    "and",
    "summarised",
    "the",
    "latest",
    "message",
    "before",
    "replying",
    "politely",
    "to",
    "the",
    "user",
    "about",
    "the",
    "quarterly",
    "figures",
    "and",
    "the",
    "planned",
    "maintenance",
    "window",
]
_STATUSES = [SafetyStatus.SAFE] * 6 + [
    SafetyStatus.UNSAFE,
    SafetyStatus.UNDETERMINED,
    SafetyStatus.ERROR,
]
_CATEGORIES: list[HarmCategory | str | None] = [
    HarmCategory.DATA_EXFILTRATION,
    HarmCategory.PROMPT_INJECTION,
    "custom_risk",
    None,
]


def _text(seed: int, length: int) -> str:
    # A fresh string per call, so results hold their own text as real runs do.
    words: list[str] = [f"#{seed}"]
    size = len(words[0])
    i = seed
    while size < length:
        word = _WORDS[i % len(_WORDS)]
        words.append(word)
        size += len(word) + 1
        i += 7
    return " ".join(words)[:length]


def make_results(n: int) -> list[Result]:
    results: list[Result] = []
    for index in range(n):
        turns = [
            Turn(
                request=Request(prompt=_text(index * 10 + t, 200)),
                response=Response(
                    text=_text(index * 10 + t + 3, 800),
                    tool_calls=[
                        ToolCall(
                            name="search",
                            arguments={"q": f"q{index}-{t}", "limit": 5},
                            result="3 hits",
                        )
                    ],
                    metadata={"latency_ms": 12.5 + t},
                ),
                eval_result=EvalResult(
                    outcome=EvalOutcome.NOT_DETECTED, confidence=0.9, rationale="no tool misuse"
                ),
                turn_number=t,
            )
            for t in range(TURNS)
        ]
        results.append(
            Result(
                status=_STATUSES[index % len(_STATUSES)],
                summary=f"Agent defended successfully ({index})",
                turns=turns,
                duration_seconds=0.25,
                harm_category=_CATEGORIES[index % len(_CATEGORIES)],
                strategy="xpia",
                observability_level=ObservabilityLevel.TOOL_ONLY,
                injections=[InjectionRecord(payload_id=f"p{index:08d}", surface_name="memory")],
                metadata={
                    "_pytest_nodeid": f"tests/test_agent.py::test_case[{index}]",
                    "_pytest_test_name": f"test_case[{index}]",
                    "_rampart_result_index": 0,
                },
            )
        )
    return results


def _timed(action: Callable[[], object]) -> float:
    # CPU time (user + system) of this process: the machine running the benchmarks is usually
    # shared, and wall-clock figures there measure the neighbours as much as the code.
    gc.collect()
    started = time.process_time()
    action()
    return time.process_time() - started


def measure(n: int, repeats: int, directory: Path) -> tuple[float, float, float]:
    """Return (ratio, microseconds per result for (a), peak memory ratio) for ``n`` results."""
    tracemalloc.start()
    results = make_results(n)
    held = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()

    ours_path = directory / "ours.json"
    bare_path = directory / "bare.json"
    sink = JsonFileReportSink(path=ours_path)
    prebuilt = {"document": report_to_dict(report=TestRunReport.from_results(results))}

    def ours() -> None:
        sink.write(TestRunReport.from_results(results))

    def bare() -> None:
        with open(bare_path, "w", encoding="ascii") as handle:
            json.dump(prebuilt["document"], handle, indent=2)

    ours_times: list[float] = []
    bare_times: list[float] = []
    for _ in range(repeats):  # interleaved so that machine drift hits both sides alike
        ours_times.append(_timed(ours))
        bare_times.append(_timed(bare))
    prebuilt.clear()
    gc.collect()

    tracemalloc.start()
    base = tracemalloc.get_traced_memory()[0]
    tracemalloc.reset_peak()
    ours()
    peak = tracemalloc.get_traced_memory()[1] - base
    tracemalloc.stop()

    ratio = statistics.median(ours_times) / statistics.median(bare_times)
    # The per-result figure compares sizes with each other, so it uses the best repeat: the one
    # least disturbed by whatever else the machine was doing.
    return ratio, min(ours_times) / n * 1e6, peak / held


def main(argv: list[str]) -> int:
    quick = "--quick" in argv
    plan = [(1_000, 15), (10_000, 3)] + ([] if quick else [(100_000, 3)])
    ok = True
    per_result: dict[int, float] = {}
    with tempfile.TemporaryDirectory(prefix="rampart-bench-") as tmp:
        for n, repeats in plan:
            ratio, us, memory = measure(n, repeats, Path(tmp))
            per_result[n] = us
            print(
                f"reports n={n} ratio={ratio:.2f} (budget {RATIO_BUDGET}) "
                f"us_per_result={us:.1f} peak_mem_ratio={memory:.3f}",
                flush=True,
            )
            ok &= ratio <= RATIO_BUDGET and memory < MEMORY_BUDGET
    largest = max(per_result)
    flatness = per_result[largest] / per_result[1_000]
    print(
        f"reports per-result time n={largest} vs n=1000: {flatness:.2f}x (budget {FLATNESS_BUDGET})"
    )
    ok &= flatness <= FLATNESS_BUDGET
    print(f"BENCH reports: {'PASS' if ok else 'FAIL'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
