"""The installed version of the RAMPART distributions (they are released in lockstep)."""

from __future__ import annotations

from functools import cache


@cache
def package_version(distribution: str = "rampart-core") -> str | None:
    """Return the installed version of ``distribution``, or ``None`` when it is not installed."""
    # importlib.metadata is slow to import; only pay for it when a version is actually asked for.
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(distribution)
    except PackageNotFoundError:
        return None
