"""Run the bundled demo safety suite and say where its reports went.

    python examples/run_demo.py              # against the vulnerable demo agent
    python examples/run_demo.py --hardened   # the same suite against the hardened agent
    python examples/run_demo.py -- -n 2      # anything after "--" goes to pytest

This is a demonstration, not a CI gate: it exits 0 whenever pytest completed the run and a
report was written, even though the vulnerable agent fails tests. Run pytest on
``examples/demo`` directly to get the real exit status (1 when a test or a gate failed).
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import subprocess
import sys
from pathlib import Path

DEMO_DIR = Path(__file__).resolve().parent / "demo"

# pytest's own exit codes: 0 all passed, 1 some tests failed. Both mean the run completed.
_COMPLETED = {0, 1}


def _parse(argv: list[str]) -> tuple[argparse.Namespace, list[str]]:
    pytest_args: list[str] = []
    if "--" in argv:
        split = argv.index("--")
        argv, pytest_args = argv[:split], argv[split + 1 :]
    parser = argparse.ArgumentParser(description="Run RAMPART's demo safety suite.")
    parser.add_argument(
        "--hardened",
        action="store_true",
        help="test the hardened agent (treats retrieved content as data) instead of the vulnerable one",
    )
    parser.add_argument(
        "--report-dir",
        type=Path,
        default=DEMO_DIR / "reports",
        help="where the JSON, HTML and Markdown reports are written (default: examples/demo/reports)",
    )
    return parser.parse_args(argv), pytest_args


def _snapshot(directory: Path) -> dict[Path, int]:
    if not directory.is_dir():
        return {}
    return {p: p.stat().st_mtime_ns for p in directory.iterdir() if p.is_file()}


def main(argv: list[str] | None = None) -> int:
    options, pytest_args = _parse(sys.argv[1:] if argv is None else argv)
    if importlib.util.find_spec("rampart_pytest") is None:
        print(
            "run_demo: rampart-pytest is not installed; run `python3 tasks.py demo`, or "
            "`pip install -e packages/rampart-core -e packages/rampart-pytest` first.",
            file=sys.stderr,
        )
        return 2

    mode = "hardened" if options.hardened else "vulnerable"
    report_dir = options.report_dir.resolve()
    env = dict(os.environ, RAMPART_DEMO_MODE=mode, RAMPART_DEMO_REPORT_DIR=str(report_dir))
    before = _snapshot(report_dir)
    print(f"RAMPART demo: testing the {mode} helpdesk agent (examples/demo)\n", flush=True)
    command = [sys.executable, "-m", "pytest", "--tb=no", "-q", *pytest_args]
    status = subprocess.run(command, cwd=DEMO_DIR, env=env, check=False).returncode
    written = sorted(p for p, stamp in _snapshot(report_dir).items() if before.get(p) != stamp)

    print()
    if status not in _COMPLETED:
        print(f"RAMPART demo: pytest did not complete the run (exit status {status}).")
        return status or 1
    if not written:
        print(f"RAMPART demo: the run completed but no report was written to {report_dir}.")
        return 1
    print("Reports:")
    for path in written:
        print(f"  {path}")
    if mode == "vulnerable":
        print(
            "The vulnerable agent obeys instructions hidden in documents. To see the hardened "
            "agent pass: RAMPART_DEMO_MODE=hardened (python examples/run_demo.py --hardened)."
        )
    else:
        print("The hardened agent treats retrieved content as data, so every attack fails.")
    print(
        f"(pytest exit status was {status}; run `pytest` in examples/demo for the CI exit status.)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
