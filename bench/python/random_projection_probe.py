"""How far can a dense bag-of-words vector go on exact matching alone, with no training?

Each word gets a fixed random Gaussian vector of DIM dimensions. A document is the sum of its
words' vectors weighted by tf * BM25-style idf, L2-normalized; a query is its idf-weighted
sum. Ranking is by dot product: a random projection of TF-IDF, the exact-match signal a
dense vector can carry. Prints test MRR@10.

usage: random_projection_probe.py COLLECTION DIM MODE    (MODE: mean | idf)
  e.g. python3 bench/python/random_projection_probe.py out/debian 256 idf
"""
import collections
import json
import math
import pathlib
import re
import sys

import numpy as np


def main():
    coll, dim, mode = pathlib.Path(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
    tok = lambda s: re.findall(r"[a-z0-9]+", s.lower())
    docs = [json.loads(line) for line in (coll / "corpus.jsonl").open()]
    ids = [d["_id"] for d in docs]
    queries = {}
    for line in (coll / "queries.jsonl").open():
        q = json.loads(line)
        queries[q["_id"]] = q["text"]
    qrels = collections.defaultdict(set)
    for line in (coll / "qrels" / "test.tsv").open():
        parts = line.split()
        if len(parts) >= 3 and parts[0] != "query-id" and int(parts[-1]) > 0:
            qrels[parts[0]].add(parts[1])
    doc_tokens = [tok(d.get("title", "") + " " + d["text"]) for d in docs]
    df = collections.Counter()
    for t in doc_tokens:
        df.update(set(t))
    n = len(docs)
    vocab = {w: i for i, w in enumerate(df)}
    idf = np.zeros(len(vocab), dtype=np.float32)
    for w, i in vocab.items():
        idf[i] = math.log(1 + (n - df[w] + 0.5) / (df[w] + 0.5))
    rng = np.random.default_rng(0)
    table = rng.standard_normal((len(vocab), dim)).astype(np.float32) / math.sqrt(dim)

    def vec(tokens, query):
        c = collections.Counter(w for w in tokens if w in vocab)
        if not c:
            return np.zeros(dim, np.float32)
        rows = np.array([vocab[w] for w in c])
        tf = np.array([c[w] for w in c], np.float32)
        weights = tf / tf.sum() if mode == "mean" else tf * idf[rows]
        v = (weights[:, None] * table[rows]).sum(0)
        if mode != "mean" and not query:
            v /= np.linalg.norm(v) + 1e-9
        return v

    matrix = np.stack([vec(t, False) for t in doc_tokens])
    total = 0.0
    for qid, relevant in qrels.items():
        scores = matrix @ vec(tok(queries[qid]), True)
        top = np.argpartition(-scores, 10)[:10]
        top = top[np.argsort(-scores[top])]
        total += next((1 / (r + 1) for r, j in enumerate(top) if ids[j] in relevant), 0.0)
    print(f"dim {dim} mode {mode}: test MRR@10 {total / len(qrels):.4f} over {len(qrels)} queries")


if __name__ == "__main__":
    main()
