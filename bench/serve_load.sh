#!/usr/bin/env bash
# Load benchmark of `denser serve` with wrk: several connections for 30 s per mode, POST
# /search with a collection's test queries in turn. Prints throughput, p50/p90/p99 latency
# and error counts per mode (non-2xx included), then the server's micro-batching counters.
#   usage: bash bench/serve_load.sh DENSER COLLECTION MODEL VECTOR_INDEX BM25_INDEX [DURATION] [CONNECTIONS]
#   e.g.   bash bench/serve_load.sh build/denser out/debian out/demo/debian-ance \
#            out/hybrid-debian/flat out/hybrid-debian/bm25 30s 8
set -euo pipefail
denser=$1 coll=$2 model=$3 index=$4 bm25=$5 duration=${6:-30s} conns=${7:-8}
command -v wrk > /dev/null || { echo "serve_load: wrk is not installed (apt-get install wrk)" >&2; exit 1; }
root="$(cd "$(dirname "$0")/.." && pwd)"
work=$(mktemp -d)
trap 'kill "$server" 2> /dev/null || true; wait "$server" 2> /dev/null || true; rm -rf "$work"' EXIT
python3 - "$coll" > "$work/queries.txt" <<'PY'
import json, sys, pathlib
coll = pathlib.Path(sys.argv[1])
ids = {l.split("\t")[0] for l in (coll / "qrels" / "test.tsv").read_text().splitlines()[1:] if l.strip()}
for line in (coll / "queries.jsonl").read_text().splitlines():
    q = json.loads(line)
    if q["_id"] in ids:
        print(" ".join(q["text"].split()))
PY
port=$((20000 + RANDOM % 20000))
"$denser" --quiet serve --model "$model" --index "$index" --bm25 "$bm25" --collection "$coll" \
  --port "$port" --threads 1 --http-threads "$conns" > "$work/server.log" 2>&1 &
server=$!
for _ in $(seq 600); do
  curl -sf "http://127.0.0.1:$port/health" > /dev/null 2>&1 && break
  sleep 0.1
done
echo "server: $(curl -s "http://127.0.0.1:$port/health")"
echo "queries: $(wc -l < "$work/queries.txt") from $coll (test split); wrk -t2 -c$conns -d$duration"
for mode in bm25 dense hybrid; do
  echo "== mode $mode"
  DENSER_QUERIES="$work/queries.txt" DENSER_MODE=$mode wrk -t2 -c"$conns" -d"$duration" \
    -s "$root/bench/wrk/search.lua" "http://127.0.0.1:$port" | grep -E "^(requests|throughput|latency_p)"
done
curl -s "http://127.0.0.1:$port/metrics" | grep -E "^denser_(encode_batches|encoded_queries|request_errors)"
