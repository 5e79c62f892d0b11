#!/usr/bin/env bash
# The main job until ANCE training lands: the BM25 pipeline end to end on the default
# collection (Debian package descriptions), then on SciFact when ../shared is present.
set -euo pipefail
denser=${1:-build/denser}
out=${2:-out/demo}
mkdir -p "$out"
shared="$(cd "$(dirname "$0")/.." && pwd)/../shared"

run_bm25() {  # name collection-dir
  local name=$1 dir=$2
  echo "== $name: BM25 index"
  "$denser" bm25 index --collection "$dir" --index "$out/$name.bm25"
  echo "== $name: BM25 search (test split, top 1000)"
  "$denser" bm25 search --index "$out/$name.bm25" --collection "$dir" --split test --k 1000 \
    --run "$out/$name.bm25.test.run"
  echo "== $name: evaluation (test split)"
  "$denser" eval --collection "$dir" --split test --run "$out/$name.bm25.test.run" | tee "$out/$name.bm25.test.eval"
}

echo "== debian: building the collection from the apt index's package descriptions"
if [[ ! -f "$out/debian/corpus.jsonl" ]]; then
  "$denser" data debian-packages --out "$out/debian"
else
  echo "(reusing $out/debian; delete it to rebuild)"
fi
run_bm25 debian "$out/debian"
for name in scifact cranfield; do
  if [[ -d "$shared/datasets/$name" ]]; then
    run_bm25 "$name" "$shared/datasets/$name"
  fi
done
echo
echo "Done. Search it yourself:"
echo "  $denser bm25 query --index $out/debian.bm25 --collection $out/debian \"fast json parser for C++\""
echo "  $denser bm25 search --index $out/debian.bm25 --collection $out/debian --split dev --k 1000 --run $out/dev.run"
echo "  $denser eval --collection $out/debian --split dev --run $out/dev.run"
