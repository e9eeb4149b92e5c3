"""Lockstep metadata: one version for all distributions, read from the repository's VERSION file.

Each distribution carries an identical copy of this hook (hatchling loads hooks from the project
root, and an sdist must build on its own), configured by its ``siblings`` (pinned with ``==``) and ``requires`` lists.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hatchling.metadata.plugin.interface import MetadataHookInterface


def _read_version(root: Path) -> str:
    # In a checkout VERSION sits two levels up; an sdist carries its own copy at the root.
    for candidate in (root / "VERSION", root.parent.parent / "VERSION"):
        if candidate.is_file():
            return candidate.read_text(encoding="utf-8").strip()
    raise RuntimeError(f"VERSION file not found for {root}")


class LockstepMetadataHook(MetadataHookInterface):
    PLUGIN_NAME = "custom"

    def update(self, metadata: dict[str, Any]) -> None:
        version = _read_version(Path(self.root))
        metadata["version"] = version
        siblings = self.config.get("siblings", [])
        metadata["dependencies"] = [
            *(f"{name}=={version}" for name in siblings),
            *self.config.get("requires", []),
        ]
