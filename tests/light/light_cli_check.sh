#!/usr/bin/env bash
# The light build (-DDENSER_WITH_TORCH=OFF -DDENSER_WITH_FAISS=OFF) end to end: BM25 index,
# search to a run, trec_eval-exact evaluation, and the commands that need a switched-off
# dependency refusing with exit code 6 (unsupported) and the option to turn on.
#   light_cli_check.sh <denser binary> <tests/testdata>
set -u
denser=$1
data=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

"$denser" bm25 index --collection "$data/data/beir_tiny" --index "$work/tiny.bm25" >"$work/log" 2>&1 ||
  fail "bm25 index: $(cat "$work/log")"
"$denser" search --bm25 "$work/tiny.bm25" --collection "$data/data/beir_tiny" --split test --run "$work/run.trec" \
  >"$work/log" 2>&1 || fail "search: $(cat "$work/log")"
[ -s "$work/run.trec" ] || fail "search wrote no run"
"$denser" eval --collection "$data/data/beir_tiny" --split test --run "$work/run.trec" >"$work/eval" 2>&1 ||
  fail "eval: $(cat "$work/eval")"
grep -q 'ndcg_cut_10' "$work/eval" || fail "eval printed no ndcg_cut_10: $(cat "$work/eval")"

expect_refusal() {  # <option> <args...>
  local option=$1
  shift
  "$denser" "$@" >"$work/log" 2>&1
  local rc=$?
  [ $rc -eq 6 ] || fail "denser $* exited $rc, expected 6 (unsupported): $(cat "$work/log")"
  grep -q -- "-D$option=ON" "$work/log" || fail "denser $* did not name -D$option=ON: $(cat "$work/log")"
}
expect_refusal DENSER_WITH_TORCH train --collection "$data/data/beir_tiny" --out "$work/model"
expect_refusal DENSER_WITH_TORCH demo --out "$work/demo"
mkdir -p "$work/model-dir" && echo '{"model_type": "bert"}' >"$work/model-dir/config.json"
expect_refusal DENSER_WITH_TORCH encode --model "$work/model-dir" --collection "$data/data/beir_tiny" --out "$work/e.bin"
echo "light build: BM25 index, search, eval work; train, demo and encode refuse with exit 6"
