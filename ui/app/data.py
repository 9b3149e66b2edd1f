"""What several pages read from the service layer, with errors shown once and an empty result after."""

from __future__ import annotations

from assistant.plans import skipped_note
from ingest.models import Document, TaxonomyNode
from ingest.store import DocumentSummary
from ui.app import resources
from ui.app.i18n import FALLBACK, catalog, label, t
from ui.app.widgets import attempt, call
from ui.services import answers, library, plans


def documents() -> list[Document]:
    """Every stored document's metadata (no page text), ordered by kind then title."""
    ctx = resources.context()
    return call(lambda: library.open_store(ctx).list()) or []


def listing() -> dict[str, DocumentSummary]:
    """doc_id -> its listing row (page count, health), for the whole library."""
    rows = call(library.list_documents, resources.context()) or []
    return {row.doc_id: row for row in rows}


def document(doc_id: str) -> Document | None:
    """One stored document with its pages and sections, or None (with the error shown) if it is gone."""
    ctx = resources.context()
    return call(lambda: library.open_store(ctx).get(doc_id))


def topic_names() -> dict[str, str]:
    """node_id -> the topic's label in the interface language, over every guide."""
    guides = call(resources.guides) or []
    return {node.node_id: topic_name(node) for guide in guides for node in guide.root.walk() if node.node_id}


def topic_name(node: TaxonomyNode) -> str:
    """A taxonomy node's label in the interface language."""
    return label(node.label_en, node.label_zh, node.label)


def done_sources() -> set[str]:
    """Source ids of the works ticked off in the current plan: every part of them done (none without a plan)."""
    plan, _ = attempt(plans.current_plan, resources.context().settings)
    if plan is None:
        return set()
    parts = [(item.source_id, item.done) for week in plan.weeks for item in week.items]
    parts += [(str(entry.get("source_id")), bool(entry.get("done"))) for entry in plan.left_out]
    # Re-planning moves items ticked ahead of time out of the weeks, into `skipped` with this note.
    ahead = skipped_note(plan.language, [], done=True)
    parts += [(str(entry.get("source_id")), True) for entry in plan.skipped if entry.get("note") == ahead]
    return {source for source, _ in parts} - {source for source, done in parts if not done}


def backend_line(backend: str) -> str:
    """"Answering with <backend> · model <model>" without loading the model, or why the backend is unusable."""
    model, error = attempt(answers.chat_model, resources.context(), backend)
    if model is None:
        return error or ""
    return t("chat.using", backend=backend_label(backend), model=model.model_id or model.name)


def backend_label(backend: str) -> str:
    """A backend's name for people; a backend registered by a plug-in keeps its own name."""
    key = f"backend.{backend}"
    return t(key) if key in catalog(FALLBACK) else backend
