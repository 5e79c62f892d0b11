#!/usr/bin/env bash
# The installed package, as another project sees it: `cmake --install` of a build into a
# fresh prefix, then examples/consumer configured against that prefix alone (find_package),
# built and run. Usage: scripts/check-install.sh [build dir, default build]
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cmake --install "$build" --prefix "$work/prefix" >"$work/install.log"
echo "installed: $(find "$work/prefix" -type f | wc -l) files, $(du -sh "$work/prefix" | cut -f1)"
cmake -S examples/consumer -B "$work/consumer" -G Ninja -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_PREFIX_PATH="$work/prefix" >"$work/configure.log" || { cat "$work/configure.log"; exit 1; }
cmake --build "$work/consumer" >"$work/build.log" || { cat "$work/build.log"; exit 1; }
out=$("$work/consumer/bm25_eval")
echo "$out"
# d1 ranks first for q1 and d2 for q2: reciprocal rank 1 for both.
echo "$out" | grep -Eq '^recip_rank\s+all\s+1\.0000$' || { echo "FAIL: unexpected output"; exit 1; }
echo "examples/consumer built and ran against the installed package"
