"""``DocxConverter``: render a text payload into a Word document (extra ``docx``)."""

from __future__ import annotations

import asyncio
import tempfile
import threading
from pathlib import Path
from typing import Any

from rampart.converters._common import converted, require_text
from rampart.core.types import Payload, PayloadFormat

__all__ = ["DocxConverter"]

_process_dir: Path | None = None
_process_dir_lock = threading.Lock()


def _default_output_dir() -> Path:
    """One temporary directory per process, created on first use."""
    global _process_dir
    with _process_dir_lock:
        if _process_dir is None:
            _process_dir = Path(tempfile.mkdtemp(prefix="rampart-docx-"))
        return _process_dir


def _require_docx() -> Any:
    try:
        import docx
    except ImportError as exc:
        raise ImportError(
            "DocxConverter needs python-docx: pip install 'rampart-core[docx]'"
        ) from exc
    return docx


class DocxConverter:
    """Writes ``<output_dir>/<id>.docx`` with one paragraph per line of the text."""

    def __init__(self, *, output_dir: Path | None = None) -> None:
        self._docx = _require_docx()
        self._output_dir = Path(output_dir) if output_dir is not None else None

    def __repr__(self) -> str:
        return f"DocxConverter(output_dir={self._output_dir!r})"

    async def convert_async(self, *, payload: Payload) -> Payload:
        source = require_text(self, payload)
        directory = self._output_dir or _default_output_dir()
        path = await asyncio.to_thread(self._render, source, directory)
        return converted(
            self, source, content=source.content, format=PayloadFormat.DOCX, artifact=path
        )

    def _render(self, payload: Payload, directory: Path) -> Path:
        directory.mkdir(parents=True, exist_ok=True)
        document = self._docx.Document()
        for line in payload.content.splitlines() or [""]:
            document.add_paragraph(line)
        # The id names the file, so it must not be able to point outside the directory.
        name = Path(payload.id).name or "payload"
        path = directory / f"{name}.docx"
        document.save(str(path))
        return path
