"""The version this transport reports in records and negotiation."""

from __future__ import annotations

from functools import cache


@cache
def package_version() -> str:
    """The installed rampart-xdist version, or ``"unknown"`` for an uninstalled checkout."""
    from rampart._version import package_version as lookup

    return lookup("rampart-xdist") or "unknown"
