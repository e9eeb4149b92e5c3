"""Command-line options and ini keys, and their validation at configure time."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from rampart_pytest._warnings import RampartWarning

__all__ = ["DEFAULT_MAX_CONCURRENCY", "DEFAULT_XDIST_MAX_BYTES", "Options", "add_options"]

DEFAULT_MAX_CONCURRENCY = 64
#: Mirrors rampart_xdist.DEFAULT_SIZE_LIMIT_BYTES without importing the transport.
DEFAULT_XDIST_MAX_BYTES = 16 * 1024 * 1024
XDIST_MAX_BYTES_FLAG = "--rampart-xdist-max-bytes"
XDIST_MAX_BYTES_INI = "rampart_xdist_max_bytes"


def _flag_registered(parser: pytest.Parser, flag: str) -> bool:
    groups = [*parser._groups, parser._anonymous]
    return any(flag in option.names() for group in groups for option in group.options)


def add_options(parser: pytest.Parser) -> None:
    """Register rampart-pytest's options and ini keys."""
    group = parser.getgroup("rampart", "RAMPART safety testing")
    group.addoption(
        "--rampart-report",
        dest="rampart_report",
        default=None,
        metavar="PATH",
        help="write the JSON report to PATH (relative to the current directory)",
    )
    group.addoption(
        "--rampart-html",
        dest="rampart_html",
        default=None,
        metavar="PATH",
        help="write the HTML report to PATH (relative to the current directory)",
    )
    group.addoption(
        "--rampart-allow-incomplete",
        dest="rampart_allow_incomplete",
        action="store_true",
        default=None,
        help="an incomplete run (missing worker results) no longer fails the exit status",
    )
    group.addoption(
        "--rampart-max-concurrency",
        dest="rampart_max_concurrency",
        default=None,
        metavar="N",
        help=f"executions in flight per process (default {DEFAULT_MAX_CONCURRENCY})",
    )
    parser.addini("rampart_report", "JSON report path, relative to the rootdir", default="")
    parser.addini("rampart_html", "HTML report path, relative to the rootdir", default="")
    parser.addini(
        "rampart_allow_incomplete",
        "an incomplete run no longer fails the exit status",
        type="bool",
        default=False,
    )
    parser.addini(
        "rampart_max_concurrency",
        "executions in flight per process",
        default=str(DEFAULT_MAX_CONCURRENCY),
    )
    # rampart-xdist reads this value; it is registered here too so that existing addopts keep
    # working without the transport. Whichever plugin comes first registers it.
    if not _flag_registered(parser, XDIST_MAX_BYTES_FLAG):
        group.addoption(
            XDIST_MAX_BYTES_FLAG,
            dest=XDIST_MAX_BYTES_INI,
            default=None,
            metavar="N",
            help="per-record size cap of the rampart-xdist transport, in bytes",
        )
    if XDIST_MAX_BYTES_INI not in parser._inidict:
        parser.addini(XDIST_MAX_BYTES_INI, "per-record size cap of rampart-xdist, in bytes")


def _positive_int(value: Any, *, name: str) -> int:
    text = str(value).strip()
    try:
        number = int(text)
    except ValueError:
        number = 0
    if number < 1 or isinstance(value, bool):
        raise pytest.UsageError(f"{name} must be an integer >= 1, got {value!r}")
    return number


def _ini(config: pytest.Config, name: str) -> Any:
    try:
        return config.getini(name)
    except ValueError:
        return None


def _report_path(config: pytest.Config, flag: str, ini: str) -> Path | None:
    cli = config.getoption(ini)
    if cli:
        path = Path(config.invocation_params.dir, cli)
    else:
        configured = _ini(config, ini)
        if not configured:
            return None
        path = Path(config.rootpath, str(configured))
    if path.is_dir():
        raise pytest.UsageError(f"{flag} names a directory, not a file: {path}")
    return path


@dataclass(frozen=True, kw_only=True)
class Options:
    """Validated option values for one session."""

    json_path: Path | None
    html_path: Path | None
    allow_incomplete: bool
    max_concurrency: int
    xdist_max_bytes: int

    @classmethod
    def from_config(cls, config: pytest.Config) -> Options:
        """Validate the options; a bad value is a ``pytest.UsageError`` (R-BAD)."""
        json_path = _report_path(config, "--rampart-report", "rampart_report")
        html_path = _report_path(config, "--rampart-html", "rampart_html")
        if html_path is not None:
            try:
                from rampart.reporting.html import HtmlReportSink  # noqa: F401
            except ImportError:
                raise pytest.UsageError(
                    "--rampart-html: HTML reports are not available in this version"
                ) from None
        allow = config.getoption("rampart_allow_incomplete")
        if allow is None:
            allow = bool(_ini(config, "rampart_allow_incomplete"))
        concurrency_raw = config.getoption("rampart_max_concurrency")
        concurrency_name = "--rampart-max-concurrency"
        if concurrency_raw is None:
            concurrency_raw = _ini(config, "rampart_max_concurrency") or DEFAULT_MAX_CONCURRENCY
            concurrency_name = "rampart_max_concurrency"
        max_concurrency = _positive_int(concurrency_raw, name=concurrency_name)
        bytes_raw = config.getoption(XDIST_MAX_BYTES_INI, default=None)
        explicit = True
        bytes_name = XDIST_MAX_BYTES_FLAG
        if bytes_raw is None:
            bytes_raw = _ini(config, XDIST_MAX_BYTES_INI)
            bytes_name = XDIST_MAX_BYTES_INI
            if not bytes_raw:
                bytes_raw, explicit = DEFAULT_XDIST_MAX_BYTES, False
        xdist_max_bytes = _positive_int(bytes_raw, name=bytes_name)
        if explicit and not config.pluginmanager.hasplugin("rampart_xdist"):
            config.issue_config_time_warning(
                RampartWarning(
                    f"{bytes_name} is ignored: the rampart-xdist transport is not active"
                ),
                stacklevel=2,
            )
        return cls(
            json_path=json_path,
            html_path=html_path,
            allow_incomplete=bool(allow),
            max_concurrency=max_concurrency,
            xdist_max_bytes=xdist_max_bytes,
        )

    def publish(self, config: pytest.Config) -> None:
        """Store the validated numbers back on ``config.option`` for other plugins to read."""
        config.option.rampart_max_concurrency = self.max_concurrency
        config.option.rampart_xdist_max_bytes = self.xdist_max_bytes
        config.option.rampart_allow_incomplete = self.allow_incomplete
