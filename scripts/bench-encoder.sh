#!/usr/bin/env bash
# denser's transformer encoder against the same BERT in PyTorch Python (Debian's
# python3-torch): presets tiny and small, 2 and 1 threads, batch 32, the first 512 SciFact
# documents at max_length 256. Writes out/bench/encoder-<preset>-t<threads>.json and prints
# a table of the ratios (denser / Python; > 1 means denser is faster).
#   usage: bash scripts/bench-encoder.sh [BUILD_DIR] [extra bench_encoder_vs_pytorch flags...]
#   e.g.   bash scripts/bench-encoder.sh build --docs 256 --steps 3
set -euo pipefail
build=${1:-build}
shift || true
root="$(cd "$(dirname "$0")/.." && pwd)"
out="$root/out/bench"
bench="$build/bench/bench_encoder_vs_pytorch"
if [[ ! -x "$bench" ]]; then
  echo "bench-encoder: $build/bench/bench_encoder_vs_pytorch not found (build the target first)" >&2
  exit 1
fi
if ! /usr/bin/python3 -c 'import torch' 2>/dev/null; then
  echo "bench-encoder: /usr/bin/python3 has no torch (apt-get install python3-torch)" >&2
  exit 1
fi
mkdir -p "$out"

for preset in tiny small; do
  for threads in 2 1; do
    name="encoder-$preset-t$threads"
    echo "== $name"
    "$bench" --preset "$preset" --threads "$threads" --batch 32 --docs 512 --max-length 256 \
      --shared "$root/../shared" --peer "$root/bench/python/bert_peer.py" \
      --work-dir "$out/$name.work" "$@" > "$out/$name.json"
    rm -rf "$out/$name.work"
    echo "   wrote $out/$name.json"
  done
done

python3 - "$out" <<'PY' || true
import json, pathlib, sys
print(f"{'preset':<6} {'thr':>3} {'denser docs/s':>13} {'torch docs/s':>12} {'ratio':>6} {'median ratio':>12}"
      f" {'denser s/step':>13} {'torch s/step':>12} {'ratio':>6} {'load':>5}")
for path in sorted(pathlib.Path(sys.argv[1]).glob("encoder-*.json")):
    d = json.loads(path.read_text())
    c, e, t = d["config"], d["encode"], d["train"]
    print(f"{c['preset']:<6} {c['threads']:>3} {e['denser_docs_per_s']:>13.1f} {e['python_docs_per_s']:>12.1f} "
          f"{e['ratio']:>6.2f} {e['median_ratio']:>12.2f} {t['denser_s_per_step']:>13.3f} "
          f"{t['python_s_per_step']:>12.3f} {t['ratio']:>6.2f} {d['machine']['loadavg'].split()[0]:>5}")
PY
