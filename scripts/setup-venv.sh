#!/usr/bin/env bash
# Makes the project's oracle venv (.venv): sentence-transformers and the other Python
# peers that tests and benchmarks compare denser against. Created with
# --system-site-packages over Debian's /usr/bin/python3 so that torch (1.13) and numpy
# come from Debian's python3-torch, never from PyPI; the constraints pin them.
# Idempotent: does nothing when the pinned requirements are already installed.
set -euo pipefail
cd "$(dirname "$0")/.."
venv=${DENSER_VENV:-.venv}
req=scripts/requirements-oracle.txt
stamp="$venv/.requirements.sha256"
want=$(sha256sum "$req" | cut -d' ' -f1)
if [[ -x "$venv/bin/python" && -f "$stamp" && "$(cat "$stamp")" == "$want" ]]; then
  exit 0
fi
echo "setup-venv: installing the Python oracles into $venv (sentence-transformers, onnxruntime, ...)"
/usr/bin/python3 -m venv --system-site-packages "$venv"
constraints=$(mktemp)
trap 'rm -f "$constraints"' EXIT
# Whatever Debian installed: pip must keep these, not replace them.
/usr/bin/python3 - > "$constraints" <<'PY'
import numpy, torch
print(f"numpy=={numpy.__version__}")
print(f"torch=={torch.__version__.split('+')[0]}")
PY
if ! "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$req" -c "$constraints"; then
  echo "setup-venv: pip could not install $req from PyPI." >&2
  echo "setup-venv: install by hand: $venv/bin/pip install -r $req -c <(echo numpy==\$(python3 -c 'import numpy;print(numpy.__version__)'))" >&2
  exit 1
fi
echo "$want" > "$stamp"
