"""Concurrency for I/O-bound agents: batches and concurrent trials against their sequential forms.

Budgets (issue 9), each measured next to its sequential form in the same run:

1. 20 trials of a 0.5 s agent call through ``run_many_async(concurrency=20)`` are at least 10x
   faster than the same 20 calls one after another (in-process timing).
2. 200 cases of a 50 ms agent through ``run_many_async(concurrency=50)``: the whole Python
   process (interpreter start, ``import rampart``, the batch) takes under 2 s of wall time.
3. A pytest process running one ``@pytest.mark.trial(n=200, concurrency=50)`` test against the
   50 ms agent takes under 2 s of wall time (the expanded ``trial(200)`` is the sequential form).

    python bench/bench_concurrency.py           the sizes above
    python bench/bench_concurrency.py --quick   a 0.1 s agent in (1); the sequential forms of
                                                (2) and (3) are extrapolated from 40 calls
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SPEEDUP_BUDGET = 10.0
WALL_BUDGET_S = 2.0
CASES = 200
CASE_LATENCY = 0.05
CASE_CONCURRENCY = 50

AGENT = """\
import asyncio

from rampart.core.types import ObservabilityLevel, Response


class _Session:
    def __init__(self, latency):
        self.latency = latency

    async def __aenter__(self):
        return self

    async def __aexit__(self, *exc_info):
        return None

    async def send_async(self, request, /):
        await asyncio.sleep(self.latency)  # the agent thinking: I/O-bound, not CPU-bound
        return Response(text=f"Sorry, I cannot help with {request.prompt}.")


class SlowAgent:
    manifest = None
    observability_profile = ObservabilityLevel.RESPONSE_ONLY

    def __init__(self, latency):
        self.latency = latency

    async def create_session_async(self):
        return _Session(self.latency)


def probe(prompt):
    from rampart import Probes
    from rampart.evaluators import ResponseContains

    return Probes.behavior(prompt=prompt, evaluator=ResponseContains("cannot help"))
"""

BATCH_SCRIPT = """\
import asyncio
import sys

from agent import SlowAgent, probe
from rampart import run_many_async


async def main(cases, concurrency, latency):
    executions = [probe(f"request {{i}}") for i in range(cases)]
    batch = await run_many_async(executions, adapter=SlowAgent(latency), concurrency=concurrency)
    if not batch.passed():
        sys.exit("unexpected verdicts: " + batch.summary)


asyncio.run(main({cases}, {concurrency}, {latency}))
"""

SEQUENTIAL_SCRIPT = """\
import asyncio
import sys

from agent import SlowAgent, probe


async def main(cases, latency):
    agent = SlowAgent(latency)
    for i in range(cases):
        result = await probe(f"request {{i}}").execute_async(adapter=agent)
        if not result.safe:
            sys.exit("unexpected verdict: " + result.summary)


asyncio.run(main({cases}, {latency}))
"""

TRIAL_TEST = """\
import pytest

from agent import SlowAgent, probe

AGENT = SlowAgent({latency})


@pytest.mark.trial({cases}{concurrency})
async def test_refuses():
    result = await probe("the same request").execute_async(adapter=AGENT)
    assert result.safe, result.summary
"""

# Plugins of this development environment that rampart-pytest does not need stay off, so the
# figure is that of a user's install (pytest, pytest-asyncio, rampart-pytest).
PYTEST_ARGS = [
    "-q",
    "-p",
    "no:cacheprovider",
    *("-p", "no:hypothesispytest", "-p", "no:randomly", "-p", "no:anyio"),
    *("-p", "no:xdist", "-p", "no:rampart_xdist", "-p", "no:rerunfailures"),
]


def _write(directory: Path, name: str, text: str) -> Path:
    path = directory / name
    path.write_text(text)
    return path


def _best(command: list[str], *, cwd: Path, expect: str | None = None, rounds: int = 3) -> float:
    """The best wall time of a few runs: the machine is shared, and noise only adds time."""
    return min(_timed(command, cwd=cwd, expect=expect) for _ in range(rounds))


def _timed(command: list[str], *, cwd: Path, expect: str | None = None) -> float:
    # Bytecode caching on, as on a user's machine; the best of a few runs skips the first.
    environment = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    environment["PYTHONPATH"] = str(cwd)
    started = time.perf_counter()
    completed = subprocess.run(
        command, cwd=cwd, env=environment, capture_output=True, text=True, check=False
    )
    wall = time.perf_counter() - started
    output = completed.stdout + completed.stderr
    if completed.returncode != 0 or (expect is not None and expect not in output):
        print(output[-3000:])
        raise SystemExit(f"bench concurrency: {' '.join(command[1:])} failed in {cwd}")
    return wall


def trials_speedup(*, latency: float) -> tuple[float, float]:
    """(1): 20 trials at concurrency=20 against the same 20 calls in sequence."""
    sys.path.insert(0, str(_agent_dir))
    from agent import SlowAgent, probe  # type: ignore[import-not-found]

    from rampart import run_many_async
    from rampart.core.execution import BaseExecution

    agent = SlowAgent(latency)

    def build(i: int) -> BaseExecution:
        execution: BaseExecution = probe(f"trial {i}")
        return execution

    async def concurrent() -> float:
        await build(-1).execute_async(adapter=agent)  # warm-up: first-use imports
        started = time.perf_counter()
        batch = await run_many_async(build, adapter=agent, n=20, concurrency=20)
        elapsed = time.perf_counter() - started
        assert batch.passed(), batch.summary
        return elapsed

    async def sequential() -> float:
        started = time.perf_counter()
        for i in range(20):
            result = await build(i).execute_async(adapter=agent)
            assert result.safe, result.summary
        return time.perf_counter() - started

    return asyncio.run(concurrent()), asyncio.run(sequential())


_agent_dir = Path()


def main(argv: list[str]) -> int:
    global _agent_dir
    quick = "--quick" in argv
    trial_latency = 0.1 if quick else 0.5
    sample = 40 if quick else CASES
    failures: list[str] = []
    with tempfile.TemporaryDirectory(prefix="rampart-bench-concurrency-") as temporary:
        root = Path(temporary)
        _agent_dir = root
        _write(root, "agent.py", AGENT)
        _write(root, "pytest.ini", "[pytest]\nasyncio_default_fixture_loop_scope = function\n")

        concurrent, sequential = trials_speedup(latency=trial_latency)
        speedup = sequential / concurrent
        print(
            f"(1) 20 trials of a {trial_latency} s agent: concurrency=20 {concurrent:.2f}s, "
            f"sequential {sequential:.2f}s: {speedup:.1f}x (budget >= {SPEEDUP_BUDGET:.0f}x)"
        )
        if speedup < SPEEDUP_BUDGET:
            failures.append("(1)")

        batch_script = _write(
            root,
            "batch.py",
            BATCH_SCRIPT.format(cases=CASES, concurrency=CASE_CONCURRENCY, latency=CASE_LATENCY),
        )
        sequential_script = _write(
            root, "sequential.py", SEQUENTIAL_SCRIPT.format(cases=sample, latency=CASE_LATENCY)
        )
        floor = _best([sys.executable, "-c", "import asyncio"], cwd=root)
        batch_wall = _best([sys.executable, str(batch_script)], cwd=root)
        sequential_wall = _timed([sys.executable, str(sequential_script)], cwd=root)
        note = "" if sample == CASES else f" (extrapolated from {sample})"
        sequential_wall *= CASES / sample
        print(
            f"(2) {CASES} cases of a {CASE_LATENCY * 1000:.0f} ms agent, whole process: "
            f"run_many_async(concurrency={CASE_CONCURRENCY}) {batch_wall:.2f}s, "
            f"sequential {sequential_wall:.2f}s{note} (budget < {WALL_BUDGET_S:.0f}s; "
            f"a bare interpreter takes {floor:.2f}s here)"
        )
        if batch_wall >= WALL_BUDGET_S:
            failures.append("(2)")

        concurrent_dir = root / "concurrent"
        concurrent_dir.mkdir()
        (root / "floor").mkdir()
        _write(concurrent_dir, "agent.py", AGENT)
        _write(
            concurrent_dir,
            "test_trials.py",
            TRIAL_TEST.format(
                latency=CASE_LATENCY, cases=CASES, concurrency=f", concurrency={CASE_CONCURRENCY}"
            ),
        )
        expanded_dir = root / "expanded"
        expanded_dir.mkdir()
        _write(expanded_dir, "agent.py", AGENT)
        _write(
            expanded_dir,
            "test_trials.py",
            TRIAL_TEST.format(latency=CASE_LATENCY, cases=sample, concurrency=""),
        )
        for directory in (concurrent_dir, expanded_dir, root / "floor"):
            _write(
                directory, "pytest.ini", "[pytest]\nasyncio_default_fixture_loop_scope = function\n"
            )
        _write(root / "floor", "test_floor.py", "def test_nothing():\n    pass\n")
        pytest_floor = _best(
            [sys.executable, "-m", "pytest", *PYTEST_ARGS, "-p", "no:rampart"],
            cwd=root / "floor",
            expect="1 passed",
        )
        pytest_wall = _best(
            [sys.executable, "-m", "pytest", *PYTEST_ARGS], cwd=concurrent_dir, expect="1 passed"
        )
        expanded_wall = _timed(
            [sys.executable, "-m", "pytest", *PYTEST_ARGS],
            cwd=expanded_dir,
            expect=f"{sample} passed",
        )
        expanded_wall *= CASES / sample
        print(
            f"(3) pytest process, trial(n={CASES}) of the {CASE_LATENCY * 1000:.0f} ms agent: "
            f"concurrency={CASE_CONCURRENCY} {pytest_wall:.2f}s, expanded {expanded_wall:.2f}s"
            f"{note} (budget < {WALL_BUDGET_S:.0f}s; pytest with one empty test and no rampart "
            f"takes {pytest_floor:.2f}s here)"
        )
        if pytest_wall >= WALL_BUDGET_S:
            failures.append("(3)")

    if failures:
        print(f"budget breached: {', '.join(failures)}")
    print(f"BENCH concurrency: {'FAIL' if failures else 'PASS'}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
