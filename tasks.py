"""The newcomer's two commands, from a bare Python 3.11+ with pip.

    python tasks.py demo    run the bundled demo safety suite (the main job)
    python tasks.py test    run every check CI runs: lint, types, the test matrix, docs

Both bootstrap a private tool environment (``.tools/``, holding hatch and uv) on first use;
hatch then builds one environment per leg of the matrix (see hatch.toml).
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import sys
import time
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
TOOLS = ROOT / ".tools"
PYTHONS = ("3.11", "3.12", "3.13")


def _tool_bin(name: str) -> Path:
    return TOOLS / ("Scripts" if os.name == "nt" else "bin") / name


def _bootstrap() -> Path:
    hatch = _tool_bin("hatch")
    if not hatch.exists():
        print("tasks: creating .tools/ with hatch and uv (first run only)", flush=True)
        venv.EnvBuilder(with_pip=True, clear=True).create(TOOLS)
        subprocess.run(
            [str(_tool_bin("python")), "-m", "pip", "install", "-q", "hatch>=1.16,<2", "uv"],
            check=True,
        )
    return hatch


def _find_interpreter(version: str) -> str | None:
    """Find ``pythonX.Y`` on PATH or in the usual per-user install locations (pyenv, uv)."""
    found = shutil.which(f"python{version}")
    if found and subprocess.run([found, "-c", "pass"], capture_output=True).returncode == 0:
        return found
    home = Path.home()
    patterns = [
        str(home / ".pyenv" / "versions" / f"{version}.*" / "bin" / f"python{version}"),
        str(
            home
            / ".local"
            / "share"
            / "uv"
            / "python"
            / f"cpython-{version}.*"
            / "bin"
            / f"python{version}"
        ),
    ]
    for pattern in patterns:
        for candidate in sorted(glob.glob(pattern), reverse=True):
            return candidate
    return None


def _environment() -> dict[str, str]:
    env = dict(os.environ)
    extra = []
    for version in PYTHONS:
        interpreter = _find_interpreter(version)
        if interpreter:
            extra.append(str(Path(interpreter).parent))
    env["PATH"] = os.pathsep.join([*extra, env.get("PATH", "")])
    # hatch's own environments live inside the checkout, so a clean clone starts clean.
    env.setdefault("HATCH_DATA_DIR", str(ROOT / ".hatch"))
    env.pop("VIRTUAL_ENV", None)
    # Many tests start fresh interpreters (pytester subprocesses, xdist workers); without cached
    # bytecode each of them recompiles pytest from source.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def _run(label: str, command: list[str], env: dict[str, str]) -> bool:
    print(f"\n==> {label}: {' '.join(command)}", flush=True)
    started = time.monotonic()
    ok = subprocess.run(command, cwd=ROOT, env=env).returncode == 0
    print(
        f"<== {label}: {'ok' if ok else 'FAILED'} in {time.monotonic() - started:.0f}s", flush=True
    )
    return ok


def test(args: list[str]) -> int:
    hatch = str(_bootstrap())
    env = _environment()
    ci = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
    steps: list[tuple[str, list[str]]] = [
        ("lint", [hatch, "run", "lint:check"]),
        ("types", [hatch, "run", "types:check"]),
        ("docs", [hatch, "run", "docs:build"]),
    ]
    missing = []
    for version in PYTHONS:
        if _find_interpreter(version) is None:
            missing.append(version)
            continue
        # The 3.11 legs also measure branch coverage of the three packages.
        script = "cov" if version == PYTHONS[0] else "run"
        steps.append(
            (f"test py{version} xdist-off", [hatch, "run", f"test.py{version}:{script}", *args])
        )
        steps.append(
            (f"test py{version} xdist-on", [hatch, "run", f"test-xdist.py{version}:run", *args])
        )
    steps.append(("test pytest 9.1", [hatch, "run", "test-pytest91:run", *args]))
    steps.append(
        ("test floor (pytest 8.3, lowest supported)", [hatch, "run", "test-floor:run", *args])
    )
    results = [(label, _run(label, command, env)) for label, command in steps]
    failed = [label for label, ok in results if not ok]
    if missing:
        print(
            f"\ntasks: WARNING: no interpreter for Python {', '.join(missing)}: those legs did not run"
        )
        if ci:
            failed.extend(f"python {v} missing" for v in missing)
    print("\ntasks: " + ", ".join(f"{label}: {'ok' if ok else 'FAILED'}" for label, ok in results))
    passed = sum(ok for _, ok in results)
    print(f"ci: {passed} passed, {len(failed)} failed")
    return 1 if failed else 0


def demo(args: list[str]) -> int:
    hatch = str(_bootstrap())
    return subprocess.run(
        [hatch, "run", "demo:run", *args], cwd=ROOT, env=_environment()
    ).returncode


def main(argv: list[str]) -> int:
    commands = {"test": test, "demo": demo}
    if not argv or argv[0] not in commands:
        print(__doc__)
        return 2
    return commands[argv[0]](argv[1:])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
