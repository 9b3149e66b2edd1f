"""Named exceptions of the ingest layer; every user-facing error derives from ReadpathError."""


class ReadpathError(Exception):
    """Base of every error readpath reports to a user; the message says what to do."""


class InputError(ReadpathError):
    """Bad input from the user: a file, an id, an argument."""


class EncodingUnknown(InputError):
    """A text file whose encoding cannot be determined or that is binary."""


class EmptyInput(InputError):
    """An empty file or text."""


class GuideParseError(InputError):
    """A guide that has no structure readpath can read."""


class SourceNotFound(ReadpathError):
    """An arXiv id, repository or URL that the remote service does not know."""


class PdfUnreadable(ReadpathError):
    """A PDF that is corrupt, encrypted, empty, a scan without text, too large, or not a PDF."""


class FetchError(ReadpathError):
    """A remote service failed after retries (timeouts, rate limits, server errors)."""


class Offline(FetchError):
    """No route to the remote service; work is kept pending for the next run."""


class HostNotAllowed(InputError):
    """A URL outside the configured arXiv and GitHub hosts, or on a private address."""


class StorageError(ReadpathError):
    """The data directory cannot be written or the library database is damaged."""
