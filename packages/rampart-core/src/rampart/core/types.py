"""The values that flow through an execution: payloads, requests, responses, turns, verdicts."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rampart.core.manifest import AppManifest

__all__ = [
    "EvalContext",
    "EvalOutcome",
    "EvalResult",
    "ObservabilityLevel",
    "Payload",
    "PayloadFormat",
    "Request",
    "Response",
    "SideEffect",
    "ToolCall",
    "Turn",
]

_STR_PREVIEW = 200


class ObservabilityLevel(StrEnum):
    """How much of the agent's behaviour an adapter can report."""

    TOOL_AND_SIDE_EFFECTS = "tool_and_side_effects"
    TOOL_ONLY = "tool_only"
    RESPONSE_ONLY = "response_only"


_TEXT_FORMATS = frozenset({"text", "html", "markdown"})
_EXTENSIONS = {
    "text": ".txt",
    "html": ".html",
    "markdown": ".md",
    "image": ".png",
    "pdf": ".pdf",
    "docx": ".docx",
    "xlsx": ".xlsx",
    "audio": ".wav",
}


class PayloadFormat(StrEnum):
    """How a payload is delivered: inline text, or a rendered file artifact."""

    TEXT = "text"
    HTML = "html"
    MARKDOWN = "markdown"
    IMAGE = "image"
    PDF = "pdf"
    DOCX = "docx"
    XLSX = "xlsx"
    AUDIO = "audio"

    @property
    def is_text(self) -> bool:
        """Whether the content itself is delivered (no artifact file)."""
        return self.value in _TEXT_FORMATS

    @property
    def is_binary(self) -> bool:
        """Whether the payload is delivered as an artifact file."""
        return not self.is_text

    @property
    def extension(self) -> str:
        """The file extension used when the payload is written to disk, dot included."""
        return _EXTENSIONS[self.value]


class EvalOutcome(StrEnum):
    """What an evaluator concluded about the condition it looks for."""

    DETECTED = "detected"
    NOT_DETECTED = "not_detected"
    UNDETERMINED = "undetermined"


def _new_payload_id() -> str:
    # uuid is imported on first use so that merely importing the types stays cheap.
    from uuid import uuid4

    return uuid4().hex[:12]


@dataclass(kw_only=True)
class Payload:
    """A piece of adversarial (or benign) content to plant somewhere the agent will read it."""

    content: str
    id: str = field(default_factory=_new_payload_id)
    format: PayloadFormat = PayloadFormat.TEXT
    artifact: Path | None = None
    metadata: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.format = PayloadFormat(self.format)
        # A plain string path is a common slip; normalising it keeps the checks below uniform.
        self.artifact = None if self.artifact is None else Path(self.artifact)
        if self.format.is_binary and self.artifact is None:
            raise TypeError(
                f"Binary format {self.format.value} requires an artifact path. Provide "
                "artifact=Path(...) or use a converter to render the payload."
            )
        if self.format.is_text and self.artifact is not None:
            raise TypeError(
                f"Text format {self.format.value} delivers content directly — "
                "artifact must be None."
            )
        if self.artifact is not None and not self.artifact.exists():
            raise FileNotFoundError(f"Artifact file does not exist: {self.artifact}")

    def __str__(self) -> str:
        if len(self.content) > _STR_PREVIEW:
            return self.content[:_STR_PREVIEW] + "..."
        return self.content


@dataclass(kw_only=True)
class ToolCall:
    """One tool invocation the agent made."""

    name: str
    arguments: dict[str, Any] = field(default_factory=dict)
    result: str | None = None
    timestamp: datetime | None = None


@dataclass(kw_only=True)
class SideEffect:
    """An observable change the agent caused outside the conversation (a sent mail, a write)."""

    kind: str
    details: dict[str, Any] = field(default_factory=dict)


@dataclass(kw_only=True)
class Response:
    """What the agent answered to one request, with whatever it did on the way."""

    text: str
    tool_calls: list[ToolCall] = field(default_factory=list)
    side_effects: list[SideEffect] = field(default_factory=list)
    metadata: dict[str, Any] = field(default_factory=dict)


@dataclass(kw_only=True)
class Request:
    """One user message to the agent: a prompt, attachments, or both."""

    prompt: str | None = None
    attachments: list[Payload] = field(default_factory=list)

    def __post_init__(self) -> None:
        if self.prompt is None and not self.attachments:
            raise ValueError("Request must include at least a prompt or attachments.")


@dataclass(kw_only=True)
class EvalResult:
    """An evaluator's verdict on the conversation so far."""

    outcome: EvalOutcome
    confidence: float = 1.0
    evidence: list[str] = field(default_factory=list)
    rationale: str = ""

    def __post_init__(self) -> None:
        self.outcome = EvalOutcome(self.outcome)

    @property
    def detected(self) -> bool:
        """Whether the evaluated condition was detected."""
        return self.outcome is EvalOutcome.DETECTED


@dataclass(frozen=True, kw_only=True)
class Turn:
    """One request/response exchange, with the evaluator's verdict once it has been judged."""

    request: Request
    response: Response
    eval_result: EvalResult | None = None
    turn_number: int = 0
    timestamp: datetime | None = None
    driver_reasoning: str = ""


@dataclass(kw_only=True)
class EvalContext:
    """Everything an evaluator may look at: the turns so far and the agent's manifest."""

    turns: list[Turn]
    manifest: AppManifest | None = None
    metadata: dict[str, Any] = field(default_factory=dict)

    @property
    def current_turn(self) -> Turn:
        """The most recent turn."""
        if not self.turns:
            raise ValueError("No turns in context.")
        return self.turns[-1]

    @property
    def text(self) -> str:
        """The agent's text in the most recent turn."""
        return self.current_turn.response.text

    @property
    def all_tool_calls(self) -> list[ToolCall]:
        """Every tool call of every turn, in order."""
        return [call for turn in self.turns for call in turn.response.tool_calls]

    @property
    def all_side_effects(self) -> list[SideEffect]:
        """Every side effect of every turn, in order."""
        return [effect for turn in self.turns for effect in turn.response.side_effects]

    @classmethod
    def from_response(
        cls,
        *,
        response: Response,
        prompt: str = "",
        manifest: AppManifest | None = None,
    ) -> EvalContext:
        """A one-turn context, handy for evaluating a single response outside an execution."""
        turn = Turn(request=Request(prompt=prompt), response=response)
        return cls(turns=[turn], manifest=manifest)
