"""evaluate(): trec_eval's measures over runs and judgments given as dicts, files or frames."""
import os
from typing import Any, Dict, Iterable, Mapping

from . import _core

_QUERY = ("query_id", "qid", "query")
_DOC = ("doc_id", "docid", "docno", "doc")


def _column(frame: Any, names: Iterable[str], what: str) -> str:
    for name in names:
        if name in frame.columns:
            return name
    raise _invalid(f"the {what} frame has none of the columns {', '.join(names)}")


def _invalid(message: str) -> Exception:
    from ._errors import InvalidArgument

    return InvalidArgument(message)


def _is_frame(x: Any) -> bool:  # a pandas DataFrame, without importing pandas
    return hasattr(x, "columns") and hasattr(x, "itertuples")


def as_qrels(qrels: Any) -> Dict[str, Dict[str, int]]:
    """{query id: {doc id: grade}} from a dict, a qrels file path, or a frame with
    query_id, doc_id and relevance columns (ir_measures' names; qid/docno also work)."""
    if isinstance(qrels, (str, os.PathLike)):
        return _core.read_qrels(os.fspath(qrels))
    if _is_frame(qrels):
        q, d = _column(qrels, _QUERY, "qrels"), _column(qrels, _DOC, "qrels")
        r = _column(qrels, ("relevance", "rel", "grade", "label"), "qrels")
        out: Dict[str, Dict[str, int]] = {}
        for qid, docid, rel in zip(qrels[q], qrels[d], qrels[r]):
            out.setdefault(str(qid), {})[str(docid)] = int(rel)
        return out
    return {str(q): {str(d): int(g) for d, g in docs.items()} for q, docs in qrels.items()}


def as_run(run: Any) -> Dict[str, Dict[str, float]]:
    """{query id: {doc id: score}} from a dict, a TREC run file path, or a frame with
    query_id, doc_id and score columns."""
    if isinstance(run, (str, os.PathLike)):
        return _core.read_run(os.fspath(run))
    if _is_frame(run):
        q, d, s = _column(run, _QUERY, "run"), _column(run, _DOC, "run"), _column(run, ("score",), "run")
        out: Dict[str, Dict[str, float]] = {}
        for qid, docid, score in zip(run[q], run[d], run[s]):
            out.setdefault(str(qid), {})[str(docid)] = float(score)
        return out
    return {str(q): {str(d): float(s) for d, s in docs.items()} for q, docs in run.items()}


def evaluate(qrels: Any, run: Any, measures: Iterable[str] = (), per_query: bool = False
             ) -> Dict[str, Dict[str, float]]:
    """trec_eval's measures of `run` against `qrels`, the same numbers as `denser eval`.

    qrels and run: dicts ({query id: {doc id: grade or score}}), file paths (TREC qrels or
    BEIR .tsv; TREC run), or pandas frames (query_id, doc_id, relevance / score columns).
    measures: trec_eval's -m names ("ndcg_cut.10", "map", "recip_rank", "P.5,10", ...);
    empty: trec_eval's defaults. Returns {"all": {name: value}}, plus each query's values
    with per_query=True.
    """
    return _core.evaluate(as_qrels(qrels), as_run(run), list(measures), per_query)


def read_qrels(path: "os.PathLike[str] | str") -> Dict[str, Dict[str, int]]:
    """A judgments file (TREC qrels, or BEIR .tsv): {query id: {doc id: grade}}."""
    return _core.read_qrels(os.fspath(path))


def read_run(path: "os.PathLike[str] | str") -> Dict[str, Dict[str, float]]:
    """A TREC run file: {query id: {doc id: score}}."""
    return _core.read_run(os.fspath(path))


def write_run(path: "os.PathLike[str] | str", run: Mapping[str, Mapping[str, float]], tag: str = "denser") -> None:
    """Writes {query id: {doc id: score}} as a TREC run, best first, atomically."""
    _core.write_run(os.fspath(path), as_run(run), tag)
