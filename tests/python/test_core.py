"""denser._core from Python: collections, BM25, evaluation and errors, against the CLI."""
import os
import subprocess

import pytest

import denser
from gil_probe import count_during

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TESTDATA = os.path.join(ROOT, "tests", "testdata")
MINI = os.path.join(TESTDATA, "sparse", "mini")
SCIFACT = os.path.join(ROOT, "..", "shared", "datasets", "scifact")
BINARY = os.environ.get("DENSER_BINARY", os.path.join(ROOT, "build", "denser"))


def test_collection_reads_queries_qrels_and_documents():
    c = denser.Collection.open(MINI)
    assert c.layout == "beir"
    assert c.splits() == ["test"]
    queries = c.queries("test")
    assert queries and all(isinstance(q.id, str) and q.text for q in queries)
    qrels = c.qrels("test")
    assert set(qrels) <= {q.id for q in queries}
    docs = c.documents()
    assert len(docs) == c.num_documents
    assert {d for judged in qrels.values() for d in judged} <= {d.id for d in docs}


def test_bm25_hits_look_like_pyserini_and_batch_equals_single():
    index = denser.Bm25Index.build(MINI)
    hits = index.search("sleep memory students", k=2)
    assert [h.docid for h in hits] == ["doc6", "doc4"]  # as the CLI test pins them
    assert hits[0].score >= hits[1].score > 0
    queries = ["sleep memory", "students", "no such words zzz"]
    batch = index.batch_search(queries, k=3, threads=2)
    for q, got in zip(queries, batch):
        assert [(h.docid, h.score) for h in got] == [(h.docid, h.score) for h in index.search(q, k=3)]
    assert batch[2] == []


def test_in_memory_index_from_tuples():
    index = denser.Bm25Index.from_documents([("a", "", "red apples"), ("b", "Fruit", "green pears and apples")])
    assert index.num_docs == 2
    assert {h.docid for h in index.search("apples")} == {"a", "b"}
    assert [h.docid for h in index.search("pears")] == ["b"]


def test_evaluate_matches_hand_values():
    qrels = {"q1": {"d1": 1, "d2": 0}, "q2": {"d3": 2}}
    run = {"q1": {"d2": 2.0, "d1": 1.0}, "q2": {"d3": 5.0}}
    out = denser.evaluate(qrels, run, ["recip_rank", "num_q"], per_query=True)
    assert out["all"]["recip_rank"] == pytest.approx((0.5 + 1.0) / 2)
    assert out["all"]["num_q"] == 2
    assert out["q1"]["recip_rank"] == pytest.approx(0.5)


def test_errors_carry_category_message_and_builtin_kinds():
    with pytest.raises(denser.NotFound) as e:
        denser.Collection.open("/no/such/dir")
    assert isinstance(e.value, FileNotFoundError) and isinstance(e.value, denser.Error)
    assert "/no/such/dir" in str(e.value) and e.value.code == "not_found"
    with pytest.raises(ValueError):
        denser.evaluate({"q": {"d": 1}}, {"q": {"d": 1.0}}, ["bpref"])
    with pytest.raises(denser.Corrupt):
        denser.Bm25Index.open(os.path.join(MINI, "corpus.jsonl"))


@pytest.mark.skipif(not os.path.exists(BINARY), reason="the denser binary is not built")
def test_same_run_and_measures_as_the_cli(tmp_path):
    collection = SCIFACT if os.path.isdir(SCIFACT) else MINI
    index_path = str(tmp_path / "c.bm25")
    run_path = str(tmp_path / "run.trec")
    subprocess.run([BINARY, "bm25", "index", "--collection", collection, "--index", index_path], check=True,
                   capture_output=True)
    subprocess.run([BINARY, "bm25", "search", "--index", index_path, "--collection", collection, "--run", run_path,
                    "--k", "100"], check=True, capture_output=True)
    cli_run = {}
    with open(run_path) as f:
        for line in f:
            qid, _, docid, _, score, _ = line.split()
            cli_run.setdefault(qid, {})[docid] = float(score)
    c = denser.Collection.open(collection)
    index = denser.Bm25Index.open(index_path)
    queries = c.queries("test")
    results = index.batch_search([q.text for q in queries], k=100)
    py_run = {q.id: {h.docid: h.score for h in hits} for q, hits in zip(queries, results) if hits}
    assert py_run.keys() == cli_run.keys()
    for qid in py_run:
        assert py_run[qid].keys() == cli_run[qid].keys()
        for d, s in py_run[qid].items():
            assert s == pytest.approx(cli_run[qid][d], abs=1e-4)  # the run file prints 6 decimals
    measures = ["ndcg_cut.10", "recip_rank", "map"]
    ours = denser.evaluate(c.qrels("test"), py_run, measures)["all"]
    out = subprocess.run([BINARY, "eval", "--collection", collection, "--split", "test", "--run", run_path, "-m",
                          "ndcg_cut.10", "-m", "recip_rank", "-m", "map"], check=True, capture_output=True,
                         text=True).stdout
    cli = {line.split()[0]: float(line.split()[2]) for line in out.splitlines() if line.split()[1:2] == ["all"]}
    for name in ("ndcg_cut_10", "recip_rank", "map"):
        assert ours[name] == pytest.approx(cli[name], abs=1e-4), name


def test_batch_search_releases_the_gil():
    collection = SCIFACT if os.path.isdir(SCIFACT) else None
    if collection is None:
        pytest.skip("../shared/datasets/scifact is absent")
    index = denser.Bm25Index.build(collection)
    queries = [q.text for q in denser.Collection.open(collection).queries("test")] * 8
    during, seconds = count_during(lambda: index.batch_search(queries, k=100, threads=1))
    assert seconds > 0.05, "the call is too short to tell"
    assert during > 1000, (during, seconds)


def test_type_stubs_ship_with_the_package():
    package = os.path.dirname(denser.__file__)
    assert os.path.exists(os.path.join(package, "py.typed"))
    with open(os.path.join(package, "_core.pyi")) as f:
        stub = f.read()
    assert "def search(self, q: str, k: int = 10) -> list[Hit]:" in stub
    assert "def evaluate(" in stub and "class Bm25Index:" in stub
    # The exceptions are typed Python classes; the C++ raises them by category.
    assert issubclass(denser.InvalidArgument, ValueError) and issubclass(denser.Corrupt, denser.Error)


def test_evaluate_takes_files_and_frames_alike(tmp_path):
    qrels = {"q1": {"d1": 1, "d2": 0}, "q2": {"d3": 2}}
    run = {"q1": {"d2": 2.0, "d1": 1.0}, "q2": {"d3": 5.0, "d9": 1.0}}
    run_path = tmp_path / "run.trec"
    denser.write_run(str(run_path), run, tag="t")
    assert denser.read_run(run_path) == run
    qrels_path = tmp_path / "qrels.txt"
    qrels_path.write_text("".join(f"{q} 0 {d} {g}\n" for q, docs in qrels.items() for d, g in docs.items()))
    expected = denser.evaluate(qrels, run, ["map", "ndcg_cut.10"])
    assert denser.evaluate(qrels_path, run_path, ["map", "ndcg_cut.10"]) == expected


def test_evaluate_takes_pandas_frames():
    pd = pytest.importorskip("pandas")
    qrels = {"q1": {"d1": 1, "d2": 0}, "q2": {"d3": 2}}
    run = {"q1": {"d2": 2.0, "d1": 1.0}, "q2": {"d3": 5.0, "d9": 1.0}}
    expected = denser.evaluate(qrels, run, ["map", "ndcg_cut.10"])
    qf = pd.DataFrame([(q, d, g) for q, docs in qrels.items() for d, g in docs.items()],
                      columns=["query_id", "doc_id", "relevance"])
    rf = pd.DataFrame([(q, d, s) for q, docs in run.items() for d, s in docs.items()],
                      columns=["query_id", "doc_id", "score"])
    assert denser.evaluate(qf, rf, ["map", "ndcg_cut.10"]) == expected
