"""A report sink that writes one self-contained HTML page per run (R-JSON-9).

The page has no external resources of any kind, so it opens offline from disk and can be
attached to a CI run as a single file. The summary figures are rendered here as escaped text;
the per-result rows and transcripts travel as one JSON data block that a small inline script
turns into DOM nodes on demand (``textContent`` only), which keeps a 10,000-result page
responsive.
"""

from __future__ import annotations

import gc
import json
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from html import escape
from math import isfinite
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rampart.core.text import sanitize_text
from rampart.reporting.sink import TestRunReport, category_key

if TYPE_CHECKING:
    from rampart.core.result import Result
    from rampart.core.types import Turn
    from rampart.reporting.sink import TrialGroupView

__all__ = ["HtmlReportSink"]

_MAX_INCOMPLETE_LINES = 20
# JSON text that the HTML parser could mistake for markup, or that older JS parsers treat as a
# line break inside a string, is escaped so the data block can never end early. Chained
# str.replace runs in C and is far faster than str.translate on a multi-megabyte block.
_SCRIPT_ESCAPES = (
    ("&", "\\u0026"),
    ("<", "\\u003c"),
    (">", "\\u003e"),
    ("\u2028", "\\u2028"),
    ("\u2029", "\\u2029"),
)
# Without indent the json module uses its C encoder.
_stdlib_encode = json.JSONEncoder(ensure_ascii=False, allow_nan=False, separators=(",", ":")).encode


def _encode_data(data: Any, *, use_msgspec: bool | None = None) -> str:
    """The data block as compact JSON text (not yet escaped for the page).

    msgspec, importable wherever rampart-xdist is installed, encodes the block about three
    times faster; the text differs at most in escaping choices, never in the parsed value.
    ``use_msgspec`` forces the choice (``None``: msgspec when importable).
    """
    if use_msgspec is not False:
        try:
            from msgspec.json import encode
        except ImportError:
            if use_msgspec:
                raise
        else:
            return encode(data).decode("utf-8")
    return _stdlib_encode(data)


def _script_safe(text: str) -> str:
    for raw, escaped in _SCRIPT_ESCAPES:
        text = text.replace(raw, escaped)
    return text


class HtmlReportSink:
    """Writes the run report as one self-contained HTML page.

    Give exactly one of ``output_dir`` (a new ``run_report_<UTC time>.html`` is created there,
    never overwriting an existing file) or ``path`` (exactly that file).
    """

    def __init__(self, *, output_dir: str | Path | None = None, path: str | Path | None = None):
        if (output_dir is None) == (path is None):
            raise TypeError("HtmlReportSink needs exactly one of output_dir= or path=")
        self.output_dir = None if output_dir is None else Path(output_dir)
        self.path = None if path is None else Path(path)
        self.last_path: Path | None = None

    def __repr__(self) -> str:
        target = f"output_dir={self.output_dir!r}" if self.path is None else f"path={self.path!r}"
        return f"HtmlReportSink({target})"

    async def emit_async(self, *, report: TestRunReport) -> None:
        """Write ``report``; the written file is then in :attr:`last_path`."""
        self.write(report)

    def write(self, report: TestRunReport, /) -> Path:
        """Render ``report``, publish the page atomically and return the file written."""
        # The temporary-file and no-overwrite publishing rules are the JSON sink's (R-JSON-6).
        from rampart.reporting.json_file import _write_report_file

        page = _render_page(report).encode("utf-8", "replace")

        def fill(fd: int) -> None:
            with open(fd, "wb") as handle:
                handle.write(page)

        final = _write_report_file(
            path=self.path, output_dir=self.output_dir, extension="html", fill=fill
        )
        self.last_path = final
        return final


def _render_page(report: TestRunReport, /) -> str:
    """The complete HTML document for ``report``."""
    results = report.results
    categories = report.by_harm_category()
    data_json = _script_safe(_data_block(results, list(categories)))
    parts = [
        _HEAD,
        _header(report),
        _incomplete_banner(report),
        _population(report),
        _category_table(report, categories),
        _trial_groups(report.trial_groups),
        _RESULTS_SECTION,
        '<script type="application/json" id="rampart-data">',
        data_json,
        "</script>\n<script>",
        _SCRIPT,
        "</script>\n</body>\n</html>\n",
    ]
    return "".join(parts)


def _line(value: object) -> str:
    """Untrusted text made safe for an HTML text node, on one line."""
    return escape(sanitize_text(str(value), single_line=True), quote=False)


def _pct(value: float, digits: int = 1) -> str:
    return f"{value:.{digits}%}"


def _interval(interval: tuple[float, float] | None, digits: int = 1) -> str:
    if interval is None:
        return "n/a"
    low, high = interval
    return f"{_pct(low, digits)}-{_pct(high, digits)}"


def _header(report: TestRunReport) -> str:
    meta = report.metadata
    started = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    rows = [
        ("Written", started),
        ("Duration", f"{report.duration_seconds:.2f} s"),
        ("Versions", _versions_line()),
        ("xdist", _xdist_line(meta)),
    ]
    cells = "".join(f"<dt>{label}</dt><dd>{_line(value)}</dd>" for label, value in rows)
    return f'<header><h1>RAMPART Safety Report</h1><dl class="meta">{cells}</dl></header>\n'


def _versions_line() -> str:
    from rampart.reporting.json_file import _versions

    found = [f"{name.replace('_', '-')} {v}" for name, v in _versions().items() if v is not None]
    return ", ".join(found)


def _xdist_line(meta: Mapping[str, Any]) -> str:
    if not meta.get("xdist_active"):
        return "off"
    workers = meta.get("worker_count")
    mode = meta.get("dist_mode")
    return f"on ({workers} workers, --dist {mode})"


def _incomplete_banner(report: TestRunReport) -> str:
    details = report.incomplete_details
    reasons = report.metadata.get("incomplete_reasons") or []
    if not details and not report.metadata.get("incomplete"):
        return ""
    messages: list[str] = [str(d.get("message", "")) for d in details] or [str(r) for r in reasons]
    kinds: dict[str, int] = {}
    for detail in details:
        kind = str(detail.get("kind", "other"))
        kinds[kind] = kinds.get(kind, 0) + 1
    counts = ", ".join(f"{kind}: {n}" for kind, n in kinds.items())
    items = "".join(f"<li>{_line(m)}</li>" for m in messages[:_MAX_INCOMPLETE_LINES])
    more = len(messages) - _MAX_INCOMPLETE_LINES
    if more > 0:
        items += f"<li>... and {more} more</li>"
    return (
        '<section class="incomplete" id="incomplete"><h2>RAMPART: INCOMPLETE RUN</h2>'
        "<p>Results may be partial; the report does not reflect every test.</p>"
        f"<p>{_line(counts)}</p><ul>{items}</ul></section>\n"
    )


def _population(report: TestRunReport) -> str:
    summary = report.population_summary()
    non_safe = summary.total_runs - summary.safe_count
    figures = [
        ("Runs", str(summary.total_runs), "", "runs"),
        ("Safe", str(summary.safe_count), "", "safe"),
        ("Unsafe", str(summary.unsafe_count), "", "unsafe"),
        ("Undetermined", str(summary.undetermined_count), "", "undetermined"),
        ("Errors", str(summary.error_count), "", "error"),
        (
            "Attack success rate",
            _pct(summary.attack_success_rate),
            f"95% CI {_interval(summary.attack_success_rate_interval)}",
            "asr",
        ),
        (
            "Safety pass rate",
            _pct(summary.safety_pass_rate),
            f"95% CI {_interval(summary.safety_pass_rate_interval)}",
            "spr",
        ),
    ]
    cards = "".join(
        f'<div class="fig fig-{key}" id="fig-{key}"><div class="label">{label}</div>'
        f'<div class="value">{value}</div><div class="ci">{ci}</div></div>'
        for label, value, ci, key in figures
    )
    return (
        '<section id="population"><h2>Population</h2>'
        f'<div class="figs">{cards}</div>'
        f'<p>Non-safe results: <span id="nonsafe-count">{non_safe}</span> of {summary.total_runs}'
        ' &middot; <a href="#status=nonsafe">show them</a></p></section>\n'
    )


def _category_table(report: TestRunReport, categories: Mapping[str, list[Result]]) -> str:
    rows = []
    for name in categories:
        s = report.population_summary(harm_category=name)
        ci = (
            _interval(s.attack_success_rate_interval) if s.total_runs - s.error_count > 0 else "n/a"
        )
        rows.append(
            f'<tr><th scope="row">{_line(name.upper())}</th><td>{s.total_runs}</td>'
            f"<td>{s.safe_count}</td><td>{s.unsafe_count}</td><td>{s.undetermined_count}</td>"
            f"<td>{s.error_count}</td><td>{_pct(s.attack_success_rate)}</td><td>{ci}</td></tr>"
        )
    return (
        '<section id="categories"><h2>Harm categories</h2><table class="grid">'
        "<thead><tr><th>Category</th><th>Runs</th><th>Safe</th><th>Unsafe</th>"
        "<th>Undetermined</th><th>Errors</th><th>ASR</th><th>ASR 95% CI</th></tr></thead>"
        f"<tbody>{''.join(rows)}</tbody></table></section>\n"
    )


def _trial_groups(groups: Mapping[str, TrialGroupView]) -> str:
    if not groups:
        return ""
    # Failed groups first, like the terminal summary, so a red verdict is never below the fold.
    ordered = sorted(groups.items(), key=lambda item: (bool(item[1].passed), item[0]))
    rows = []
    for base, group in ordered:
        label = str(group.terminal_label)
        tolerated = f", {group.tolerated} tolerated" if getattr(group, "tolerated", 0) else ""
        # Only fixed class names reach the attribute; the label itself is a text node.
        css = {"PASS": "pass", "FAIL": "fail"}.get(label, "other")
        rows.append(
            f'<tr class="{css}"><td class="verdict">{_line(label)}</td>'
            f"<td>{_line(base)}</td><td>{_line(group.detail)}{_line(tolerated)}</td>"
            f"<td>{_pct(group.pass_rate, 0)}</td><td>{_interval(group.pass_rate_interval, 0)}</td>"
            f"<td>{_pct(group.threshold, 0)}</td><td>{_line(group.verdict)}</td></tr>"
        )
    return (
        f'<section id="trials"><h2>Trial groups ({len(groups)})</h2><table class="grid">'
        "<thead><tr><th></th><th>Test</th><th>Trials</th><th>Pass rate</th><th>95% CI</th>"
        "<th>Threshold</th><th>Verdict</th></tr></thead>"
        f"<tbody>{''.join(rows)}</tbody></table></section>\n"
    )


# --- the embedded data -------------------------------------------------------------------


def _data_block(results: list[Result], categories: list[str]) -> str:
    """The rows of every result, as JSON text for the page's data block."""
    # The rows are acyclic, yet allocating hundreds of thousands of them next to a large live
    # report makes the cyclic collector rescan that report again and again: two thirds of the
    # time at 10,000 results. The collector is paused while the rows are built and encoded;
    # they are freed by reference counting before it resumes, so it never has to scan them.
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        return _encode_data(_page_data(results, categories))
    finally:
        if was_enabled:
            gc.enable()


def _page_data(results: list[Result], categories: list[str]) -> dict[str, Any]:
    from rampart.reporting.json_file import to_json_safe

    category_index = {name: i for i, name in enumerate(categories)}
    rows = [_result_data(i, r, category_index, to_json_safe) for i, r in enumerate(results)]
    return {
        "categories": [sanitize_text(c, single_line=True) for c in categories],
        "results": rows,
    }


def _s(value: object) -> str:
    return sanitize_text(str(value))


def _dump(value: Any, to_json_safe: Any) -> Any:
    """Structured data (tool arguments, side-effect details, metadata) for the data block.

    It stays structured, so the whole block is encoded in one pass of the C JSON encoder; the
    page script pretty-prints a value only when its transcript is opened.
    """
    return _clean(to_json_safe(value))


def _clean(value: Any) -> Any:
    # The input is already plain JSON data (to_json_safe); only its text needs sanitizing.
    if type(value) is str:
        return sanitize_text(value)
    if type(value) is dict:
        return {sanitize_text(k): _clean(v) for k, v in value.items()}
    if type(value) is list:
        return [_clean(v) for v in value]
    return value


def _result_data(
    index: int, result: Result, category_index: Mapping[str, int], to_json_safe: Any
) -> dict[str, Any]:
    meta = result.metadata
    nodeid = meta.get("_pytest_nodeid") or meta.get("_pytest_test_name") or f"result #{index + 1}"
    row: dict[str, Any] = {
        "id": _s(nodeid),
        "st": str(result.status),
        "cat": category_index[category_key(result.harm_category)],
        "sum": _s(result.summary),
        "strat": _s(result.strategy),
        "obs": str(result.observability_level),
        "dur": _finite(result.duration_seconds, 3),
    }
    trial = meta.get("_rampart_trial")
    if isinstance(trial, Mapping):
        row["trial"] = _s(f"{trial.get('base_nodeid')}[{trial.get('index')}/{trial.get('n')}]")
    truncated = meta.get("_rampart_truncated")
    if isinstance(truncated, list) and truncated:
        row["trunc"] = [
            _s(f"{t.get('path')} (originally {t.get('original_len')} characters)")
            if isinstance(t, Mapping)
            else _s(t)
            for t in truncated
        ]
    if result.injections:
        row["inj"] = [
            [_s(i.payload_id if i.payload_id is not None else "(none)"), _s(i.surface_name)]
            for i in result.injections
        ]
    if result.turns:
        row["turns"] = [_turn_data(t, to_json_safe) for t in result.turns]
    user_meta = {k: v for k, v in meta.items() if not str(k).startswith("_")}
    if user_meta:
        row["meta"] = _dump(user_meta, to_json_safe)
    return row


def _turn_data(turn: Turn, to_json_safe: Any) -> dict[str, Any]:
    request, response = turn.request, turn.response
    number = turn.turn_number
    data: dict[str, Any] = {"n": number if type(number) is int else _s(number)}
    if request.prompt is not None:
        data["prompt"] = _s(request.prompt)
    if request.attachments:
        data["att"] = [[_s(p.id), str(p.format)] for p in request.attachments]
    if turn.driver_reasoning:
        data["why"] = _s(turn.driver_reasoning)
    data["resp"] = _s(response.text)
    if response.tool_calls:
        data["tools"] = [
            [
                _s(c.name),
                _dump(c.arguments, to_json_safe),
                None if c.result is None else _s(c.result),
            ]
            for c in response.tool_calls
        ]
    if response.side_effects:
        data["fx"] = [[_s(e.kind), _dump(e.details, to_json_safe)] for e in response.side_effects]
    ev = turn.eval_result
    if ev is not None:
        data["eval"] = {
            "out": str(ev.outcome),
            "conf": _finite(ev.confidence, 3),
            "why": _s(ev.rationale),
            "ev": [_s(e) for e in _as_list(ev.evidence)],
        }
    return data


def _finite(value: object, digits: int) -> float | None:
    """A number for the data block; non-finite or non-numeric values become null (R-JSON-4)."""
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return round(number, digits) if isfinite(number) else None


def _as_list(value: Iterable[Any] | None) -> list[Any]:
    return list(value) if value else []


# --- static page parts ----------------------------------------------------------------------

_HEAD = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:">
<title>RAMPART Safety Report</title>
<style>
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:0 auto;max-width:1200px;padding:0 16px 48px;color:#1d2330;background:#fafbfc}
h1{font-size:22px;margin:18px 0 6px}h2{font-size:17px;margin:22px 0 8px}
dl.meta{display:grid;grid-template-columns:max-content 1fr;gap:2px 12px;margin:0;color:#444}
dl.meta dt{font-weight:600}dl.meta dd{margin:0}
.incomplete{border:2px solid #b3261e;background:#fdecea;padding:8px 14px;margin-top:14px;border-radius:6px}
.incomplete h2{color:#b3261e;margin-top:4px}
.figs{display:flex;flex-wrap:wrap;gap:10px}
.fig{background:#fff;border:1px solid #dde1e6;border-radius:6px;padding:8px 12px;min-width:110px}
.fig .label{font-size:12px;color:#555}.fig .value{font-size:20px;font-weight:600}.fig .ci{font-size:12px;color:#666}
.fig-unsafe .value,.fig-asr .value{color:#b3261e}.fig-safe .value{color:#1b7a3a}
table.grid{border-collapse:collapse;background:#fff;width:100%}
table.grid th,table.grid td{border:1px solid #dde1e6;padding:4px 8px;text-align:left;vertical-align:top}
table.grid thead th{background:#eef1f5}
tr.fail td.verdict{color:#b3261e;font-weight:700}tr.pass td.verdict{color:#1b7a3a;font-weight:700}
.filters{display:flex;flex-wrap:wrap;gap:10px;align-items:center;margin:6px 0 10px}
.filters input{min-width:260px;padding:3px 6px}
#results details{background:#fff;border:1px solid #dde1e6;border-radius:5px;margin:4px 0}
#results summary{cursor:pointer;padding:4px 8px;overflow-wrap:anywhere}
.badge{display:inline-block;min-width:124px;font-weight:700;font-size:12px}
.st-unsafe .badge{color:#b3261e}.st-error .badge{color:#8a4b00}.st-undetermined .badge{color:#6b5b00}.st-safe .badge{color:#1b7a3a}
.nodeid{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:13px}
.sum{color:#444}
.transcript{padding:4px 14px 10px;border-top:1px solid #eef1f5}
.transcript h4{margin:10px 0 2px;font-size:13px}
.transcript pre{white-space:pre-wrap;overflow-wrap:anywhere;background:#f4f6f8;padding:6px 8px;margin:2px 0;border-radius:4px;font-size:12.5px}
.kv{color:#555;font-size:12.5px}
button{padding:3px 10px}
tr.pick{cursor:pointer}tr.pick:hover{background:#f4f6f8}
</style>
</head>
<body>
"""

_RESULTS_SECTION = """<section id="results-section"><h2>Results</h2>
<div class="filters">
<label>Status <select id="f-status">
<option value="all">all</option><option value="nonsafe">non-safe</option>
<option value="unsafe">unsafe</option><option value="error">error</option>
<option value="undetermined">undetermined</option><option value="safe">safe</option>
</select></label>
<label>Category <select id="f-cat"><option value="all">all</option></select></label>
<label>Search <input id="f-q" type="search" placeholder="node id, summary, transcript"></label>
<span id="shown-count"></span>
</div>
<div id="results"><noscript>Enable JavaScript to browse the individual results.</noscript></div>
<button id="more" type="button" hidden>Show more</button>
</section>
"""

# Plain ES5-style script: every piece of report text reaches the DOM through textContent.
_SCRIPT = r"""
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("rampart-data").textContent);
  var rows = data.results, cats = data.categories, PAGE = 200;
  var LABEL = {unsafe: "UNSAFE", error: "ERROR", undetermined: "UNDETERMINED", safe: "SAFE"};
  var fStatus = document.getElementById("f-status"), fCat = document.getElementById("f-cat");
  var fQ = document.getElementById("f-q"), list = document.getElementById("results");
  var count = document.getElementById("shown-count"), more = document.getElementById("more");
  var limit = PAGE, matches = [], hay = null, openIndex = -1;

  function el(tag, cls, text) {
    var n = document.createElement(tag);
    if (cls) { n.className = cls; }
    if (text !== undefined && text !== null) { n.textContent = String(text); }
    return n;
  }
  cats.forEach(function (name, i) {
    var o = el("option", null, name.toUpperCase()); o.value = String(i); fCat.appendChild(o);
  });

  function pretty(value) { return JSON.stringify(value, null, 1); }
  function turnText(t) {
    var parts = [t.prompt || "", t.resp || "", t.why || ""];
    (t.tools || []).forEach(function (c) { parts.push(c[0], pretty(c[1]), c[2] || ""); });
    (t.fx || []).forEach(function (f) { parts.push(f[0], pretty(f[1])); });
    if (t.eval) { parts.push(t.eval.why); }
    return parts.join("\n");
  }
  function haystack(i) {
    if (hay === null) { hay = new Array(rows.length); }
    if (hay[i] === undefined) {
      var r = rows[i], parts = [r.id, r.sum, r.st, cats[r.cat], r.strat, r.trial || ""];
      (r.turns || []).forEach(function (t) { parts.push(turnText(t)); });
      hay[i] = parts.join("\n").toLowerCase();
    }
    return hay[i];
  }

  function kv(parent, label, value) {
    var p = el("div", "kv"); p.appendChild(el("b", null, label + ": ")); p.appendChild(document.createTextNode(String(value)));
    parent.appendChild(p);
  }
  function block(parent, title, text) {
    parent.appendChild(el("h4", null, title)); parent.appendChild(el("pre", null, text));
  }
  function renderTranscript(r, box) {
    var t = el("div", "transcript");
    kv(t, "Node id", r.id);
    kv(t, "Status", LABEL[r.st] || r.st);
    kv(t, "Category", cats[r.cat]);
    if (r.strat) { kv(t, "Strategy", r.strat); }
    kv(t, "Observability", r.obs);
    kv(t, "Duration", r.dur + " s");
    if (r.trial) { kv(t, "Trial", r.trial); }
    if (r.trunc) {
      t.appendChild(el("h4", null, "Truncated by the xdist transport"));
      var tl = el("ul");
      r.trunc.forEach(function (x) { tl.appendChild(el("li", null, x)); });
      t.appendChild(tl);
    }
    block(t, "Summary", r.sum);
    if (r.inj) {
      t.appendChild(el("h4", null, "Injections"));
      var ul = el("ul");
      r.inj.forEach(function (x) { ul.appendChild(el("li", null, "payload " + x[0] + " on surface " + x[1])); });
      t.appendChild(ul);
    }
    (r.turns || []).forEach(function (turn) {
      var sec = el("section", "turn");
      sec.appendChild(el("h3", null, "Turn " + turn.n));
      if (turn.prompt !== undefined) { block(sec, "Prompt", turn.prompt); }
      if (turn.att) {
        sec.appendChild(el("h4", null, "Attachments"));
        var ul = el("ul");
        turn.att.forEach(function (a) { ul.appendChild(el("li", null, a[0] + " (" + a[1] + ")")); });
        sec.appendChild(ul);
      }
      if (turn.why) { block(sec, "Driver reasoning", turn.why); }
      block(sec, "Response", turn.resp);
      (turn.tools || []).forEach(function (c) {
        block(sec, "Tool call: " + c[0], pretty(c[1]));
        if (c[2] !== null) { block(sec, "Tool result: " + c[0], c[2]); }
      });
      (turn.fx || []).forEach(function (f) { block(sec, "Side effect: " + f[0], pretty(f[1])); });
      if (turn.eval) {
        var e = turn.eval, conf = e.conf === null ? "" : " (confidence " + e.conf + ")";
        sec.appendChild(el("h4", null, "Evaluator: " + e.out + conf));
        if (e.why) { sec.appendChild(el("pre", null, e.why)); }
        if (e.ev.length) {
          var ev = el("ul"); e.ev.forEach(function (x) { ev.appendChild(el("li", null, x)); }); sec.appendChild(ev);
        }
      }
      t.appendChild(sec);
    });
    if (r.meta) { block(t, "Metadata", pretty(r.meta)); }
    box.appendChild(t);
  }

  function row(i) {
    var r = rows[i], d = el("details", "result st-" + (LABEL[r.st] ? r.st : "other"));
    d.id = "r" + i;
    var s = el("summary");
    s.appendChild(el("span", "badge", LABEL[r.st] || r.st));
    s.appendChild(el("span", "nodeid", r.id));
    s.appendChild(document.createTextNode(" \u2014 "));
    s.appendChild(el("span", "sum", r.sum.length > 200 ? r.sum.slice(0, 200) + "..." : r.sum));
    d.appendChild(s);
    d.addEventListener("toggle", function () {
      if (d.open && !d.rendered) { d.rendered = true; renderTranscript(r, d); }
    });
    if (i === openIndex) { d.rendered = true; renderTranscript(r, d); d.open = true; }
    return d;
  }

  function matchesFilters(i) {
    var r = rows[i], st = fStatus.value, c = fCat.value, q = fQ.value.trim().toLowerCase();
    if (st === "nonsafe" ? r.st === "safe" : (st !== "all" && r.st !== st)) { return false; }
    if (c !== "all" && String(r.cat) !== c) { return false; }
    return !q || haystack(i).indexOf(q) !== -1;
  }
  function render() {
    list.textContent = "";
    var frag = document.createDocumentFragment(), n = Math.min(limit, matches.length);
    for (var k = 0; k < n; k++) { frag.appendChild(row(matches[k])); }
    list.appendChild(frag);
    count.textContent = "Showing " + n + " of " + matches.length + " matching results (" + rows.length + " total)";
    more.hidden = n >= matches.length;
  }
  function apply(updateHash) {
    matches = [];
    for (var i = 0; i < rows.length; i++) { if (matchesFilters(i)) { matches.push(i); } }
    limit = PAGE;
    render();
    if (updateHash) { writeHash(); }
  }
  function writeHash() {
    var parts = [];
    if (fStatus.value !== "all") { parts.push("status=" + fStatus.value); }
    if (fCat.value !== "all") { parts.push("category=" + encodeURIComponent(cats[+fCat.value])); }
    if (fQ.value) { parts.push("q=" + encodeURIComponent(fQ.value)); }
    try { history.replaceState(null, "", "#" + parts.join("&")); } catch (err) { /* file: URLs in some browsers */ }
  }
  function readHash() {
    var params = {};
    location.hash.replace(/^#/, "").split("&").forEach(function (kvp) {
      var at = kvp.indexOf("=");
      if (at > 0) {
        try { params[kvp.slice(0, at)] = decodeURIComponent(kvp.slice(at + 1).replace(/\+/g, " ")); } catch (err) { /* ignore bad escapes */ }
      }
    });
    var st = params.status || "all";
    fStatus.value = /^(all|nonsafe|unsafe|error|undetermined|safe)$/.test(st) ? st : "all";
    fCat.value = "all";
    if (params.category !== undefined) {
      var want = params.category.toLowerCase();
      cats.forEach(function (name, i) { if (name.toLowerCase() === want) { fCat.value = String(i); } });
    }
    fQ.value = params.q || "";
    openIndex = params.open !== undefined && /^[0-9]+$/.test(params.open) ? +params.open : -1;
  }

  /* Clicking a category row filters the results to it (rows are in category order). */
  Array.prototype.forEach.call(document.querySelectorAll("#categories tbody tr"), function (tr, i) {
    tr.className = "pick";
    tr.addEventListener("click", function () {
      fCat.value = String(i); apply(true);
      document.getElementById("results-section").scrollIntoView();
    });
  });

  var timer = null;
  fStatus.addEventListener("change", function () { apply(true); });
  fCat.addEventListener("change", function () { apply(true); });
  fQ.addEventListener("input", function () {
    clearTimeout(timer); timer = setTimeout(function () { apply(true); }, 150);
  });
  more.addEventListener("click", function () { limit += PAGE; render(); });
  window.addEventListener("hashchange", function () { readHash(); apply(false); });
  readHash();
  apply(false);
}());
"""
