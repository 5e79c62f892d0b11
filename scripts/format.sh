#!/usr/bin/env bash
# Formats the C++ sources with .clang-format (clang-format 14), or with --check only says
# which files differ (ctest `format_check` runs that; exit 77, a skip, without clang-format).
set -euo pipefail
cd "$(dirname "$0")/.."
git rev-parse --is-inside-work-tree >/dev/null 2>&1 || { echo "format: not a git checkout"; exit 77; }
formatter=$(command -v clang-format-14 || command -v clang-format || true)
[ -n "$formatter" ] || { echo "format: clang-format-14 is not installed (scripts/install-deps.sh)"; exit 77; }
# word_break_table.cpp is generated (src/text/gen_word_break_table.pl).
mapfile -t files < <(git ls-files 'src/*.cpp' 'src/*.h' 'include/*.h' 'tests/*.cpp' 'tests/*.h' 'bench/*.cpp' \
  'bench/*.h' 'fuzz/*.cpp' 'fuzz/*.h' 'examples/*.cpp' 'python/*.cpp' | grep -v 'src/text/word_break_table.cpp')
if [ "${1:-}" = "--check" ]; then
  bad=()
  for f in "${files[@]}"; do
    "$formatter" "$f" | cmp -s - "$f" || bad+=("$f")
  done
  if ((${#bad[@]})); then
    echo "not formatted (run scripts/format.sh): ${bad[*]}"
    exit 1
  fi
  echo "format: ${#files[@]} files match .clang-format"
else
  "$formatter" -i "${files[@]}"
fi
