"""Encoders, vector indexes, retrieval and training (a library built with libtorch and FAISS).

Vectors are numpy float32 arrays. ``Encoder.encode`` reads like sentence-transformers'
``SentenceTransformer.encode``; ``Retriever.search`` returns hits with ``.docid`` and
``.score`` like Pyserini's searchers; ``VectorIndex.search`` returns ``(scores, rows)`` like
FAISS.
"""
from __future__ import annotations

import json
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple, Union

import numpy as np

from . import _core


def _matrix(x: Any, dim: int, what: str) -> np.ndarray:
    """x as a C-contiguous float32 (n, dim) array (one vector becomes one row)."""
    a = np.ascontiguousarray(x, dtype=np.float32)
    if a.ndim == 1:
        a = a.reshape(1, -1)
    if a.ndim != 2 or a.shape[1] != dim:
        raise _core_error("InvalidArgument", f"{what}: expected shape (n, {dim}), got {np.shape(x)}")
    return a


def _core_error(kind: str, message: str) -> Exception:
    from . import _errors

    return getattr(_errors, kind)(message)


class Encoder:
    """A dual encoder loaded from a model directory or an installed packaged model's name.

    >>> enc = Encoder("all-MiniLM-L6-v2")
    >>> enc.encode(["a document", "another one"]).shape
    (2, 384)
    """

    def __init__(self, model: str, *, batch_size: int = 32, threads: int = 0, precision: str = "fp32",
                 query_max_length: int = 0, document_max_length: int = 0, device: str = "cpu") -> None:
        self._encoder = _core.Encoder(model, batch_size, threads, precision, query_max_length,
                                      document_max_length, device)
        self.model = model

    @property
    def dim(self) -> int:
        return self._encoder.dim

    @property
    def similarity(self) -> str:
        """``"cosine"`` when every vector has unit length, else ``"dot"``."""
        return self._encoder.similarity

    @property
    def fingerprint(self) -> str:
        return self._encoder.fingerprint

    def encode(self, texts: Union[str, Sequence[str]], *, kind: str = "documents") -> np.ndarray:
        """float32 vectors: ``(len(texts), dim)``, or ``(dim,)`` for one string.

        kind: ``"documents"`` or ``"queries"`` (the query tower and query length limit).
        Ctrl-C stops a long call between batches (KeyboardInterrupt).
        """
        one = isinstance(texts, str)
        batch = [texts] if one else list(texts)
        if kind == "documents":
            out = self._encoder.encode_documents(batch)
        elif kind == "queries":
            out = self._encoder.encode_queries(batch)
        else:
            raise _core_error("InvalidArgument", f"kind: expected 'documents' or 'queries', got {kind!r}")
        return out[0] if one else out

    def encode_queries(self, texts: Union[str, Sequence[str]]) -> np.ndarray:
        return self.encode(texts, kind="queries")

    def encode_documents(self, texts: Union[str, Sequence[str]]) -> np.ndarray:
        return self.encode(texts, kind="documents")

    def set_precision(self, precision: str) -> None:
        """``"fp32"`` or ``"bf16"`` for later calls."""
        self._encoder.set_precision(precision)

    def save(self, directory: str) -> None:
        """Writes the model directory (Hugging Face / sentence-transformers layout)."""
        self._encoder.save(directory)

    def encode_collection(self, collection: str, out: str, *, with_titles: bool = True) -> Tuple[int, float]:
        """Encodes a collection's corpus into an embeddings file, as ``denser encode``.

        Returns (documents, seconds).
        """
        return _core.encode_collection(self._encoder, collection, out, with_titles)

    def __repr__(self) -> str:
        return f"Encoder({self.model!r}, dim={self.dim}, similarity={self.similarity!r})"


class VectorIndex:
    """Nearest-neighbour search over vectors with any FAISS factory string ("Flat", "HNSW32",
    "IVF256,Flat", ...); saved with the doc id of each row and the model's fingerprint."""

    def __init__(self, dim: int, factory: str = "Flat", metric: str = "ip", fingerprint: str = "") -> None:
        self._index = _core.VectorIndex.create(dim, factory, metric, fingerprint)

    @classmethod
    def _wrap(cls, index: Any) -> "VectorIndex":
        self = cls.__new__(cls)
        self._index = index
        return self

    @classmethod
    def open(cls, path: str) -> "VectorIndex":
        """Loads an index written by save() or ``denser index dense``."""
        return cls._wrap(_core.VectorIndex.open(path))

    @classmethod
    def from_embeddings(cls, path: str, factory: str = "Flat", metric: str = "ip", threads: int = 0) -> "VectorIndex":
        """An index of an embeddings file (``denser encode``, ``Encoder.encode_collection``)."""
        return cls._wrap(_core.VectorIndex.from_embeddings(path, factory, metric, threads))

    @classmethod
    def from_vectors(cls, ids: Sequence[str], vectors: Any, factory: str = "Flat", metric: str = "ip",
                     fingerprint: str = "", threads: int = 0) -> "VectorIndex":
        """An index of numpy vectors (n, dim) labelled by doc ids (trained first when needed)."""
        x = np.ascontiguousarray(vectors, dtype=np.float32)
        index = cls(x.shape[1], factory, metric, fingerprint)
        if index.needs_training:
            index.train(x, threads=threads)
        index.add(ids, x, threads=threads)
        return index

    @property
    def needs_training(self) -> bool:
        return self._index.needs_training

    def train(self, vectors: Any, *, threads: int = 0) -> None:
        self._index.train(_matrix(vectors, self.dim, "train"), threads)

    def add(self, ids: Sequence[str], vectors: Any, *, threads: int = 0) -> None:
        self._index.add(list(ids), _matrix(vectors, self.dim, "add"), threads)

    def search(self, queries: Any, k: int = 10, *, ef_search: int = 0, nprobe: int = 0,
               threads: int = 0) -> Tuple[np.ndarray, np.ndarray]:
        """(scores, rows): float32 and int64 arrays (nq, k), best first; ``doc_ids[row]`` names
        a hit; rows are -1 (scores -inf) where the index has fewer than k."""
        return self._index.search(_matrix(queries, self.dim, "search"), k, ef_search, nprobe, threads)

    def save(self, path: str) -> None:
        self._index.save(path)

    @property
    def doc_ids(self) -> List[str]:
        return self._index.doc_ids

    @property
    def num_vectors(self) -> int:
        return self._index.num_vectors

    def __len__(self) -> int:
        return self._index.num_vectors

    @property
    def dim(self) -> int:
        return self._index.dim

    @property
    def metric(self) -> str:
        return self._index.metric

    @property
    def factory(self) -> str:
        return self._index.factory

    @property
    def fingerprint(self) -> str:
        return self._index.fingerprint

    def describe(self) -> str:
        return self._index.describe()

    def __repr__(self) -> str:
        return f"VectorIndex({self.factory!r}, dim={self.dim}, vectors={self.num_vectors}, metric={self.metric!r})"


class Retriever:
    """Dense, BM25 or hybrid retrieval over one collection's indexes, with dense PRF.

    model + index give the dense side; bm25 a BM25 index; embeddings the document vectors
    that PRF needs. ``search`` takes the options of ``denser search`` as keywords: mode
    ("dense", "bm25", "hybrid"; by default hybrid when both sides are there), fusion
    ("rrf", "linear"), alpha, rrf_k, fusion_depth, prf ("none", "average", "rocchio"),
    prf_depth, prf_alpha, prf_beta, ef_search, nprobe.
    """

    def __init__(self, *, model: Optional[str] = None, index: Optional[str] = None, bm25: Optional[str] = None,
                 embeddings: Optional[str] = None, threads: int = 1, precision: str = "fp32",
                 query_max_length: int = 0) -> None:
        self._retriever = _core.Retriever(model or "", index or "", bm25 or "", embeddings or "", threads, precision,
                                          query_max_length)
        self._modes: List[str] = self._retriever.modes
        self._prepared: Dict[Any, Any] = {}

    @property
    def modes(self) -> List[str]:
        return list(self._modes)

    @property
    def num_docs(self) -> int:
        return self._retriever.num_docs

    def _options(self, k: int, options: Dict[str, Any]) -> Any:
        """The library's options for these keywords, checked once and kept."""
        key = (k, tuple(sorted(options.items())))
        prepared = self._prepared.get(key)
        if prepared is None:
            out = dict(options)
            out["k"] = k
            if "mode" not in out:
                out["mode"] = "hybrid" if "hybrid" in self._modes else self._modes[0]
            prepared = _core._RetrievalOptions(out)
            if len(self._prepared) < 64:
                self._prepared[key] = prepared
        return prepared

    def search(self, q: str, k: int = 10, **options: Any) -> List[Any]:
        """The top k hits of one query (``.docid``, ``.score``, ``.dense_rank``, ``.bm25_rank``)."""
        return self._retriever._search([q], self._options(k, options))[0]

    def batch_search(self, queries: Sequence[str], k: int = 10, **options: Any) -> List[List[Any]]:
        """The top k hits of each query; queries are encoded and searched in one batch."""
        return self._retriever._search(queries if isinstance(queries, list) else list(queries),
                                       self._options(k, options))

    def run(self, queries: Dict[str, str], k: int = 100, *, batch_size: int = 64,
            **options: Any) -> Dict[str, Dict[str, float]]:
        """A run {query id: {doc id: score}} of {query id: text}, for ``denser.evaluate``;
        searched batch_size queries at a time, as ``denser search --run`` does (so the runs
        are equal to the last digit)."""
        ids = list(queries)
        run: Dict[str, Dict[str, float]] = {}
        for start in range(0, len(ids), batch_size):
            chunk = ids[start:start + batch_size]
            for qid, hits in zip(chunk, self.batch_search([queries[i] for i in chunk], k, **options)):
                run[qid] = {h.docid: h.score for h in hits}
        return run


def train(collection: str, out: str, *, resume: bool = False,
          progress: Optional[Callable[[int, int], None]] = None,
          log: Optional[Callable[[Dict[str, Any]], None]] = None, **options: Any) -> Dict[str, Any]:
    """Trains a dual encoder into ``out`` as ``denser train`` does; returns the summary.

    options: the CLI's training options by their JSON names (docs/options.md), e.g.
    ``encoder="transformer", init_model="all-MiniLM-L6-v2", negatives="ance", steps=100``.
    progress(step, steps) is called after every optimizer step; log(record) with every
    line of the training log (a dict). Ctrl-C (or an exception in progress) stops training
    after the step in progress and is raised; the checkpoints written so far stay, and
    ``resume=True`` continues from the newest.
    """
    options = dict(options)
    options["collection"] = collection
    log_line = None if log is None else (lambda line: log(json.loads(line)))
    return json.loads(_core._train(options, out, resume, progress, log_line))
