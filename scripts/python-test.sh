#!/usr/bin/env bash
# The Python package, as a user installs it: a throw-away venv (Debian's site packages
# visible, so numpy and python3-torch are reused and pip never fetches torch), the build
# tools from PyPI, `pip install .`, then the pytest suite (tests/python).
# Usage: scripts/python-test.sh [build dir of the CLI, for the equality tests; default build]
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
/usr/bin/python3 -m venv --system-site-packages "$work/venv"
py="$work/venv/bin/python"
# pandas (optional for users) to test evaluate() on data frames; 2.0 runs on Debian's numpy.
"$py" -m pip install -q 'scikit-build-core==0.11.6' 'nanobind==2.9.2' 'pytest==8.3.5' 'pandas==2.0.3'
# No build isolation: the persistent build-py/ directory (pyproject.toml) stays valid, so a
# rebuild compiles only what changed; ccache covers the rest.
CMAKE_BUILD_PARALLEL_LEVEL=${JOBS:-2} "$py" -m pip install -q --no-build-isolation .
cd "$work"  # import the installed package, not python/denser from the checkout
DENSER_BINARY="$OLDPWD/$build/denser" "$py" -m pytest -q "$OLDPWD/tests/python"
