#!/usr/bin/env bash
# The same ANCE schedule with the refresh beside training (async) and stop-the-world (sync):
# wall time of the training loop of each, their ratio, and how many steps waited for a
# refresh. Both runs in one invocation, one after the other, on the same machine.
#
#   bash bench/refresh_async_vs_sync.sh DENSER COLLECTION_DIR OUT_DIR [extra train flags...]
set -euo pipefail
denser=$1 collection=$2 out=$3
shift 3
mkdir -p "$out"
for mode in sync async; do
  rm -rf "$out/$mode"
  /usr/bin/time -f "%e" -o "$out/$mode.wall" "$denser" --quiet train --collection "$collection" --out "$out/$mode" \
    --negatives ance --refresh "$mode" "$@" >"$out/$mode.txt" 2>&1 || { cat "$out/$mode.txt"; exit 1; }
done
python3 - "$out" <<'PY'
import json, sys
out = sys.argv[1]
rows = {}
for mode in ["sync", "async"]:
    log = [json.loads(l) for l in open(f"{out}/{mode}/training/log.jsonl")]
    done = [e for e in log if e["event"] == "done"][-1]
    refreshes = [e for e in log if e["event"] == "refresh"]
    waited_steps = sum(1 for e in log if e["event"] == "step" and e["refresh_wait_s"] > 0)
    rows[mode] = dict(loop_s=done["seconds"], wall_s=float(open(f"{out}/{mode}.wall").read()),
                      refreshes=len(refreshes), wait_s=done["refresh_wait_s"], steps_waited=done["steps_waited"],
                      mean_staleness=sum(e["staleness"] for e in refreshes) / max(1, len(refreshes)),
                      dev_mrr10=done["dev_mrr10"])
    print(json.dumps({"mode": mode, **rows[mode]}))
print(json.dumps({"async_speedup_loop": rows["sync"]["loop_s"] / rows["async"]["loop_s"],
                  "async_speedup_wall": rows["sync"]["wall_s"] / rows["async"]["wall_s"]}))
PY
