"""Optional extras stay optional: no openai import at startup, clear ImportError (R-GEN-1/2)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

_BLOCK_OPENAI = """
import sys
class Block:
    def find_spec(self, name, path=None, target=None):
        if name == "openai" or name.startswith("openai."):
            raise ImportError("blocked for the test")
        return None
sys.meta_path.insert(0, Block())
"""


def run_without_openai(code: str) -> subprocess.CompletedProcess[str]:
    script = _BLOCK_OPENAI + textwrap.dedent(code)
    return subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "PYTHONWARNINGS": "ignore"},
        check=False,
    )


def test_missing_extra_names_pip_install_R_GEN_2() -> None:
    proc = run_without_openai(
        """
        import rampart
        from rampart.core.llm import LLMConfig
        from rampart.evaluators import LLMJudge
        from rampart.drivers import LLMDriver
        from rampart.core.persona import Persona
        cfg = LLMConfig(model="m", endpoint="http://127.0.0.1:1/v1")
        for build in (
            lambda: LLMJudge(objective="o", llm=cfg),
            lambda: LLMDriver(persona=Persona(name="p"), llm=cfg),
        ):
            try:
                build()
            except ImportError as exc:
                print("IMPORT-ERROR:", exc)
        """
    )
    assert proc.returncode == 0, proc.stderr
    lines = [line for line in proc.stdout.splitlines() if line.startswith("IMPORT-ERROR:")]
    assert len(lines) == 2
    assert all("pip install 'rampart-core[llm]'" in line for line in lines)


def test_import_rampart_does_not_import_openai_R_GEN_1() -> None:
    code = (
        "import sys, rampart, rampart.evaluators, rampart.drivers, rampart.payloads, "
        "rampart.converters; from rampart.core.llm import LLMConfig; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('openai', 'docx')))"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "[]"
