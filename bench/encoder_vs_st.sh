#!/usr/bin/env bash
# denser against sentence-transformers and onnxruntime (fp32, dynamic int8) on the packaged
# all-MiniLM-L6-v2: SciFact at max length 256 and the Debian packages collection at 128,
# batch 32, 1 and 2 threads. Writes out/bench/encoder-vs-st-<collection>-t<threads>.json and
# prints the docs/s table with the ratios (peer seconds / denser seconds: > 1 means denser
# is faster).
#   usage: bash bench/encoder_vs_st.sh [BUILD_DIR] [DOCS]
#   needs: make models venv; out/debian (denser data debian-packages --out out/debian)
set -euo pipefail
build=${1:-build}
docs=${2:-256}
root="$(cd "$(dirname "$0")/.." && pwd)"
out="$root/out/bench"
mkdir -p "$out"
for spec in "scifact:$root/../shared/datasets/scifact:256" "debian:$root/out/debian:128"; do
  IFS=: read -r name coll len <<< "$spec"
  for threads in 2 1; do
    tag="encoder-vs-st-$name-t$threads"
    echo "== $tag" >&2
    "$build/bench/bench_encoder_vs_st" --collection "$coll" --docs "$docs" --max-length "$len" --threads "$threads" \
      --repeats 2 --python "$root/.venv/bin/python" --peer "$root/bench/python/st_peer.py" \
      --work-dir "$out/$tag.work" > "$out/$tag.json"
  done
done
python3 - "$out" <<'PY'
import json, sys, glob, os
print("| collection | threads | denser fp32 docs/s | denser bf16 docs/s | st docs/s | onnx docs/s | onnx int8 docs/s | fp32 / st | bf16 / st | fp32 / onnx | bf16 / onnx | bf16 / onnx-int8 | GFLOP/s fp32, bf16 (reachable fp32) |")
print("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
for name in ["scifact", "debian"]:
    for t in [1, 2]:
        p = os.path.join(sys.argv[1], f"encoder-vs-st-{name}-t{t}.json")
        if not os.path.exists(p): continue
        r = json.load(open(p)); d = r["denser"]; P = r["peers"]
        g = lambda b, k: P[b][k] if b in P and k in P[b] else float("nan")
        print(f"| {name} (max {r['max_length']}) | {t} | {d['fp32']['docs_per_s']:.1f} | {d['bf16']['docs_per_s']:.1f} | "
              f"{g('st','docs_per_s'):.1f} | {g('onnx','docs_per_s'):.1f} | {g('onnx-int8','docs_per_s'):.1f} | "
              f"{g('st','denser_fp32_speedup'):.2f}x | {g('st','denser_bf16_speedup'):.2f}x | "
              f"{g('onnx','denser_fp32_speedup'):.2f}x | {g('onnx','denser_bf16_speedup'):.2f}x | "
              f"{g('onnx-int8','denser_bf16_speedup'):.2f}x | "
              f"{d['fp32']['gflops_achieved']:.0f}, {d['bf16']['gflops_achieved']:.0f} ({r['gemm_gflops_reachable_fp32']:.0f}) |")
PY
