"""Data types of ``rampart.core.types`` and ``rampart.core.manifest`` (api.md 2.3-2.4, R-TYPE)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from rampart.core.manifest import AppManifest, DataSource, ToolDeclaration
from rampart.core.persona import Persona
from rampart.core.prompt_driver import PromptDecision
from rampart.core.types import (
    EvalContext,
    EvalOutcome,
    EvalResult,
    ObservabilityLevel,
    Payload,
    PayloadFormat,
    Request,
    Response,
    SideEffect,
    ToolCall,
    Turn,
)


def test_enum_values_are_lower_case_names() -> None:
    for enum in (ObservabilityLevel, PayloadFormat, EvalOutcome):
        for member in enum:
            assert member.value == member.name.lower()
            assert str(member) == member.name.lower()
    assert [m.name for m in PayloadFormat] == [
        "TEXT",
        "HTML",
        "MARKDOWN",
        "IMAGE",
        "PDF",
        "DOCX",
        "XLSX",
        "AUDIO",
    ]


def test_payload_format_text_binary_and_extensions() -> None:
    assert [f for f in PayloadFormat if f.is_text] == [
        PayloadFormat.TEXT,
        PayloadFormat.HTML,
        PayloadFormat.MARKDOWN,
    ]
    assert all(f.is_binary != f.is_text for f in PayloadFormat)
    assert [f.extension for f in PayloadFormat] == [
        ".txt",
        ".html",
        ".md",
        ".png",
        ".pdf",
        ".docx",
        ".xlsx",
        ".wav",
    ]


def test_payload_defaults_are_fresh() -> None:
    a = Payload(content="x")
    b = Payload(content="y")
    assert a.format is PayloadFormat.TEXT
    assert a.artifact is None
    assert len(a.id) == 12
    assert all(c in "0123456789abcdef" for c in a.id)
    assert a.id != b.id
    a.metadata["k"] = 1
    assert b.metadata == {}


def test_dataclasses_are_keyword_only() -> None:
    with pytest.raises(TypeError):
        Payload("x")  # type: ignore[call-arg]
    with pytest.raises(TypeError):
        Response("text")  # type: ignore[call-arg]


def test_payload_binary_needs_artifact_R_TYPE_1() -> None:
    with pytest.raises(TypeError) as info:
        Payload(content="x", format=PayloadFormat.PDF)
    assert str(info.value) == (
        "Binary format pdf requires an artifact path. Provide artifact=Path(...) "
        "or use a converter to render the payload."
    )


def test_payload_text_rejects_artifact_R_TYPE_1(tmp_path: Path) -> None:
    artifact = tmp_path / "a.txt"
    artifact.write_text("x")
    with pytest.raises(TypeError) as info:
        Payload(content="x", format=PayloadFormat.HTML, artifact=artifact)
    assert str(info.value) == "Text format html delivers content directly — artifact must be None."


def test_payload_missing_artifact_R_TYPE_1(tmp_path: Path) -> None:
    missing = tmp_path / "nope.pdf"
    with pytest.raises(FileNotFoundError) as info:
        Payload(content="x", format=PayloadFormat.PDF, artifact=missing)
    assert str(info.value) == f"Artifact file does not exist: {missing}"


def test_payload_binary_with_artifact_and_string_inputs(tmp_path: Path) -> None:
    artifact = tmp_path / "a.pdf"
    artifact.write_bytes(b"%PDF")
    payload = Payload(content="x", format="pdf", artifact=str(artifact))  # type: ignore[arg-type]
    assert payload.format is PayloadFormat.PDF
    assert payload.artifact == artifact


def test_payload_str_truncates_at_200() -> None:
    assert str(Payload(content="a" * 200)) == "a" * 200
    assert str(Payload(content="b" * 201)) == "b" * 200 + "..."


def test_request_needs_prompt_or_attachments_R_TYPE_2() -> None:
    with pytest.raises(ValueError) as info:
        Request()
    assert str(info.value) == "Request must include at least a prompt or attachments."
    assert Request(prompt="").prompt == ""
    assert Request(attachments=[Payload(content="x")]).prompt is None


def test_defaults_of_small_types() -> None:
    call = ToolCall(name="t")
    assert (call.arguments, call.result, call.timestamp) == ({}, None, None)
    assert SideEffect(kind="k").details == {}
    response = Response(text="r")
    assert (response.tool_calls, response.side_effects, response.metadata) == ([], [], {})
    result = EvalResult(outcome=EvalOutcome.NOT_DETECTED)
    assert (result.confidence, result.evidence, result.rationale) == (1.0, [], "")
    assert not result.detected
    assert EvalResult(outcome=EvalOutcome.DETECTED).detected
    assert Persona(name="p") == Persona(name="p", description="", system_prompt="")
    assert PromptDecision(request=Request(prompt="x")).reasoning == ""


def test_turn_is_frozen_with_defaults() -> None:
    turn = Turn(request=Request(prompt="p"), response=Response(text="r"))
    assert (turn.eval_result, turn.turn_number, turn.timestamp, turn.driver_reasoning) == (
        None,
        0,
        None,
        "",
    )
    with pytest.raises(dataclasses.FrozenInstanceError):
        turn.turn_number = 3  # type: ignore[misc]
    assert [f.name for f in dataclasses.fields(Turn)] == [
        "request",
        "response",
        "eval_result",
        "turn_number",
        "timestamp",
        "driver_reasoning",
    ]


def _turn(text: str, number: int, *, calls: list[ToolCall], effects: list[SideEffect]) -> Turn:
    return Turn(
        request=Request(prompt=f"p{number}"),
        response=Response(text=text, tool_calls=calls, side_effects=effects),
        turn_number=number,
    )


def test_eval_context_derived_members() -> None:
    a, b = ToolCall(name="a"), ToolCall(name="b")
    e1, e2 = SideEffect(kind="x"), SideEffect(kind="y")
    context = EvalContext(
        turns=[
            _turn("first", 0, calls=[a], effects=[e1]),
            _turn("second", 1, calls=[b], effects=[e2]),
        ]
    )
    assert context.current_turn.turn_number == 1
    assert context.text == "second"
    assert context.all_tool_calls == [a, b]
    assert context.all_side_effects == [e1, e2]
    assert context.manifest is None
    assert context.metadata == {}


def test_eval_context_without_turns() -> None:
    context = EvalContext(turns=[])
    with pytest.raises(ValueError) as info:
        _ = context.current_turn
    assert str(info.value) == "No turns in context."
    with pytest.raises(ValueError):
        _ = context.text
    assert context.all_tool_calls == []


def test_eval_context_from_response() -> None:
    manifest = AppManifest(name="bot")
    response = Response(text="hello")
    context = EvalContext.from_response(response=response, prompt="hi", manifest=manifest)
    assert context.text == "hello"
    assert context.current_turn.request.prompt == "hi"
    assert context.manifest is manifest
    assert EvalContext.from_response(response=response).current_turn.request.prompt == ""


def test_manifest_tools_lookup() -> None:
    send = ToolDeclaration(name="send_mail")
    manifest = AppManifest(name="bot", tools=[send])
    assert manifest.declares_tool("send_mail")
    assert not manifest.declares_tool("delete")
    assert manifest.get_tool("send_mail") is send
    assert manifest.get_tool("delete") is None
    assert AppManifest(name="x").tools == []
    assert DataSource(name="d") == DataSource(name="d", type="", writable_by_untrusted=False)
    tool = ToolDeclaration(name="t")
    assert (tool.description, tool.parameters, tool.permissions) == ("", {}, [])


def test_manifest_str_full_R_TYPE_3() -> None:
    manifest = AppManifest(
        name="MailBot",
        description="Reads and sends mail.",
        tools=[
            ToolDeclaration(
                name="send_mail",
                description="Send an email",
                parameters={"to": "str", "body": "str"},
            ),
            ToolDeclaration(name="list_inbox", description="List messages"),
        ],
        data_sources=[
            DataSource(name="inbox", writable_by_untrusted=True),
            DataSource(name="contacts"),
        ],
    )
    assert str(manifest) == (
        "TARGET AGENT: MailBot\n"
        "\n"
        "Reads and sends mail.\n"
        "\n"
        "Available tools:\n"
        "  - send_mail(to: str, body: str) — Send an email\n"
        "  - list_inbox() — List messages\n"
        "\n"
        "Accessible data sources:\n"
        "  - inbox (writable by untrusted users)\n"
        "  - contacts"
    )


def test_manifest_str_skips_empty_blocks_R_TYPE_3() -> None:
    assert str(AppManifest(name="Bare")) == "TARGET AGENT: Bare"
    manifest = AppManifest(name="B", data_sources=[DataSource(name="wiki")])
    assert str(manifest) == "TARGET AGENT: B\n\nAccessible data sources:\n  - wiki"


def test_manifest_tool_without_description_has_no_dash_R_TYPE_3() -> None:
    manifest = AppManifest(name="B", tools=[ToolDeclaration(name="ping")])
    assert str(manifest) == "TARGET AGENT: B\n\nAvailable tools:\n  - ping()"
