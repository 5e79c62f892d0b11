#!/usr/bin/env bash
# The Python package, as a user installs it: a throw-away venv (Debian's site packages
# visible, so numpy and python3-torch are reused and pip never fetches torch), the build
# tools from PyPI, `pip install .`, then the pytest suite (tests/python). The extension is
# built against the CLI build's library, installed into a prefix (denser_ROOT), so the
# library is compiled once; a plain `pip install .` compiles it from the checkout instead.
# Usage: scripts/python-test.sh [build dir of the CLI, for the equality tests; default build]
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
/usr/bin/python3 -m venv --system-site-packages "$work/venv"
py="$work/venv/bin/python"
# pandas (optional for users) to test evaluate() on data frames; 2.0 runs on Debian's numpy.
# numpy stays Debian's (pip would otherwise pull numpy 2, which pandas 2.0 cannot load).
numpy_pin="numpy==$(/usr/bin/python3 -c 'import numpy; print(numpy.__version__)')"
"$py" -m pip install -q 'scikit-build-core==0.11.6' 'nanobind==2.9.2' 'pytest==8.3.5' 'pandas==2.0.3' -c <(echo "$numpy_pin")
# A prefix that stays between runs: unchanged files keep their times, so nothing rebuilds.
prefix="$(cd "$build" && pwd)/python-prefix"
cmake --install "$build" --prefix "$prefix" >/dev/null
# No build isolation: the persistent build-py/ directory (pyproject.toml) stays valid, so a
# rebuild compiles only what changed.
CMAKE_BUILD_PARALLEL_LEVEL=${JOBS:-2} "$py" -m pip install -q --no-build-isolation \
  --config-settings=cmake.define.denser_ROOT="$prefix" .
cd "$work"  # import the installed package, not python/denser from the checkout
DENSER_BINARY="$OLDPWD/$build/denser" "$py" -m pytest -q "$OLDPWD/tests/python"
