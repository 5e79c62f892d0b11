#!/usr/bin/env bash
# The cost of calling denser from Python: the same batch retrieval (batches of 100 queries,
# k 10, one thread) through denser::Retriever in C++ (bench_retriever_batch) and through
# the Python package (bench/python/retriever_batch.py), alternating three times per mode
# so that drift hits both sides alike. Prints each run's JSON and the ratio of medians.
#   usage: bash bench/python_overhead.sh PYTHON BUILD_DIR COLLECTION BM25_INDEX [MODEL INDEX]
#   PYTHON: an interpreter with the denser package installed (scripts/python-test.sh's venv,
#   or any venv after `pip install .`)
set -euo pipefail
py=$1 build=$2 coll=$3 bm25=$4 model=${5:-} index=${6:-}
root="$(cd "$(dirname "$0")/.." && pwd)"
modes=(bm25)
dense_args=()
if [[ -n "$model" ]]; then
  modes+=(dense hybrid)
  dense_args=(--model "$model" --index "$index")
fi
for mode in "${modes[@]}"; do
  cpp=() pyt=()
  for round in 1 2 3; do
    cpp+=("$("$build/bench/bench_retriever_batch" --collection "$coll" --bm25 "$bm25" "${dense_args[@]}" --mode "$mode")")
    pyt+=("$("$py" "$root/bench/python/retriever_batch.py" --collection "$coll" --bm25 "$bm25" "${dense_args[@]}" --mode "$mode")")
  done
  printf '%s\n' "${cpp[@]}" "${pyt[@]}" | /usr/bin/python3 -c '
import json, statistics, sys
text = sys.stdin.read()
dec, objs, i = json.JSONDecoder(), [], 0
while i < len(text):
    if text[i].isspace():
        i += 1
        continue
    o, i = dec.raw_decode(text, i)
    objs.append(o)
c = statistics.median(o["median_ms"] for o in objs if o["side"] == "c++")
p = statistics.median(o["median_ms"] for o in objs if o["side"] == "python")
mode, batch = objs[0]["mode"], objs[0]["batch"]
print(f"| {mode} | {batch} | {c:.2f} | {p:.2f} | {p / c:.3f} |")
'
done
