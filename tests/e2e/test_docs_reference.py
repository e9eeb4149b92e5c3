"""The hand-written API reference names every public name (issue 6, api.md).

The reference pages are prose, not generated, so this test keeps them honest: each name in a
public module's ``__all__`` must appear on its distribution's page. A module that does not
exist yet is skipped (another area may still be building it).
"""

from __future__ import annotations

import importlib
import re
from pathlib import Path

import pytest

REFERENCE = Path(__file__).resolve().parents[2] / "docs" / "reference"

MODULES = {
    "rampart-core.md": [
        "rampart",
        "rampart.core",
        "rampart.core.types",
        "rampart.core.result",
        "rampart.core.evaluator",
        "rampart.core.execution",
        "rampart.core.injection",
        "rampart.core.adapter",
        "rampart.core.manifest",
        "rampart.core.errors",
        "rampart.core.llm",
        "rampart.core.persona",
        "rampart.core.prompt_driver",
        "rampart.core.converter",
        "rampart.core.text",
        "rampart.attacks",
        "rampart.probes",
        "rampart.evaluators",
        "rampart.drivers",
        "rampart.reporting",
        "rampart.reporting.sink",
        "rampart.reporting.json_file",
        "rampart.reporting.html",
        "rampart.reporting.summary",
        "rampart.payloads",
        "rampart.converters",
        "rampart.surfaces",
        "rampart.concurrency",
        "rampart.collection",
        "rampart.pytest_plugin",
    ],
    "rampart-pytest.md": ["rampart_pytest"],
    "rampart-xdist.md": ["rampart_xdist", "rampart_xdist.wire"],
}

CASES = [(page, module) for page, modules in MODULES.items() for module in modules]


@pytest.mark.parametrize(("page", "module_name"), CASES, ids=[m for _, m in CASES])
def test_reference_page_names_every_public_name(page: str, module_name: str) -> None:
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError:
        pytest.skip(f"{module_name} is not implemented yet")
    text = (REFERENCE / page).read_text(encoding="utf-8")
    documented = set(re.findall(r"[A-Za-z_][A-Za-z0-9_]*", text))
    missing = sorted(set(module.__all__) - documented)
    assert not missing, f"{page} does not mention {module_name}.{missing}"
    assert f"`{module_name}`" in text or module_name in {"rampart_pytest", "rampart_xdist"}


DOCS = REFERENCE.parent
MKDOCS_YML = DOCS.parent / "mkdocs.yml"


def test_every_page_is_in_the_nav() -> None:
    """``mkdocs build --strict`` fails on a page missing from the nav; say which, early."""
    nav = set(re.findall(r":\s*([\w./-]+\.md)\s*$", MKDOCS_YML.read_text(encoding="utf-8"), re.M))
    pages = {p.relative_to(DOCS).as_posix() for p in DOCS.rglob("*.md")}
    assert pages - nav == set(), "add these pages to the nav in mkdocs.yml"
    assert nav - pages == set(), "the nav names pages that do not exist"


def test_configuration_page_lists_every_option_and_ini_key(pytester: pytest.Pytester) -> None:
    """Every ``--rampart-*`` option and ``rampart_*`` ini key the plugins register (api.md 3.3, 4.4)."""
    pytester.makeini("[pytest]\nasyncio_default_fixture_loop_scope = function\n")
    help_text = pytester.runpytest("--help").stdout.str()
    options = set(re.findall(r"(--rampart-[a-z-]+)", help_text))
    ini_keys = set(re.findall(r"^\s+(rampart_[a-z_]+)\s", help_text, re.M))
    assert {"--rampart-report", "--rampart-html", "--rampart-allow-incomplete"} <= options
    assert {"rampart_report", "rampart_html", "rampart_max_concurrency"} <= ini_keys
    page = (DOCS / "configuration.md").read_text(encoding="utf-8")
    missing = sorted(name for name in options | ini_keys if f"`{name}" not in page)
    assert not missing, f"configuration.md does not document {missing}"
