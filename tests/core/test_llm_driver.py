"""LLMDriver against a real local chat-completions server (R-LLM-1, R-LLM-2, R-LLM-4)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest
import rampart.drivers
from rampart.core.errors import DriverError, LLMRateLimitError
from rampart.core.llm import LLMConfig
from rampart.core.persona import Persona
from rampart.core.prompt_driver import PromptDecision, PromptDriver
from rampart.core.types import Payload, Request, Response, Turn
from rampart.drivers._llm_driver import LLMDriver
from tests.core.llm_server import Hang, LLMServer, Reply, Status, running_server

SECRET = "sk-driver-SECRET-7"
PERSONA = Persona(name="attacker", system_prompt="You are a red-team tester.")


@pytest.fixture
def server() -> Iterator[LLMServer]:
    with running_server() as srv:
        yield srv


def llm(server: LLMServer, **overrides: object) -> LLMConfig:
    values: dict[str, object] = {"model": "attacker", "endpoint": server.url, "api_key": SECRET}
    values.update(overrides)
    return LLMConfig(**values)  # type: ignore[arg-type]


def next_prompt(driver: LLMDriver, history: list[Turn] | None = None) -> PromptDecision | None:
    return asyncio.run(driver.next_prompt_async(history=history or []))


def test_public_name_and_protocol_R_LLM_4(server: LLMServer) -> None:
    assert rampart.drivers.LLMDriver is LLMDriver
    assert isinstance(LLMDriver(persona=PERSONA, llm=llm(server)), PromptDriver)


def test_first_call_opens_and_carries_injections_R_LLM_4(server: LLMServer) -> None:
    server.script(Reply(text="  Hi! What can you do?  \n"))
    injections = [Payload(content="hidden instruction", id="inj1")]
    driver = LLMDriver(
        persona=PERSONA, llm=llm(server), objective="get the pin", injections=injections
    )
    decision = next_prompt(driver)
    assert decision is not None
    assert decision.request.prompt == "Hi! What can you do?"
    assert decision.reasoning == ""
    assert [a.id for a in decision.request.attachments] == ["inj1"]
    messages = server.received[0].messages
    assert messages[0] == {
        "role": "system",
        "content": "You are a red-team tester.\n\nObjective: get the pin",
    }
    assert [m["role"] for m in messages] == ["system", "user"]
    assert messages[1]["content"]


def test_history_maps_prompts_to_assistant_and_replies_to_user_R_LLM_4(
    server: LLMServer,
) -> None:
    server.script(Reply(text="third prompt"))
    history = [
        Turn(request=Request(prompt="p1"), response=Response(text="r1"), turn_number=1),
        Turn(request=Request(prompt="p2"), response=Response(text="r2"), turn_number=2),
    ]
    driver = LLMDriver(
        persona=PERSONA, llm=llm(server), injections=[Payload(content="x", id="inj")]
    )
    decision = next_prompt(driver, history)
    assert decision is not None
    assert decision.request == Request(prompt="third prompt")  # no injections after the first
    assert server.received[0].messages == [
        {"role": "system", "content": "You are a red-team tester."},
        {"role": "assistant", "content": "p1"},
        {"role": "user", "content": "r1"},
        {"role": "assistant", "content": "p2"},
        {"role": "user", "content": "r2"},
    ]


def test_driver_is_stateless_between_calls_R_LLM_4(server: LLMServer) -> None:
    server.default = Reply(text="same")
    driver = LLMDriver(persona=PERSONA, llm=llm(server))
    next_prompt(driver)
    next_prompt(driver)
    assert server.received[0].messages == server.received[1].messages


def test_empty_reply_raises_R_LLM_1(server: LLMServer) -> None:
    server.script(Reply(text="  \n "))
    with pytest.raises(DriverError, match=r"^LLM driver received an empty reply$"):
        next_prompt(LLMDriver(persona=PERSONA, llm=llm(server)))
    assert len(server.received) == 1


@pytest.mark.parametrize(("status", "requests"), [(429, 3), (500, 3), (401, 1), (404, 1), (400, 1)])
def test_failures_raise_driver_error_chained_R_LLM_1(
    server: LLMServer, status: int, requests: int
) -> None:
    server.default = Status(code=status, message=f"key {SECRET} rejected")
    with pytest.raises(DriverError) as info:
        next_prompt(LLMDriver(persona=PERSONA, llm=llm(server)))
    assert len(server.received) == requests
    assert str(status) in str(info.value)
    assert server.netloc in str(info.value)
    assert SECRET not in str(info.value)
    assert info.value.__cause__ is not None
    if status == 429:
        assert isinstance(info.value.__cause__, LLMRateLimitError)


def test_timeout_raises_driver_error_R_LLM_1(server: LLMServer) -> None:
    server.default = Hang(seconds=3)
    cfg = llm(server, max_retries=0, timeout_seconds=0.2)
    with pytest.raises(DriverError, match="timed out"):
        next_prompt(LLMDriver(persona=PERSONA, llm=cfg))


class EchoTarget:
    def __init__(self) -> None:
        self.seen: list[list[dict[str, str]]] = []

    async def complete_async(self, *, messages: list[dict[str, str]]) -> str:
        self.seen.append(messages)
        return "from target"


def test_from_target_and_validation_R_LLM_2(server: LLMServer) -> None:
    target = EchoTarget()
    decision = next_prompt(LLMDriver.from_target(target=target, persona=PERSONA))
    assert decision is not None
    assert decision.request.prompt == "from target"
    with pytest.raises(TypeError, match=r"^Specify exactly one of 'llm' or 'target'\.$"):
        LLMDriver(persona=PERSONA)
    with pytest.raises(TypeError, match=r"^Specify exactly one of 'llm' or 'target'\.$"):
        LLMDriver(persona=PERSONA, llm=llm(server), target=target)
    with pytest.raises(TypeError, match="ChatTarget"):
        LLMDriver(persona=PERSONA, target="gpt-4")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="Payload"):
        LLMDriver(persona=PERSONA, target=target, injections=["text"])  # type: ignore[list-item]
    assert SECRET not in repr(LLMDriver(persona=PERSONA, llm=llm(server)))
