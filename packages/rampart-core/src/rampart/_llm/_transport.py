"""A lean HTTP/1.1 keep-alive transport for plain ``http://`` endpoints.

Local OpenAI-compatible servers (vLLM, Ollama, LiteLLM, test servers) are usually
reached over plain HTTP, where the SDK's general-purpose transport stack costs several
times more CPU per request than the request itself; that overhead caps judge
throughput. This transport speaks just enough HTTP/1.1 for chat completions over
asyncio streams. It is never used for ``https://`` endpoints, and the SDK's own
handling (retries, timeouts, error types) stays in charge: failures are raised as the
HTTP library's own exception types.
"""

from __future__ import annotations

import asyncio
import contextlib
from types import ModuleType
from typing import Any

__all__ = ["lean_transport"]

_Connection = tuple[asyncio.StreamReader, asyncio.StreamWriter]
_MAX_HEADER_BYTES = 64 * 1024


def lean_transport(httpx: ModuleType, max_idle: int) -> Any:
    """Build the transport class on the SDK's HTTP library (httpx or its successor)."""

    class LeanTransport(httpx.AsyncBaseTransport):  # type: ignore[misc, name-defined]
        def __init__(self) -> None:
            self._idle: dict[tuple[str, int], list[_Connection]] = {}

        async def handle_async_request(self, request: Any) -> Any:
            timeouts = request.extensions.get("timeout", {})
            address = (request.url.host, request.url.port or 80)
            payload = _serialise(request, await request.aread())
            for attempt in range(2):
                connection = self._take_idle(address)
                reused = connection is not None
                if connection is None:
                    connection = await _connect(httpx, request, address, timeouts)
                try:
                    status, headers, body, keep = await _exchange(
                        httpx, request, connection, payload, timeouts
                    )
                except _StaleConnection:
                    _close(connection)
                    if reused and attempt == 0:
                        continue  # the server dropped an idle connection: retry once
                    raise httpx.RemoteProtocolError(
                        "server closed the connection", request=request
                    ) from None
                except BaseException:
                    _close(connection)
                    raise
                if keep:
                    self._put_idle(address, connection)
                else:
                    _close(connection)
                return httpx.Response(status, headers=headers, content=body, request=request)
            raise AssertionError("unreachable")

        def _take_idle(self, address: tuple[str, int]) -> _Connection | None:
            pool = self._idle.get(address)
            while pool:
                reader, writer = pool.pop()
                if not writer.is_closing() and not reader.at_eof():
                    return reader, writer
                writer.close()
            return None

        def _put_idle(self, address: tuple[str, int], connection: _Connection) -> None:
            pool = self._idle.setdefault(address, [])
            if len(pool) < max_idle:
                pool.append(connection)
            else:
                _close(connection)

        async def aclose(self) -> None:
            pools, self._idle = self._idle, {}
            writers = [writer for pool in pools.values() for _, writer in pool]
            for writer in writers:
                writer.close()
            for writer in writers:
                with contextlib.suppress(OSError):
                    await writer.wait_closed()

    return LeanTransport()


class _StaleConnection(Exception):
    """The connection closed before any response byte arrived."""


def _close(connection: _Connection) -> None:
    connection[1].close()


def _serialise(request: Any, body: bytes) -> bytes:
    target = request.url.raw_path.decode("ascii")
    lines = [f"{request.method} {target} HTTP/1.1"]
    seen_host = False
    for name, value in request.headers.raw:
        lowered = name.lower()
        if lowered in (b"content-length", b"transfer-encoding", b"connection"):
            continue
        if lowered == b"accept-encoding":
            value = b"identity"  # bodies are returned undecoded
        seen_host = seen_host or lowered == b"host"
        lines.append(f"{name.decode('latin-1')}: {value.decode('latin-1')}")
    if not seen_host:
        lines.append(f"Host: {request.url.netloc.decode('ascii')}")
    lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


async def _connect(
    httpx: ModuleType, request: Any, address: tuple[str, int], timeouts: dict[str, Any]
) -> _Connection:
    try:
        async with asyncio.timeout(timeouts.get("connect")):
            return await asyncio.open_connection(*address)
    except TimeoutError:
        raise httpx.ConnectTimeout("connection timed out", request=request) from None
    except OSError as exc:
        raise httpx.ConnectError(str(exc), request=request) from None


async def _exchange(
    httpx: ModuleType,
    request: Any,
    connection: _Connection,
    payload: bytes,
    timeouts: dict[str, Any],
) -> tuple[int, list[tuple[bytes, bytes]], bytes, bool]:
    reader, writer = connection
    try:
        async with asyncio.timeout(timeouts.get("write")):
            writer.write(payload)
            await writer.drain()
    except TimeoutError:
        raise httpx.WriteTimeout("write timed out", request=request) from None
    except OSError as exc:
        raise _StaleConnection from exc
    try:
        async with asyncio.timeout(timeouts.get("read")):
            try:
                head = await reader.readuntil(b"\r\n\r\n")
            except asyncio.IncompleteReadError as exc:
                if not exc.partial:
                    raise _StaleConnection from exc
                raise httpx.RemoteProtocolError("incomplete response", request=request) from None
            except asyncio.LimitOverrunError:
                raise httpx.RemoteProtocolError(
                    "response head too large", request=request
                ) from None
            status, headers = _parse_head(httpx, request, head)
            fields = {k.lower(): v for k, v in headers}
            keep = fields.get(b"connection", b"").lower() != b"close"
            if b"chunked" in fields.get(b"transfer-encoding", b"").lower():
                body = await _read_chunked(reader)
            elif b"content-length" in fields:
                body = await reader.readexactly(int(fields[b"content-length"]))
            elif status in (204, 304) or 100 <= status < 200:
                body = b""
            else:
                body = await reader.read()
                keep = False
    except TimeoutError:
        raise httpx.ReadTimeout("read timed out", request=request) from None
    except (asyncio.IncompleteReadError, ValueError) as exc:
        raise httpx.RemoteProtocolError(f"malformed response: {exc}", request=request) from None
    except ConnectionError as exc:
        raise httpx.ReadError(str(exc), request=request) from None
    return status, headers, body, keep


def _parse_head(
    httpx: ModuleType, request: Any, head: bytes
) -> tuple[int, list[tuple[bytes, bytes]]]:
    if len(head) > _MAX_HEADER_BYTES:
        raise httpx.RemoteProtocolError("response head too large", request=request)
    status_line, *header_lines = head[:-4].split(b"\r\n")
    parts = status_line.split(b" ", 2)
    if len(parts) < 2 or not parts[0].startswith(b"HTTP/1."):
        raise httpx.RemoteProtocolError("not an HTTP/1.x response", request=request)
    headers: list[tuple[bytes, bytes]] = []
    for line in header_lines:
        name, sep, value = line.partition(b":")
        if not sep:
            raise httpx.RemoteProtocolError("malformed header line", request=request)
        headers.append((name.strip(), value.strip()))
    return int(parts[1]), headers


async def _read_chunked(reader: asyncio.StreamReader) -> bytes:
    chunks: list[bytes] = []
    while True:
        size_line = await reader.readuntil(b"\r\n")
        size = int(size_line.split(b";", 1)[0].strip(), 16)
        if size == 0:
            # Trailers, if any, end with an empty line.
            while await reader.readuntil(b"\r\n") != b"\r\n":
                pass
            return b"".join(chunks)
        chunks.append(await reader.readexactly(size))
        await reader.readexactly(2)
