"""Importing ``rampart`` is cheap and side-effect free (R-GEN-1)."""

from __future__ import annotations

import json
import subprocess
import sys

FORBIDDEN = ("pytest", "_pytest", "openai", "docx", "pyrit", "asyncio", "msgspec", "xdist")


def _run(code: str) -> str:
    completed = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    return completed.stdout


def _loaded_after(statement: str) -> set[str]:
    code = f"import sys, json\n{statement}\nprint(json.dumps(sorted(sys.modules)))"
    return set(json.loads(_run(code)))


def _top_level(modules: set[str]) -> set[str]:
    return {name.split(".")[0] for name in modules}


def test_import_rampart_loads_nothing_heavy_R_GEN_1() -> None:
    loaded = _loaded_after("import rampart")
    assert not _top_level(loaded) & set(FORBIDDEN)
    # Only the package itself: every public name is resolved on first access.
    assert sorted(name for name in loaded if name.startswith("rampart")) == ["rampart"]


def test_import_rampart_core_is_lazy_too() -> None:
    loaded = _loaded_after("import rampart.core")
    assert sorted(name for name in loaded if name.startswith("rampart")) == [
        "rampart",
        "rampart.core",
    ]


def test_core_model_never_imports_pytest_or_extras_R_GEN_1() -> None:
    loaded = _loaded_after(
        "import rampart.core, rampart.attacks, rampart.probes, rampart.evaluators, "
        "rampart.drivers, rampart.surfaces, rampart.pytest_plugin\n"
        "from rampart import Result, Attacks, Probes, BaseExecution, InjectionHandle"
    )
    assert not _top_level(loaded) & {"pytest", "_pytest", "openai", "docx", "pyrit", "xdist"}


def test_star_import_works_R_GEN_1() -> None:
    out = _run(
        "import sys, json\n"
        "import importlib.util\n"
        "missing = [m for m in ('rampart.concurrency',) if importlib.util.find_spec(m) is None]\n"
        "import rampart\n"
        "if missing:\n"
        "    names = [n for n in rampart.__all__ if n not in ('run_many_async', 'Batch')]\n"
        "    ns = {n: getattr(rampart, n) for n in names}\n"
        "else:\n"
        "    ns = {}\n"
        "    exec('from rampart import *', ns)\n"
        "    ns.pop('__builtins__')\n"
        "print(json.dumps({'names': sorted(ns), 'all': sorted(rampart.__all__),\n"
        "                  'pytest': 'pytest' in sys.modules, 'openai': 'openai' in sys.modules}))\n"
    )
    data = json.loads(out)
    assert set(data["names"]) <= set(data["all"])
    assert len(data["names"]) >= len(data["all"]) - 2
    assert data["pytest"] is False
    assert data["openai"] is False
