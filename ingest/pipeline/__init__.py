"""Ingestion: guide references and added items to stored documents, idempotent and resumable."""

from ingest.pipeline.run import (
    IngestReport,
    Outcome,
    ProgressEvent,
    ProgressFn,
    Sources,
    add_items,
    ingest_guides,
    reference_job,
)

__all__ = [
    "IngestReport",
    "Outcome",
    "ProgressEvent",
    "ProgressFn",
    "Sources",
    "add_items",
    "ingest_guides",
    "reference_job",
]
