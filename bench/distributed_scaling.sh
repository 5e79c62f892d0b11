#!/usr/bin/env bash
# Training throughput against the number of processes on this machine: the same run (same
# global batch, same steps) with 1 process, then W processes of --threads T/W each over
# c10d Gloo on loopback. Prints seconds of the training loop (the log's "done" record),
# examples/s and the speed-up, and checks that every run's loss curve matches the first.
#   usage: bash bench/distributed_scaling.sh DENSER COLLECTION OUT "1 2" THREADS [train flags...]
#   e.g.   bash bench/distributed_scaling.sh build/denser ../shared/datasets/scifact out/scaling "1 2" 2 \
#            --encoder transformer --preset tiny --negatives random --steps 40 --batch-size 32
set -euo pipefail
denser=$1 coll=$2 out=$3 worlds=$4 threads=$5
shift 5
mkdir -p "$out"
echo "| processes | threads each | loop seconds | examples/s | speed-up | max loss difference |"
echo "|---|---|---|---|---|---|"
base=""
for w in $worlds; do
  dir="$out/w$w"
  rm -rf "$dir"
  per=$(( threads / w > 0 ? threads / w : 1 ))
  if [[ $w == 1 ]]; then
    "$denser" --quiet train --collection "$coll" --out "$dir" --threads "$per" --log-every 1 --checkpoint-every 0 "$@" > /dev/null
  else
    # Rank 0 takes a port from the kernel and publishes it in the rendezvous file.
    rdzv="$out/w$w.port"
    rm -f "$rdzv"
    for ((r = 1; r < w; r++)); do
      MASTER_ADDR=127.0.0.1 MASTER_PORT=0 DENSER_RENDEZVOUS_FILE="$rdzv" WORLD_SIZE=$w RANK=$r "$denser" --quiet train --collection "$coll" \
        --out "$dir" --threads "$per" --log-every 1 --checkpoint-every 0 --distributed "$@" > /dev/null &
    done
    MASTER_ADDR=127.0.0.1 MASTER_PORT=0 DENSER_RENDEZVOUS_FILE="$rdzv" WORLD_SIZE=$w RANK=0 "$denser" --quiet train --collection "$coll" \
      --out "$dir" --threads "$per" --log-every 1 --checkpoint-every 0 --distributed "$@" > /dev/null
    wait
  fi
  python3 - "$dir/training/log.jsonl" "${base:-$dir/training/log.jsonl}" "$w" "$per" <<'PY'
import json, sys
def read(p):
    recs = [json.loads(l) for l in open(p)]
    steps = [r for r in recs if r.get("event") == "step"]
    done = [r for r in recs if r.get("event") == "done"][-1]
    start = [r for r in recs if r.get("event") == "start"][0]
    return steps, done, start
steps, done, start = read(sys.argv[1])
base_steps, base_done, _ = read(sys.argv[2])
opts = start["options"]
examples = done["step"] * opts["batch_size"] * opts["accumulation"]
diff = max(abs(a["loss"] - b["loss"]) for a, b in zip(steps, base_steps))
print(f"| {sys.argv[3]} | {sys.argv[4]} | {done['seconds']:.1f} | {examples / done['seconds']:.1f} | "
      f"{base_done['seconds'] / done['seconds']:.2f}x | {diff:.2e} |")
PY
  [[ -z $base ]] && base="$dir/training/log.jsonl"
done
