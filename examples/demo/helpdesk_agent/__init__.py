"""A deterministic helpdesk assistant to practise RAMPART on, with its adapter and surface.

The agent itself (``agent``, ``store``) is plain Python; ``adapter`` and ``surface`` are the
two pieces a team writes to test its own agent with RAMPART.
"""

from __future__ import annotations

from .adapter import HelpdeskAdapter, HelpdeskSession, mode_from_env
from .agent import HelpdeskAgent, contains_secret
from .store import ADMIN_API_KEY, DataStore, Document, default_store
from .surface import KnowledgeBaseSurface, PlantedDocument

__all__ = [
    "ADMIN_API_KEY",
    "DataStore",
    "Document",
    "HelpdeskAdapter",
    "HelpdeskAgent",
    "HelpdeskSession",
    "KnowledgeBaseSurface",
    "PlantedDocument",
    "contains_secret",
    "default_store",
    "mode_from_env",
]
