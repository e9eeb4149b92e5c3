"""Options, ini keys and the migration guards (R-BAD, R-GEN-3, R-CONC-6)."""

from __future__ import annotations

import os

import pytest

PROBE = """
def test_values():
    pass
"""

HEADER = """
def pytest_report_header(config):
    return "VALUES {} {}".format(
        config.getoption("rampart_xdist_max_bytes"), config.getoption("rampart_max_concurrency")
    )
"""


def test_validated_values_are_published(rp: pytest.Pytester) -> None:
    rp.makepyfile(test_probe=PROBE)
    rp.makeconftest(HEADER)
    default = rp.runpytest()
    default.stdout.fnmatch_lines([f"VALUES {16 * 1024 * 1024} 64"])
    given = rp.runpytest("--rampart-xdist-max-bytes", "1024", "--rampart-max-concurrency", "3")
    given.stdout.fnmatch_lines(["VALUES 1024 3"])
    ini = rp.runpytest("-o", "rampart_max_concurrency=5", "-o", "rampart_xdist_max_bytes=7")
    ini.stdout.fnmatch_lines(["VALUES 7 5"])


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ("--rampart-xdist-max-bytes", "0"),
            "ERROR: --rampart-xdist-max-bytes must be an integer >= 1, got '0'",
        ),
        (
            ("-o", "rampart_xdist_max_bytes=lots"),
            "ERROR: rampart_xdist_max_bytes must be an integer >= 1, got 'lots'",
        ),
        (
            ("--rampart-max-concurrency", "-2"),
            "ERROR: --rampart-max-concurrency must be an integer >= 1, got '-2'",
        ),
    ],
)
def test_bad_numbers_are_usage_errors_R_BAD(
    rp: pytest.Pytester, args: tuple[str, ...], message: str
) -> None:
    rp.makepyfile(test_probe=PROBE)
    result = rp.runpytest(*args)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([message])


def test_max_bytes_without_transport_is_ignored_with_a_warning(rp: pytest.Pytester) -> None:
    rp.makepyfile(test_probe=PROBE)
    result = rp.runpytest("-p", "no:rampart_xdist", "--rampart-xdist-max-bytes", "1024")
    assert result.ret == 0
    result.stdout.fnmatch_lines(
        [
            "*RampartWarning: --rampart-xdist-max-bytes is ignored: the rampart-xdist "
            "transport is not active"
        ]
    )


def test_plugin_can_be_disabled(rp: pytest.Pytester) -> None:
    rp.makepyfile(
        test_off="""
        import pytest

        @pytest.mark.trial(3)
        def test_x():
            pass
        """
    )
    result = rp.runpytest("-p", "no:rampart", "-p", "no:rampart_xdist", "--collect-only", "-q")
    result.stdout.fnmatch_lines(["test_off.py::test_x"])
    result.stdout.no_fnmatch_line("*trial-0*")


def test_upstream_distribution_stops_at_configure_R_GEN_3(rp: pytest.Pytester) -> None:
    fake = rp.mkdir("fake_site")
    info = fake / "rampart-0.1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: rampart\nVersion: 0.1.0\n")
    rp.makepyfile(test_one="def test_a():\n    pass\n")
    env_path = os.pathsep.join(filter(None, [str(fake), os.environ.get("PYTHONPATH", "")]))
    rp._monkeypatch.setenv("PYTHONPATH", env_path)
    result = rp.runpytest_subprocess("-p", "no:rampart_xdist")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        ["ERROR: the 'rampart' distribution is installed alongside rampart-core: uninstall it"]
    )
