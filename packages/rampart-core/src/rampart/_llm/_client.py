"""The openai-SDK-backed ``ChatTarget`` built from an ``LLMConfig`` (R-LLM-1)."""

from __future__ import annotations

import asyncio
import importlib
import os
import re
import weakref
from collections.abc import AsyncGenerator
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from rampart._llm._errors import LLMConfigurationError, LLMUnavailableError
from rampart._llm._limit import concurrency_slot
from rampart._llm._transport import lean_transport
from rampart.core.errors import InfrastructureError, LLMRateLimitError
from rampart.core.llm import LLMConfig

if TYPE_CHECKING:
    from types import ModuleType

__all__ = ["OpenAIChatTarget", "require_openai"]

_OPENAI_HOST = "api.openai.com"
# The SDK insists on some key; this one is never sent because the header is omitted.
_UNUSED_KEY = "rampart-no-key"
_RESERVED_PARAMS = frozenset({"model", "messages", "stream", "n"})
_SAFE_CODE = re.compile(r"[A-Za-z0-9_.-]{1,64}")


# One SDK client per event loop and connection settings, shared by every target: the
# SDK's HTTP pool belongs to the loop it first ran on, and the loop (not a target that
# may be garbage-collected mid-loop) must own the generator that closes it.
_clients: weakref.WeakKeyDictionary[
    asyncio.AbstractEventLoop,
    dict[tuple[object, ...], tuple[Any, AsyncGenerator[None, None]]],
] = weakref.WeakKeyDictionary()


def require_openai() -> ModuleType:
    """Import the openai SDK or explain which extra provides it (R-GEN-2)."""
    try:
        import openai
    except ImportError as exc:
        raise ImportError(
            "LLM-backed features need the openai SDK: pip install 'rampart-core[llm]'"
        ) from exc
    return openai


def _host_of(endpoint: str) -> str:
    parts = urlsplit(endpoint)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        # The value itself is not echoed: a malformed URL may still carry credentials.
        raise ValueError(
            "LLMConfig.endpoint must be an http(s) URL with a host, "
            f"such as 'http://127.0.0.1:8000/v1' (got scheme {parts.scheme!r})"
        )
    # netloc may carry userinfo; only host and port are ever shown.
    return parts.hostname if parts.port is None else f"{parts.hostname}:{parts.port}"


def _validate(config: LLMConfig) -> None:
    if not isinstance(config.model, str) or not (config.model or config.deployment):
        raise ValueError("LLMConfig.model must be a non-empty string.")
    if not config.timeout_seconds > 0:
        raise ValueError(f"timeout_seconds must be > 0, got {config.timeout_seconds}")
    if isinstance(config.max_retries, bool) or config.max_retries < 0:
        raise ValueError(f"max_retries must be >= 0, got {config.max_retries}")
    if isinstance(config.max_concurrency, bool) or config.max_concurrency < 1:
        raise ValueError(f"max_concurrency must be >= 1, got {config.max_concurrency}")


class OpenAIChatTarget:
    """A ``ChatTarget`` that sends chat completions through the openai SDK.

    SDK clients are shared per event loop and connection settings (see ``_clients``).
    """

    def __init__(self, config: LLMConfig) -> None:
        _validate(config)
        self._openai = require_openai()
        self._config = config
        self._host = _host_of(config.endpoint)
        self._is_openai_host = urlsplit(config.endpoint).hostname == _OPENAI_HOST

    @property
    def config(self) -> LLMConfig:
        return self._config

    @property
    def host(self) -> str:
        return self._host

    def __repr__(self) -> str:
        return f"OpenAIChatTarget(model={self._model!r}, host={self._host!r})"

    @property
    def _model(self) -> str:
        return self._config.deployment or self._config.model

    def _key(self) -> str | None:
        """The key to send, or None to send none (R-LLM-1 key rules)."""
        if self._config.api_key is not None:
            return self._config.api_key
        if self._is_openai_host:
            key = os.environ.get("OPENAI_API_KEY")
            if not key:
                raise LLMConfigurationError(
                    f"LLM endpoint {self._host}: LLMConfig.api_key is None and "
                    "OPENAI_API_KEY is not set"
                )
            return key
        return None

    async def _client(self) -> tuple[Any, dict[str, Any]]:
        loop = asyncio.get_running_loop()
        key = self._key()
        headers: dict[str, Any] = {}
        omit = self._openai.Omit()
        if key is None:
            headers["Authorization"] = omit
        if not self._is_openai_host:
            # These come from the environment; they are meant for OpenAI only.
            headers["OpenAI-Organization"] = omit
            headers["OpenAI-Project"] = omit
        client_key = (
            self._config.endpoint,
            key,
            self._config.timeout_seconds,
            self._config.max_retries,
            self._config.max_concurrency,
        )
        per_loop = _clients.setdefault(loop, {})
        entry = per_loop.get(client_key)
        if entry is None:
            client = self._openai.AsyncOpenAI(
                base_url=self._config.endpoint,
                api_key=key or _UNUSED_KEY,
                timeout=self._config.timeout_seconds,
                max_retries=self._config.max_retries,
                http_client=_http_client(
                    self._openai,
                    self._config.max_concurrency,
                    plain_http=urlsplit(self._config.endpoint).scheme == "http",
                ),
            )
            closer = _close_at_loop_shutdown(client)
            await anext(closer)
            entry = per_loop[client_key] = (client, closer)
        client = entry[0]
        return client, headers

    async def complete_async(self, *, messages: list[dict[str, str]]) -> str:
        """Send one chat completion and return the assistant text ("" when empty)."""
        extra = {k: v for k, v in self._config.metadata.items() if k not in _RESERVED_PARAMS}
        async with concurrency_slot(self._config.endpoint, self._config.max_concurrency):
            try:
                client, headers = await self._client()
                # The raw ``post`` keeps the SDK's retries, timeouts and error types but
                # skips its per-call request transform and response model building,
                # which cost more CPU than everything else in a judge call.
                completion = await client.post(
                    "/chat/completions",
                    cast_to=object,
                    body={**extra, "model": self._model, "messages": messages},
                    options={"headers": headers},
                )
                return _text_of(completion)
            except InfrastructureError:
                raise
            except Exception as exc:
                # `from None`: SDK messages may quote server bodies that echo the key.
                raise self._translate(exc) from None

    def _translate(self, exc: Exception) -> InfrastructureError:
        openai = self._openai
        host = self._host
        retries = self._config.max_retries
        after = f"after {retries} retr{'y' if retries == 1 else 'ies'}"
        error: InfrastructureError
        if isinstance(exc, openai.RateLimitError):
            error = LLMRateLimitError(
                f"LLM endpoint {host} rate-limited the request (HTTP 429) {after}"
            )
        elif isinstance(exc, openai.APITimeoutError):
            error = LLMUnavailableError(
                f"LLM endpoint {host} timed out ({self._config.timeout_seconds:g}s) {after}",
                kind="timeout",
            )
        elif isinstance(exc, openai.APIConnectionError):
            error = LLMUnavailableError(
                f"LLM endpoint {host} could not be reached (connection error) {after}",
                kind="connection error",
            )
        elif isinstance(exc, openai.APIStatusError):
            error = self._status_error(exc.status_code, _error_code(exc), after)
        elif isinstance(exc, openai.OpenAIError):
            error = LLMConfigurationError(f"LLM client for {host} failed: {type(exc).__name__}")
        else:
            error = LLMUnavailableError(
                f"LLM endpoint {host} sent a malformed response ({type(exc).__name__})",
                kind="malformed response",
            )
        return _redacted(error, self._config.api_key)

    def _status_error(self, status: int, code: str, after: str) -> InfrastructureError:
        detail = f" ({code})" if code else ""
        if status >= 500 or status == 408:
            return LLMUnavailableError(
                f"LLM endpoint {self._host} failed with HTTP {status}{detail} {after}",
                kind=f"HTTP {status}",
            )
        hint = {
            401: "check LLMConfig.api_key",
            403: "check LLMConfig.api_key and its permissions",
            404: f"check the model/deployment {self._model!r} and the endpoint path",
        }.get(status, "check the request parameters in LLMConfig")
        return LLMConfigurationError(
            f"LLM endpoint {self._host} rejected the request with HTTP {status}{detail}: {hint}"
        )


async def _close_at_loop_shutdown(client: Any) -> AsyncGenerator[None, None]:
    """Closes ``client`` when its event loop shuts down.

    A started async generator is finalised by ``loop.shutdown_asyncgens()``, which
    ``asyncio.run`` and ``asyncio.Runner`` (so pytest-asyncio) call before closing the
    loop; this releases pooled keep-alive sockets instead of leaking them.
    """
    try:
        yield
    finally:
        await client.close()


def _http_client(openai: ModuleType, max_concurrency: int, *, plain_http: bool) -> Any:
    size = max(max_concurrency, 1)
    limits = type(openai.DEFAULT_CONNECTION_LIMITS)(
        max_connections=size * 2, max_keepalive_connections=size
    )
    options: dict[str, Any] = {
        "limits": limits,
        # A redirect must never carry the request (and its key) to another host.
        "follow_redirects": False,
    }
    if plain_http:
        httpx = importlib.import_module(type(openai.DEFAULT_CONNECTION_LIMITS).__module__)
        options["transport"] = lean_transport(httpx, max_idle=size)
    return openai.DefaultAsyncHttpxClient(**options)


def _error_code(exc: Any) -> str:
    code = getattr(exc, "code", None)
    if isinstance(code, str) and _SAFE_CODE.fullmatch(code):
        return code
    return ""


def _redacted(error: InfrastructureError, key: str | None) -> InfrastructureError:
    if key and any(key in str(arg) for arg in error.args):
        error.args = tuple(str(arg).replace(key, "***") for arg in error.args)
    return error


def _text_of(completion: Any) -> str:
    """The assistant text of a chat-completions JSON body; malformed bodies raise."""
    if not isinstance(completion, dict):
        raise TypeError("response body is not a JSON object")
    choices = completion.get("choices")
    if not isinstance(choices, list):
        raise TypeError("response has no 'choices' list")
    if not choices:
        return ""
    message = choices[0].get("message") if isinstance(choices[0], dict) else None
    if not isinstance(message, dict):
        raise TypeError("response choice has no 'message' object")
    content = message.get("content")
    return content if isinstance(content, str) else ""
