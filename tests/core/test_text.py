"""The display sanitizer (R-SAN-1)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

import pytest
from rampart.core.text import sanitize_text

_FORBIDDEN = (
    {chr(c) for c in range(0x20) if c not in (0x09, 0x0A)}
    | {chr(0x7F)}
    | {chr(c) for c in range(0x80, 0xA0)}
    | {"\u061c", "\u200e", "\u200f", "\u2060", "\ufeff", "\u200b", "\u200c", "\u200d"}
    | {chr(c) for c in range(0x202A, 0x202F)}
    | {chr(c) for c in range(0x2066, 0x206A)}
)
_SURROGATES = {chr(c) for c in range(0xD800, 0xE000)}

# Text biased towards the characters the sanitizer cares about, so examples hit real sequences.
_hostile_alphabet = st.sampled_from(
    [
        "\x1b",
        "[",
        "]",
        "P",
        "X",
        "^",
        "_",
        "\\",
        "\x07",
        "\x9b",
        "\x9c",
        "\x9d",
        "\x90",
        "\r",
        "\n",
        "\t",
        "(",
        " ",
        "0",
        ";",
        "m",
        "a",
        "\u202e",
        "\u200b",
        "\ud800",
        "\udfff",
        "\x00",
        "\x7f",
    ]
)
hostile_text = st.one_of(
    st.text(),
    st.lists(_hostile_alphabet, max_size=40).map("".join),
    st.text(alphabet=st.characters(min_codepoint=0, max_codepoint=0x2100)),
)


@settings(max_examples=150, deadline=None)
@given(hostile_text, st.booleans())
def test_sanitize_is_idempotent_R_SAN_1(text: str, single_line: bool) -> None:
    once = sanitize_text(text, single_line=single_line)
    assert sanitize_text(once, single_line=single_line) == once


@settings(max_examples=150, deadline=None)
@given(hostile_text)
def test_output_contains_no_controls_bidi_or_surrogates_R_SAN_1(text: str) -> None:
    out = sanitize_text(text)
    assert not set(out) & _FORBIDDEN
    assert not set(out) & _SURROGATES
    out.encode("utf-8")  # a lone surrogate would make this raise


@settings(max_examples=100, deadline=None)
@given(hostile_text)
def test_single_line_has_no_newlines_or_tabs_R_SAN_1(text: str) -> None:
    out = sanitize_text(text, single_line=True)
    assert "\n" not in out
    assert "\t" not in out
    assert not set(out) & _FORBIDDEN


@settings(max_examples=100, deadline=None)
@given(st.text(alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x7E)))
def test_printable_ascii_is_kept_unchanged_R_SAN_1(text: str) -> None:
    assert sanitize_text(text) == text
    assert sanitize_text(text, single_line=True) == text


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        pytest.param("a\x1b[31mred\x1b[0m!", "ared!", id="csi-sgr"),
        pytest.param("a\x1b[?25lb", "ab", id="csi-private-params"),
        pytest.param("a\x1b[1;2 qb", "ab", id="csi-intermediate"),
        pytest.param("a\x9b31mb", "ab", id="8bit-csi"),
        pytest.param("x\x1b]0;pwned title\x07y", "xy", id="osc-bel"),
        pytest.param("x\x1b]8;;http://evil\x1b\\click\x1b]8;;\x1b\\y", "xclicky", id="osc-st"),
        pytest.param("x\x9d0;title\x9cy", "xy", id="8bit-osc-st"),
        pytest.param("x\x1bPq#0;2;0;0;0\x1b\\y", "xy", id="dcs"),
        pytest.param("x\x90payload\x9cy", "xy", id="8bit-dcs"),
        pytest.param("x\x1bXsos\x1b\\y", "xy", id="sos"),
        pytest.param("x\x1b^pm\x1b\\y", "xy", id="pm"),
        pytest.param("x\x1b_apc\x1b\\y", "xy", id="apc"),
        pytest.param("a\x1b(Bb", "ab", id="nf-charset"),
        pytest.param("a\x1b#8b", "ab", id="nf-decaln"),
        pytest.param("a\x1bcb", "ab", id="two-char-ris"),
        pytest.param("a\x1b7b\x1b8c", "abc", id="two-char-save-restore"),
        pytest.param("a\x1b", "a", id="trailing-esc"),
        pytest.param("x\x1b]0;never terminated", "x", id="unterminated-osc"),
        pytest.param("line1\r\nline2", "line1\nline2", id="crlf"),
        pytest.param("safe\rEVIL", "safeEVIL", id="lone-cr"),
        pytest.param("a\x00b\x08c\x7fd\x85e", "abcde", id="c0-del-c1"),
        pytest.param("tab\there\nnext", "tab\there\nnext", id="tab-newline-kept"),
        pytest.param("evil\u202etxt.exe", "eviltxt.exe", id="bidi-override"),
        pytest.param("a\u2066b\u2069c\u061cd\u200ee\u200ff", "abcdef", id="bidi-isolates-marks"),
        pytest.param("a\u200bb\u200cc\u200dd\u2060e\ufefff", "abcdef", id="zero-width"),
        pytest.param("a\ud800b\udfffc", "a\ufffdb\ufffdc", id="lone-surrogates"),
        pytest.param(
            "caf\u00e9 \u2713 \U0001f600", "caf\u00e9 \u2713 \U0001f600", id="unicode-kept"
        ),
    ],
)
def test_explicit_cases_R_SAN_1(raw: str, expected: str) -> None:
    assert sanitize_text(raw) == expected


def test_single_line_maps_newlines_and_tabs_to_spaces_R_SAN_1() -> None:
    assert sanitize_text("a\nb\tc\r\nd", single_line=True) == "a b c d"


def test_single_line_removes_sequences_too_R_SAN_1() -> None:
    assert sanitize_text("\x1b[2J\x1b[Hgone\nnext", single_line=True) == "gone next"


def test_plain_text_is_returned_as_is() -> None:
    text = "nothing to do here"
    assert sanitize_text(text) is text


def test_public_names() -> None:
    import rampart.core.text as module

    assert module.__all__ == ["sanitize_text"]
