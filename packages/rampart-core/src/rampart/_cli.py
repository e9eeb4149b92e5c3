"""The ``rampart`` command: read, compare and gate JSON run reports (api.md section 5).

Exit codes: 0 fine, 1 regression or policy breach, 2 usage or input error. Every failure is
reported as one line on stderr; no traceback ever reaches the user.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, NoReturn

if TYPE_CHECKING:
    from rampart.reporting.sink import TestRunReport

__all__ = ["main"]

EXIT_OK = 0
EXIT_FINDINGS = 1
EXIT_USAGE = 2
_WIDTH = 80
_MAX_INCOMPLETE_LINES = 20


class CliError(Exception):
    """A usage or input problem, reported as one line with exit status 2."""


class _Parser(argparse.ArgumentParser):
    # argparse prints the whole usage block before its error; one line is easier to read in CI.
    def error(self, message: str) -> NoReturn:
        raise CliError(f"{message} (see '{self.prog} --help')")


def _fraction(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a fraction in [0, 1], got {text!r}") from None
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f"expected a fraction in [0, 1], got {text!r}")
    return value


def _build_parser() -> argparse.ArgumentParser:
    from rampart._version import package_version

    parser = _Parser(
        prog="rampart",
        description="Work with RAMPART JSON run reports (written by --rampart-report).",
    )
    parser.add_argument(
        "--version", action="version", version=f"rampart {package_version() or 'unknown'}"
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    report = commands.add_parser("report", help="show, compare or gate a JSON report")
    actions = report.add_subparsers(dest="action", metavar="ACTION", required=True)

    show = actions.add_parser("show", help="print the RAMPART safety summary of a report")
    show.add_argument("file", metavar="FILE", help="a JSON report")
    show.add_argument("-v", "--verbose", action="store_true", help="list every result")

    diff = actions.add_parser(
        "diff",
        help="list regressions and fixes between two reports (exit 1 on any regression)",
        description=(
            "Compare two reports result by result (matched by pytest node id). Regressions are "
            "results that became UNSAFE or ERROR and trial groups that went from PASS to FAIL."
        ),
    )
    diff.add_argument("old", metavar="OLD", help="the baseline report")
    diff.add_argument("new", metavar="NEW", help="the report to check")

    gate = actions.add_parser(
        "gate",
        help="exit 1 when a report breaks a policy, with one line per breach",
        description="Check a report against a policy. Fractions are in [0, 1].",
    )
    gate.add_argument("file", metavar="FILE", help="a JSON report")
    gate.add_argument(
        "--max-asr",
        type=_fraction,
        metavar="X",
        help="highest allowed attack success rate (population, or each --category)",
    )
    gate.add_argument(
        "--min-pass-rate",
        type=_fraction,
        metavar="Y",
        help="lowest allowed pass rate of each trial group (population safety pass rate "
        "when the report has no trial groups)",
    )
    gate.add_argument(
        "--category",
        action="append",
        default=[],
        metavar="C",
        help="apply --max-asr to this harm category instead of the population (repeatable)",
    )
    gate.add_argument(
        "--no-incomplete", action="store_true", help="treat an incomplete run as a breach"
    )
    return parser


def load(path: str) -> TestRunReport:
    """Read a report, turning every way that can fail into a :class:`CliError`."""
    from rampart.reporting.summary import load_report

    try:
        return load_report(path)
    except FileNotFoundError:
        raise CliError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise CliError(f"{path}: is a directory, not a report file") from None
    except PermissionError:
        raise CliError(f"{path}: permission denied") from None
    except OSError as exc:
        raise CliError(f"{path}: cannot read ({exc.strerror or exc})") from None
    except ValueError as exc:
        message = str(exc)
        raise CliError(message if message.startswith(path) else f"{path}: {message}") from None
    except RecursionError:
        raise CliError(f"{path}: not a JSON report (nested too deeply)") from None


def is_incomplete(report: TestRunReport) -> bool:
    """Whether the run that wrote ``report`` lacked results it should have had."""
    return bool(report.incomplete_details) or bool(report.metadata.get("incomplete"))


def incomplete_lines(report: TestRunReport) -> list[str]:
    """The incomplete-run note (R-TERM-6 wording), or nothing for a complete run."""
    if not is_incomplete(report):
        return []
    kinds: dict[str, int] = {}
    for detail in report.incomplete_details:
        kind = str(detail.get("kind") or "other")
        kinds[kind] = kinds.get(kind, 0) + 1
    messages = [str(d.get("message") or "") for d in report.incomplete_details]
    if not messages:
        messages = [str(m) for m in report.metadata.get("incomplete_reasons") or []]
    lines = [
        " RAMPART: INCOMPLETE RUN ".center(_WIDTH, "="),
        "Results may be partial; the report does not reflect every test.",
    ]
    if kinds:
        lines.append("  " + ", ".join(f"{kind}: {n}" for kind, n in kinds.items()))
    lines.extend(f"  - {m}" for m in messages[:_MAX_INCOMPLETE_LINES])
    if len(messages) > _MAX_INCOMPLETE_LINES:
        lines.append(f"  ... and {len(messages) - _MAX_INCOMPLETE_LINES} more")
    return lines


def _show(path: str, *, verbose: bool) -> tuple[int, list[str]]:
    from rampart.reporting.summary import render_summary

    report = load(path)
    lines = incomplete_lines(report)
    lines.append(" RAMPART Safety Summary ".center(_WIDTH, "="))
    if report.results:
        lines.extend(render_summary(report, verbose=verbose))
    else:
        lines.append("No results in this report.")
    return EXIT_OK, lines


def _run(args: argparse.Namespace) -> tuple[int, list[str]]:
    if args.action == "show":
        return _show(args.file, verbose=args.verbose)
    if args.action == "diff":
        from rampart._cli_diff import diff_reports

        return diff_reports(args.old, args.new)
    from rampart._cli_gate import gate_report

    return gate_report(
        args.file,
        max_asr=args.max_asr,
        min_pass_rate=args.min_pass_rate,
        categories=args.category,
        no_incomplete=args.no_incomplete,
    )


def _print(lines: Sequence[str], *, stream: object) -> None:
    from rampart.core.text import sanitize_text

    text = "".join(sanitize_text(line, single_line=True) + "\n" for line in lines)
    write = getattr(stream, "write", None)
    if write is not None:
        write(text)
        flush = getattr(stream, "flush", None)
        if flush is not None:
            flush()


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``rampart`` command with ``argv`` (default: the process arguments)."""
    try:
        args = _build_parser().parse_args(argv)
        status, lines = _run(args)
    except CliError as exc:
        _print([f"rampart: error: {exc}"], stream=sys.stderr)
        return EXIT_USAGE
    except SystemExit as exc:
        # --help and --version exit through argparse with status 0.
        return exc.code if isinstance(exc.code, int) else EXIT_OK
    except KeyboardInterrupt:
        _print(["rampart: interrupted"], stream=sys.stderr)
        return 130
    except Exception as exc:  # the contract is a one-line message, never a traceback
        _print([f"rampart: internal error: {type(exc).__name__}: {exc}"], stream=sys.stderr)
        return EXIT_USAGE
    # Output piped into `head` and the like: the reader left early; the status still counts.
    with contextlib.suppress(BrokenPipeError):
        _print(lines, stream=sys.stdout)
    return status
