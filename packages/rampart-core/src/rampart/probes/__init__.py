"""Behaviour probes: executions that check the agent does what it should."""

from __future__ import annotations

from rampart.probes._factory import Probes
from rampart.probes._single_turn import SingleTurnExecution

__all__ = ["Probes", "SingleTurnExecution"]
