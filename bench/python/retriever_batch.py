"""The Python side of the overhead benchmark: bench/retriever_batch.cpp's loop through the
`denser` package (denser.Retriever.batch_search). Same arguments, same JSON fields."""
import argparse
import json
import statistics
import time

import denser


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--collection", required=True)
    p.add_argument("--split", default="test")
    p.add_argument("--model", default="")
    p.add_argument("--index", default="")
    p.add_argument("--bm25", default="")
    p.add_argument("--mode", default="bm25")
    p.add_argument("--batch", type=int, default=100)
    p.add_argument("--k", type=int, default=10)
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument("--threads", type=int, default=1)
    a = p.parse_args()
    r = denser.Retriever(model=a.model or None, index=a.index or None, bm25=a.bm25 or None, threads=a.threads)
    texts = [q.text for q in denser.Collection.open(a.collection).queries(a.split)]
    ms, hits = [], 0
    for rep in range(a.repeats + 1):
        for start in range(0, len(texts) - a.batch + 1, a.batch):
            t0 = time.perf_counter()
            results = r.batch_search(texts[start:start + a.batch], a.k, mode=a.mode)
            t1 = time.perf_counter()
            if rep == 0:
                continue  # warm-up
            ms.append((t1 - t0) * 1000)
            hits += sum(len(h) for h in results)
    print(json.dumps({"side": "python", "mode": a.mode, "batch": a.batch, "k": a.k, "batches": len(ms), "hits": hits,
                      "median_ms": statistics.median(ms), "mean_ms": statistics.fmean(ms)}, indent=2))


if __name__ == "__main__":
    main()
