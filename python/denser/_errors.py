"""The library's error categories as Python exceptions (raised by denser._core).

Each carries the library's message, ``code`` (the category's name, as in the server's JSON
errors) and ``field`` (the option or request field at fault, or None).
"""
from typing import Optional


class Error(RuntimeError):
    """Any error denser reports."""

    code: str = "internal"
    field: Optional[str] = None


class InvalidArgument(Error, ValueError):
    """A value outside its domain: an option, an argument, a measure name."""

    code = "invalid_argument"


class NotFound(Error, FileNotFoundError):
    """A named file, directory, split or document that does not exist."""

    code = "not_found"


class Corrupt(Error):
    """Data that exists but is malformed or damaged (a bad line, magic or checksum)."""

    code = "corrupt"


class Unavailable(Error, OSError):
    """The system or a peer failed (read or write errors, a full disk)."""

    code = "unavailable"


class Unsupported(Error):
    """A well-formed request this build or setup cannot serve."""

    code = "unsupported"


class TooLarge(Error):
    """Beyond a limit."""

    code = "too_large"


class Internal(Error):
    """A bug in denser."""

    code = "internal"
