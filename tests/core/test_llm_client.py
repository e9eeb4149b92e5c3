"""The shared LLM client against a real local chat-completions server (R-LLM-1, R-LLM-2)."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import threading
import warnings
from collections.abc import Iterator

import pytest
from rampart._llm import (
    LLMConfigurationError,
    LLMUnavailableError,
    OpenAIChatTarget,
    concurrency_slot,
    resolve_chat_target,
)
from rampart.core.errors import InfrastructureError, LLMRateLimitError
from rampart.core.llm import ChatTarget, LLMConfig
from tests.core.llm_server import Hang, LLMServer, Raw, Reply, Status, running_server

SECRET = "sk-test-SECRET-0123456789"
MESSAGES = [{"role": "user", "content": "hello"}]


@pytest.fixture
def server() -> Iterator[LLMServer]:
    with running_server() as srv:
        yield srv


def config(server: LLMServer, **overrides: object) -> LLMConfig:
    values: dict[str, object] = {"model": "judge-model", "endpoint": server.url, "max_retries": 2}
    values.update(overrides)
    return LLMConfig(**values)  # type: ignore[arg-type]


def complete(cfg: LLMConfig, messages: list[dict[str, str]] = MESSAGES) -> str:
    return asyncio.run(OpenAIChatTarget(cfg).complete_async(messages=messages))


def test_llmconfig_defaults_and_repr_hide_key_R_LLM_1() -> None:
    cfg = LLMConfig(model="m", endpoint="http://127.0.0.1:1/v1", api_key=SECRET)
    assert (cfg.timeout_seconds, cfg.max_retries, cfg.max_concurrency) == (60.0, 2, 8)
    assert cfg.deployment is None
    assert cfg.metadata == {}
    assert SECRET not in repr(cfg)
    assert SECRET not in repr(OpenAIChatTarget(cfg))
    assert isinstance(OpenAIChatTarget(cfg), ChatTarget)


def test_request_shape_model_metadata_and_no_key_R_LLM_1(server: LLMServer) -> None:
    server.script(Reply(text="  the answer  "))
    cfg = config(server, deployment="my-deploy", metadata={"temperature": 0.25, "seed": 7})
    assert complete(cfg) == "  the answer  "
    [request] = server.received
    assert request.path == "/v1/chat/completions"
    assert request.body["model"] == "my-deploy"
    assert request.body["temperature"] == 0.25
    assert request.body["seed"] == 7
    assert request.body["messages"] == MESSAGES
    assert "authorization" not in request.headers


def test_model_used_without_deployment_R_LLM_1(server: LLMServer) -> None:
    complete(config(server))
    assert server.received[0].body["model"] == "judge-model"


def test_env_key_is_not_sent_to_other_hosts_R_LLM_1(
    server: LLMServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", SECRET)
    monkeypatch.setenv("OPENAI_ORG_ID", "org-secret")
    complete(config(server))
    headers = server.received[0].headers
    assert "authorization" not in headers
    assert "openai-organization" not in headers
    assert SECRET not in str(server.received[0])


def test_explicit_key_is_sent_as_bearer_R_LLM_1(server: LLMServer) -> None:
    complete(config(server, api_key=SECRET))
    assert server.received[0].headers["authorization"] == f"Bearer {SECRET}"


def test_redirects_are_not_followed_with_the_key_R_LLM_1(server: LLMServer) -> None:
    with running_server() as elsewhere:
        server.default = Status(code=307, location=f"{elsewhere.url}/chat/completions")
        with pytest.raises(InfrastructureError, match="307"):
            complete(config(server, api_key=SECRET))
        assert elsewhere.received == []
    assert len(server.received) == 1


def test_openai_host_uses_env_key_only_there_R_LLM_1(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", SECRET)
    target = OpenAIChatTarget(LLMConfig(model="m", endpoint="https://api.openai.com/v1"))
    assert target._key() == SECRET
    monkeypatch.delenv("OPENAI_API_KEY")
    with pytest.raises(LLMConfigurationError, match="OPENAI_API_KEY is not set"):
        target._key()
    other = OpenAIChatTarget(LLMConfig(model="m", endpoint="https://llm.example.invalid/v1"))
    monkeypatch.setenv("OPENAI_API_KEY", SECRET)
    assert other._key() is None


def test_rate_limit_after_retries_counts_requests_R_LLM_1(server: LLMServer) -> None:
    server.default = Status(code=429)
    with pytest.raises(LLMRateLimitError) as info:
        complete(config(server, api_key=SECRET))
    assert len(server.received) == 3  # the first try plus max_retries=2
    message = str(info.value)
    assert server.netloc in message
    assert "429" in message
    assert SECRET not in message


def test_5xx_is_retried_then_unavailable_R_LLM_1(server: LLMServer) -> None:
    server.default = Status(code=503)
    with pytest.raises(LLMUnavailableError) as info:
        complete(config(server, max_retries=1))
    assert len(server.received) == 2
    assert info.value.kind == "HTTP 503"
    assert "503" in str(info.value)
    assert server.netloc in str(info.value)


def test_transient_5xx_recovers_within_retries_R_LLM_1(server: LLMServer) -> None:
    server.script(Status(code=500), Status(code=502), Reply(text="fine"))
    assert complete(config(server)) == "fine"
    assert len(server.received) == 3


@pytest.mark.parametrize("status", [400, 401, 403, 404])
def test_client_errors_are_configuration_errors_not_retried_R_LLM_1(
    server: LLMServer, status: int
) -> None:
    server.default = Status(code=status, message=f"Incorrect API key provided: {SECRET}")
    with pytest.raises(LLMConfigurationError) as info:
        complete(config(server, api_key=SECRET))
    assert len(server.received) == 1
    assert str(status) in str(info.value)
    assert server.netloc in str(info.value)
    assert SECRET not in str(info.value)
    assert info.value.__suppress_context__  # SDK messages (which may echo the key) are hidden


def test_timeout_is_unavailable_R_LLM_1(server: LLMServer) -> None:
    server.default = Hang(seconds=3)
    with pytest.raises(LLMUnavailableError) as info:
        complete(config(server, timeout_seconds=0.2, max_retries=0))
    assert info.value.kind == "timeout"
    assert len(server.received) == 1


def test_connection_error_is_unavailable_R_LLM_1() -> None:
    with running_server() as srv:
        url = srv.url
    cfg = LLMConfig(model="m", endpoint=url, max_retries=0, timeout_seconds=2)
    with pytest.raises(LLMUnavailableError) as info:
        complete(cfg)
    assert info.value.kind == "connection error"


def test_malformed_json_is_unavailable_R_LLM_1(server: LLMServer) -> None:
    server.default = Raw(body=b"{not json")
    with pytest.raises(LLMUnavailableError) as info:
        complete(config(server))
    assert info.value.kind == "malformed response"


def test_null_content_is_empty_reply_R_LLM_1(server: LLMServer) -> None:
    server.script(Reply(text=None))
    assert complete(config(server)) == ""


def test_errors_are_infrastructure_errors_R_LLM_1() -> None:
    assert issubclass(LLMUnavailableError, InfrastructureError)
    assert issubclass(LLMConfigurationError, InfrastructureError)


def test_concurrency_cap_is_shared_per_endpoint_R_LLM_1(server: LLMServer) -> None:
    server.latency = 0.05
    cfg = config(server, max_concurrency=3)
    first, second = OpenAIChatTarget(cfg), OpenAIChatTarget(cfg)

    async def run() -> None:
        await asyncio.gather(*(t.complete_async(messages=MESSAGES) for t in [first, second] * 6))

    asyncio.run(run())
    assert len(server.received) == 12
    assert server.max_in_flight == 3


def test_concurrency_cap_holds_across_threads_and_loops_R_LLM_1(server: LLMServer) -> None:
    server.latency = 0.05
    cfg = config(server, max_concurrency=2)

    def run_in_own_loop() -> None:
        target = OpenAIChatTarget(cfg)

        async def burst() -> None:
            await asyncio.gather(*(target.complete_async(messages=MESSAGES) for _ in range(4)))

        asyncio.run(burst())

    threads = [threading.Thread(target=run_in_own_loop) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert len(server.received) == 12
    assert server.max_in_flight == 2


def test_cancelled_waiters_do_not_leak_slots() -> None:
    async def scenario() -> list[str]:
        events: list[str] = []
        release_first = asyncio.Event()

        async def holder() -> None:
            async with concurrency_slot("unit-test-key", 1):
                events.append("holder in")
                await release_first.wait()

        async def waiter(name: str) -> None:
            async with concurrency_slot("unit-test-key", 1):
                events.append(f"{name} in")

        first = asyncio.create_task(holder())
        await asyncio.sleep(0)
        doomed = asyncio.create_task(waiter("doomed"))
        later = asyncio.create_task(waiter("later"))
        await asyncio.sleep(0.01)
        doomed.cancel()
        release_first.set()
        await asyncio.wait_for(asyncio.gather(first, later), timeout=5)
        with contextlib.suppress(asyncio.CancelledError):
            await doomed
        # The slot is free again afterwards.
        await asyncio.wait_for(waiter("after"), timeout=5)
        return events

    assert asyncio.run(scenario()) == ["holder in", "later in", "after in"]


def test_plain_http_transport_reads_chunked_bodies(server: LLMServer) -> None:
    server.chunked = True
    server.script(Reply(text="chunked answer"))
    assert complete(config(server)) == "chunked answer"


def test_plain_http_transport_retries_a_dropped_idle_connection_once(server: LLMServer) -> None:
    server.drop_connections = True
    target = OpenAIChatTarget(config(server, max_retries=0))

    async def three_calls() -> list[str]:
        return [await target.complete_async(messages=MESSAGES) for _ in range(3)]

    assert asyncio.run(three_calls()) == ["ok", "ok", "ok"]
    assert len(server.received) == 3  # each retry happened before reaching the server


def test_plain_http_requests_are_complete_http11(server: LLMServer) -> None:
    complete(config(server, api_key=SECRET))
    headers = server.received[0].headers
    assert headers["host"] == server.netloc
    assert headers["content-type"] == "application/json"
    assert headers["accept-encoding"] == "identity"
    assert int(headers["content-length"]) > 0


def test_pooled_connections_are_closed_with_each_event_loop(server: LLMServer) -> None:
    """Each loop's keep-alive sockets are released at loop shutdown, not leaked."""
    target = OpenAIChatTarget(config(server))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for _ in range(3):
            assert asyncio.run(target.complete_async(messages=MESSAGES)) == "ok"
        del target
        gc.collect()
    leaks = [w for w in caught if issubclass(w.category, ResourceWarning)]
    assert leaks == []
    assert len(server.received) == 3


def test_resolve_requires_exactly_one_R_LLM_2(server: LLMServer) -> None:
    with pytest.raises(TypeError, match=r"^Specify exactly one of 'llm' or 'target'\.$"):
        resolve_chat_target(llm=None, target=None)
    cfg = config(server)
    with pytest.raises(TypeError, match=r"^Specify exactly one of 'llm' or 'target'\.$"):
        resolve_chat_target(llm=cfg, target=OpenAIChatTarget(cfg))


def test_resolve_rejects_non_chat_target_R_LLM_2() -> None:
    class PyritLikeTarget:
        async def send_prompt_async(self, *, prompt_request: object) -> object:
            return prompt_request

    with pytest.raises(TypeError, match="ChatTarget"):
        resolve_chat_target(llm=None, target=PyritLikeTarget())
    with pytest.raises(TypeError, match="LLMConfig"):
        resolve_chat_target(llm={"model": "m"}, target=None)


def test_bad_config_values_are_rejected() -> None:
    with pytest.raises(ValueError, match="endpoint"):
        OpenAIChatTarget(LLMConfig(model="m", endpoint="not a url"))
    with pytest.raises(ValueError, match="max_concurrency"):
        OpenAIChatTarget(LLMConfig(model="m", endpoint="http://127.0.0.1:1", max_concurrency=0))
