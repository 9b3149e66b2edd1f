"""Named exceptions of the assistant layer."""

from ingest.errors import ReadpathError


class BackendUnavailable(ReadpathError):
    """The chosen LLM backend cannot be reached or loaded."""


class ModelMissing(BackendUnavailable):
    """The packaged local model is missing or damaged: the message names the pip command."""


class PlanError(ReadpathError):
    """A plan request that cannot be met, or no saved plan."""
