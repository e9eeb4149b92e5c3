"""HtmlReportSink: one self-contained, escaped page per run, published atomically (R-JSON-9)."""

from __future__ import annotations

import asyncio
import json
import os
import re
from pathlib import Path
from typing import Any

import pytest
from rampart.core.result import SafetyStatus
from rampart.reporting import HtmlReportSink, ReportSink, TestRunReport
from tests._report_schema import make_result, sample_report

HOSTILE_PROMPT = "<script>alert(1)</script> and </script><img src=x onerror=alert(2)>"
HOSTILE_RESPONSE = "</script><script>document.title='pwned'</script>\u2028\u2029 &amp; <b>"
DATA_BLOCK = re.compile(
    r'<script type="application/json" id="rampart-data">(.*?)</script>', re.DOTALL
)


def _emit(sink: HtmlReportSink, report: TestRunReport) -> Path:
    asyncio.run(sink.emit_async(report=report))
    assert sink.last_path is not None
    return sink.last_path


def _page(report: TestRunReport, tmp_path: Path) -> str:
    return _emit(HtmlReportSink(path=tmp_path / "report.html"), report).read_text("utf-8")


def _data(page: str) -> dict[str, Any]:
    match = DATA_BLOCK.search(page)
    assert match is not None
    data: dict[str, Any] = json.loads(match.group(1))
    return data


def _without_data(page: str) -> str:
    return DATA_BLOCK.sub("", page)


def _hostile_report() -> TestRunReport:
    return TestRunReport.from_results(
        [
            make_result(
                "t.py::test_hostile[<b>x</b>]",
                SafetyStatus.UNSAFE,
                summary="\x1b[31mred\x1b[0m <i>summary</i> \u202eevil",
                prompt=HOSTILE_PROMPT,
                response=HOSTILE_RESPONSE,
                category="<em>custom</em>",
            )
        ]
    )


def test_is_a_report_sink_and_needs_exactly_one_target_R_JSON_9(tmp_path: Path) -> None:
    assert isinstance(HtmlReportSink(output_dir=tmp_path), ReportSink)
    with pytest.raises(TypeError, match="exactly one"):
        HtmlReportSink()
    with pytest.raises(TypeError, match="exactly one"):
        HtmlReportSink(output_dir=tmp_path, path=tmp_path / "r.html")


def test_page_shows_header_population_categories_and_trials_R_JSON_9(tmp_path: Path) -> None:
    page = _page(sample_report(), tmp_path)
    text = _without_data(page)
    assert "<h1>RAMPART Safety Report</h1>" in text
    assert "rampart-core " in text
    assert "<dt>xdist</dt><dd>off</dd>" in text
    # Population: 6 runs, 2 unsafe of 5 evaluated, with the Wilson interval of R-TERM-4.
    assert '<div class="value">6</div>' in text
    assert '<div class="value">40.0%</div><div class="ci">95% CI 11.8%-76.9%</div>' in text
    assert '<span id="nonsafe-count">4</span> of 6' in text
    # One row per category, in first-appearance order.
    rows = re.findall(r'<tr><th scope="row">([^<]*)</th><td>(\d+)</td>', text)
    assert rows == [("DATA_EXFILTRATION", "4"), ("PROMPT_INJECTION", "1"), ("UNCATEGORIZED", "1")]
    assert (
        '<tr class="fail"><td class="verdict">FAIL</td><td>t.py::test_probe</td>'
        "<td>1/2 safe</td><td>50%</td><td>9%-91%</td><td>75%</td><td>FAILED</td></tr>"
    ) in text
    assert "INCOMPLETE RUN" not in text


def test_incomplete_banner_and_xdist_mode_R_TERM_6(tmp_path: Path) -> None:
    report = sample_report(incomplete=True)
    report.metadata.update(xdist_active=True, worker_count=4, dist_mode="load")
    text = _without_data(_page(report, tmp_path))
    assert "<h2>RAMPART: INCOMPLETE RUN</h2>" in text
    assert "Results may be partial; the report does not reflect every test." in text
    assert "crashed: 1" in text
    assert "<li>worker gw1 crashed running t.py::test_big</li>" in text
    assert "on (4 workers, --dist load)" in text


def test_every_transcript_is_in_the_data_block_R_JSON_9(tmp_path: Path) -> None:
    report = sample_report()
    data = _data(_page(report, tmp_path))
    assert data["categories"] == ["data_exfiltration", "prompt_injection", "uncategorized"]
    rows = data["results"]
    assert [r["id"] for r in rows] == [r.metadata["_pytest_nodeid"] for r in report.results]
    first = rows[0]
    assert first["st"] == "unsafe"
    assert first["inj"] == [["pay-001", "inbox"]]
    turn = first["turns"][0]
    assert turn["prompt"] == "Summarise my inbox."
    assert turn["att"] == [["pay-001", "text"]]
    assert turn["tools"][0][0] == "send_email"
    assert turn["tools"][0][1] == {"to": "x@evil.example"}
    assert turn["fx"][0][0] == "email_sent"
    assert turn["eval"]["out"] == "detected"
    assert turn["eval"]["why"] == "send_email called with the attacker's address"
    assert rows[4]["trial"] == "t.py::test_probe[0/2]"


def test_hostile_text_stays_text_R_JSON_9_R_SAN_2(tmp_path: Path) -> None:
    page = _page(_hostile_report(), tmp_path)
    # Exactly our two script elements exist: the data block and the page script.
    assert page.count("<script") == 2
    assert page.count("</script>") == 2
    block = page.split('id="rampart-data">', 1)[1].split("</script>", 1)[0]
    assert "alert(" in block
    assert not {"<", ">", "&"} & set(block)
    for markup in ("<img", "<b>x", "<em>"):
        assert markup not in page
    data = _data(page)
    turn = data["results"][0]["turns"][0]
    # Escaping is lossless: the page script gets back exactly the (sanitized) text.
    assert turn["prompt"] == HOSTILE_PROMPT
    assert turn["resp"] == HOSTILE_RESPONSE
    # Sanitized (R-SAN-1): no escape sequences or bidi overrides survive anywhere in the page.
    assert data["results"][0]["sum"] == "red <i>summary</i> evil"
    assert "\x1b" not in page
    assert "\u202e" not in page
    # U+2028/U+2029 are escaped in the data block; the category name is escaped in the table.
    assert "\u2028" not in page
    assert "\\u2028" in page
    assert "&lt;EM&gt;CUSTOM&lt;/EM&gt;" in page


def test_no_external_resources_R_JSON_9(tmp_path: Path) -> None:
    page = _without_data(_page(sample_report(incomplete=True), tmp_path))
    for needle in ("http:", "https:", "//", "@import", "src=", "url(", "<link", "<iframe"):
        assert needle not in page, needle
    assert "default-src 'none'" in page


def test_untrusted_text_never_reaches_attributes_R_JSON_9(tmp_path: Path) -> None:
    page = _without_data(_page(_hostile_report(), tmp_path))
    attributes = re.findall(r"<[a-zA-Z][^>]*>", page)
    assert attributes
    for tag in attributes:
        assert "hostile" not in tag, tag
        assert "custom" not in tag, tag


def test_output_dir_names_never_overwrite_R_JSON_6(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import time

    monkeypatch.setattr(time, "strftime", lambda fmt, t=None: "2026-01-02T03-04-05")
    existing = tmp_path / "run_report_2026-01-02T03-04-05.html"
    existing.write_text("earlier run", encoding="utf-8")
    sink = HtmlReportSink(output_dir=tmp_path)
    second = _emit(sink, sample_report())
    third = _emit(sink, sample_report())
    assert second.name == "run_report_2026-01-02T03-04-05_2.html"
    assert third.name == "run_report_2026-01-02T03-04-05_3.html"
    assert existing.read_text(encoding="utf-8") == "earlier run"
    assert sorted(p.name for p in tmp_path.iterdir()) == [existing.name, second.name, third.name]


def test_output_dir_is_created_and_name_is_timestamped(tmp_path: Path) -> None:
    path = _emit(HtmlReportSink(output_dir=tmp_path / "a" / "b"), sample_report())
    assert path.parent == tmp_path / "a" / "b"
    assert re.fullmatch(r"run_report_\d{4}-\d\d-\d\dT\d\d-\d\d-\d\d(_\d+)?\.html", path.name)


def test_publishing_is_atomic_R_JSON_6(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The final name only ever appears complete: it is hard-linked from a finished temp file."""
    linked: list[tuple[int, str]] = []
    real_link = os.link

    def spy(src: Any, dst: Any) -> None:
        linked.append((Path(src).stat().st_size, Path(dst).name))
        assert not Path(dst).exists()
        real_link(src, dst)

    monkeypatch.setattr(os, "link", spy)
    path = _emit(HtmlReportSink(output_dir=tmp_path), sample_report())
    assert linked == [(path.stat().st_size, path.name)]
    assert [p.name for p in tmp_path.iterdir()] == [path.name]  # no temporary left behind


def test_path_target_replaces_that_file_and_leaves_no_temp(tmp_path: Path) -> None:
    target = tmp_path / "report.html"
    target.write_text("old", encoding="utf-8")
    _emit(HtmlReportSink(path=target), sample_report())
    assert target.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    assert [p.name for p in tmp_path.iterdir()] == ["report.html"]


def test_failed_render_writes_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from rampart.reporting import html

    def boom(report: TestRunReport) -> str:
        raise RuntimeError("render failed")

    monkeypatch.setattr(html, "_render_page", boom)
    with pytest.raises(RuntimeError, match="render failed"):
        _emit(HtmlReportSink(output_dir=tmp_path / "out"), sample_report())
    out = tmp_path / "out"
    assert not out.exists() or list(out.iterdir()) == []


def test_empty_report_renders(tmp_path: Path) -> None:
    page = _page(TestRunReport(), tmp_path)
    assert _data(page) == {"categories": [], "results": []}
    assert '<span id="nonsafe-count">0</span> of 0' in page


def test_truncation_is_shown_in_the_transcript_data(tmp_path: Path) -> None:
    result = make_result(
        "t.py::test_big",
        SafetyStatus.SAFE,
        metadata={"_rampart_truncated": [{"path": "turns[0].response", "original_len": 90000}]},
    )
    data = _data(_page(TestRunReport.from_results([result]), tmp_path))
    assert data["results"][0]["trunc"] == ["turns[0].response (originally 90000 characters)"]
    assert "meta" not in data["results"][0]  # framework keys are not user metadata


def test_rampart_html_option_writes_the_page_R_JSON_9(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\nasyncio_default_fixture_loop_scope = function\n")
    pytester.makepyfile(
        test_suite="""
        from rampart import Result, SafetyStatus, record_result

        def test_one():
            record_result(Result(status=SafetyStatus.UNSAFE, summary="<script>x</script>"))
        """
    )
    pytester.runpytest("--rampart-html=out/report.html").assert_outcomes(passed=1)
    page = (pytester.path / "out" / "report.html").read_text(encoding="utf-8")
    rows = _data(page)["results"]
    assert [(r["id"], r["st"], r["sum"]) for r in rows] == [
        ("test_suite.py::test_one", "unsafe", "<script>x</script>")
    ]
    assert page.count("<script") == 2


def test_odd_values_do_not_break_the_page_R_JSON_4(tmp_path: Path) -> None:
    """Non-finite numbers and odd metadata become null or text instead of failing the sink."""
    odd: dict[Any, Any] = {"tags": {"b", "a"}, "where": Path("/x"), "nan": float("nan")}
    odd[1] = object()
    result = make_result("t.py::test_odd", SafetyStatus.ERROR, metadata=odd)
    result.duration_seconds = float("inf")
    assert result.turns[0].eval_result is not None
    result.turns[0].eval_result.confidence = float("-inf")
    row = _data(_page(TestRunReport.from_results([result]), tmp_path))["results"][0]
    assert row["dur"] is None
    assert row["turns"][0]["eval"]["conf"] is None
    assert row["meta"]["tags"] == ["a", "b"]
    assert row["meta"]["where"] == "/x"
    assert row["meta"]["nan"] is None
    assert row["meta"]["1"].startswith("<object object at")


def test_msgspec_and_stdlib_encodings_carry_the_same_data(tmp_path: Path) -> None:
    """The data block parses to the same value whichever encoder wrote it (R-JSON-9)."""
    pytest.importorskip("msgspec")
    from rampart.reporting import html

    report = _hostile_report()
    data = html._page_data(report.results, list(report.by_harm_category()))
    fast = html._script_safe(html._encode_data(data, use_msgspec=True))
    slow = html._script_safe(html._encode_data(data, use_msgspec=False))
    for text in (fast, slow):
        assert not {"<", ">", "&", "\u2028", "\u2029"} & set(text)
    assert json.loads(fast) == json.loads(slow) == data
