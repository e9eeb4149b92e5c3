"""Payload templates, generation (R-LLM-5) and the on-disk store (R-PAY-1, R-PAY-2)."""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import rampart.payloads
from rampart.converters import Base64Converter, Rot13Converter
from rampart.core.converter import PayloadConverter
from rampart.core.errors import InfrastructureError, LLMRateLimitError
from rampart.core.llm import ChatTarget, LLMConfig
from rampart.core.manifest import AppManifest, ToolDeclaration
from rampart.core.persona import Persona
from rampart.core.types import Payload, PayloadFormat
from rampart.payloads import Payloads, PayloadStore, PayloadTemplate
from tests.core.llm_server import LLMServer, Received, Reply, Status, running_server

PERSONA = Persona(name="crafter", system_prompt="You write test payloads.")
TEMPLATE = PayloadTemplate(
    name="exfil",
    description="asks the agent to mail data out",
    objective="make the agent email the customer list",
    instruction="Write a {style} note asking to forward {target}.",
    variables={"style": "polite", "target": "the customer list"},
)


@pytest.fixture
def server() -> Iterator[LLMServer]:
    with running_server() as srv:
        yield srv


def llm(server: LLMServer, **overrides: object) -> LLMConfig:
    values: dict[str, object] = {"model": "gen", "endpoint": server.url}
    values.update(overrides)
    return LLMConfig(**values)  # type: ignore[arg-type]


def generate(
    llm_or_target: LLMConfig | ChatTarget,
    *,
    count: int = 3,
    converters: list[PayloadConverter] | None = None,
    manifest: AppManifest | None = None,
    template: PayloadTemplate = TEMPLATE,
) -> list[Payload]:
    return asyncio.run(
        Payloads.generate_async(
            template=template,
            llm=llm_or_target,
            persona=PERSONA,
            manifest=manifest,
            converters=converters,
            count=count,
        )
    )


# --- templates --------------------------------------------------------------------


def test_template_with_variables_and_resolve() -> None:
    assert TEMPLATE.resolve() == "Write a polite note asking to forward the customer list."
    rude = TEMPLATE.with_variables(style="rude")
    assert rude.resolve() == "Write a rude note asking to forward the customer list."
    assert TEMPLATE.variables["style"] == "polite"
    assert rude is not TEMPLATE


def test_template_missing_variable_is_key_error() -> None:
    template = PayloadTemplate(name="n", description="d", objective="o", instruction="{missing}")
    assert template.variables == {}
    with pytest.raises(KeyError, match="missing"):
        template.resolve()


# --- generation -------------------------------------------------------------------


def test_generation_prompt_and_metadata_R_LLM_5(server: LLMServer) -> None:
    server.script(Reply(text="  payload zero \n"), Reply(text="payload one"))
    manifest = AppManifest(name="MailBot", tools=[ToolDeclaration(name="send_email")])
    payloads = generate(llm(server), count=2, manifest=manifest)
    assert sorted(p.content for p in payloads) == ["payload one", "payload zero"]
    assert all(p.format is PayloadFormat.TEXT for p in payloads)
    assert len({p.id for p in payloads}) == 2
    assert [p.metadata["variant_index"] for p in payloads] == [0, 1]
    assert payloads[0].metadata == {
        "template": "exfil",
        "persona": "crafter",
        "objective": "make the agent email the customer list",
        "variant_index": 0,
    }
    system, user = server.received[0].messages
    assert system == {"role": "system", "content": "You write test payloads."}
    blocks = user["content"].split("\n\n")
    assert blocks[0] == "OBJECTIVE: make the agent email the customer list"
    assert blocks[1] == "INSTRUCTION:\nWrite a polite note asking to forward the customer list."
    assert "\n\n".join(blocks[2:-1]) == str(manifest)
    assert blocks[-1].startswith("Output only the content")


def test_generation_without_manifest_has_three_blocks_R_LLM_5(server: LLMServer) -> None:
    generate(llm(server), count=1)
    assert len(server.received[0].messages[1]["content"].split("\n\n")) == 3


def test_converters_add_one_chained_payload_per_variant_R_LLM_5(server: LLMServer) -> None:
    server.default = Reply(text="abc")
    payloads = generate(llm(server), count=2, converters=[Rot13Converter(), Base64Converter()])
    assert len(payloads) == 4
    originals, converted = payloads[:2], payloads[2:]
    assert [p.content for p in originals] == ["abc", "abc"]
    assert [p.content for p in converted] == ["bm9w", "bm9w"]  # base64(rot13("abc"))
    assert [p.id for p in converted] == [p.id for p in originals]
    assert converted[0].metadata["converter"] == "Base64Converter"
    assert converted[1].metadata["variant_index"] == 1


def test_generation_respects_max_concurrency_at_the_server_R_LLM_5(server: LLMServer) -> None:
    server.latency = 0.05
    payloads = generate(llm(server, max_concurrency=3), count=10)
    assert len(payloads) == 10
    assert len(server.received) == 10
    assert server.max_in_flight == 3


class SlowTarget:
    def __init__(self) -> None:
        self.active = 0
        self.peak = 0

    async def complete_async(self, *, messages: list[dict[str, str]]) -> str:
        self.active += 1
        self.peak = max(self.peak, self.active)
        await asyncio.sleep(0.01)
        self.active -= 1
        return "from target"


def test_chat_target_is_accepted_with_default_cap_R_LLM_5() -> None:
    target = SlowTarget()
    payloads = generate(target, count=20)
    assert [p.content for p in payloads] == ["from target"] * 20
    assert target.peak == 8


def test_one_failure_fails_all_R_LLM_5(server: LLMServer) -> None:
    def responder(request: Received) -> Reply | Status:
        return Status(code=401) if len(server.received) == 3 else Reply(text="ok")

    server.responder = responder
    with pytest.raises(InfrastructureError, match="401"):
        generate(llm(server, max_concurrency=1), count=10)
    # The failure cancels the rest; at most the one already past the semaphore still lands.
    assert 3 <= len(server.received) <= 4


def test_rate_limit_raises_llm_rate_limit_error_R_LLM_1(server: LLMServer) -> None:
    server.default = Status(code=429)
    with pytest.raises(LLMRateLimitError):
        generate(llm(server, max_retries=1), count=1)
    assert len(server.received) == 2


def test_empty_reply_is_infrastructure_error(server: LLMServer) -> None:
    server.default = Reply(text="  ")
    with pytest.raises(InfrastructureError, match="empty"):
        generate(llm(server), count=1)


@pytest.mark.parametrize("count", [0, -1])
def test_count_below_one_R_LLM_5(server: LLMServer, count: int) -> None:
    with pytest.raises(ValueError, match=rf"^count must be >= 1, got {count}$"):
        generate(llm(server), count=count)
    assert server.received == []


def test_llm_must_be_config_or_chat_target() -> None:
    with pytest.raises(TypeError, match="LLMConfig or a ChatTarget"):
        generate("gpt-4o", count=1)  # type: ignore[arg-type]


def test_missing_template_variable_fails_before_any_call(server: LLMServer) -> None:
    template = TEMPLATE.with_variables()
    template.variables.pop("style")
    with pytest.raises(KeyError, match="style"):
        generate(llm(server), template=template)
    assert server.received == []


# --- store ------------------------------------------------------------------------


def test_default_root() -> None:
    assert Path(".rampart/payloads") == rampart.payloads.DEFAULT_ROOT
    assert Path(".rampart/payloads") == PayloadStore.DEFAULT_ROOT
    assert PayloadStore().root == Path(".rampart/payloads")


def test_save_load_roundtrip_and_layout_R_PAY_2(tmp_path: Path) -> None:
    artifact = tmp_path / "src.pdf"
    artifact.write_bytes(b"%PDF-1.4 data")
    payloads = [
        Payload(content="hello", id="t1", metadata={"k": [1, 2]}),
        Payload(content="<b>x</b>", id="h1", format=PayloadFormat.HTML),
        Payload(content="", id="p1", format=PayloadFormat.PDF, artifact=artifact),
    ]
    store = PayloadStore(root=tmp_path / "store")
    path = store.save("suite-1", payloads=payloads, provenance={"by": "test"})
    assert path == tmp_path / "store" / "suite-1"
    assert sorted(p.name for p in path.iterdir()) == [
        "artifacts",
        "manifest.json",
        "payloads.jsonl",
    ]
    assert (path / "artifacts" / "p1.pdf").read_bytes() == b"%PDF-1.4 data"
    loaded = store.load("suite-1")
    assert [(p.id, p.content, p.format) for p in loaded] == [
        (p.id, p.content, p.format) for p in payloads
    ]
    assert loaded[0].metadata == {"k": [1, 2]}
    assert loaded[2].artifact is not None
    assert loaded[2].artifact.read_bytes() == b"%PDF-1.4 data"
    assert [p.id for p in store.load("suite-1", format_filter=PayloadFormat.HTML)] == ["h1"]
    manifest = store.manifest("suite-1")
    assert manifest["name"] == "suite-1"
    assert manifest["count"] == 3
    assert manifest["formats"] == ["html", "pdf", "text"]
    assert manifest["provenance"] == {"by": "test"}
    assert isinstance(manifest["created_at"], str)
    lines = (path / "payloads.jsonl").read_text(encoding="utf-8").splitlines()
    assert [json.loads(line)["id"] for line in lines] == ["t1", "h1", "p1"]


def test_save_replaces_atomically_and_leaves_no_temp_dirs_R_PAY_2(tmp_path: Path) -> None:
    store = PayloadStore(root=tmp_path)
    store.save("c", payloads=[Payload(content="old")])
    store.save("c", payloads=[Payload(content="new1"), Payload(content="new2")])
    assert [p.content for p in store.load("c")] == ["new1", "new2"]
    assert sorted(os.listdir(tmp_path)) == ["c"]


def test_failed_save_keeps_the_previous_collection_R_PAY_2(tmp_path: Path) -> None:
    store = PayloadStore(root=tmp_path)
    store.save("c", payloads=[Payload(content="old")])
    gone = tmp_path / "gone.pdf"
    gone.write_bytes(b"x")
    doomed = Payload(content="", format=PayloadFormat.PDF, artifact=gone)
    gone.unlink()
    with pytest.raises(FileNotFoundError):
        store.save("c", payloads=[Payload(content="new"), doomed])
    assert [p.content for p in store.load("c")] == ["old"]
    assert sorted(os.listdir(tmp_path)) == ["c"]


@pytest.mark.parametrize("payloads", [[], [Payload(content="x"), "not a payload"], "x"])
def test_save_rejects_empty_or_non_payload_lists_R_PAY_2(tmp_path: Path, payloads: object) -> None:
    with pytest.raises(ValueError):
        PayloadStore(root=tmp_path).save("c", payloads=payloads)  # type: ignore[arg-type]
    assert not (tmp_path / "c").exists()


def test_load_missing_and_empty_R_PAY_2(tmp_path: Path) -> None:
    store = PayloadStore(root=tmp_path)
    with pytest.raises(FileNotFoundError):
        store.load("nothing")
    with pytest.raises(FileNotFoundError):
        store.manifest("nothing")
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / "payloads.jsonl").write_text("\n", encoding="utf-8")
    with pytest.raises(ValueError):
        store.load("empty")


def test_exists_list_delete_R_PAY_2(tmp_path: Path) -> None:
    store = PayloadStore(root=tmp_path / "root")
    assert store.list_collections() == []
    store.save("b", payloads=[Payload(content="x")])
    store.save("a.v2", payloads=[Payload(content="y")])
    (tmp_path / "root" / "not-a-collection").mkdir()
    assert store.list_collections() == ["a.v2", "b"]
    assert store.exists("b")
    store.delete("b")
    assert not store.exists("b")
    store.delete("b")  # missing: no-op
    assert store.list_collections() == ["a.v2"]


BAD_NAMES = [
    "..",
    ".",
    "",
    "../escape",
    "a/b",
    "/abs",
    ".hidden",
    "-x",
    "a" * 129,
    "name\n",
    "a\\b",
    5,
]


@pytest.mark.parametrize("name", BAD_NAMES)
@pytest.mark.parametrize("method", ["save", "load", "exists", "delete", "manifest"])
def test_every_method_rejects_bad_names_R_PAY_1(tmp_path: Path, name: object, method: str) -> None:
    root = tmp_path / "root"
    store = PayloadStore(root=root)
    (tmp_path / "victim").mkdir()
    (tmp_path / "victim" / "payloads.jsonl").write_text("{}", encoding="utf-8")
    calls: dict[str, Callable[[], object]] = {
        "save": lambda: store.save(name, payloads=[Payload(content="x")]),  # type: ignore[arg-type]
        "load": lambda: store.load(name),  # type: ignore[arg-type]
        "exists": lambda: store.exists(name),  # type: ignore[arg-type]
        "delete": lambda: store.delete(name),  # type: ignore[arg-type]
        "manifest": lambda: store.manifest(name),  # type: ignore[arg-type]
    }
    with pytest.raises(ValueError):
        calls[method]()
    assert (tmp_path / "victim" / "payloads.jsonl").exists()
    assert not root.exists() or sorted(os.listdir(root)) == []


def test_longest_valid_name_is_accepted_R_PAY_1(tmp_path: Path) -> None:
    store = PayloadStore(root=tmp_path)
    name = "A" + "b" * 127
    store.save(name, payloads=[Payload(content="x")])
    assert store.exists(name)


def test_unsafe_payload_ids_do_not_escape_artifacts_dir(tmp_path: Path) -> None:
    artifact = tmp_path / "a.pdf"
    artifact.write_bytes(b"%PDF")
    store = PayloadStore(root=tmp_path / "root")
    bad = Payload(content="", id="../../pwn", format=PayloadFormat.PDF, artifact=artifact)
    path = store.save("c", payloads=[bad])
    [stored] = os.listdir(path / "artifacts")
    assert stored.endswith(".pdf")
    assert ".." not in stored
    assert not (tmp_path / "pwn.pdf").exists()
    assert store.load("c")[0].id == "../../pwn"


def test_public_names() -> None:
    import rampart.core.llm

    assert sorted(rampart.payloads.__all__) == ["PayloadStore", "PayloadTemplate", "Payloads"]
    assert sorted(rampart.core.llm.__all__) == ["ChatTarget", "LLMConfig"]
