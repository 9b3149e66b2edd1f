"""The ChatModel backends: the registry, the extractive backend, and Ollama and OpenAI over real HTTP."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from assistant.errors import BackendUnavailable, ModelMissing
from assistant.llm.backends import (
    ExtractiveChatModel,
    LocalChatModel,
    OllamaChatModel,
    OpenAIChatModel,
    backend_names,
    make_chat_model,
)
from assistant.prompts import NO_ANSWER, PromptSource, answer_messages
from ingest.errors import InputError
from tests.support.scripted import ScriptedChatModel, install

SECRET = "sk-test-do-not-show-0123456789"


class Server:
    """A real HTTP server on 127.0.0.1 whose answers a test sets per path; records request bodies."""

    def __init__(self) -> None:
        self.routes: dict[str, tuple[int, str, list[bytes]]] = {}
        self.bodies: list[dict[str, Any]] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def _reply(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                if length:
                    server.bodies.append(json.loads(self.rfile.read(length)))
                status, kind, parts = server.routes.get(self.path, (404, "application/json", [b'{"error":"no"}']))
                self.send_response(status)
                self.send_header("Content-Type", kind)
                self.end_headers()
                for part in parts:
                    self.wfile.write(part)

            do_GET = do_POST = _reply  # noqa: N815 - http.server's method names

            def log_message(self, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()


@pytest.fixture
def server() -> Iterator[Server]:
    srv = Server()
    yield srv
    srv.httpd.shutdown()


def test_unknown_backend_names_the_known_ones() -> None:
    with pytest.raises(InputError, match="local, ollama, openai"):
        make_chat_model("gpt-magic")


def test_factory_passes_each_backend_only_the_parameters_it_takes(tmp_path: Path) -> None:
    model = make_chat_model("local", models_dir=tmp_path, threads=3, context=1024, host="ignored", api_key="x")
    assert isinstance(model, LocalChatModel)
    assert (model.threads, model.context, model.models_dir) == (3, 1024, tmp_path)
    assert isinstance(make_chat_model("extractive", threads=2), ExtractiveChatModel)


def test_a_registered_backend_is_built_like_a_real_one() -> None:
    scripted = install(ScriptedChatModel(["hello world"]))
    assert "scripted" in backend_names()
    model = make_chat_model("scripted")
    assert model is scripted
    assert list(model.stream([{"role": "user", "content": "hi"}], max_tokens=5, temperature=0)) == ["hello ", "world"]


def test_local_backend_with_a_missing_gguf_says_what_to_fix(tmp_path: Path) -> None:
    model = LocalChatModel(tmp_path, model_path=tmp_path / "nope.gguf")
    with pytest.raises(ModelMissing, match="does not exist"):
        model.complete([{"role": "user", "content": "hi"}], max_tokens=4, temperature=0)


def _prompt(question: str, *passages: str) -> list[dict[str, str]]:
    sources = [PromptSource(i, f"Paper {i}", text) for i, text in enumerate(passages, start=1)]
    return answer_messages(question, sources, "en")


def test_extractive_answers_with_the_best_matching_sentences_and_their_keys() -> None:
    messages = _prompt("How much memory does LoRA save?",
                       "GPipe splits batches into micro-batches. The bubble is small.",
                       "LoRA reduces GPU memory by 3 times. It freezes the pretrained weights.")
    answer = ExtractiveChatModel(sentences=1).complete(messages, max_tokens=100, temperature=0)
    assert answer.strip() == "LoRA reduces GPU memory by 3 times. [2]"


def test_extractive_without_sources_abstains() -> None:
    assert ExtractiveChatModel().complete(_prompt("What is LoRA?"), max_tokens=10, temperature=0) == NO_ANSWER


def _ollama_lines(*pieces: str) -> list[bytes]:
    lines = [{"model": "qwen2.5:1.5b", "created_at": "2025-01-01T00:00:00Z",
              "message": {"role": "assistant", "content": p}, "done": False} for p in pieces]
    lines.append({"model": "qwen2.5:1.5b", "created_at": "2025-01-01T00:00:01Z",
                  "message": {"role": "assistant", "content": ""}, "done": True, "done_reason": "stop",
                  "prompt_eval_count": 12, "eval_count": len(pieces)})
    return [json.dumps(line).encode() + b"\n" for line in lines]


def test_ollama_streams_over_its_wire_format_with_the_limits_asked(server: Server) -> None:
    server.routes["/api/chat"] = (200, "application/x-ndjson", _ollama_lines("Pipeline ", "parallelism", "."))
    model = OllamaChatModel(server.url, "qwen2.5:1.5b", context=2048)
    pieces = list(model.stream([{"role": "user", "content": "What is GPipe?"}], max_tokens=17, temperature=0.1))
    assert pieces == ["Pipeline ", "parallelism", "."]
    sent = server.bodies[-1]
    assert sent["model"] == "qwen2.5:1.5b"
    assert sent["options"]["num_predict"] == 17
    assert sent["options"]["temperature"] == 0.1
    assert sent["messages"][-1] == {"role": "user", "content": "What is GPipe?"}


def test_ollama_check_names_the_pull_command_for_a_missing_model(server: Server) -> None:
    server.routes["/api/tags"] = (200, "application/json", [json.dumps({"models": [{"name": "llama3:8b"}]}).encode()])
    with pytest.raises(BackendUnavailable, match=r"ollama pull qwen2\.5:1\.5b"):
        OllamaChatModel(server.url, "qwen2.5:1.5b").check()


def test_ollama_unreachable_is_backend_unavailable() -> None:
    model = OllamaChatModel("http://127.0.0.1:9", "qwen2.5:1.5b", timeout=2)
    with pytest.raises(BackendUnavailable, match="ollama"):
        model.complete([{"role": "user", "content": "hi"}], max_tokens=4, temperature=0)


def test_openai_key_is_never_shown_even_when_the_server_echoes_it(server: Server) -> None:
    echo = json.dumps({"error": {"message": f"Incorrect API key provided: {SECRET}", "type": "invalid_request_error",
                                 "code": "invalid_api_key"}}).encode()
    server.routes["/v1/models"] = (401, "application/json", [echo])
    server.routes["/v1/chat/completions"] = (401, "application/json", [echo])
    model = OpenAIChatModel(f"{server.url}/v1", "gpt-4o-mini", api_key=SECRET)
    assert SECRET not in repr(model)
    for call in (model.check, lambda: model.complete([{"role": "user", "content": "hi"}], max_tokens=4,
                                                     temperature=0)):
        with pytest.raises(BackendUnavailable) as caught:
            call()
        assert SECRET not in str(caught.value)
        assert "OPENAI_API_KEY" in str(caught.value)
