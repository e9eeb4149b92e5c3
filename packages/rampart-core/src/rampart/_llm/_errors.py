"""Failure kinds of an LLM call, shaped so callers can apply the R-LLM-1 failure table."""

from __future__ import annotations

from rampart.core.errors import InfrastructureError

__all__ = ["LLMConfigurationError", "LLMUnavailableError"]


class LLMUnavailableError(InfrastructureError):
    """A transient failure: timeout, connection error, 5xx or a malformed response.

    ``kind`` is a short label such as ``"timeout"`` or ``"HTTP 503"``.
    """

    def __init__(self, message: str, *, kind: str) -> None:
        super().__init__(message)
        self.kind = kind


class LLMConfigurationError(InfrastructureError):
    """The request can never succeed as configured: bad key, unknown model, bad request."""
