"""End to end in a real browser: `readpath ui --headless` on a free local port, driven by headless Chromium.

The library is built in the test through the service layer: the seed guide ingested offline (its
papers stay pending, nothing leaves the machine) plus one generated PDF, indexed; answers come from
the extractive backend. Screenshots of every step are saved under the pytest temporary directory.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from tests.support.pdfgen import make_pdf
from tests.test_app_pages import QUICK, TITLE, write_sample_pdf
from ui.services import library, make_context, search

CHROMIUM = Path("/usr/bin/chromium")
pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.timeout(600),
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium: apt-get install chromium"),
]
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync"]
WAIT_MS = 120_000  # the first question loads the embedding model


def _environment(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("READPATH_") and k != "DISPLAY"}
    env.update(QUICK, READPATH_HOME=str(home), READPATH_CONFIG=str(home / "config.toml"), HF_HUB_OFFLINE="1",
               TRANSFORMERS_OFFLINE="1")
    return env


def _build_library(home: Path) -> None:
    """The seed guide ingested offline plus one generated PDF, indexed, all through the service layer."""
    with pytest.MonkeyPatch.context() as patch:
        for name, value in _environment(home).items():
            patch.setenv(name, value)
        ctx = make_context()
    library.ingest(ctx)
    assert library.add(ctx, [str(write_sample_pdf(home / "sources"))]).ok
    search.index_library(ctx)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_healthy(url: str, server: subprocess.Popen[str], seconds: float = 300) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        assert server.poll() is None, f"readpath ui exited with {server.returncode}"
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as answer:
                if answer.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    raise AssertionError(f"{url} did not answer in {seconds} s")


@pytest.fixture(scope="module")
def app_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`readpath ui --headless --port <free>` over the built library; its address."""
    home = tmp_path_factory.mktemp("browser-home")
    _build_library(home)
    port = _free_port()
    readpath = Path(sys.executable).with_name("readpath")
    server = subprocess.Popen([str(readpath), "ui", "--headless", "--port", str(port), "--host", "127.0.0.1"],
                              env=_environment(home), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        assert server.stdout is not None
        assert server.stdout.readline().startswith(f"readpath app: http://127.0.0.1:{port}")
        _wait_healthy(f"http://127.0.0.1:{port}", server)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.terminate()  # `readpath ui` exec'd Streamlit, so this is Streamlit itself
        try:
            server.wait(timeout=60)
        except subprocess.TimeoutExpired:
            server.kill()


@pytest.fixture(scope="module")
def shots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where the screenshots go."""
    folder = tmp_path_factory.mktemp("screenshots")
    print(f"screenshots: {folder}")
    return folder


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
    tab = context.new_page()
    tab.set_default_timeout(WAIT_MS)
    yield tab
    context.close()


def settle(page: Page) -> None:
    """Wait until Streamlit has finished running the script after the last action; it must not have failed."""
    page.wait_for_timeout(300)
    page.wait_for_selector('[data-testid="stApp"][data-test-script-state="notRunning"]')
    assert not page.locator('[data-testid="stException"]').count(), "the page shows an unexpected error"


def open_app(page: Page, url: str) -> None:
    page.goto(url)
    page.wait_for_selector('[data-testid="stChatInputTextArea"], h1')
    settle(page)


def ask(page: Page, question: str) -> None:
    box = page.locator('[data-testid="stChatInputTextArea"]')
    box.fill(question)
    box.press("Enter")
    page.get_by_role("button", name=re.compile(rf"\[\d+\] {TITLE}")).first.wait_for()
    settle(page)


def test_ask_a_question_and_open_its_citation(app_url: str, page: Page, shots: Path) -> None:
    open_app(page, app_url)
    page.screenshot(path=shots / "01-first-visit-chat.png", full_page=True)
    ask(page, "How is the MLP block split in tensor parallelism?")
    page.screenshot(path=shots / "02-chat-answer.png", full_page=True)
    page.get_by_role("button", name=re.compile(rf"\[\d+\] {TITLE} · p\.2")).first.click()
    dialog = page.get_by_role("dialog")
    marked = dialog.locator("mark")
    marked.wait_for()
    assert "split by columns in the first GEMM" in marked.inner_text()
    assert dialog.get_by_role("button", name="Download the PDF").is_visible()
    page.screenshot(path=shots / "03-citation.png")
    page.keyboard.press("Escape")
    page.reload()
    page.get_by_text("How is the MLP block split in tensor parallelism?").wait_for()


def test_build_a_plan_and_tick_an_item(app_url: str, page: Page, shots: Path) -> None:
    open_app(page, f"{app_url}/plan")
    page.get_by_label("What do you want to learn?").fill("distributed training of large models")
    page.get_by_role("button", name="Make the plan").click()
    page.get_by_text("Week 1").first.wait_for()
    settle(page)
    total = int(re.search(r"0 of (\d+) items done", page.content()).group(1))
    page.locator('[data-testid="stCheckbox"]').filter(has_text=re.compile(r"· [\d.]+ h$")).first.click()
    progress = page.get_by_text(f"1 of {total} items done")
    progress.wait_for()
    settle(page)
    progress.scroll_into_view_if_needed()
    page.screenshot(path=shots / "04-plan.png", full_page=True)
    with page.expect_download() as download:
        page.get_by_role("button", name="Download Markdown").click()
    assert download.value.suggested_filename == "readpath-plan.md"


def test_open_the_taxonomy_and_click_a_topic(app_url: str, page: Page, shots: Path) -> None:
    open_app(page, f"{app_url}/taxonomy")
    page.locator(".js-plotly-plot g.slice").first.wait_for()
    settle(page)
    page.screenshot(path=shots / "05-taxonomy.png", full_page=True)
    slice_ = page.locator(".js-plotly-plot g.slice").filter(has_text=re.compile(r"^军火库$"))
    slice_.locator("text").first.click(force=True)  # the label sits inside the segment; the path's middle may not
    page.get_by_role("heading", name="军火库").wait_for()
    settle(page)
    page.screenshot(path=shots / "06-taxonomy-topic.png", full_page=True)
    plan_button = page.get_by_role("button", name="Make a reading plan for this topic")
    plan_button.scroll_into_view_if_needed()
    page.screenshot(path=shots / "07-taxonomy-topic-lists.png")
    plan_button.click()
    page.get_by_role("heading", name="Reading plan").wait_for()
    settle(page)
    assert "军火库" in page.locator('[data-testid="stMultiSelect"]').first.inner_text()


def test_upload_a_pdf(app_url: str, page: Page, shots: Path, tmp_path: Path) -> None:
    upload = tmp_path / "Pipeline Parallelism Notes.pdf"
    upload.write_bytes(make_pdf(["# 1 Pipelines\n\nMicro-batches keep every pipeline stage busy."],
                                page_title="Pipeline Parallelism Notes"))
    open_app(page, f"{app_url}/add")
    page.locator('input[type="file"]').set_input_files(str(upload))
    page.get_by_role("button", name="Add this PDF").click()
    page.get_by_text("Result").wait_for()
    settle(page)
    page.screenshot(path=shots / "08-upload.png", full_page=True)
    open_app(page, f"{app_url}/library")
    page.get_by_label("Search titles, authors and ids").fill("Pipeline-Parallelism")
    page.keyboard.press("Enter")
    page.get_by_text("1 documents shown").wait_for()  # the table itself is drawn on a canvas
    settle(page)
    table = page.locator('[data-testid="stDataFrame"]').bounding_box()
    assert table is not None
    page.mouse.click(table["x"] + 16, table["y"] + 52)  # the first row's selection box
    page.get_by_role("tab", name="About").wait_for()
    settle(page)
    page.screenshot(path=shots / "09-library-document.png", full_page=True)


def test_switch_to_chinese_and_keep_it_on_reload(app_url: str, page: Page, shots: Path) -> None:
    open_app(page, app_url)
    page.get_by_role("radio", name="中文").click()
    page.get_by_role("heading", name="向文库提问").wait_for()
    settle(page)
    assert "lang=" in page.url  # the choice rides in the address, so a reload keeps it
    page.reload()
    page.get_by_role("heading", name="向文库提问").wait_for()
    page.locator('[data-testid="stSidebarNav"]').get_by_text("知识图谱").click()
    page.get_by_role("heading", name="知识图谱").wait_for()
    page.locator(".js-plotly-plot g.slice").first.wait_for()
    settle(page)
    page.screenshot(path=shots / "10-chinese-taxonomy.png", full_page=True)
