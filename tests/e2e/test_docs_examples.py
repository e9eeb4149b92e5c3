"""Code in the documentation is tested (issue 6).

Convention: a fenced ``python`` block preceded by an HTML comment ``<!-- test -->`` is written
to a test module and run with pytest (the bundled demo agent is importable). By default every
test it defines must pass; a block that defines no test must at least import cleanly.
``<!-- test: outcomes failed=1 passed=2 -->`` states the expected outcomes instead, and
``<!-- test: script -->`` runs the block as a standalone script (``python file.py``, in its own
interpreter, outside pytest), which must exit 0. Blocks without the comment are illustrations
and are not run.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
DOCS = REPO / "docs"
DEMO = REPO / "examples" / "demo"

_BLOCK = re.compile(
    r"^<!--\s*test(?::\s*(?P<options>[^>]*?))?\s*-->\s*\n```python\n(?P<code>.*?)^```",
    re.MULTILINE | re.DOTALL,
)


@dataclass(frozen=True)
class DocExample:
    page: str
    line: int
    code: str
    outcomes: dict[str, int]
    script: bool = False

    @property
    def id(self) -> str:
        return f"{self.page}:{self.line}"


def _outcomes(options: str | None) -> dict[str, int]:
    if not options or options == "script":
        return {}
    words = options.split()
    if words[0] != "outcomes":
        raise ValueError(f"unknown doc test option {options!r}")
    return {key: int(value) for key, value in (w.split("=") for w in words[1:])}


def collect_examples() -> list[DocExample]:
    examples = []
    for path in sorted(DOCS.rglob("*.md")):
        text = path.read_text(encoding="utf-8")
        for match in _BLOCK.finditer(text):
            examples.append(
                DocExample(
                    page=path.relative_to(DOCS).as_posix(),
                    line=text.count("\n", 0, match.start()) + 1,
                    code=match.group("code"),
                    outcomes=_outcomes(match.group("options")),
                    script=match.group("options") == "script",
                )
            )
    return examples


EXAMPLES = collect_examples()


def test_the_docs_have_tested_examples() -> None:
    pages = {example.page for example in EXAMPLES}
    assert {"getting-started.md", "writing-tests.md", "trials-and-gates.md"} <= pages


@pytest.mark.parametrize("example", EXAMPLES, ids=[e.id for e in EXAMPLES])
def test_doc_example(
    example: DocExample, pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.syspath_prepend(str(DEMO))
    for name in ("RAMPART_DEMO_MODE", "RAMPART_DEMO_FOLLOW_RATE", "RAMPART_DEMO_LLM_ENDPOINT"):
        monkeypatch.delenv(name, raising=False)
    if example.script:
        paths = [str(DEMO), *filter(None, [os.environ.get("PYTHONPATH")])]
        monkeypatch.setenv("PYTHONPATH", os.pathsep.join(paths))
        script = pytester.makepyfile(doc_script=example.code)
        ran = pytester.runpython(script)
        assert ran.ret == 0, ran.stdout.str() + ran.stderr.str()
        return
    pytester.makeini("[pytest]\nasyncio_default_fixture_loop_scope = function\n")
    pytester.makepyfile(test_doc_example=example.code)
    result = pytester.runpytest("-p", "no:cacheprovider")
    output = result.stdout.str()
    if example.outcomes:
        result.assert_outcomes(**example.outcomes)
    else:
        outcomes = result.parseoutcomes() if result.ret == 0 else {}
        assert result.ret in (pytest.ExitCode.OK, pytest.ExitCode.NO_TESTS_COLLECTED), output
        assert not {"failed", "errors", "error"} & set(outcomes), output
