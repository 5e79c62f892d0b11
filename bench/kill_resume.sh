#!/usr/bin/env bash
# kill -9 of `denser train` at a random moment, then --resume, and the test scores of the
# finished run (to compare with the seed spread of uninterrupted runs, train_ablation.sh).
#
#   bash bench/kill_resume.sh DENSER COLLECTION_DIR OUT_DIR MIN_DELAY MAX_DELAY [extra train flags...]
# The kill comes after a delay drawn uniformly from [MIN_DELAY, MAX_DELAY] seconds.
set -euo pipefail
denser=$1 collection=$2 out=$3 min_delay=$4 max_delay=$5
shift 5
rm -rf "$out"
delay=$(python3 -c "import random; print(round(random.uniform($min_delay, $max_delay), 1))")
"$denser" --quiet train --collection "$collection" --out "$out" --test-split test "$@" >"$out.first.txt" 2>&1 &
pid=$!
sleep "$delay"
kill -9 "$pid" 2>/dev/null || true
wait "$pid" 2>/dev/null || true
last=$(ls "$out/training/checkpoints" 2>/dev/null | grep -v '\.' | tail -1 || true)
echo "{\"killed_after_s\": $delay, \"newest_checkpoint\": \"${last:-none}\"}"
"$denser" --quiet train --collection "$collection" --out "$out" --test-split test "$@" --resume >"$out.resume.txt" 2>&1
python3 - "$out/training/log.jsonl" <<'PY'
import json, sys
log = [json.loads(l) for l in open(sys.argv[1])]
done = [e for e in log if e["event"] == "done"][-1]
resume = [e for e in log if e["event"] == "resume"]
print(json.dumps({"resumed_at_step": resume[-1]["step"] if resume else None, "test_mrr10": done["test_mrr10"],
                  "test_ndcg10": done["test_ndcg10"], "dev_mrr10": done["dev_mrr10"]}))
PY
