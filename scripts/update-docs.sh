#!/usr/bin/env bash
# Regenerates the generated sections of docs/: the option tables of docs/options.md (from
# `denser options --markdown`) and the module graph of docs/architecture.md (from
# CMakeLists.txt). Usage: scripts/update-docs.sh [build dir, default build]
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
tables=$("$build/denser" options --markdown)
python3 - "$tables" <<'PY'
import re, sys
path = "docs/options.md"
text = open(path).read()
begin = text.index("<!-- options:begin")
begin = text.index("\n", begin) + 1
end = text.index("<!-- options:end -->")
open(path + ".tmp", "w").write(text[:begin] + sys.argv[1] + "\n" + text[end:])
PY
mv docs/options.md.tmp docs/options.md
cmake -DSOURCE_DIR=. -DGRAPH="$build/module_graph.txt" -DUPDATE_DOCS=ON -P tests/architecture/module_graph_check.cmake
