"""The hybrid search as a llama-index retriever, for its query engines, postprocessors and evaluators."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from llama_index.core.retrievers import BaseRetriever
from llama_index.core.schema import NodeWithScore, QueryBundle, TextNode

from index.models import Hit
from index.search import Searcher


def hit_node(hit: Hit) -> NodeWithScore:
    """A search hit as a llama-index node: chunk text, its place in the library as metadata, fused score."""
    c = hit.chunk
    metadata: dict[str, Any] = {"doc_id": c.doc_id, "source_id": c.source_id, "title": c.title, "kind": c.kind,
                                "page": c.page_start, "page_end": c.page_end, "section": c.section,
                                "heading_path": c.heading_path, "topics": list(c.topics),
                                "ranks": dict(hit.ranks)}
    # The metadata names the source for citations; only title and section go to the LLM with the text.
    hidden = [key for key in metadata if key not in ("title", "section")]
    node = TextNode(id_=c.chunk_id, text=c.text, metadata=metadata, excluded_llm_metadata_keys=hidden,
                    excluded_embed_metadata_keys=list(metadata))
    return NodeWithScore(node=node, score=hit.score)


class HybridRetriever(BaseRetriever):
    """Retrieves the top k chunks from a Searcher, optionally within kinds, topics or documents."""

    def __init__(self, searcher: Searcher, *, k: int = 5, kinds: Collection[str] | None = None,
                 topics: Collection[str] | None = None, doc_ids: Collection[str] | None = None) -> None:
        super().__init__()
        self.searcher = searcher
        self.k = k
        self.filters = {"kinds": kinds, "topics": topics, "doc_ids": doc_ids}

    def _retrieve(self, query_bundle: QueryBundle) -> list[NodeWithScore]:
        hits = self.searcher.search(query_bundle.query_str, self.k, **self.filters)
        return [hit_node(hit) for hit in hits]
