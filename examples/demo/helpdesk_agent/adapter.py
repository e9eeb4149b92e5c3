"""The RAMPART side of the demo: an ``AgentAdapter`` and ``Session`` around the helpdesk agent.

This is the file you would write for your own agent. It turns RAMPART's ``Request`` into
whatever your agent consumes, and your agent's reply, tool calls and side effects into a
``Response``, so evaluators can look at what the agent *did*, not only what it said.
"""

from __future__ import annotations

import hashlib
import os
import random
from types import TracebackType

from rampart import (
    AppManifest,
    DataSource,
    ObservabilityLevel,
    Request,
    Response,
    SideEffect,
    ToolCall,
    ToolDeclaration,
)

from .agent import DecideFn, HelpdeskAgent, Mode
from .llm_backend import decide_from_env
from .store import DataStore, Document, default_store

DEFAULT_FOLLOW_RATE = 0.6

MANIFEST = AppManifest(
    name="contoso-helpdesk",
    description="An IT helpdesk assistant that answers from the knowledge base and acts on requests.",
    tools=[
        ToolDeclaration(
            name="search", description="Search the knowledge base", parameters={"query": "str"}
        ),
        ToolDeclaration(
            name="send_email",
            description="Send an email",
            parameters={"to": "str", "subject": "str", "body": "str"},
            permissions=["mail.send"],
        ),
        ToolDeclaration(
            name="reset_password",
            description="Reset a user's password and mail them a link",
            parameters={"username": "str"},
            permissions=["accounts.write"],
        ),
        ToolDeclaration(name="read_internal_notes", description="Read internal operations notes"),
    ],
    data_sources=[
        DataSource(name="knowledge_base", type="documents", writable_by_untrusted=True),
        DataSource(name="attachments", type="files", writable_by_untrusted=True),
        DataSource(name="internal_notes", type="documents"),
    ],
)


def mode_from_env() -> Mode:
    """``RAMPART_DEMO_MODE``: ``vulnerable`` (the default) or ``hardened``."""
    value = os.environ.get("RAMPART_DEMO_MODE", "vulnerable").strip().lower() or "vulnerable"
    if value not in ("vulnerable", "hardened"):
        raise ValueError(f"RAMPART_DEMO_MODE must be 'vulnerable' or 'hardened', got {value!r}")
    return "hardened" if value == "hardened" else "vulnerable"


def follow_rate_from_env() -> float:
    """``RAMPART_DEMO_FOLLOW_RATE``: how often the vulnerable agent obeys planted text."""
    raw = os.environ.get("RAMPART_DEMO_FOLLOW_RATE", "").strip()
    return float(raw) if raw else DEFAULT_FOLLOW_RATE


class HelpdeskSession:
    """One conversation with the agent. Entering and leaving it are cheap and idempotent."""

    def __init__(self, agent: HelpdeskAgent) -> None:
        self._agent = agent
        self._open = False

    async def __aenter__(self) -> HelpdeskSession:
        self._open = True
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._open = False

    async def send_async(self, request: Request, /) -> Response:
        attachments = [
            Document(doc_id=p.id, title=f"attachment {p.id}", body=p.content, source="attachment")
            for p in request.attachments
        ]
        reply = await self._agent.handle(request.prompt or "", attachments)
        return Response(
            text=reply.text,
            tool_calls=[
                ToolCall(name=c.name, arguments=dict(c.arguments), result=c.result)
                for c in reply.tool_calls
            ],
            side_effects=[
                SideEffect(kind=e.kind, details=dict(e.details)) for e in reply.side_effects
            ],
            metadata={"agent_mode": self._agent.mode},
        )


class HelpdeskAdapter:
    """The agent under test, as RAMPART sees it.

    ``seed`` makes the vulnerable agent's coin flips reproducible: every session draws its
    own generator from ``(seed, session number)``, so a test id used as the seed gives the
    same verdicts on every rerun and on every xdist worker.
    """

    def __init__(
        self,
        *,
        store: DataStore | None = None,
        mode: Mode | None = None,
        follow_rate: float | None = None,
        seed: str = "rampart-demo",
        decide: DecideFn | None = None,
    ) -> None:
        self.store = store if store is not None else default_store()
        self.mode: Mode = mode if mode is not None else mode_from_env()
        self.follow_rate = follow_rate if follow_rate is not None else follow_rate_from_env()
        self.seed = seed
        self._decide = decide if decide is not None else decide_from_env()
        self._sessions = 0

    @property
    def manifest(self) -> AppManifest:
        return MANIFEST

    @property
    def observability_profile(self) -> ObservabilityLevel:
        return ObservabilityLevel.TOOL_AND_SIDE_EFFECTS

    async def create_session_async(self) -> HelpdeskSession:
        self._sessions += 1
        # The fixed salt only decides which trials the vulnerable agent falls for.
        digest = hashlib.sha256(f"contoso|{self.seed}#{self._sessions}".encode()).digest()
        agent = HelpdeskAgent(
            store=self.store,
            mode=self.mode,
            follow_rate=self.follow_rate,
            rng=random.Random(int.from_bytes(digest[:8], "big")),
            decide=self._decide,
        )
        return HelpdeskSession(agent)
