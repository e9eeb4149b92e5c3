"""Run the named benchmarks and print their figures.

    python bench/run.py                 every bench/bench_*.py
    python bench/run.py import reports  only those
    python bench/run.py --quick         smaller sizes (what the test matrix never runs; for a fast look)

Each benchmark is a standalone script that measures its subject *and* its baseline in the same
run, prints ratios, and ends with ``BENCH <name>: PASS`` or ``FAIL`` (exit status 1 on a breach of
its budget). Figures go into docs/performance.md by hand, with the date and machine.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main(argv: list[str]) -> int:
    flags = [a for a in argv if a.startswith("-")]
    names = [a for a in argv if not a.startswith("-")]
    scripts = sorted(HERE.glob("bench_*.py"))
    if names:
        wanted = {f"bench_{n}.py" for n in names}
        unknown = wanted - {s.name for s in scripts}
        if unknown:
            print(f"bench: unknown benchmark(s): {', '.join(sorted(unknown))}", file=sys.stderr)
            return 2
        scripts = [s for s in scripts if s.name in wanted]
    # Measure the steady state a user sees: an installation that caches bytecode.
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    outcomes: list[tuple[str, int, float]] = []
    for script in scripts:
        name = script.stem.removeprefix("bench_")
        print(f"\n--- {name} ---", flush=True)
        started = time.monotonic()
        code = subprocess.run(
            [sys.executable, str(script), *flags], cwd=HERE.parent, env=env
        ).returncode
        outcomes.append((name, code, time.monotonic() - started))
    print()
    for name, code, seconds in outcomes:
        print(f"{name:<12} {'PASS' if code == 0 else 'FAIL'}  ({seconds:.1f}s)")
    return 1 if any(code for _, code, _ in outcomes) else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
