"""The exception types RAMPART raises for failures outside the agent's verdict."""

from __future__ import annotations

__all__ = ["DriverError", "EvaluatorError", "InfrastructureError", "LLMRateLimitError"]


class InfrastructureError(Exception):
    """The agent, a surface or another dependency of the test failed."""


class EvaluatorError(InfrastructureError):
    """An evaluator could not produce a verdict."""


class DriverError(Exception):
    """A prompt driver could not produce the next prompt."""


class LLMRateLimitError(InfrastructureError):
    """The LLM endpoint kept rate-limiting the call after the SDK's own retries."""
