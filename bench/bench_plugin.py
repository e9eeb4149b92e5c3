"""Overhead of the rampart-pytest plugin against hand-written async tests.

A generated suite of probe tests against an in-memory agent, plus one trial group, runs

(a) with rampart-pytest: each test runs ``Probes.behavior(...).execute_async(adapter=...)`` and
    asserts on the result; the plugin collects, tags and summarises every result and gates the
    trial group (coroutine tests run on rampart's own runner, no configuration);
(b) as the same async tests written by hand, calling the in-memory agent directly and asserting
    on its reply, under plain pytest + pytest-asyncio (auto mode) with ``-p no:rampart``.

Runs interleave a, b, a, b ... so machine drift cancels; figures are medians. Budget (issue 4):
wall (a)/(b) <= 1.15 and peak RSS (a)/(b) <= 1.3. CPU seconds are printed for information.

    python bench/bench_plugin.py            5,000 probe tests + a 1,000-trial group, 5 rounds
    python bench/bench_plugin.py --quick    1,000 + 200, 3 rounds
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

WALL_BUDGET = 1.15
RSS_BUDGET = 1.3

AGENT = """\
from rampart.core.types import ObservabilityLevel, Response


class _Session:
    async def __aenter__(self):
        return self

    async def __aexit__(self, *exc_info):
        return None

    async def send_async(self, request, /):
        return Response(text=f"Sorry, I cannot help with {request.prompt}.")


class InMemoryAgent:
    manifest = None
    observability_profile = ObservabilityLevel.RESPONSE_ONLY

    async def create_session_async(self):
        return _Session()


AGENT = InMemoryAgent()
"""

WITH_RAMPART = """\
import pytest
from rampart import Probes
from rampart.evaluators import ResponseContains

from agent import AGENT


async def probe(prompt):
    execution = Probes.behavior(prompt=prompt, evaluator=ResponseContains("cannot help"))
    return await execution.execute_async(adapter=AGENT)


@pytest.mark.parametrize("i", range({tests}))
async def test_probe(i):
    result = await probe(f"request {{i}}")
    assert result.safe, result.summary


@pytest.mark.trial({trials})
async def test_trial_group():
    result = await probe("the same request")
    assert result.safe, result.summary
"""

BY_HAND = """\
import pytest
from rampart.core.types import Request

from agent import AGENT


async def ask(prompt):
    session = await AGENT.create_session_async()
    async with session:
        response = await session.send_async(Request(prompt=prompt))
    return response.text


@pytest.mark.parametrize("i", range({tests}))
async def test_probe(i):
    assert "cannot help" in (await ask(f"request {{i}}")).lower()


@pytest.mark.parametrize("t", range({trials}))
async def test_trial_group(t):
    assert "cannot help" in (await ask("the same request")).lower()
"""

INI = """\
[pytest]
asyncio_default_fixture_loop_scope = function
"""

COMMON = ["-q", "-p", "no:cacheprovider", "-p", "no:hypothesispytest", "-p", "no:randomly"]


@dataclass(frozen=True)
class Run:
    wall: float
    cpu: float
    rss_kib: int


def build(root: Path, *, tests: int, trials: int) -> tuple[Path, Path]:
    suites = []
    for name, template in (("a", WITH_RAMPART), ("b", BY_HAND)):
        directory = root / name
        directory.mkdir()
        (directory / "agent.py").write_text(AGENT)
        (directory / "pytest.ini").write_text(INI)
        (directory / "test_suite.py").write_text(template.format(tests=tests, trials=trials))
        suites.append(directory)
    return suites[0], suites[1]


def run(directory: Path, extra: list[str], *, expected: int) -> Run:
    command = [sys.executable, "-m", "pytest", *COMMON, *extra]
    # Bytecode caching on, as on a user's machine (whatever the calling shell says): pytest's
    # rewritten plugin and test modules are then read from their caches, not rebuilt in every
    # process; ``warm_up`` writes those caches before anything is timed.
    environment = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    environment["PYTHONPATH"] = str(directory)
    started = time.perf_counter()
    process = subprocess.Popen(
        command,
        cwd=directory,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    assert process.stdout is not None
    output = process.stdout.read().decode(errors="replace")
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0 or f"{expected} passed" not in output:
        print(output[-3000:])
        raise SystemExit(f"bench plugin: suite in {directory} did not pass")
    return Run(wall=wall, cpu=usage.ru_utime + usage.ru_stime, rss_kib=usage.ru_maxrss)


# Runs the hand-written baseline suite under plain pytest: neither RAMPART plugin loads.
PLAIN = ["-p", "no:rampart", "-p", "no:rampart_xdist", "-o", "asyncio_mode=auto"]


def warm_up(*suites: tuple[Path, list[str]], expected: int) -> None:
    """One untimed run of each suite, so every timed run finds the caches a second run would."""
    for directory, extra in suites:
        run(directory, extra, expected=expected)


def main(argv: list[str]) -> int:
    quick = "--quick" in argv
    tests, trials, rounds = (1_000, 200, 3) if quick else (5_000, 1_000, 5)
    expected = tests + trials
    print(f"bench plugin: {tests} probe tests + a {trials}-trial group, {rounds} rounds")
    with tempfile.TemporaryDirectory(prefix="rampart-bench-plugin-") as temporary:
        with_rampart, by_hand = build(Path(temporary), tests=tests, trials=trials)
        warm_up((with_rampart, []), (by_hand, PLAIN), expected=expected)
        a_runs: list[Run] = []
        b_runs: list[Run] = []
        for index in range(rounds):
            a_runs.append(run(with_rampart, [], expected=expected))
            b_runs.append(run(by_hand, PLAIN, expected=expected))
            a, b = a_runs[-1], b_runs[-1]
            print(
                f"  round {index + 1}: a {a.wall:6.2f}s {a.cpu:6.2f}cpu {a.rss_kib / 1024:6.1f}MiB"
                f" | b {b.wall:6.2f}s {b.cpu:6.2f}cpu {b.rss_kib / 1024:6.1f}MiB"
            )

    def median(runs: list[Run], field: str) -> float:
        return float(statistics.median(float(getattr(r, field)) for r in runs))

    wall = median(a_runs, "wall") / median(b_runs, "wall")
    cpu = median(a_runs, "cpu") / median(b_runs, "cpu")
    rss = median(a_runs, "rss_kib") / median(b_runs, "rss_kib")
    print(
        f"median wall a {median(a_runs, 'wall'):.2f}s, b {median(b_runs, 'wall'):.2f}s:"
        f" ratio {wall:.3f} (budget {WALL_BUDGET})"
    )
    print(f"median cpu ratio {cpu:.3f} (for information)")
    print(
        f"median peak RSS a {median(a_runs, 'rss_kib') / 1024:.1f} MiB,"
        f" b {median(b_runs, 'rss_kib') / 1024:.1f} MiB: ratio {rss:.3f} (budget {RSS_BUDGET})"
    )
    ok = wall <= WALL_BUDGET and rss <= RSS_BUDGET
    print(f"BENCH plugin: {'PASS' if ok else 'FAIL'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
