#!/usr/bin/env bash
# Bounded load on `denser serve` (loopback, wrk) and what it leaves behind: requests/s,
# p50/p99 and errors, and the server's resident memory and open file descriptors before
# the load, after at least 10,000 requests, and after an idle pause longer than the
# keep-alive timeout (connections closed, nothing should have grown).
#   usage: bash bench/serve_leak.sh DENSER COLLECTION SERVE_ARGS... 
#   e.g.   bash bench/serve_leak.sh build/denser ../shared/datasets/scifact \
#            --bm25 out/ft-hybrid-scifact/bm25 --model out/minilm-scifact --index out/ft-hybrid-scifact/flat
# MODE (default bm25), CONNECTIONS (8), ROUNDS (3: load rounds of DURATION, default 10s).
set -euo pipefail
denser=$1 coll=$2
shift 2
mode=${MODE:-bm25} conns=${CONNECTIONS:-8} rounds=${ROUNDS:-3} duration=${DURATION:-10s}
command -v wrk > /dev/null || { echo "serve_leak: wrk is not installed (apt-get install wrk)" >&2; exit 1; }
root="$(cd "$(dirname "$0")/.." && pwd)"
work=$(mktemp -d)
trap 'kill "$server" 2> /dev/null || true; wait "$server" 2> /dev/null || true; rm -rf "$work"' EXIT
python3 - "$coll" > "$work/queries.txt" <<'PY'
import json, sys, pathlib
for line in (pathlib.Path(sys.argv[1]) / "queries.jsonl").read_text().splitlines():
    print(" ".join(json.loads(line)["text"].split()))
PY
"$denser" --quiet serve "$@" --collection "$coll" --port 0 --http-threads "$conns" --keep-alive-timeout 2 \
  > "$work/server.log" 2>&1 &
server=$!
for _ in $(seq 600); do
  port=$(grep -o 'http://127.0.0.1:[0-9]*' "$work/server.log" | head -1 | sed 's/.*://') || true
  [[ -n ${port:-} ]] && curl -sf "http://127.0.0.1:$port/health" > /dev/null 2>&1 && break
  sleep 0.1
done
[[ -n ${port:-} ]] || { cat "$work/server.log"; exit 1; }
sample() {
  local rss fds
  rss=$(awk '/^VmRSS/ {print $2}' /proc/$server/status)
  fds=$(ls /proc/$server/fd | wc -l)
  echo "{\"when\": \"$1\", \"rss_kib\": $rss, \"open_fds\": $fds}"
}
# A first short round warms the caches and thread pools; the baseline is taken after it.
DENSER_QUERIES="$work/queries.txt" DENSER_MODE=$mode wrk -t2 -c"$conns" -d2s -s "$root/bench/wrk/search.lua" \
  "http://127.0.0.1:$port" > /dev/null
sleep 3
sample "after warm-up, idle"
total=0
for r in $(seq "$rounds"); do
  out=$(DENSER_QUERIES="$work/queries.txt" DENSER_MODE=$mode wrk -t2 -c"$conns" -d"$duration" \
    -s "$root/bench/wrk/search.lua" "http://127.0.0.1:$port")
  echo "$out" | grep -E "^(requests|throughput|latency_p)" | tr '\n' ' '
  echo
  total=$((total + $(echo "$out" | awk '/^requests/ {print $2}')))
  sample "after round $r ($total requests)"
done
sleep 5
sample "after 5 s idle"
echo "mode $mode, $conns connections, $total requests in all"
