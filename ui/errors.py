"""The one place where named exceptions become exit codes and user messages."""

from __future__ import annotations

from assistant.errors import BackendUnavailable, PlanError
from index.errors import EmbeddingModelMissing, IndexError_
from ingest.errors import FetchError, InputError, PdfUnreadable, ReadpathError, SourceNotFound, StorageError

# Exit codes, documented in README.md ("Exit codes"); a test keeps the two in step.
EXIT_OK = 0
EXIT_PARTIAL = 1  # some items failed, the rest went through
EXIT_USAGE = 2  # bad arguments or bad input (file, id, settings)
EXIT_NOT_FOUND = 3  # an id, repository or saved object that does not exist
EXIT_NETWORK = 4  # a remote service failed after retries, or no route to it
EXIT_STORAGE = 5  # data directory unwritable, database or index damaged or mismatched
EXIT_BACKEND = 6  # embedding model or LLM backend unavailable
EXIT_INTERRUPTED = 130  # Ctrl-C; everything stored so far is kept
EXIT_BUG = 70  # an unexpected error: a bug to report

EXIT_CODES: dict[int, str] = {
    EXIT_OK: "success",
    EXIT_PARTIAL: "partial failure: some items failed, the others were stored",
    EXIT_USAGE: "usage or input error",
    EXIT_NOT_FOUND: "not found",
    EXIT_NETWORK: "network failure or offline",
    EXIT_STORAGE: "storage or index damaged, mismatched or unwritable",
    EXIT_BACKEND: "model or LLM backend unavailable",
    EXIT_BUG: "internal error (a bug): please report it",
    EXIT_INTERRUPTED: "interrupted",
}

# The one table from exception class to exit code (the classes themselves carry none). The first
# entry the error is an instance of wins, so a subclass listed later than its base would never match;
# ReadpathError comes last as the catch-all. tests/test_errors.py checks every subclass resolves here.
EXIT_BY_CLASS: tuple[tuple[type[ReadpathError], int], ...] = (
    (SourceNotFound, EXIT_NOT_FOUND),
    (FetchError, EXIT_NETWORK),
    (StorageError, EXIT_STORAGE),
    (IndexError_, EXIT_STORAGE),
    (EmbeddingModelMissing, EXIT_BACKEND),
    (BackendUnavailable, EXIT_BACKEND),
    (PdfUnreadable, EXIT_USAGE),
    (PlanError, EXIT_USAGE),
    (InputError, EXIT_USAGE),
    (ReadpathError, EXIT_USAGE),
)


def exit_code(exc: BaseException) -> int:
    """The exit code for an exception reaching the edge."""
    if isinstance(exc, KeyboardInterrupt):
        return EXIT_INTERRUPTED
    for cls, code in EXIT_BY_CLASS:
        if isinstance(exc, cls):
            return code
    return EXIT_STORAGE if isinstance(exc, OSError) else EXIT_BUG


def user_message(exc: BaseException) -> str:
    """One readable line for a user: the error's own message, never a traceback."""
    if isinstance(exc, KeyboardInterrupt):
        return "Interrupted. Everything stored so far is kept; run the command again to finish."
    if isinstance(exc, ReadpathError):
        return str(exc)
    if isinstance(exc, OSError):
        where = getattr(exc, "filename", "") or "file system"
        return f"{exc.strerror or exc} ({where}). Check the path and its permissions."
    return f"Unexpected error: {exc!r}. Please report it with the command you ran."
