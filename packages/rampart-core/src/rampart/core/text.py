"""The display sanitizer: makes untrusted text safe to print in a terminal or a page (R-SAN)."""

from __future__ import annotations

import re

__all__ = ["sanitize_text"]

# ECMA-48 control sequences, 7-bit (ESC-introduced) and 8-bit (C1-introduced). Control strings
# (OSC, DCS, SOS, PM, APC) run to ST or BEL; an unterminated one runs to the end of the text,
# which is what a terminal would swallow too. The alternation order matters: the string and CSI
# forms must win over the generic two-character ESC form.
_SEQUENCE = re.compile(
    r"(?:\x1b[\]PX^_]|[\x90\x98\x9d\x9e\x9f])[^\x07\x9c\x1b]*(?:\x07|\x9c|\x1b\\|(?=\x1b)|\Z)"
    r"|(?:\x1b\[|\x9b)[\x30-\x3f]*[\x20-\x2f]*[\x40-\x7e]"
    r"|\x1b[\x20-\x2f]+[\x30-\x7e]"
    r"|\x1b[\x30-\x7e]"
)

_C0_C1 = [*range(0x09), *range(0x0B, 0x20), *range(0x7F, 0xA0)]
_BIDI = [0x061C, 0x200E, 0x200F, *range(0x202A, 0x202F), *range(0x2066, 0x206A)]
_ZERO_WIDTH = [0x200B, 0x200C, 0x200D, 0x2060, 0xFEFF]
_DROPPED = [*_C0_C1, *_BIDI, *_ZERO_WIDTH]
_SURROGATES = range(0xD800, 0xE000)

_TABLE: dict[int, str | None] = dict.fromkeys(_DROPPED)
_TABLE.update(dict.fromkeys(_SURROGATES, "\ufffd"))
_SINGLE_LINE_TABLE: dict[int, str | None] = {**_TABLE, 0x09: " ", 0x0A: " "}

# One scan decides whether any work is needed; most display text is plain and returns as is.
_NEEDS_WORK = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200b-\u200f\u202a-\u202e\u2060\u2066-\u2069\ufeff"
    "\ud800-\udfff]"
)
_NEEDS_WORK_SINGLE_LINE = re.compile(
    "[\x00-\x1f\x7f-\x9f\u061c\u200b-\u200f\u202a-\u202e\u2060\u2066-\u2069\ufeff\ud800-\udfff]"
)
_HAS_INTRODUCER = re.compile("[\x1b\x90\x98\x9b\x9d\x9e\x9f]")


def sanitize_text(text: str, /, *, single_line: bool = False) -> str:
    """Return ``text`` with everything that could steer a terminal or hide content removed.

    Escape and control sequences, C0/C1 controls (tab and newline excepted), bidirectional
    overrides and zero-width characters are dropped; ``\\r\\n`` becomes ``\\n`` and any other
    carriage return disappears; lone surrogates become U+FFFD. With ``single_line=True``
    newlines and tabs become spaces as well. Applying it twice changes nothing.
    """
    needs_work = _NEEDS_WORK_SINGLE_LINE if single_line else _NEEDS_WORK
    if needs_work.search(text) is None:
        return text
    if _HAS_INTRODUCER.search(text) is not None:
        text = _SEQUENCE.sub("", text)
    # A carriage return is a C0 control, so dropping every "\r" also turns "\r\n" into "\n".
    return text.translate(_SINGLE_LINE_TABLE if single_line else _TABLE)
