"""denser: dense and sparse text retrieval, from Python.

The C++ library itself (not the CLI): collections (BEIR, MS MARCO, SMART, the Debian
packages collection), BM25 with Pyserini-like hits (``.docid``, ``.score``), trec_eval-exact
evaluation and, in a build with libtorch and FAISS (``denser.HAS_DENSE``), encoders with
numpy output (``Encoder.encode`` as sentence-transformers'), FAISS vector indexes, the
``Retriever`` (dense, BM25, hybrid, PRF) and ``train`` (ANCE). Errors raise
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
from ._core import HAS_DENSE, Bm25Index, Collection, Document, Hit, Query, __version__  # noqa: F401
from ._core import debian_packages  # noqa: F401
from ._eval import evaluate, read_qrels, read_run, write_run  # noqa: F401

__all__ = [
    "Bm25Index", "Collection", "Document", "Hit", "Query", "debian_packages", "evaluate", "read_qrels", "read_run",
    "write_run", "Error", "InvalidArgument", "NotFound", "Corrupt", "Unavailable", "Unsupported", "TooLarge",
    "Internal", "HAS_DENSE", "__version__",
]

if HAS_DENSE:
    from ._dense import Encoder, Retriever, VectorIndex, train  # noqa: F401

    __all__ += ["Encoder", "Retriever", "VectorIndex", "train"]
