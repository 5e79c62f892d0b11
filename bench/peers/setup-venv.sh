#!/usr/bin/env bash
# Creates (or reuses) the virtual environment of the Python benchmark peers.
#
#   bench/peers/setup-venv.sh [VENV]        default VENV: out/peers/venv
#
# The venv is made by Debian's /usr/bin/python3 with --system-site-packages, so it sees
# Debian's numpy (and torch) and installs only what requirements.txt pins, under the numpy
# pin of constraints.txt (PIP_CONSTRAINT also reaches the isolated build of hnswlib's sdist).
# Idempotent: a stamp in the venv holds the sha256 of requirements.txt + constraints.txt;
# when it matches, nothing is installed. Prints every peer's version at the end.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
venv=${1:-$root/out/peers/venv}
py=/usr/bin/python3
req=$here/requirements.txt
con=$here/constraints.txt

[ -x "$py" ] || { echo "setup-venv: $py not found (Debian's python3 is required)" >&2; exit 1; }
want_np=$(sed -n 's/^numpy==//p' "$con")
have_np=$("$py" -c 'import numpy; print(numpy.__version__)' 2>/dev/null || echo none)
if [ "$have_np" != "$want_np" ]; then
  echo "setup-venv: $py has numpy $have_np, but the pins were chosen for numpy $want_np" >&2
  echo "setup-venv: (apt-get install python3-numpy, or re-pin requirements.txt/constraints.txt)" >&2
  exit 1
fi

stamp_val="$(cat "$req" "$con" | sha256sum | cut -d' ' -f1) python=$("$py" -c 'import sys; print(sys.version.split()[0])') numpy=$have_np"
stamp=$venv/.denser-peers-stamp

if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$stamp_val" ] && [ -x "$venv/bin/python" ]; then
  echo "setup-venv: $venv is up to date"
else
  start=$(date +%s)
  if [ ! -x "$venv/bin/python" ]; then
    mkdir -p "$(dirname "$venv")"
    "$py" -m venv --system-site-packages "$venv"
  fi
  rm -f "$stamp"
  # Binary wheels only, except hnswlib (sdist only on PyPI): built here against numpy $want_np.
  PIP_CONSTRAINT=$con "$venv/bin/python" -m pip install --no-input --disable-pip-version-check \
    --only-binary=:all: --no-binary=hnswlib -r "$req"
  # The venv must still use Debian's numpy (and torch when present): nothing may shadow them.
  shadow=$("$venv/bin/python" -m pip list --local --format=freeze 2>/dev/null | grep -iE '^(numpy|torch)==' || true)
  if [ -n "$shadow" ]; then
    echo "setup-venv: the venv got its own $shadow; it must use Debian's (remove $venv and check the pins)" >&2
    exit 1
  fi
  echo "$stamp_val" > "$stamp"
  echo "setup-venv: installed in $(( $(date +%s) - start )) s"
fi

"$venv/bin/python" - <<'PY'
import importlib, importlib.metadata as md
import numpy
print(f"python {__import__('sys').version.split()[0]}, numpy {numpy.__version__} ({numpy.__file__.rsplit('/numpy/', 1)[0]})")
for dist, mod in [("tantivy", "tantivy"), ("bm25s", "bm25s"), ("PyStemmer", "Stemmer"),
                  ("numba", "numba"), ("scipy", "scipy"), ("faiss-cpu", "faiss"),
                  ("hnswlib", "hnswlib"), ("usearch", "usearch.index"),
                  ("pytrec-eval-terrier", "pytrec_eval"), ("matplotlib", "matplotlib")]:
    try:
        importlib.import_module(mod)
        print(f"{dist} {md.version(dist)}")
    except Exception as e:  # report, keep going: one broken peer should not hide the others
        print(f"{dist} FAILED to import: {type(e).__name__}: {e}")
PY
