#!/usr/bin/env bash
# Dense search throughput against the number of shards and processes on this machine: one
# index, S local shards (one process, a thread per shard), and S `denser serve-shard`
# processes behind the manifest of their URLs. Each run searches a split's queries one at a
# time (--batch-size 1 --threads 1 in the front) and must give the same run as the index.
#   usage: bash bench/shard_search_scaling.sh DENSER COLLECTION MODEL EMBEDDINGS OUT "2 4"
set -euo pipefail
denser=$1 coll=$2 model=$3 emb=$4 out=$5 counts=$6
mkdir -p "$out"
pids=()
trap 'kill "${pids[@]}" 2> /dev/null || true' EXIT
search() {  # index run -> queries/s
  "$denser" --quiet search --model "$model" --index "$1" --collection "$coll" --split test --k 100 \
    --batch-size 1 --threads 1 --run "$2" | awk '/queries\/s/ {for (i = 1; i <= NF; i++) if ($i == "queries/s") print $(i-1)}' | tr -d ':'
}
"$denser" --quiet index dense --embeddings "$emb" --out "$out/one.idx" > /dev/null
echo "| layout | processes | queries/s | same run as one index |"
echo "|---|---|---|---|"
echo "| one Flat index | 1 | $(search "$out/one.idx" "$out/one.run") | - |"
for s in $counts; do
  "$denser" --quiet index dense --embeddings "$emb" --shards "$s" --out "$out/local$s.idx" > /dev/null
  qps=$(search "$out/local$s.idx" "$out/local$s.run")
  same=$(cmp -s "$out/one.run" "$out/local$s.run" && echo yes || echo no)
  echo "| $s local shards | 1 | $qps | $same |"
  urls=()
  for ((i = 0; i < s; i++)); do
    port=$((21000 + RANDOM % 20000))
    "$denser" serve-shard --index "$out/local$s.idx.shard-$i" --port "$port" > /dev/null 2>&1 &
    pids+=($!)
    urls+=("http://127.0.0.1:$port")
  done
  for u in "${urls[@]}"; do
    for _ in $(seq 100); do curl -sf "$u/health" > /dev/null && break; sleep 0.1; done
  done
  "$denser" --quiet index shards --out "$out/remote$s.idx" "${urls[@]}" > /dev/null
  qps=$(search "$out/remote$s.idx" "$out/remote$s.run")
  same=$(cmp -s "$out/one.run" "$out/remote$s.run" && echo yes || echo no)
  echo "| $s shard servers | $((s + 1)) | $qps | $same |"
  kill "${pids[@]}" 2> /dev/null || true
  wait 2> /dev/null || true
  pids=()
done
