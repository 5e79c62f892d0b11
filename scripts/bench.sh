#!/usr/bin/env bash
# `make bench`: denser's BM25 against Xapian's on three collections — Debian package
# descriptions (built here from the apt index when missing), SciFact and Cranfield (from
# ../shared/datasets, skipped when absent). Writes out/bench/<collection>.json.
#   usage: bash scripts/bench.sh [BUILD_DIR] [extra bench_bm25_vs_xapian flags...]
#   e.g.   bash scripts/bench.sh build --repeat 5 --threads 4
set -euo pipefail
build=${1:-build}
shift || true
root="$(cd "$(dirname "$0")/.." && pwd)"
out="$root/out/bench"
shared="$root/../shared/datasets"
denser="$build/denser"
bench="$build/bench/bench_bm25_vs_xapian"

if [[ ! -x "$bench" ]]; then
  echo "bench: $bench not found (it is built only when Xapian is installed: apt-get install libxapian-dev)" >&2
  exit 1
fi
mkdir -p "$out"

if [[ ! -f "$out/debian/corpus.jsonl" ]]; then
  echo "== debian: building the collection from the apt index's package descriptions"
  "$denser" data debian-packages --out "$out/debian"
fi

written=()
run_bench() {  # name collection-dir [flags...]
  local name=$1 dir=$2
  echo "== $name"
  "$bench" --collection "$dir" --split test --out "$out/$name.json" "${@:3}" >/dev/null
  echo "   wrote $out/$name.json"
  written+=("$out/$name.json")
}

run_bench debian "$out/debian" "$@"
for name in scifact cranfield; do
  if [[ -d "$shared/$name" ]]; then
    run_bench "$name" "$shared/$name" "$@"
  else
    echo "== $name: skipped ($shared/$name not found)"
  fi
done

# One line per engine and collection, from the JSON files just written (build seconds:
# one thread; qps: best of the repeats).
python3 - "${written[@]}" <<'EOF' || true
import json, sys
print(f"{'collection':<10} {'engine':<7} {'build s':>8} {'MB':>7} {'qps 1t':>9} {'qps all':>9} {'nDCG@10':>8}")
for path in sys.argv[1:]:
    d = json.load(open(path))
    for name, e in d["engines"].items():
        s = e["search"]
        all_ = s.get("threads_all", s["threads_1"])
        print(f"{d['collection']['name']:<10} {name:<7} {e['build_seconds']['threads_1']:>8.2f} "
              f"{e['index_bytes'] / 1e6:>7.1f} {s['threads_1']['qps_best']:>9.0f} {all_['qps_best']:>9.0f} "
              f"{e['metrics']['ndcg_cut_10']:>8.4f}")
EOF
