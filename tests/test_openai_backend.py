"""The openai backend against a real OpenAI-compatible server on 127.0.0.1: llama.cpp's, serving the packaged model."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from assistant.answers.answer import Assistant
from assistant.errors import BackendUnavailable
from assistant.llm.backends import OpenAIChatModel
from tests.support.llm import packaged_gguf
from tests.support.scripted import WordRetriever, chunk

pytestmark = pytest.mark.llm
ALIAS = "readpath-test-model"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def server_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    port = _free_port()
    # The server logs the whole GGUF metadata: a file, not a pipe, so a full pipe never blocks it.
    log = tmp_path_factory.mktemp("llama-server") / "server.log"
    with log.open("wb") as sink:
        process = subprocess.Popen(
            [sys.executable, "-m", "llama_cpp.server", "--model", str(packaged_gguf()), "--model_alias", ALIAS,
             "--host", "127.0.0.1", "--port", str(port), "--n_ctx", "2048", "--n_threads", "2"],
            stdout=sink, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/v1"
    try:
        _wait_until_serving(url, process, log)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=30)


def _wait_until_serving(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"llama_cpp.server exited: {log.read_text(errors='replace')[-2000:]}")
        try:
            if httpx.get(f"{url}/models", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            time.sleep(0.5)
    pytest.fail(f"llama_cpp.server did not start in 180 s: {log.read_text(errors='replace')[-2000:]}")


def test_check_lists_the_served_model_without_spending_tokens(server_url: str) -> None:
    line = OpenAIChatModel(server_url, ALIAS, api_key="sk-local-test").check()
    assert ALIAS in line
    assert "not listed" not in line


def test_stream_yields_the_reply_piece_by_piece(server_url: str) -> None:
    model = OpenAIChatModel(server_url, ALIAS, api_key="sk-local-test")
    messages = [{"role": "system", "content": "You follow instructions exactly."},
                {"role": "user", "content": "Reply with the single word: pipeline"}]
    pieces = list(model.stream(messages, max_tokens=8, temperature=0.0))
    assert len(pieces) >= 1
    assert "pipeline" in "".join(pieces).lower()


def test_a_cited_answer_through_the_openai_backend(server_url: str) -> None:
    gpipe = chunk("paper:1811.06965", "The pipeline bubble overhead of GPipe is negligible when the number of "
                  "micro-batches M is at least four times the number of partitions K.", page=4, title="GPipe")
    model = OpenAIChatModel(server_url, ALIAS, api_key="sk-local-test")
    answer = Assistant(model=model, retriever=WordRetriever([gpipe]), titles={gpipe.doc_id: gpipe.title}).ask(
        "When is the GPipe pipeline bubble overhead negligible?")
    assert not answer.abstained
    assert [c.doc_id for c in answer.citations] == ["paper:1811.06965"]
    assert answer.citations[0].page == 4


def test_an_unreachable_server_is_backend_unavailable() -> None:
    model = OpenAIChatModel(f"http://127.0.0.1:{_free_port()}/v1", ALIAS, api_key="sk-local-test", timeout=2)
    with pytest.raises(BackendUnavailable, match=r"127\.0\.0\.1"):
        model.check()
