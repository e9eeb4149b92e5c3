"""Transport errors. No hook lets them escape: the plugin turns them into incomplete reasons."""

from __future__ import annotations

__all__ = ["SchemaVersionError", "SizeLimitError", "WorkerOutputError"]


class WorkerOutputError(Exception):
    """A worker's output could not be accepted."""


class SchemaVersionError(WorkerOutputError):
    """A record whose schema tag is missing or not one this version decodes."""


class SizeLimitError(WorkerOutputError):
    """A record larger than the receiving side allows."""
