"""The Streamlit app's pages under streamlit.testing's AppTest: widgets, state and error messages.

Every test runs the real entry script against a data directory of its own, with the extractive
backend (no LLM) so answers are quick; the chat tests share one small library built through the
service layer from a generated PDF.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from ingest.errors import PdfUnreadable
from tests.conftest import REPO
from tests.support.pdfgen import make_pdf
from ui.app import resources
from ui.app.citation_view import find_passage, highlighted
from ui.app.i18n import catalog
from ui.app.uploads import safe_name, store_upload
from ui.cli.app_cmd import has_display, streamlit_command
from ui.services import library, make_context, search
from ui.services.guides import load_guides

APP = str(REPO / "ui" / "app" / "main.py")
TIMEOUT_S = 180  # the first question of a process loads the embedding model
PAGES = [
    "# 1 Introduction\n\nTensor parallelism splits each weight matrix of a transformer layer across several GPUs, "
    "so that every GPU holds one slice of the matrix.",
    "# 2 Method\n\nThe MLP block is split by columns in the first GEMM and by rows in the second, needing one "
    "all-reduce in the forward pass.",
    "# 3 Results\n\nScaling to 512 GPUs reaches 76 percent weak-scaling efficiency.",
]
TITLE = "Tensor Parallelism Explained"
QUESTION = "How is the MLP block split in tensor parallelism?"
EN, ZH = catalog("en"), catalog("zh")
PLAN_SUBMIT = f"FormSubmitter:plan_form-{EN['plan.make']}"
OK, NOT_OK = ":green[:material/check_circle:]", ":orange[:material/warning:]"
SOURCES_SUBMIT = f"FormSubmitter:add_sources-{EN['add.sources_button']}"
# Every remote service at a closed local port: a fetch fails at once as offline, never reaching the internet.
OFFLINE = {f"READPATH_{name}": "http://127.0.0.1:9"
           for name in ("ARXIV_API_URL", "ARXIV_PDF_URL", "GITHUB_API_URL", "GITHUB_RAW_URL")}
QUICK = {"READPATH_LLM_BACKEND": "extractive", "READPATH_CROSSLINGUAL": "false", "READPATH_HTTP_RETRIES": "0",
         "READPATH_ARXIV_DELAY_S": "0", **OFFLINE}


def write_sample_pdf(folder: Path) -> Path:
    """The three-page PDF the questions are about, written into `folder`."""
    pdf = folder / "tensor-parallelism.pdf"
    pdf.parent.mkdir(parents=True, exist_ok=True)
    pdf.write_bytes(make_pdf(PAGES, title=TITLE, page_title=TITLE))
    return pdf


@pytest.fixture(autouse=True)
def app_settings(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """No LLM, no multilingual encoder, no network; a fresh Context for each test's data directory."""
    for name, value in QUICK.items():
        monkeypatch.setenv(name, value)
    resources.context.clear()
    resources.conversations.clear()
    yield
    resources.context.clear()


@pytest.fixture(scope="module")
def built_library(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data directory holding one indexed three-page PDF, made through the service layer."""
    home = tmp_path_factory.mktemp("library")
    ctx = make_context(home=home, crosslingual=False, llm_backend="extractive")
    assert library.add(ctx, [str(write_sample_pdf(home / "sources"))]).ok
    search.index_library(ctx)
    return home


@pytest.fixture
def with_library(built_library: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point the app at the built library (for tests that leave it as it is)."""
    monkeypatch.setenv("READPATH_HOME", str(built_library))
    return built_library


@pytest.fixture
def own_library(built_library: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point the app at a copy of the built library, for a test that adds to it."""
    home = tmp_path / "library"
    shutil.copytree(built_library, home)
    monkeypatch.setenv("READPATH_HOME", str(home))
    return home


def start(page: str | None = None) -> AppTest:
    """The app run once, then switched to `page` (a path relative to main.py) and run again."""
    app = AppTest.from_file(APP, default_timeout=TIMEOUT_S).run()
    if page:
        app.switch_page(page).run()
    assert not app.exception, app.exception
    return app


def ask(app: AppTest, question: str = QUESTION) -> AppTest:
    app.chat_input(key="chat_input").set_value(question).run()
    assert not app.exception, app.exception
    return app


def texts(app: AppTest) -> str:
    """Everything the page wrote as Markdown, captions and alerts, joined."""
    parts = [m.value for m in app.markdown] + [c.value for c in app.caption]
    parts += [str(a.value) for kind in (app.error, app.warning, app.info, app.success) for a in kind]
    return "\n".join(parts)


# --- the frame: navigation, language, sidebar -------------------------------------------------------------


def test_a_new_user_lands_on_the_chat_with_examples_and_an_empty_library() -> None:
    app = start()
    assert app.title[0].value == EN["chat.title"]
    assert app.chat_input(key="chat_input")
    assert app.pills(key="chat_pills").options == [EN["chat.example_1"], EN["chat.example_2"], EN["chat.example_3"]]
    assert app.sidebar.get("metric")[0].proto.body == "0"
    assert EN["backend.extractive"] in texts(app)
    assert app.warning[0].value == EN["chat.empty_library"] and app.get("page_link")


def _sidebar_app() -> None:
    # AppTest drops the sidebar from its tree after a rerun when st.navigation is used (a real browser
    # keeps it), so the sidebar's interactions are tested on the sidebar alone.
    import streamlit as st

    from ui.app import resources, sidebar
    from ui.app.i18n import t

    sidebar.language_switch(resources.context().settings)
    st.title(t("chat.title"))
    sidebar.render(resources.context().settings)


def test_the_language_switch_translates_the_interface() -> None:
    app = AppTest.from_function(_sidebar_app, default_timeout=TIMEOUT_S).run()
    app.segmented_control(key="lang").set_value("zh").run()
    assert app.title[0].value == ZH["chat.title"]
    assert app.sidebar.get("metric")[0].proto.label == ZH["sidebar.documents"]


@pytest.mark.slow  # loads the real embedding model for the check, then builds an index with it
def test_the_health_check_reports_a_missing_index_and_offers_to_build_it() -> None:
    app = AppTest.from_function(_sidebar_app, default_timeout=TIMEOUT_S).run()
    assert app.sidebar.caption[-1].value == EN["sidebar.unchecked"]
    app.sidebar.button(key="sidebar_check").click().run()
    assert not app.exception, app.exception
    sidebar = "\n".join(m.value for m in app.sidebar.markdown)
    assert f"{OK} **{EN['sidebar.check_embedding']}**" in sidebar
    assert f"{NOT_OK} **{EN['sidebar.check_index']}**" in sidebar
    app.sidebar.button(key="sidebar_index").click().run()
    assert not app.exception, app.exception
    assert f"{OK} **{EN['sidebar.check_index']}**" in "\n".join(m.value for m in app.sidebar.markdown)


# --- chat -------------------------------------------------------------------------------------------------


def test_an_answer_has_citation_chips_that_open_the_page_with_the_passage_marked(with_library: Path) -> None:
    app = ask(start())
    assistant = app.chat_message[1]
    assert assistant.name == "assistant" and "MLP block" in assistant.markdown[0].value
    chips = {b.label: b for b in app.button if (b.key or "").startswith("cite-")}
    # The key is whatever number the answer gave the page-2 passage; the chip must name title and page.
    page_two = [label for label in chips if label.endswith(f"] {TITLE} · p.2")]
    assert page_two, sorted(chips)
    chips[page_two[0]].click().run()
    page_html = "\n".join(h.proto.body for h in app.get("html"))
    assert '<mark style="background:#ffe58f;padding:0 2px">2 Method' in page_html
    assert "Scaling to 512 GPUs" not in page_html  # page 3 is not the one cited


def test_the_conversation_survives_page_switches_reloads_and_ends_with_new_chat(with_library: Path) -> None:
    app = ask(start())
    app.switch_page("views/taxonomy.py").run()
    app.switch_page("views/chat.py").run()
    assert [m.name for m in app.chat_message] == ["user", "assistant"]
    reloaded = AppTest.from_file(APP, default_timeout=TIMEOUT_S)
    reloaded.query_params["s"] = app.session_state["token"]  # the URL's token survives a reload
    reloaded.run()
    assert reloaded.chat_message[0].markdown[0].value == QUESTION
    reloaded.button(key="chat_new").click().run()
    assert not reloaded.chat_message and reloaded.pills(key="chat_pills")


def test_an_abstention_suggests_guide_papers_to_add(own_library: Path) -> None:
    app = ask(start(), "What does LoRA freeze during fine-tuning?")
    assert "LoRA: Low-Rank Adaptation of Large Language Models" in texts(app)
    add = app.button(key="add-0-0")
    add.click().run()  # the arXiv address points at a closed local port: offline, kept pending
    assert not app.exception, app.exception
    assert EN["add.offline"] in texts(app)


def test_a_question_without_an_index_gets_a_readable_error_not_a_traceback() -> None:
    app = ask(start())
    assert not app.exception
    assert app.error and "index" in app.error[0].value.lower()
    assert app.chat_message[0].markdown[0].value == QUESTION  # the turn is kept, with its error


# --- library ----------------------------------------------------------------------------------------------


def test_an_empty_library_says_how_to_fill_it() -> None:
    app = start("views/library.py")
    assert app.info[0].value == EN["library.empty"]
    assert app.get("page_link")


def test_the_library_table_filters_and_opens_a_document(with_library: Path) -> None:
    app = start("views/library.py")
    table = app.dataframe[0].value
    assert list(table[EN["library.col_title"]]) == [TITLE]
    assert table[EN["library.col_pages"]][0] == 3
    app.text_input(key="library_query").input("no such paper").run()
    assert EN["library.count"].format(shown=0) in texts(app)
    app.text_input(key="library_query").input("tensor").run()
    assert EN["library.count"].format(shown=1) in texts(app)
    app.session_state["library_open"] = f"file:{(with_library / 'sources' / 'tensor-parallelism.pdf').resolve()}"
    app.run()
    assert app.header[0].value == TITLE
    assert f"**{EN['library.source']}**" in texts(app)
    assert app.button(key="remove-yes")


def test_a_summary_is_made_on_demand_then_kept(with_library: Path) -> None:
    app = start("views/library.py")
    app.session_state["library_open"] = f"file:{(with_library / 'sources' / 'tensor-parallelism.pdf').resolve()}"
    app.run()
    app.button(key="summary_make").click().run()
    assert not app.exception, app.exception
    assert EN["summary.model"].format(model="extractive") in texts(app)
    app.run()  # shown from the cache: no button any more
    assert not [b for b in app.button if b.key == "summary_make"]


# --- taxonomy ---------------------------------------------------------------------------------------------


LORA = "arxiv:2106.09685"


def lora_node() -> str:
    """The guide section that cites LoRA (looked up: node ids follow the guide's headings)."""
    return next(node.node_id for node in load_guides()[0].root.walk() if LORA in node.ref_ids)


def test_the_taxonomy_shows_the_guide_and_a_chosen_topic_can_be_planned() -> None:
    app = start("views/taxonomy.py")
    assert app.get("plotly_chart")
    topic = app.selectbox(key="taxonomy_node")
    assert topic.value == ""
    assert app.subheader[0].value == EN["taxonomy.whole_guide"]
    topic.set_value(lora_node()).run()
    papers = app.tabs[0].dataframe[0].value
    assert list(papers[EN["taxonomy.col_title"]]) == ["LoRA: Low-Rank Adaptation of Large Language Models"]
    assert list(papers[EN["taxonomy.col_status"]]) == [EN["taxonomy.status_missing"]]
    app.button(key="taxonomy_plan").click().run()
    assert app.session_state["plan_topics"] == [lora_node()]
    assert app.title[0].value == EN["plan.title"]
    assert lora_node() in app.multiselect[0].value


# --- plan -------------------------------------------------------------------------------------------------


def test_a_plan_is_built_ticked_and_downloadable() -> None:
    app = start("views/plan.py")
    app.text_input[0].input("distributed training of large models")
    app.button(key=PLAN_SUBMIT).click().run()
    assert not app.exception, app.exception
    boxes = [c for c in app.checkbox if (c.key or "").startswith("plan-item-")]
    assert boxes and not any(c.value for c in boxes)
    boxes[0].check().run()
    assert not app.exception, app.exception
    ticked = app.checkbox(key=boxes[0].key.replace("-False", "-True"))
    assert ticked.value and ticked.disabled
    assert app.get("progress")[0].proto.text == EN["plan.progress"].format(done=1, total=len(boxes))
    assert app.get("download_button")
    app.checkbox(key=boxes[-1].key).check().run()  # a later week's item: re-planned out of the weeks, still read
    app.switch_page("views/taxonomy.py").run()
    read = next(m for m in app.metric if m.label == EN["taxonomy.metric_read"])
    assert read.value == "2"


def test_a_plan_request_without_goal_or_topic_is_explained() -> None:
    app = start("views/plan.py")
    app.button(key=PLAN_SUBMIT).click().run()
    assert not app.exception
    assert app.error and "goal" in app.error[0].value.lower()


# --- add --------------------------------------------------------------------------------------------------


def test_an_upload_that_is_not_a_pdf_is_refused_by_its_content(readpath_home: Path) -> None:
    app = start("views/add.py")
    app.file_uploader[0].upload("paper.pdf", b"<html>not a pdf</html>", "application/pdf").run()
    app.button(key="add_upload").click().run()
    assert app.error and "is not a PDF" in app.error[0].value
    assert not (readpath_home / "uploads").exists()


def test_an_uploaded_pdf_is_stored_safely_added_and_indexed(readpath_home: Path) -> None:
    app = start("views/add.py")
    app.file_uploader[0].upload("../My Paper (draft).pdf", make_pdf(PAGES, title=TITLE), "application/pdf").run()
    app.button(key="add_upload").click().run()
    assert not app.exception, app.exception
    stored = list((readpath_home / "uploads").glob("*/*.pdf"))
    assert [p.name for p in stored] == ["My-Paper-draft.pdf"]
    result = app.dataframe[0].value
    assert result[EN["add.col_outcome"]][0] == EN["add.outcome_fetched"]
    assert result[EN["add.col_pages"]][0] == 3
    assert (readpath_home / "index").is_dir()


def test_the_sources_form_reports_each_item(readpath_home: Path) -> None:
    app = start("views/add.py")
    app.text_area[0].input("not-an-id\n2106.09685")
    app.button(key=SOURCES_SUBMIT).click().run()
    assert not app.exception, app.exception
    rows = app.dataframe[0].value
    outcomes = dict(zip(rows[EN["add.col_item"]], rows[EN["add.col_outcome"]], strict=True))
    assert outcomes["not-an-id"] == EN["add.outcome_failed"]
    assert outcomes["2106.09685"] == EN["add.outcome_pending"]  # offline: kept for the next run
    assert EN["add.offline"] in texts(app)


def test_an_empty_sources_form_asks_for_an_item() -> None:
    app = start("views/add.py")
    app.button(key=SOURCES_SUBMIT).click().run()
    assert app.warning[0].value == EN["add.nothing"]


# --- helpers behind the pages -----------------------------------------------------------------------------


def test_both_languages_have_every_message_the_app_uses() -> None:
    used = set()
    for path in (REPO / "ui" / "app").rglob("*.py"):
        used |= set(re.findall(r'\bt\("([a-z_.0-9-]+)"', path.read_text(encoding="utf-8")))
    assert used and used <= set(EN)
    assert set(EN) == set(ZH)


@pytest.mark.parametrize(("original", "expected"), [
    ("paper.pdf", "paper.pdf"),
    ("../../etc/passwd.pdf", "passwd.pdf"),
    ("C:\\Users\\me\\论文 v2.PDF", "论文-v2.pdf"),
    ("...pdf", "upload.pdf"),
])
def test_upload_names_stay_inside_their_folder(original: str, expected: str) -> None:
    assert safe_name(original) == expected


def test_uploads_are_checked_by_content_and_size(tmp_path: Path) -> None:
    pdf = make_pdf(["Hello."])
    with pytest.raises(PdfUnreadable, match="not a PDF"):
        store_upload(tmp_path, "x.pdf", b"PK\x03\x04 a zip", 50)
    with pytest.raises(PdfUnreadable, match=r"over the 0\.001 MiB limit"):
        store_upload(tmp_path, "x.pdf", pdf, 0.001)
    first, again = store_upload(tmp_path, "x.pdf", pdf, 50), store_upload(tmp_path, "x.pdf", pdf, 50)
    assert first == again and first.read_bytes() == pdf and first.is_relative_to(tmp_path / "uploads")


def test_the_cited_passage_is_found_across_line_breaks_and_escaped() -> None:
    page = "Intro <b>bold</b> text.\nThe MLP block is split\nby columns. Then more."
    marked = highlighted(page, "The MLP block is split by columns.")
    assert "&lt;b&gt;bold&lt;/b&gt;" in marked
    assert "<mark" in marked and "split\nby columns.</mark>" in marked
    assert find_passage(page, "Nothing like this sentence appears on the page at all.") is None


def test_readpath_ui_runs_streamlit_headless_on_the_given_address(monkeypatch: pytest.MonkeyPatch) -> None:
    command = streamlit_command(8600, "127.0.0.1", True, 50.0)
    assert command[1:5] == ["-m", "streamlit", "run", str(REPO / "ui" / "app" / "main.py")]
    options = dict(zip(command[5::2], command[6::2], strict=True))
    assert options["--server.port"] == "8600" and options["--server.address"] == "127.0.0.1"
    assert options["--server.headless"] == "true" and options["--server.maxUploadSize"] == "50"
    monkeypatch.setattr("sys.platform", "linux")
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    assert not has_display()
    monkeypatch.setenv("DISPLAY", ":0")
    assert has_display()
