"""Attack strategies: executions that try to make the agent do something it must not."""

from __future__ import annotations

from rampart.attacks._factory import Attacks
from rampart.attacks._xpia import XPIAExecution

__all__ = ["Attacks", "XPIAExecution"]
