"""Cost of ``import rampart`` (and the plugin modules) against ``python -c pass``.

Budget (issue 3): ``import rampart`` adds under 50 ms, cumulative, measured with ``-X importtime``
and by wall clock as a ratio to an interpreter that imports nothing. The heavy optional SDKs
(openai, docx) must not be imported at all.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time

RUNS = 15
BUDGET_MS = 50.0


def _wall(code: str) -> float:
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], check=True)
    return time.perf_counter() - started


def _importtime_us(module: str) -> int:
    """Cumulative microseconds of ``module`` as reported by ``-X importtime``."""
    proc = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", f"import {module}"],
        capture_output=True,
        text=True,
        check=True,
    )
    for line in proc.stderr.splitlines():
        parts = [p.strip() for p in line.removeprefix("import time:").split("|")]
        if len(parts) == 3 and parts[2] == module:
            return int(parts[1])
    raise RuntimeError(f"{module} not found in -X importtime output")


def main(argv: list[str]) -> int:
    runs = 5 if "--quick" in argv else RUNS
    ok = True
    baseline: list[float] = []
    measured: list[float] = []
    for _ in range(runs):  # interleaved so machine drift cancels
        baseline.append(_wall("pass"))
        measured.append(_wall("import rampart"))
    base, full = statistics.median(baseline), statistics.median(measured)
    cumulative = statistics.median(_importtime_us("rampart") for _ in range(runs)) / 1000
    print(
        f"import rampart: -X importtime cumulative {cumulative:.2f} ms (budget {BUDGET_MS:.0f} ms)"
    )
    print(
        f"import rampart: wall {full * 1000:.1f} ms vs python -c pass {base * 1000:.1f} ms, ratio {full / base:.2f}, added {(full - base) * 1000:.1f} ms"
    )
    ok &= cumulative < BUDGET_MS
    probe = (
        "import sys, rampart; getattr(rampart, '__all__', None); "
        "print(','.join(m for m in ('openai', 'docx', 'pytest', 'asyncio') if m in sys.modules))"
    )
    heavy = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    ).stdout.strip()
    print(f"import rampart: heavy modules imported: {heavy or 'none'}")
    ok &= not any(m in heavy.split(",") for m in ("openai", "docx", "pytest"))
    for module in ("rampart_pytest.plugin", "rampart_xdist.plugin"):
        try:
            print(
                f"import {module}: -X importtime cumulative {_importtime_us(module) / 1000:.2f} ms"
            )
        except subprocess.CalledProcessError:
            print(f"import {module}: not installed")
    print(f"BENCH import: {'PASS' if ok else 'FAIL'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
