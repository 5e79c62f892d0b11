"""denser: dense and sparse text retrieval, from Python.

The C++ library itself (not the CLI): collections (BEIR, MS MARCO, SMART), BM25 with
Pyserini-like hits (``.docid``, ``.score``), and trec_eval-exact evaluation. Errors raise
``denser.Error`` subclasses carrying the library's message, its category (``.code``) and
the field at fault (``.field``): ``InvalidArgument`` (also a ``ValueError``), ``NotFound``
(also a ``FileNotFoundError``), ``Corrupt``, ``Unavailable`` (also an ``OSError``),
``Unsupported``, ``TooLarge``, ``Internal``.
"""
from ._core import (  # noqa: F401
    Bm25Index,
    Collection,
    Corrupt,
    Document,
    Error,
    Hit,
    Internal,
    InvalidArgument,
    NotFound,
    Query,
    TooLarge,
    Unavailable,
    Unsupported,
    __version__,
    evaluate,
)

__all__ = [
    "Bm25Index", "Collection", "Document", "Hit", "Query", "evaluate", "Error", "InvalidArgument", "NotFound",
    "Corrupt", "Unavailable", "Unsupported", "TooLarge", "Internal", "__version__",
]
