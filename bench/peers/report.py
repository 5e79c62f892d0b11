#!/usr/bin/env python3
"""Tables and plots of the peers benchmark (bench/peers/run.sh) from its JSON results.

    python bench/peers/report.py out/peers/results --docs docs/peers \
        --collection scifact=../shared/datasets/scifact --collection debian=out/debian ...

Prints Markdown tables (BM25 and vector search, with denser's ratios to each peer) and
writes them to RESULTS/../summary.md; draws the cost-growth plots into --docs as SVG.
nDCG@10 of every BM25 run is computed here by one evaluator, `denser eval` (trec_eval's
definition), when --collection gives the collection's directory; otherwise the engine's own
figure is shown.
"""
import argparse
import glob
import json
import os
import re
import subprocess
import sys

BM25_ENGINES = ["denser", "lucene", "tantivy", "bm25s"]
VECTOR_ENGINES = ["denser", "faiss", "hnswlib", "usearch"]


def load(results):
    bm25, vectors = {}, {}
    for path in sorted(glob.glob(os.path.join(results, "*.json"))):
        with open(path) as f:
            try:
                r = json.load(f)
            except json.JSONDecodeError as e:
                sys.exit(f"report: {path}: {e}")
        if "indexes" in r:
            vectors[(r["engine"], r["collection"])] = r
        elif "search" in r:
            bm25[(r["engine"], r["collection"])] = r
    return bm25, vectors


def ndcg10(denser, collection_dir, run):
    out = subprocess.run([denser, "eval", "--collection", collection_dir, "--split", "test", "--run", run,
                          "-m", "ndcg_cut.10"], check=True, capture_output=True, text=True).stdout
    for line in out.splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[0] == "ndcg_cut_10" and parts[1] == "all":
            return float(parts[2])
    raise RuntimeError(f"no ndcg_cut_10 line in denser eval's output for {run}")


def search_entry(r, k, threads):
    """The default-algorithm entry for (k, threads)."""
    for e in r["search"]:
        if e["k"] == k and e["threads"] == threads and e.get("algorithm", "auto") == "auto":
            return e
    return None


def size_key(name):
    m = re.search(r"(\d+)k$", name)
    return int(m.group(1)) * 1000 if m else 0


def fmt_int(x):
    return f"{x:,.0f}"


def fmt_s(x):
    return f"{x:.2f} s" if x < 100 else f"{x:.0f} s"


def fmt_mb(x):
    return f"{x / 1e6:,.1f} MB"


def ratio(a, b):
    return f"{a / b:.2f}x" if a and b else "—"


def bm25_tables(bm25, evaluator):
    collections = sorted({c for _, c in bm25}, key=lambda c: (c != "scifact", size_key(c), c))
    lines = ["| collection | engine | docs | build 1 thr | build 2 thr | index | q/s k=10 1 thr | q/s k=10 2 thr "
             "| q/s k=1000 1 thr | q/s k=1000 2 thr | p50 / p99 k=10 | p50 / p99 k=1000 | nDCG@10 |",
             "|" + "---|" * 13]
    ratios = ["| collection | peer | q/s k=10, 1 thr | q/s k=1000, 1 thr | q/s k=10, 2 thr | q/s k=1000, 2 thr "
              "| build, 1 thr | index bytes (peer / denser) | nDCG@10 (denser − peer) |",
              "|" + "---|" * 9]
    for c in collections:
        first = True
        for engine in BM25_ENGINES:
            r = bm25.get((engine, c))
            if r is None:
                continue
            nd = evaluator(c, r)
            r["_ndcg"] = nd
            row = [c if first else "", engine, fmt_int(r["docs"]), fmt_s(r["build_seconds"]["1"]),
                   fmt_s(r["build_seconds"].get("2", float("nan"))), fmt_mb(r["index_bytes"])]
            for k in (10, 1000):
                for t in (1, 2):
                    e = search_entry(r, k, t)
                    row.append(fmt_int(e["qps"]) if e else "—")
            for k in (10, 1000):
                e = search_entry(r, k, 1)
                row.append(f"{e['p50_ms']:.2f} / {e['p99_ms']:.2f} ms" if e and "p50_ms" in e else "—")
            row.append(f"{nd:.4f}" if nd is not None else "—")
            lines.append("| " + " | ".join(row) + " |")
            first = False
        d = bm25.get(("denser", c))
        if d is None:
            continue
        for engine in BM25_ENGINES[1:]:
            p = bm25.get((engine, c))
            if p is None:
                continue
            cells = [c, engine]
            for k, t in ((10, 1), (1000, 1), (10, 2), (1000, 2)):
                de, pe = search_entry(d, k, t), search_entry(p, k, t)
                cells.append(ratio(de and de["qps"], pe and pe["qps"]))
            cells.append(ratio(p["build_seconds"]["1"], d["build_seconds"]["1"]))
            cells.append(ratio(p["index_bytes"], d["index_bytes"]))
            dn, pn = d.get("_ndcg"), p.get("_ndcg")
            cells.append(f"{dn - pn:+.4f}" if dn is not None and pn is not None else "—")
            ratios.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines), "\n".join(ratios), collections


def at_recall(index, target):
    """The fastest sweep point reaching the target recall (the sweep is in rising ef)."""
    best = None
    for p in index["sweep"]:
        if p["recall10"] >= target and (best is None or p["qps"] > best["qps"]):
            best = p
    return best


def vector_tables(vectors):
    collections = sorted({c for _, c in vectors}, key=lambda c: (size_key(c), c))
    lines = ["| vectors | engine | index | build (2 thr) | index bytes | RSS growth | recall ≥ 0.95: ef, q/s "
             "| recall ≥ 0.99: ef, q/s | best recall |",
             "|" + "---|" * 9]
    for c in collections:
        first = True
        for engine in VECTOR_ENGINES:
            r = vectors.get((engine, c))
            if r is None:
                continue
            for index in r["indexes"]:
                cells = [f"{c} ({fmt_int(r['vectors'])} x {r['dim']})" if first else "", engine, index["index"],
                         fmt_s(index["build_seconds"]), fmt_mb(index["index_bytes"]),
                         fmt_mb(index.get("rss_growth_bytes", 0))]
                for target in (0.95, 0.99):
                    p = at_recall(index, target)
                    if p is None:
                        cells.append("not reached")
                    elif p["ef"] is None:
                        cells.append(f"exact, {fmt_int(p['qps'])}")
                    else:
                        cells.append(f"{p['ef']}, {fmt_int(p['qps'])}")
                cells.append(f"{max(p['recall10'] for p in index['sweep']):.4f}")
                lines.append("| " + " | ".join(cells) + " |")
                first = False
    return "\n".join(lines), collections


def plots(bm25, vectors, bm25_collections, vector_collections, out_dir):
    import matplotlib
    matplotlib.use("Agg")
    matplotlib.rcParams["svg.fonttype"] = "none"
    matplotlib.rcParams["svg.hashsalt"] = "denser"
    import matplotlib.pyplot as plt
    os.makedirs(out_dir, exist_ok=True)
    written = []
    growth = [c for c in bm25_collections if c.startswith("debian")]
    if growth:
        fig, axes = plt.subplots(1, 4, figsize=(16, 3.8))
        for engine in BM25_ENGINES:
            xs, q10, q1000, build, size = [], [], [], [], []
            for c in growth:
                r = bm25.get((engine, c))
                if r is None:
                    continue
                e10, e1000 = search_entry(r, 10, 1), search_entry(r, 1000, 1)
                xs.append(r["docs"])
                q10.append(e10["qps"] if e10 else float("nan"))
                q1000.append(e1000["qps"] if e1000 else float("nan"))
                build.append(r["build_seconds"]["1"])
                size.append(r["index_bytes"] / 1e6)
            if not xs:
                continue
            for ax, ys in zip(axes, (q10, q1000, build, size)):
                ax.plot(xs, ys, marker="o", label=engine)
        titles = ("BM25 queries/s, k=10, 1 thread", "BM25 queries/s, k=1000, 1 thread",
                  "index build, 1 thread (s)", "index size (MB)")
        for ax, title in zip(axes, titles):
            ax.set_xscale("log")
            ax.set_yscale("log")
            ax.set_title(title, fontsize=10)
            ax.set_xlabel("documents")
            ax.grid(True, which="both", alpha=0.3)
        axes[0].legend(fontsize=8)
        fig.tight_layout()
        path = os.path.join(out_dir, "bm25-growth.svg")
        fig.savefig(path, metadata={"Date": None})
        plt.close(fig)
        written.append(path)
    if vector_collections:
        fig, axes = plt.subplots(1, 4, figsize=(16, 3.8))
        for engine in VECTOR_ENGINES:
            for kind in ("HNSW32", "Flat"):
                xs, q95, q99, build, mem = [], [], [], [], []
                for c in vector_collections:
                    r = vectors.get((engine, c))
                    index = next((i for i in r["indexes"] if i["index"] == kind), None) if r else None
                    if index is None:
                        continue
                    xs.append(r["vectors"])
                    p95, p99 = at_recall(index, 0.95), at_recall(index, 0.99)
                    q95.append(p95["qps"] if p95 else float("nan"))
                    q99.append(p99["qps"] if p99 else float("nan"))
                    build.append(index["build_seconds"])
                    mem.append(index["index_bytes"] / 1e6)
                if not xs:
                    continue
                style = "-" if kind == "HNSW32" else ":"
                label = f"{engine} {kind}"
                for ax, ys in zip(axes, (q95, q99, build, mem)):
                    ax.plot(xs, ys, style, marker="o", label=label)
        titles = ("queries/s at recall@10 ≥ 0.95, 1 thread", "queries/s at recall@10 ≥ 0.99, 1 thread",
                  "build, 2 threads (s)", "index bytes (MB)")
        for ax, title in zip(axes, titles):
            ax.set_xscale("log")
            ax.set_yscale("log")
            ax.set_title(title, fontsize=10)
            ax.set_xlabel("vectors")
            ax.grid(True, which="both", alpha=0.3)
        axes[0].legend(fontsize=7)
        fig.tight_layout()
        path = os.path.join(out_dir, "vectors-growth.svg")
        fig.savefig(path, metadata={"Date": None})
        plt.close(fig)
        written.append(path)
    return written


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("results")
    ap.add_argument("--docs", help="directory for the plots (SVG)")
    ap.add_argument("--collection", action="append", default=[], help="NAME=DIR, for nDCG@10 by denser eval")
    ap.add_argument("--denser", default="build/denser")
    args = ap.parse_args()
    dirs = dict(c.split("=", 1) for c in args.collection)
    bm25, vectors = load(args.results)

    def evaluator(collection, r):
        if collection in dirs and r.get("run") and os.path.isfile(r["run"]):
            return ndcg10(args.denser, dirs[collection], r["run"])
        return r.get("ndcg10")

    text = []
    versions = sorted({r["version"] for r in list(bm25.values()) + list(vectors.values())})
    machine = next((r["machine"] for r in list(bm25.values()) + list(vectors.values()) if "machine" in r), {})
    text.append(f"Machine: {machine.get('cpu_model', '?')}; denser's runs dated {machine.get('date_utc', '?')}.")
    text.append("Versions: " + "; ".join(versions) + ".")
    if bm25:
        table, ratios, bm25_collections = bm25_tables(bm25, evaluator)
        text += ["", "BM25:", "", table, "", "denser over each peer (queries/s and build: higher is better for denser):",
                 "", ratios]
    else:
        bm25_collections = []
    if vectors:
        table, vector_collections = vector_tables(vectors)
        text += ["", "Vector search (recall@10 against exact search; queries/s on 1 thread):", "", table]
    else:
        vector_collections = []
    notes = sorted({f"- {r['engine']}: {r['notes']}" for r in list(bm25.values()) + list(vectors.values())
                    if r.get("notes")})
    if notes:
        text += ["", "Engine notes:", ""] + notes
    summary = "\n".join(text) + "\n"
    print(summary)
    with open(os.path.join(os.path.dirname(os.path.abspath(args.results)), "summary.md"), "w") as f:
        f.write(summary)
    if args.docs:
        for path in plots(bm25, vectors, bm25_collections, vector_collections, args.docs):
            print(f"report: wrote {path}", file=sys.stderr)


if __name__ == "__main__":
    main()
