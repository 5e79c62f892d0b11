"""denser: dense and sparse text retrieval, from Python.

The C++ library itself (not the CLI): collections (BEIR, MS MARCO, SMART), BM25 with
Pyserini-like hits (``.docid``, ``.score``), and trec_eval-exact evaluation. Errors raise
``denser.Error`` subclasses carrying the library's message, its category (``.code``) and
the field at fault (``.field``): ``InvalidArgument`` (also a ``ValueError``), ``NotFound``
(also a ``FileNotFoundError``), ``Corrupt``, ``Unavailable`` (also an ``OSError``),
``Unsupported``, ``TooLarge``, ``Internal``.
"""
from ._errors import (  # noqa: F401
    Corrupt,
    Error,
    Internal,
    InvalidArgument,
    NotFound,
    TooLarge,
    Unavailable,
    Unsupported,
)
from ._core import Bm25Index, Collection, Document, Hit, Query, __version__  # noqa: F401
from ._eval import evaluate, read_qrels, read_run, write_run  # noqa: F401

__all__ = [
    "Bm25Index", "Collection", "Document", "Hit", "Query", "evaluate", "read_qrels", "read_run", "write_run", "Error", "InvalidArgument", "NotFound",
    "Corrupt", "Unavailable", "Unsupported", "TooLarge", "Internal", "__version__",
]
