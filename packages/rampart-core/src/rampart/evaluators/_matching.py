"""Matching of argument dictionaries against user predicates (shared by deterministic checks)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rampart.core.types import EvalOutcome, EvalResult


def check_name(value: object, what: str) -> str:
    if not isinstance(value, str):
        raise TypeError(f"{what} must be a str, got {type(value).__name__}")
    if not value:
        raise ValueError(f"{what} must be a non-empty string.")
    return value


def matches(values: Mapping[str, Any], predicates: Mapping[str, Any]) -> bool:
    """Whether every predicate holds: a callable must return truthy, any other value must equal.

    A missing key fails its predicate. Exceptions from a predicate propagate, so a broken
    predicate shows up as an ERROR rather than as a silent "not detected".
    """
    for key, predicate in predicates.items():
        if key not in values:
            return False
        value = values[key]
        if callable(predicate):
            if not predicate(value):
                return False
        elif value != predicate:
            return False
    return True


def detection(evidence: list[str], *, found: str, missing: str) -> EvalResult:
    """DETECTED with ``evidence`` and the ``found`` rationale, or NOT_DETECTED with ``missing``."""
    if evidence:
        return EvalResult(outcome=EvalOutcome.DETECTED, evidence=evidence, rationale=found)
    return EvalResult(outcome=EvalOutcome.NOT_DETECTED, rationale=missing)
