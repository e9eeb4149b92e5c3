"""A real chat-completions HTTP server on 127.0.0.1 for the LLM tests and the benchmark.

It runs in a background thread on an ephemeral port, answers from a script (or a
default reply), can inject HTTP errors, hangs and malformed bodies, and records every
request it receives so tests can count retries and read the exact prompts sent.
"""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass(frozen=True, kw_only=True)
class Reply:
    """A successful completion whose assistant message is ``text``."""

    text: str | None


@dataclass(frozen=True, kw_only=True)
class Status:
    """An HTTP error with an OpenAI-style error body."""

    code: int
    message: str = "scripted failure"
    error_code: str | None = None
    location: str | None = None


@dataclass(frozen=True, kw_only=True)
class Hang:
    """Wait ``seconds`` before answering, so the client times out."""

    seconds: float = 5.0


@dataclass(frozen=True, kw_only=True)
class Raw:
    """A 200 response with an arbitrary (e.g. malformed) body."""

    body: bytes
    content_type: str = "application/json"


Action = Reply | Status | Hang | Raw


@dataclass(frozen=True, kw_only=True)
class Received:
    """One request as the server saw it."""

    path: str
    headers: dict[str, str]
    body: dict[str, Any]

    @property
    def messages(self) -> list[dict[str, str]]:
        messages: list[dict[str, str]] = self.body["messages"]
        return messages


@dataclass(kw_only=True)
class LLMServer:
    """Scripted OpenAI-compatible endpoint; see the module docstring."""

    latency: float = 0.0
    default: Action = field(default_factory=lambda: Reply(text="ok"))
    responder: Callable[[Received], Action] | None = None
    received: list[Received] = field(default_factory=list)
    max_in_flight: int = 0
    chunked: bool = False
    """Send bodies with ``Transfer-Encoding: chunked`` instead of ``Content-Length``."""
    drop_connections: bool = False
    """Close every connection after one response without announcing it (an idle
    keep-alive connection the server dropped)."""
    _script: deque[Action] = field(default_factory=deque)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _stop: threading.Event = field(default_factory=threading.Event)
    _in_flight: int = 0
    _httpd: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        assert self._httpd is not None
        return f"http://127.0.0.1:{self._httpd.server_address[1]}/v1"

    @property
    def netloc(self) -> str:
        assert self._httpd is not None
        return f"127.0.0.1:{self._httpd.server_address[1]}"

    def script(self, *actions: Action) -> None:
        """Queue actions answered in order before falling back to ``default``."""
        with self._lock:
            self._script.extend(actions)

    def _next_action(self, request: Received) -> Action:
        with self._lock:
            self.received.append(request)
            self._in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self._in_flight)
            if self._script:
                return self._script.popleft()
        if self.responder is not None:
            return self.responder(request)
        return self.default

    def _done(self) -> None:
        with self._lock:
            self._in_flight -= 1

    def start(self) -> None:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # Headers and body go out in separate writes; without this, Nagle plus the
            # client's delayed ACK adds ~40 ms to every response.
            disable_nagle_algorithm = True

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length)
                try:
                    body = json.loads(raw or b"{}")
                except ValueError:
                    body = {"_unparseable": raw.decode("utf-8", "replace")}
                received = Received(
                    path=self.path,
                    headers={k.lower(): v for k, v in self.headers.items()},
                    body=body,
                )
                action = server._next_action(received)
                self._counted = True
                try:
                    self._answer(action, body)
                finally:
                    self._leave()

            def _leave(self) -> None:
                # A request stops counting as in flight before its answer goes out: once the
                # client has the answer it may send the next request, and counting that one
                # while this thread has not yet decremented would over-report concurrency.
                if getattr(self, "_counted", False):
                    self._counted = False
                    server._done()

            def _answer(self, action: Action, body: dict[str, Any]) -> None:
                if server.latency:
                    time.sleep(server.latency)
                if isinstance(action, Hang):
                    server._stop.wait(action.seconds)
                    action = Reply(text="too late")
                if isinstance(action, Reply):
                    payload = {
                        "id": "chatcmpl-local",
                        "object": "chat.completion",
                        "created": 0,
                        "model": body.get("model", "local"),
                        "choices": [
                            {
                                "index": 0,
                                "message": {"role": "assistant", "content": action.text},
                                "finish_reason": "stop",
                            }
                        ],
                        "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
                    }
                    self._send(200, json.dumps(payload).encode(), "application/json")
                elif isinstance(action, Status):
                    error = {"message": action.message, "type": "error", "code": action.error_code}
                    self._send(
                        action.code,
                        json.dumps({"error": error}).encode(),
                        "application/json",
                        # Keeps the SDK's backoff short so retry tests stay fast.
                        {"retry-after-ms": "5"}
                        | ({"Location": action.location} if action.location else {}),
                    )
                else:
                    self._send(200, action.body, action.content_type)

            def _send(
                self,
                code: int,
                data: bytes,
                content_type: str,
                extra: dict[str, str] | None = None,
            ) -> None:
                self._leave()
                try:
                    self.send_response(code)
                    self.send_header("Content-Type", content_type)
                    if server.chunked:
                        self.send_header("Transfer-Encoding", "chunked")
                        half = len(data) // 2
                        data = b"".join(
                            b"%x;ext=1\r\n%s\r\n" % (len(part), part)
                            for part in (data[:half], data[half:])
                            if part
                        )
                        data += b"0\r\nX-Trailer: t\r\n\r\n"
                    else:
                        self.send_header("Content-Length", str(len(data)))
                    for key, value in (extra or {}).items():
                        self.send_header(key, value)
                    self.end_headers()
                    self.wfile.write(data)
                    if server.drop_connections:
                        self.close_connection = True
                except OSError:
                    pass  # the client gave up (timeout); nothing to answer

        class Server(ThreadingHTTPServer):
            daemon_threads = True
            request_queue_size = 128

            def handle_error(self, request: Any, client_address: Any) -> None:
                pass  # clients that time out or are cancelled reset their connection

        self._httpd = Server(("127.0.0.1", 0), Handler)
        threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True
        ).start()

    def stop(self) -> None:
        self._stop.set()
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()


@contextmanager
def running_server(**kwargs: Any) -> Iterator[LLMServer]:
    """Start an ``LLMServer`` for the duration of the ``with`` block."""
    server = LLMServer(**kwargs)
    server.start()
    try:
        yield server
    finally:
        server.stop()


def _completion_body(text: str, model: str) -> bytes:
    return json.dumps(
        {
            "id": "chatcmpl-local",
            "object": "chat.completion",
            "created": 0,
            "model": model,
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": text},
                    "finish_reason": "stop",
                }
            ],
        }
    ).encode()


async def _serve_fast(latency: float, text: str) -> None:
    """A lean asyncio keep-alive server for the benchmark: one fixed reply, no script.

    Threads per connection would make the server, not the client, the bottleneck.
    """
    import asyncio
    import sys

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = 0
                for line in head.split(b"\r\n"):
                    if line.lower().startswith(b"content-length:"):
                        length = int(line.split(b":", 1)[1])
                body = json.loads(await reader.readexactly(length) or b"{}")
                await asyncio.sleep(latency)
                data = _completion_body(text, str(body.get("model", "local")))
                writer.write(
                    b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                    + f"Content-Length: {len(data)}\r\n\r\n".encode()
                    + data
                )
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    print(f"http://127.0.0.1:{port}/v1", flush=True)
    loop = asyncio.get_running_loop()
    # Serve until the parent closes our stdin.
    await loop.run_in_executor(None, sys.stdin.read)
    server.close()


def main(argv: list[str]) -> int:
    """Serve from a separate process, for the benchmark (keeps it off the client's GIL).

    Usage: ``python -m tests.core.llm_server LATENCY_SECONDS REPLY_TEXT``; prints the
    base URL, then serves until stdin is closed.
    """
    import asyncio

    asyncio.run(_serve_fast(float(argv[0]), argv[1]))
    return 0


if __name__ == "__main__":
    import sys

    raise SystemExit(main(sys.argv[1:]))
