"""``PayloadStore``: named payload collections on disk (R-PAY-1, R-PAY-2).

Layout: ``<root>/<name>/{payloads.jsonl, manifest.json, artifacts/}``. A collection is
written into a hidden sibling directory and swapped in by rename, so readers see
either the old collection or the new one, never a half-written mix.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, ClassVar

from rampart.core.types import Payload, PayloadFormat

__all__ = ["DEFAULT_ROOT", "PayloadStore"]

DEFAULT_ROOT = Path(".rampart/payloads")

_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}")
_PAYLOADS = "payloads.jsonl"
_MANIFEST = "manifest.json"
_ARTIFACTS = "artifacts"


def _check_name(name: object) -> str:
    if not isinstance(name, str) or name in (".", "..") or not _NAME.fullmatch(name):
        raise ValueError(
            f"invalid collection name {name!r}: use 1-128 characters from "
            "[A-Za-z0-9._-], starting with a letter or digit"
        )
    return name


class PayloadStore:
    """Saves and loads named payload collections under ``root``."""

    DEFAULT_ROOT: ClassVar[Path] = DEFAULT_ROOT

    def __init__(self, *, root: Path | str | None = None) -> None:
        self._root = Path(root) if root is not None else DEFAULT_ROOT

    @property
    def root(self) -> Path:
        return self._root

    def __repr__(self) -> str:
        return f"PayloadStore(root={str(self._root)!r})"

    def _dir(self, name: str) -> Path:
        return self._root / _check_name(name)

    def save(
        self, name: str, *, payloads: list[Payload], provenance: dict[str, Any] | None = None
    ) -> Path:
        """Write ``payloads`` as collection ``name``, replacing any previous one."""
        final = self._dir(name)
        if not isinstance(payloads, list) or not payloads:
            raise ValueError("payloads must be a non-empty list of Payload")
        if not all(isinstance(p, Payload) for p in payloads):
            raise ValueError("payloads must contain only Payload objects")
        self._root.mkdir(parents=True, exist_ok=True)
        staging = self._root / f".{name}.tmp-{uuid.uuid4().hex}"
        try:
            self._write(staging, name, payloads, provenance)
            _swap_in(staging, final)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
        return final

    def _write(
        self,
        directory: Path,
        name: str,
        payloads: list[Payload],
        provenance: dict[str, Any] | None,
    ) -> None:
        artifacts = directory / _ARTIFACTS
        artifacts.mkdir(parents=True)
        used: set[str] = set()
        lines: list[str] = []
        for payload in payloads:
            artifact: str | None = None
            if payload.artifact is not None:
                # Ids are free-form; only a safe one may become a file name under artifacts/.
                stem = payload.id if _NAME.fullmatch(payload.id) else uuid.uuid4().hex[:12]
                filename = _unique(f"{stem}{payload.format.extension}", used)
                shutil.copyfile(payload.artifact, artifacts / filename)
                artifact = f"{_ARTIFACTS}/{filename}"
            record = {
                "id": payload.id,
                "format": payload.format.value,
                "content": payload.content,
                "artifact": artifact,
                "metadata": payload.metadata,
            }
            lines.append(json.dumps(record, ensure_ascii=False, default=str))
        _write_text(directory / _PAYLOADS, "\n".join(lines) + "\n")
        manifest = {
            "name": name,
            "count": len(payloads),
            "formats": sorted({p.format.value for p in payloads}),
            "created_at": datetime.now(UTC).isoformat(),
            "provenance": provenance,
        }
        _write_text(
            directory / _MANIFEST, json.dumps(manifest, indent=2, ensure_ascii=False, default=str)
        )

    def load(self, name: str, *, format_filter: PayloadFormat | None = None) -> list[Payload]:
        """Read collection ``name``, optionally only payloads of one format."""
        directory = self._dir(name)
        path = directory / _PAYLOADS
        if not path.is_file():
            raise FileNotFoundError(f"Payload collection not found: {name!r} (in {self._root})")
        payloads: list[Payload] = []
        with path.open(encoding="utf-8") as handle:
            for line in handle:
                if not line.strip():
                    continue
                record = json.loads(line)
                artifact = record.get("artifact")
                payloads.append(
                    Payload(
                        content=record["content"],
                        id=record["id"],
                        format=PayloadFormat(record["format"]),
                        artifact=(directory / artifact).resolve() if artifact else None,
                        metadata=record.get("metadata") or {},
                    )
                )
        if not payloads:
            raise ValueError(f"Payload collection {name!r} is empty")
        if format_filter is not None:
            wanted = PayloadFormat(format_filter)
            payloads = [p for p in payloads if p.format is wanted]
        return payloads

    def exists(self, name: str) -> bool:
        """Whether collection ``name`` has been saved."""
        return (self._dir(name) / _PAYLOADS).is_file()

    def list_collections(self) -> list[str]:
        """The names of all saved collections, sorted."""
        if not self._root.is_dir():
            return []
        return sorted(
            entry.name
            for entry in self._root.iterdir()
            if _NAME.fullmatch(entry.name) and (entry / _PAYLOADS).is_file()
        )

    def delete(self, name: str) -> None:
        """Remove collection ``name``; a missing collection is not an error."""
        directory = self._dir(name)
        if directory.is_symlink() or directory.is_file():
            directory.unlink()
        elif directory.is_dir():
            shutil.rmtree(directory)

    def manifest(self, name: str) -> dict[str, Any]:
        """The collection's manifest: name, count, formats, created_at, provenance."""
        path = self._dir(name) / _MANIFEST
        if not path.is_file():
            raise FileNotFoundError(f"Payload collection not found: {name!r} (in {self._root})")
        data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
        return data


def _unique(filename: str, used: set[str]) -> str:
    candidate, counter = filename, 1
    stem, dot, ext = filename.rpartition(".")
    while candidate in used:
        candidate = f"{stem}-{counter}{dot}{ext}"
        counter += 1
    used.add(candidate)
    return candidate


def _write_text(path: Path, text: str) -> None:
    with path.open("w", encoding="utf-8") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())


def _swap_in(staging: Path, final: Path) -> None:
    """Replace ``final`` by ``staging`` with renames only (no partial state is visible)."""
    if not final.exists() and not final.is_symlink():
        staging.rename(final)
        return
    retired = final.with_name(f".{final.name}.old-{uuid.uuid4().hex}")
    final.rename(retired)
    try:
        staging.rename(final)
    except BaseException:
        retired.rename(final)
        raise
    if retired.is_dir() and not retired.is_symlink():
        shutil.rmtree(retired, ignore_errors=True)
    else:
        retired.unlink(missing_ok=True)
