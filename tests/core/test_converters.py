"""Payload converters (R-PAY-3, api.md 2.10)."""

from __future__ import annotations

import asyncio
import base64
import os
import subprocess
import sys
from pathlib import Path

import pytest
from rampart.converters import Base64Converter, DocxConverter, Rot13Converter
from rampart.core.converter import PayloadConverter
from rampart.core.types import Payload, PayloadFormat


def convert(converter: PayloadConverter, payload: Payload) -> Payload:
    return asyncio.run(converter.convert_async(payload=payload))


SOURCE = Payload(content="Hello, Wörld! 123", id="abc123", metadata={"origin": "test"})


def test_all_converters_follow_the_protocol() -> None:
    assert isinstance(Base64Converter(), PayloadConverter)
    assert isinstance(Rot13Converter(), PayloadConverter)


def test_base64_is_padded_utf8_and_keeps_id_R_PAY_3() -> None:
    out = convert(Base64Converter(), SOURCE)
    assert out.content == base64.b64encode("Hello, Wörld! 123".encode()).decode()
    assert convert(Base64Converter(), Payload(content="hi")).content == "aGk="
    assert out.id == "abc123"
    assert out.format is PayloadFormat.TEXT
    assert out.metadata == {"origin": "test", "converter": "Base64Converter"}
    assert SOURCE.metadata == {"origin": "test"}  # copied, not mutated


def test_rot13_rotates_ascii_letters_only_R_PAY_3() -> None:
    out = convert(Rot13Converter(), SOURCE)
    assert out.content == "Uryyb, Jöeyq! 123"
    assert convert(Rot13Converter(), out).content == SOURCE.content
    assert out.id == "abc123"
    assert out.metadata["converter"] == "Rot13Converter"


@pytest.mark.parametrize("fmt", [PayloadFormat.HTML, PayloadFormat.MARKDOWN])
def test_other_text_formats_are_accepted(fmt: PayloadFormat) -> None:
    assert convert(Rot13Converter(), Payload(content="ab", format=fmt)).content == "no"


def test_non_text_input_is_rejected_R_PAY_3(tmp_path: Path) -> None:
    artifact = tmp_path / "x.pdf"
    artifact.write_bytes(b"%PDF")
    binary = Payload(content="", format=PayloadFormat.PDF, artifact=artifact)
    with pytest.raises(ValueError, match=r"^Base64Converter requires a text payload, got pdf\.$"):
        convert(Base64Converter(), binary)
    with pytest.raises(ValueError, match=r"^Rot13Converter requires a text payload, got pdf\.$"):
        convert(Rot13Converter(), binary)


def test_docx_one_paragraph_per_line_R_PAY_3(tmp_path: Path) -> None:
    docx = pytest.importorskip("docx")
    source = Payload(content="first line\nsecond line\n\nfourth", id="doc1", metadata={"k": 1})
    out = convert(DocxConverter(output_dir=tmp_path / "out"), source)
    assert out.format is PayloadFormat.DOCX
    assert out.id == "doc1"
    assert out.artifact == tmp_path / "out" / "doc1.docx"
    assert out.metadata == {"k": 1, "converter": "DocxConverter"}
    paragraphs = [p.text for p in docx.Document(str(out.artifact)).paragraphs]
    assert paragraphs == ["first line", "second line", "", "fourth"]
    with pytest.raises(ValueError, match=r"^DocxConverter requires a text payload, got docx\.$"):
        convert(DocxConverter(output_dir=tmp_path), out)


def test_docx_defaults_to_a_per_process_temp_dir() -> None:
    pytest.importorskip("docx")
    first = convert(DocxConverter(), Payload(content="a", id="one"))
    second = convert(DocxConverter(), Payload(content="b", id="two"))
    assert first.artifact is not None
    assert second.artifact is not None
    assert first.artifact.parent == second.artifact.parent
    assert first.artifact.is_file()


def test_docx_id_cannot_escape_output_dir(tmp_path: Path) -> None:
    pytest.importorskip("docx")
    out = convert(DocxConverter(output_dir=tmp_path / "out"), Payload(content="a", id="../evil"))
    assert out.artifact == tmp_path / "out" / "evil.docx"


def test_docx_missing_extra_names_pip_install_R_GEN_2() -> None:
    code = (
        "import sys\n"
        "class Block:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name == 'docx' or name.startswith('docx.'):\n"
        "            raise ImportError('blocked')\n"
        "sys.meta_path.insert(0, Block())\n"
        "from rampart.converters import DocxConverter\n"
        "try:\n"
        "    DocxConverter()\n"
        "except ImportError as exc:\n"
        "    print(exc)\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "PYTHONWARNINGS": "ignore"},
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert "pip install 'rampart-core[docx]'" in proc.stdout


def test_public_names() -> None:
    import rampart.converters

    assert sorted(rampart.converters.__all__) == [
        "Base64Converter",
        "DocxConverter",
        "Rot13Converter",
    ]
