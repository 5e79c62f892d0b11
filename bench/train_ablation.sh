#!/usr/bin/env bash
# ANCE's ablation at small scale: the same encoder and step budget trained with random,
# BM25 and ANCE negatives, several seeds each, evaluated on the test split with the final
# (best-on-dev) model. Prints one JSON object per run and a summary table (mean ± sample
# standard deviation over the seeds).
#
#   bash bench/train_ablation.sh DENSER COLLECTION_DIR OUT_DIR [seeds] [extra train flags...]
# e.g.
#   bash bench/train_ablation.sh build/denser out/demo/debian out/ablation-debian "1 2 3" --steps 2000
# NEGATIVES (default "random bm25 ance") picks the cells and their order. Results accumulate
# in OUT_DIR/results.jsonl over invocations; the table takes each cell's latest run per seed.
set -euo pipefail
denser=$1 collection=$2 out=$3 seeds=${4:-"1 2 3"}
shift $(($# < 4 ? $# : 4))
mkdir -p "$out"
results="$out/results.jsonl"
touch "$results"
for negatives in ${NEGATIVES:-random bm25 ance}; do
  for seed in $seeds; do
    dir="$out/$negatives-seed$seed"
    rm -rf "$dir"
    "$denser" --quiet train --collection "$collection" --out "$dir" --negatives "$negatives" --seed "$seed" \
      --test-split test "$@" >"$dir.txt" 2>&1 || { cat "$dir.txt"; exit 1; }
    python3 - "$dir/training/log.jsonl" "$negatives" "$seed" >>"$results" <<'PY'
import json, sys
log, negatives, seed = sys.argv[1:]
done = [json.loads(l) for l in open(log) if '"event":"done"' in l][-1]
print(json.dumps({"negatives": negatives, "seed": int(seed), "test_mrr10": done["test_mrr10"],
                  "test_ndcg10": done["test_ndcg10"], "dev_mrr10": done["dev_mrr10"],
                  "best_step": done["best_step"], "seconds": done["seconds"]}))
PY
    tail -1 "$results"
  done
done
python3 - "$results" <<'PY'
import json, statistics, sys
latest = {}
for l in open(sys.argv[1]):
    x = json.loads(l)
    latest[(x["negatives"], x["seed"])] = x
rows = list(latest.values())
print("| negatives | seeds | test MRR@10 | test nDCG@10 | train seconds |")
print("|---|---|---|---|---|")
for neg in ["random", "bm25", "ance"]:
    r = [x for x in rows if x["negatives"] == neg]
    if not r:
        continue
    def ms(key):
        v = [x[key] for x in r]
        sd = statistics.stdev(v) if len(v) > 1 else 0.0
        return f"{statistics.mean(v):.4f} ± {sd:.4f}"
    print(f"| {neg} | {len(r)} | {ms('test_mrr10')} | {ms('test_ndcg10')} | {statistics.mean(x['seconds'] for x in r):.0f} |")
PY
