#!/usr/bin/env python3
"""Vector-index peers of denser: FAISS, hnswlib and USearch on denser's embeddings files.

    py_vectors.py --engine faiss|hnswlib|usearch --docs EMB --queries EMB --name NAME
                  --out OUT_DIR [--k 10] [--threads-build 2] [--repeat 5]

Reads two embeddings files (docs/formats/embeddings.md), searches by inner product, and
writes OUT_DIR/ENGINE-vectors-NAME.json: per index its build seconds (--threads-build
threads), serialized bytes, anonymous-RSS growth during the build, and a sweep of the
search beam (ef) with recall@k against the exact top-k and queries/s on one thread (all
queries in one batch call; median of --repeat passes after a warm-up). The sweep stops once
recall >= 0.999. The exact top-k is computed once per (docs, queries, k) with numpy and
cached as OUT_DIR/NAME-truth-kK.npy, shared by the engines.
"""
import os

# One BLAS thread: searches are measured on one thread, and FAISS's Flat search goes
# through BLAS for batches. Set before numpy / faiss load their BLAS.
for _v in ("OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_v, "1")

import argparse
import gc
import importlib.metadata as md
import json
import statistics
import struct
import sys
import tempfile
import time

import numpy as np

EF_SWEEP = [16, 24, 32, 48, 64, 96, 128, 192, 256, 384, 512]
M, EF_CONSTRUCTION = 32, 40  # FAISS "HNSW32" and its default efConstruction
STOP_RECALL = 0.999


# ----------------------------------------------------------------------------- input
class EmbeddingsError(Exception):
    pass


def read_embeddings(path):
    """Memory-maps the matrix of a denser embeddings file; returns (matrix R x D float32, ids
    offset info). Checks the header and trailer fields it relies on (not the CRC)."""
    size = os.path.getsize(path)
    if size < 96:
        raise EmbeddingsError(f"{path}: {size} bytes, too short for an embeddings file")
    with open(path, "rb") as f:
        header = f.read(64)
        f.seek(size - 32)
        trailer = f.read(32)
    if header[:8] != b"DNSREMB1":
        raise EmbeddingsError(f"{path}: bad magic {header[:8]!r} (want b'DNSREMB1')")
    version, header_size, dtype, dim, matrix_offset, flen = struct.unpack_from("<IIIIQI", header, 8)
    if version != 1 or header_size != 64:
        raise EmbeddingsError(f"{path}: unsupported version {version} / header size {header_size}")
    if trailer[28:32] != b"EMBT":
        raise EmbeddingsError(f"{path}: bad end marker {trailer[28:32]!r} (want b'EMBT'); truncated file?")
    rows, ids_offset, ids_len = struct.unpack_from("<QQQ", trailer, 0)
    if dtype == 1:
        raise EmbeddingsError(f"{path}: float16 matrix (dtype 1); only float32 (dtype 0) is supported here: "
                              f"re-encode with float32 output")
    if dtype != 0:
        raise EmbeddingsError(f"{path}: unknown dtype {dtype}")
    if dim < 1:
        raise EmbeddingsError(f"{path}: dimension {dim}")
    if matrix_offset != (64 + flen + 63) // 64 * 64:
        raise EmbeddingsError(f"{path}: matrix_offset {matrix_offset} does not follow from F={flen}")
    end = matrix_offset + rows * dim * 4
    if end > ids_offset or ids_offset + ids_len > size - 32:
        raise EmbeddingsError(f"{path}: {rows} x {dim} float32 rows at {matrix_offset} do not fit the file")
    if rows == 0:
        raise EmbeddingsError(f"{path}: no rows")
    return np.memmap(path, dtype="<f4", mode="r", offset=matrix_offset, shape=(rows, dim))


def rss_anon():
    """Anonymous resident memory of this process, bytes (RssAnon; VmRSS if absent)."""
    vals = {}
    with open("/proc/self/status") as f:
        for line in f:
            k, _, v = line.partition(":")
            if k in ("RssAnon", "VmRSS"):
                vals[k] = int(v.split()[0]) * 1024
    return vals.get("RssAnon", vals.get("VmRSS", 0))


# ----------------------------------------------------------------------------- truth
def exact_topk(docs, queries, k, q_chunk=1024, d_chunk=131072):
    """Exact top-k by inner product (numpy, float32), ordered best first; int64 row numbers."""
    nq = len(queries)
    out = np.empty((nq, k), dtype=np.int64)
    for qs in range(0, nq, q_chunk):
        q = np.ascontiguousarray(queries[qs:qs + q_chunk], dtype=np.float32)
        best_s = np.full((len(q), 0), -np.inf, dtype=np.float32)
        best_i = np.empty((len(q), 0), dtype=np.int64)
        for ds in range(0, len(docs), d_chunk):
            s = q @ np.asarray(docs[ds:ds + d_chunk], dtype=np.float32).T
            kk = min(k, s.shape[1])
            part = np.argpartition(-s, kk - 1, axis=1)[:, :kk]
            cand_s = np.concatenate([best_s, np.take_along_axis(s, part, 1)], axis=1)
            cand_i = np.concatenate([best_i, part + ds], axis=1)
            kk = min(k, cand_s.shape[1])
            keep = np.argpartition(-cand_s, kk - 1, axis=1)[:, :kk]
            best_s = np.take_along_axis(cand_s, keep, 1)
            best_i = np.take_along_axis(cand_i, keep, 1)
        order = np.argsort(-best_s, axis=1, kind="stable")
        out[qs:qs + len(q)] = np.take_along_axis(best_i, order, 1)
    return out


def load_or_compute_truth(args, docs, queries):
    path = os.path.join(args.out, f"{args.name}-truth-k{args.k}.npy")
    meta_path = path[:-4] + ".json"
    meta = {"docs": os.path.abspath(args.docs), "queries": os.path.abspath(args.queries),
            "docs_size": os.path.getsize(args.docs), "queries_size": os.path.getsize(args.queries),
            "docs_mtime_ns": os.stat(args.docs).st_mtime_ns, "queries_mtime_ns": os.stat(args.queries).st_mtime_ns,
            "vectors": len(docs), "queries_n": len(queries), "dim": docs.shape[1], "k": args.k}
    if os.path.exists(path) and os.path.exists(meta_path):
        with open(meta_path) as f:
            if json.load(f) == meta:
                truth = np.load(path)
                if truth.shape == (len(queries), args.k):
                    print(f"truth: cached {path}", file=sys.stderr)
                    return truth
    t0 = time.perf_counter()
    truth = exact_topk(docs, queries, args.k)
    print(f"truth: computed in {time.perf_counter() - t0:.1f} s -> {path}", file=sys.stderr)
    np.save(path, truth)
    with open(meta_path, "w") as f:
        json.dump(meta, f, indent=1)
    return truth


def recall_at_k(found, truth, k):
    hits = 0
    for f, t in zip(found, truth):
        hits += len(set(f[:k].tolist()) & set(t[:k].tolist()))
    return hits / (k * len(truth))


def timed(search, repeat):
    """Warm-up, then `repeat` passes; returns (median seconds, result of the last pass)."""
    res = search()
    secs = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        res = search()
        secs.append(time.perf_counter() - t0)
    return statistics.median(secs), res


def sweep(set_ef, search, truth, args, nq, efs=EF_SWEEP):
    rows = []
    for ef in efs:
        if ef is not None:
            set_ef(ef)
        secs, found = timed(search, args.repeat)
        r = recall_at_k(found, truth, args.k)
        rows.append({"ef": ef, "recall10" if args.k == 10 else f"recall{args.k}": round(r, 5), "qps": nq / secs})
        print(f"  ef={ef}: recall {r:.4f}, {nq / secs:.0f} q/s", file=sys.stderr)
        if r >= STOP_RECALL:
            break
    return rows


def measure_build(build):
    gc.collect()
    before = rss_anon()
    t0 = time.perf_counter()
    index = build()
    secs = time.perf_counter() - t0
    gc.collect()
    return index, secs, rss_anon() - before


# ----------------------------------------------------------------------------- engines
def run_faiss(args, X, Q, truth):
    import faiss
    out = []
    nq = len(Q)
    for name in ("HNSW32", "Flat"):
        faiss.omp_set_num_threads(args.threads_build)

        def build():
            index = faiss.index_factory(X.shape[1], name, faiss.METRIC_INNER_PRODUCT)
            if name.startswith("HNSW"):
                index.hnsw.efConstruction = EF_CONSTRUCTION
            index.add(X)
            return index
        index, secs, rss = measure_build(build)
        nbytes = int(faiss.serialize_index(index).size)
        faiss.omp_set_num_threads(1)
        print(f"faiss {name}: build {secs:.2f} s, {nbytes} bytes", file=sys.stderr)
        if name == "Flat":
            rows = sweep(None, lambda: index.search(Q, args.k)[1], truth, args, nq, efs=[None])
        else:
            def set_ef(ef):
                index.hnsw.efSearch = ef
            rows = sweep(set_ef, lambda: index.search(Q, args.k)[1], truth, args, nq)
        out.append({"index": name, "build_seconds": secs, "index_bytes": nbytes, "rss_growth_bytes": rss,
                    "sweep": rows})
        del index
    version = f"faiss-cpu {md.version('faiss-cpu')} (faiss {faiss.__version__})"
    notes = (f"index_factory(d, 'HNSW32' | 'Flat', METRIC_INNER_PRODUCT); HNSW M=32 (64 links on layer 0), "
             f"efConstruction={EF_CONSTRUCTION}; built with faiss.omp_set_num_threads({args.threads_build}); searched "
             f"with omp_set_num_threads(1) and one BLAS thread, index.search(all queries, k) per pass; efSearch = ef "
             f"(FAISS uses max(efSearch, k)). The Flat row's recall is a check of the exact truth (FAISS's BLAS path "
             f"versus numpy; ties may differ).")
    return version, out, notes


def run_hnswlib(args, X, Q, truth):
    import hnswlib
    nq = len(Q)

    def build():
        index = hnswlib.Index(space="ip", dim=X.shape[1])
        index.init_index(max_elements=len(X), M=M, ef_construction=EF_CONSTRUCTION, random_seed=100)
        index.set_num_threads(args.threads_build)
        index.add_items(X, np.arange(len(X)), num_threads=args.threads_build)
        return index
    index, secs, rss = measure_build(build)
    with tempfile.TemporaryDirectory(dir=args.out) as tmp:
        p = os.path.join(tmp, "index.bin")
        index.save_index(p)
        nbytes = os.path.getsize(p)
    print(f"hnswlib HNSW32: build {secs:.2f} s, {nbytes} bytes", file=sys.stderr)
    index.set_num_threads(1)
    efs = [ef for ef in EF_SWEEP if ef >= args.k]  # hnswlib refuses ef < k
    rows = sweep(index.set_ef, lambda: index.knn_query(Q, k=args.k, num_threads=1)[0], truth, args, nq, efs=efs)
    version = f"hnswlib {md.version('hnswlib')}"
    notes = (f"space='ip' (distance 1 - dot), M={M} (2*M={2 * M} links on layer 0, like FAISS HNSW32), "
             f"ef_construction={EF_CONSTRUCTION} (FAISS's HNSW default, hnswlib's own default is 200), random_seed=100; "
             f"add_items(num_threads={args.threads_build}); search knn_query(all queries, k, num_threads=1) after "
             f"set_ef(ef); hnswlib needs ef >= k, so ef < k is skipped. PyPI has only hnswlib's sdist: it was compiled "
             f"on this machine (its setup.py adds -march=native).")
    return version, [{"index": "HNSW32", "build_seconds": secs, "index_bytes": nbytes, "rss_growth_bytes": rss,
                      "sweep": rows}], notes


def run_usearch(args, X, Q, truth):
    from usearch.index import Index
    nq = len(Q)

    def build():
        index = Index(ndim=X.shape[1], metric="ip", dtype="f32", connectivity=M, expansion_add=EF_CONSTRUCTION)
        index.add(np.arange(len(X), dtype=np.uint64), X, threads=args.threads_build, log=False)
        return index
    index, secs, rss = measure_build(build)
    nbytes = len(index.save())
    print(f"usearch HNSW32: build {secs:.2f} s, {nbytes} bytes", file=sys.stderr)

    def set_ef(ef):
        index.expansion_search = ef
    rows = sweep(set_ef, lambda: index.search(Q, args.k, threads=1).keys, truth, args, nq)
    version = f"usearch {md.version('usearch')}" + (f" (numkong {md.version('numkong')})" if _has("numkong") else "")
    notes = (f"Index(metric='ip', dtype='f32', connectivity={M} (layer 0: 2*{M}), expansion_add={EF_CONSTRUCTION}); "
             f"add(keys, vectors, threads={args.threads_build}); search(all queries, k, threads=1) with "
             f"expansion_search = ef; index_bytes = len(index.save()) (serialized to a buffer).")
    return version, [{"index": "HNSW32", "build_seconds": secs, "index_bytes": nbytes, "rss_growth_bytes": rss,
                      "sweep": rows}], notes


def _has(dist):
    try:
        md.version(dist)
        return True
    except md.PackageNotFoundError:
        return False


# ----------------------------------------------------------------------------- main
def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--engine", required=True, choices=["faiss", "hnswlib", "usearch"])
    ap.add_argument("--docs", required=True, help="embeddings file of the documents")
    ap.add_argument("--queries", required=True, help="embeddings file of the queries")
    ap.add_argument("--name", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--k", type=int, default=10)
    ap.add_argument("--threads-build", type=int, default=2)
    ap.add_argument("--repeat", type=int, default=5, help="timed passes per setting (after one warm-up)")
    args = ap.parse_args()
    if args.k < 1 or args.threads_build < 1 or args.repeat < 1:
        ap.error("--k, --threads-build and --repeat must be >= 1")
    os.makedirs(args.out, exist_ok=True)

    try:
        docs_mm, q_mm = read_embeddings(args.docs), read_embeddings(args.queries)
    except EmbeddingsError as e:
        sys.exit(f"py_vectors: {e}")
    if docs_mm.shape[1] != q_mm.shape[1]:
        sys.exit(f"py_vectors: dimension {docs_mm.shape[1]} of {args.docs} != {q_mm.shape[1]} of {args.queries}")
    if args.k > len(docs_mm):
        sys.exit(f"py_vectors: k={args.k} > {len(docs_mm)} vectors")
    # Copy to anonymous memory once: builds and searches then work on RAM, and the RSS growth
    # of a build is the index's own memory, not pages of the mapped file.
    X = np.ascontiguousarray(docs_mm, dtype=np.float32).copy()
    Q = np.ascontiguousarray(q_mm, dtype=np.float32).copy()
    del docs_mm, q_mm
    truth = load_or_compute_truth(args, X, Q)

    engine = {"faiss": run_faiss, "hnswlib": run_hnswlib, "usearch": run_usearch}[args.engine]
    version, indexes, notes = engine(args, X, Q, truth)
    notes += (f" Truth: exact top-{args.k} by numpy float32 matmul (cached in {args.name}-truth-k{args.k}.npy); "
              f"recall = mean over queries of |found & true| / k; qps = queries / median of {args.repeat} timed "
              f"batch passes after one warm-up, one search thread; rss_growth_bytes = growth of RssAnon across the "
              f"build (vectors already in RAM). The sweep stops once recall >= {STOP_RECALL}.")
    out = {"engine": args.engine, "version": version, "collection": args.name, "vectors": int(X.shape[0]),
           "dim": int(X.shape[1]), "queries": int(Q.shape[0]), "k": args.k, "threads_build": args.threads_build,
           "indexes": indexes, "notes": notes}
    path = os.path.join(args.out, f"{args.engine}-vectors-{args.name}.json")
    with open(path, "w") as f:
        json.dump(out, f, indent=2)
        f.write("\n")
    print(f"wrote {path}", file=sys.stderr)


if __name__ == "__main__":
    main()
