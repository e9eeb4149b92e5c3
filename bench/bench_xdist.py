"""Overhead of RAMPART under pytest-xdist against hand-written async tests under plain xdist.

The suites are those of ``bench_plugin.py`` (probe tests against an in-memory agent plus one
trial group: 6,000 runs in all), run with ``-n 2``:

(a) with rampart-pytest and rampart-xdist: every test streams one record to the controller;
(b) the same tests written by hand under plain pytest-xdist (``-p no:rampart``).

Runs interleave a, b, a, b ... so machine drift cancels; figures are medians. On 2 cores xdist
itself is slower than one process for trivial tests, so the fair baseline is xdist. Budget
(issue 5): wall (a)/(b) <= 1.15. Also printed: the in-process transport cost of one probe
record (worker encode + controller decode, check and rebuild), in microseconds per test.

    python bench/bench_xdist.py            5,000 probe tests + a 1,000-trial group, 3 rounds
    python bench/bench_xdist.py --quick    1,000 + 200, 1 round
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

# The suites and the runner are shared with bench_plugin.py, a sibling script (the script's
# directory is on sys.path when it runs).
from bench_plugin import PLAIN, Run, build, run, warm_up

WALL_BUDGET = 1.15
WORKERS = ["-n", "2"]


def transport_cost_us(samples: int = 2000) -> float:
    """Worker-side encode plus controller-side decode and rebuild of one probe-sized record."""
    from rampart.core.result import Result, SafetyStatus
    from rampart.core.types import EvalOutcome, EvalResult, Request, Response, Turn
    from rampart_xdist._codec import decode_and_rebuild, encode_record_info

    result = Result(
        status=SafetyStatus.SAFE,
        summary="Expected behavior detected",
        strategy="probe",
        turns=[
            Turn(
                request=Request(prompt="request 17"),
                response=Response(text="Sorry, I cannot help with request 17."),
                eval_result=EvalResult(
                    outcome=EvalOutcome.DETECTED,
                    evidence=["Pattern found on turn(s): 0"],
                    rationale="Response contains target pattern",
                ),
            )
        ],
        metadata={
            "_pytest_test_name": "test_probe[17]",
            "_pytest_nodeid": "test_suite.py::test_probe[17]",
            "_rampart_result_index": 0,
        },
    )

    def once(seq: int) -> None:
        # What a worker attaches (MessagePack bytes) and what the controller does with it.
        data, _ = encode_record_info(
            nodeid="test_suite.py::test_probe[17]",
            results=[result],
            trial=None,
            seq=seq,
            run_nonce="0" * 32,
            worker="gw0",
            binary=True,
        )
        decode_and_rebuild(data=data, accept=("rampart.xdist.v1",), max_bytes=1 << 24)

    once(0)  # the controller builds its decoders on first use; that is not per test
    started = time.process_time()  # CPU time: the shared machine's load does not inflate it
    for seq in range(samples):
        once(seq)
    return (time.process_time() - started) / samples * 1e6


def main(argv: list[str]) -> int:
    quick = "--quick" in argv
    tests, trials, rounds = (1_000, 200, 1) if quick else (5_000, 1_000, 3)
    expected = tests + trials
    print(f"bench xdist: {tests} probe tests + a {trials}-trial group, -n 2, {rounds} round(s)")
    with tempfile.TemporaryDirectory(prefix="rampart-bench-xdist-") as temporary:
        with_rampart, by_hand = build(Path(temporary), tests=tests, trials=trials)
        plain = [*WORKERS, *PLAIN]
        warm_up((with_rampart, WORKERS), (by_hand, plain), expected=expected)
        a_runs: list[Run] = []
        b_runs: list[Run] = []
        for index in range(rounds):
            a_runs.append(run(with_rampart, WORKERS, expected=expected))
            b_runs.append(run(by_hand, plain, expected=expected))
            a, b = a_runs[-1], b_runs[-1]
            print(
                f"  round {index + 1}: a {a.wall:6.2f}s {a.cpu:6.2f}cpu | b {b.wall:6.2f}s "
                f"{b.cpu:6.2f}cpu"
            )
    a_wall = statistics.median(r.wall for r in a_runs)
    b_wall = statistics.median(r.wall for r in b_runs)
    ratio = a_wall / b_wall
    per_test = (a_wall - b_wall) / expected * 1e6
    print(f"median wall a {a_wall:.2f}s, b {b_wall:.2f}s: ratio {ratio:.3f} (budget {WALL_BUDGET})")
    print(f"RAMPART + transport overhead per test (wall, -n 2): {per_test:.0f} us")
    print(
        f"transport alone per test (encode + decode + rebuild, one process): {transport_cost_us():.1f} us"
    )
    ok = ratio <= WALL_BUDGET
    print(f"BENCH xdist: {'PASS' if ok else 'FAIL'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
