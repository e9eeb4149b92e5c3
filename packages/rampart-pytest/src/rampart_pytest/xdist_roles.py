"""Role detection for pytest-xdist runs, read from the config alone (xdist is never imported)."""

from __future__ import annotations

from typing import Any

import pytest

__all__ = ["get_dist_mode", "get_worker_count", "is_xdist_controller", "is_xdist_worker"]


def is_xdist_worker(*, config: pytest.Config) -> bool:
    """Whether this process is an xdist worker (xdist gives workers a ``workerinput``)."""
    return hasattr(config, "workerinput")


def get_dist_mode(*, config: pytest.Config) -> str:
    """The ``--dist`` mode, ``"no"`` when xdist is absent or not distributing."""
    mode = getattr(config.option, "dist", None)
    return str(mode) if mode else "no"


def _positive_int(value: Any) -> int:
    if isinstance(value, bool):
        return 0
    if isinstance(value, int):
        return max(value, 0)
    if isinstance(value, str) and value.isdigit():
        return int(value)
    return 0


def get_worker_count(*, config: pytest.Config) -> int:
    """The configured number of workers, or 0 when the run is not distributed."""
    workerinput = getattr(config, "workerinput", None)
    if isinstance(workerinput, dict):
        return _positive_int(workerinput.get("workercount"))
    count = _positive_int(getattr(config.option, "numprocesses", None))
    if count:
        return count
    tx = getattr(config.option, "tx", None)
    if isinstance(tx, list | tuple):
        # ``--tx 3*popen`` stands for three gateways.
        total = 0
        for spec in tx:
            head, star, _ = str(spec).partition("*")
            total += _positive_int(head) if star and head.isdigit() else 1
        return total
    return 0


def is_xdist_controller(*, config: pytest.Config) -> bool:
    """Whether this process distributes tests to xdist workers (and is not one itself)."""
    if is_xdist_worker(config=config) or get_dist_mode(config=config) == "no":
        return False
    return bool(getattr(config.option, "numprocesses", None) or getattr(config.option, "tx", None))
