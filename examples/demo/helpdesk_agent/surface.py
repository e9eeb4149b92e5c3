"""A ``Surface`` that plants attacker-controlled documents into the helpdesk's knowledge base.

Real agents read data that outsiders can write: shared drives, wikis, inboxes, tickets. A
surface is how a test puts a payload there for the duration of one attack, and removes it
afterwards even if the test fails.
"""

from __future__ import annotations

from types import TracebackType

from rampart import Payload

from .store import DataStore, Document


class PlantedDocument:
    """An ``InjectionHandle``: entering publishes the document, leaving removes it."""

    def __init__(
        self, *, store: DataStore, payload: Payload, title: str, surface_name: str
    ) -> None:
        self._store = store
        self._document = Document(doc_id=f"planted-{payload.id}", title=title, body=payload.content)
        self._payload_id = payload.id
        self._surface_name = surface_name

    @property
    def payload_id(self) -> str | None:
        return self._payload_id

    @property
    def surface_name(self) -> str:
        return self._surface_name

    async def wait_until_ready(self) -> None:
        # The in-memory store is consistent at once; a real index would poll here.
        return None

    async def __aenter__(self) -> PlantedDocument:
        self._store.add_document(self._document)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._store.remove_document(self._document.doc_id)


class KnowledgeBaseSurface:
    """Plants payloads as knowledge-base articles the agent's ``search`` tool will find.

    ``title`` decides which searches surface the document: give it words the trigger prompt
    will use (for example ``"VPN setup guide (updated)"``).
    """

    def __init__(self, *, store: DataStore, name: str = "knowledge_base") -> None:
        self._store = store
        self.name = name

    def inject(self, *, payload: Payload, title: str = "Knowledge base update") -> PlantedDocument:
        return PlantedDocument(
            store=self._store, payload=payload, title=title, surface_name=self.name
        )
