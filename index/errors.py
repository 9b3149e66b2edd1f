"""Named exceptions of the index layer."""

from ingest.errors import ReadpathError


class IndexError_(ReadpathError):  # noqa: N801 - the builtin IndexError must stay unshadowed
    """Base of index problems."""


class IndexMissing(IndexError_):
    """No index has been built yet."""


class IndexDamaged(IndexError_):
    """An index file whose checksum does not match: rebuild with `readpath reindex`."""


class ModelMismatch(IndexError_):
    """The index was built with another embedding model or settings: run `readpath reindex`."""


class EmbeddingModelMissing(ReadpathError):
    """The embedding model cannot be loaded offline."""
