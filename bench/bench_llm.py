"""LLM judge throughput against a local chat-completions server, and lazy SDK import.

Budget (issue 8): 200 ``LLMJudge`` evaluations against a local server that answers after
50 ms, with ``max_concurrency=20``, finish in under 1.5 s (the ideal is 10 waves x 50 ms
= 0.5 s; the rest is SDK and event-loop overhead). Also checks that ``import rampart``
with the openai SDK installed does not import it.
"""

from __future__ import annotations

import asyncio
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

from rampart.core.llm import LLMConfig
from rampart.core.types import EvalContext, EvalOutcome, Request, Response, Turn
from rampart.evaluators._llm_judge import LLMJudge

ROOT = Path(__file__).resolve().parent.parent

CALLS = 200
CONCURRENCY = 20
LATENCY = 0.05
BUDGET_S = 1.5
VERDICT = json.dumps({"outcome": "NOT_DETECTED", "confidence": 0.9, "rationale": "r"})


async def _run(judge: LLMJudge, context: EvalContext) -> float:
    await judge.evaluate_async(context=context)  # warm-up: SDK client for this loop
    started = time.perf_counter()
    results = await asyncio.gather(*(judge.evaluate_async(context=context) for _ in range(CALLS)))
    elapsed = time.perf_counter() - started
    if any(r.outcome is not EvalOutcome.NOT_DETECTED for r in results):
        raise RuntimeError("unexpected verdict from the local server")
    return elapsed


async def _raw_baseline(url: str) -> float:
    """The same 200 requests from 20 bare asyncio keep-alive connections (no SDK)."""
    parts = urlsplit(url)
    body = json.dumps({"model": "bench", "messages": [{"role": "user", "content": "hi"}]})
    request = (
        f"POST {parts.path}/chat/completions HTTP/1.1\r\nHost: {parts.netloc}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n{body}"
    ).encode()

    async def worker(n: int) -> None:
        reader, writer = await asyncio.open_connection(parts.hostname, parts.port)
        for _ in range(n):
            writer.write(request)
            await writer.drain()
            length = 0
            while (line := await reader.readline()) not in (b"\r\n", b""):
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":")[1])
            json.loads(await reader.readexactly(length))
        writer.close()
        await writer.wait_closed()

    started = time.perf_counter()
    await asyncio.gather(*(worker(CALLS // CONCURRENCY) for _ in range(CONCURRENCY)))
    return time.perf_counter() - started


def _judge_seconds(runs: int) -> tuple[list[float], float, float]:
    # The server runs in its own process so its threads do not compete for our GIL.
    server = subprocess.Popen(
        [sys.executable, "-m", "tests.core.llm_server", str(LATENCY), VERDICT],
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert server.stdout is not None
        url = server.stdout.readline().strip()
        config = LLMConfig(model="bench", endpoint=url, max_concurrency=CONCURRENCY, max_retries=0)
        judge = LLMJudge(objective="the agent leaks a secret", llm=config)
        context = EvalContext(
            turns=[Turn(request=Request(prompt="hi"), response=Response(text="hello"))]
        )
        baseline = asyncio.run(_raw_baseline(url))
        cpu = time.process_time()
        timings = [asyncio.run(_run(judge, context)) for _ in range(runs)]
        cpu_ms_per_call = (time.process_time() - cpu) * 1000 / (runs * (CALLS + 1))
        return timings, cpu_ms_per_call, baseline
    finally:
        assert server.stdin is not None
        server.stdin.close()
        server.wait(timeout=10)


def _import_check() -> tuple[bool, str]:
    code = "import sys, rampart; print('openai' in sys.modules)"
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    imported = proc.stdout.strip() == "True"
    return not imported, "openai imported" if imported else "openai not imported"


def main(argv: list[str]) -> int:
    runs = 1 if "--quick" in argv else 3
    try:
        import openai  # noqa: F401
    except ImportError:
        print("llm: the openai SDK is not installed (pip install 'rampart-core[llm]')")
        print("BENCH llm: FAIL")
        return 1
    timings, cpu_ms, baseline = _judge_seconds(runs)
    best, median = min(timings), statistics.median(timings)
    print(
        f"llm judge: {CALLS} calls, latency {LATENCY * 1000:.0f} ms, concurrency {CONCURRENCY}: "
        f"median {median:.3f} s, best {best:.3f} s over {runs} run(s) "
        f"(budget {BUDGET_S} s, ideal {CALLS / CONCURRENCY * LATENCY:.2f} s); "
        f"{CALLS / median:.0f} calls/s; client CPU {cpu_ms:.2f} ms per call"
    )
    print(
        f"baseline (bare asyncio HTTP, same server and concurrency): {baseline:.3f} s; "
        f"judge/baseline ratio {median / baseline:.2f}"
    )
    lazy, detail = _import_check()
    print(f"import rampart with openai installed: {detail}")
    ok = median < BUDGET_S and lazy
    print(f"BENCH llm: {'PASS' if ok else 'FAIL'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
