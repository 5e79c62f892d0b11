#!/usr/bin/env bash
# Lucene (through Anserini) BM25 peer for the denser benchmark.
#
#   bench/peers/lucene.sh COLLECTION_DIR NAME OUT_DIR [--repeat R] [--keep-indexes]
#
# COLLECTION_DIR is a BEIR directory (corpus.jsonl[.gz], queries.jsonl, qrels/test.tsv).
# Leaves OUT_DIR/lucene-NAME.json (summary), OUT_DIR/lucene-NAME.run (TREC run, k=1000),
# OUT_DIR/lucene-NAME.log (JVM output) and the searched index OUT_DIR/lucene-NAME-index.
#
# Lucene/Anserini come only from the Anserini fat jar inside the pinned pyserini wheel
# (fetched with pip, sha256-checked, cached under ${XDG_CACHE_HOME:-$HOME/.cache}/denser/peers/).
# pyserini 0.25.0 is the newest release whose jar (Anserini 0.25.0, Lucene 9.9.1) targets Java 11
# and so runs on Debian's OpenJDK 17; pyserini >= 0.35.0 ships Java 21 class files.
#
# Environment: JAVA, JAVAC, PYTHON (defaults /usr/bin/...), LUCENE_HEAP (default 8g; the index
# build uses Anserini's 4 GiB RAM buffer, so keep >= 6g for large corpora), LUCENE_PARTS (number
# of input files the corpus is split into, default 8: Anserini indexes one file per thread).
set -euo pipefail

PYSERINI_VERSION=0.25.0
ANSERINI_VERSION=0.25.0
WHEEL_FILE=pyserini-${PYSERINI_VERSION}-py3-none-any.whl
WHEEL_SHA256=d807cfd8ea7c6e24b6f7ecd3f80d7dac64698b039abfc65ca10d194f6d49bd0b
JAR_MEMBER=pyserini/resources/jars/anserini-${ANSERINI_VERSION}-fatjar.jar
JAR_SHA256=2fd149f56449de22993be8cd4dca6a77c78898c35422a0725ed03cccf71cd821

JAVA=${JAVA:-/usr/bin/java}
JAVAC=${JAVAC:-/usr/bin/javac}
PYTHON=${PYTHON:-/usr/bin/python3}
HEAP=${LUCENE_HEAP:-8g}
PARTS=${LUCENE_PARTS:-8}

die() { echo "lucene.sh: error: $*" >&2; exit 1; }
say() { echo "lucene.sh: $*" >&2; }

usage() { sed -n '4,5p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }

# ---------------------------------------------------------------- arguments
[[ $# -ge 3 ]] || usage
COLLECTION_DIR=$1 NAME=$2 OUT_DIR=$3
shift 3
REPEAT=5
KEEP_INDEXES=0
while [[ $# -gt 0 ]]; do
  case $1 in
    --repeat) [[ $# -ge 2 ]] || die "--repeat needs a value"; REPEAT=$2; shift 2 ;;
    --keep-indexes) KEEP_INDEXES=1; shift ;;
    -h|--help) usage ;;
    *) die "unknown option: $1" ;;
  esac
done
[[ $REPEAT =~ ^[1-9][0-9]*$ ]] || die "--repeat must be a positive integer, got '$REPEAT'"
[[ $PARTS =~ ^[1-9][0-9]*$ ]] || die "LUCENE_PARTS must be a positive integer"
[[ $NAME =~ ^[A-Za-z0-9._-]+$ ]] || die "NAME may only contain letters, digits, '.', '_' and '-'"

[[ -d $COLLECTION_DIR ]] || die "collection directory not found: $COLLECTION_DIR"
COLLECTION_DIR=$(cd "$COLLECTION_DIR" && pwd)
if [[ -f $COLLECTION_DIR/corpus.jsonl ]]; then CORPUS=$COLLECTION_DIR/corpus.jsonl
elif [[ -f $COLLECTION_DIR/corpus.jsonl.gz ]]; then CORPUS=$COLLECTION_DIR/corpus.jsonl.gz
else die "no corpus.jsonl or corpus.jsonl.gz in $COLLECTION_DIR"; fi
QUERIES=$COLLECTION_DIR/queries.jsonl
QRELS=$COLLECTION_DIR/qrels/test.tsv
[[ -f $QUERIES ]] || die "missing $QUERIES"
[[ -f $QRELS ]] || die "missing $QRELS"

for tool in "$JAVA" "$JAVAC" "$PYTHON"; do
  [[ -x $tool ]] || die "not executable: $tool (set JAVA / JAVAC / PYTHON)"
done
java_major=$("$JAVA" -XshowSettings:properties -version 2>&1 \
  | sed -n 's/^ *java\.specification\.version = \([0-9]*\).*/\1/p')
[[ -n $java_major && $java_major -ge 17 ]] || die "$JAVA must be Java >= 17 (found '${java_major:-?}')"

mkdir -p "$OUT_DIR"
OUT_DIR=$(cd "$OUT_DIR" && pwd)
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SRC=$HERE/lucene/Bm25Bench.java
[[ -f $SRC ]] || die "harness source not found: $SRC"

CACHE=${XDG_CACHE_HOME:-$HOME/.cache}/denser/peers/lucene-pyserini-$PYSERINI_VERSION
mkdir -p "$CACHE"

sha256() { sha256sum "$1" | cut -d' ' -f1; }

# ---------------------------------------------------------------- wheel (cached, verified)
WHEEL=$CACHE/$WHEEL_FILE
if [[ -f $WHEEL && $(sha256 "$WHEEL") != "$WHEEL_SHA256" ]]; then
  say "cached wheel has a wrong sha256, fetching it again"
  rm -f "$WHEEL"
fi
if [[ ! -f $WHEEL ]]; then
  say "downloading pyserini==$PYSERINI_VERSION wheel (~175 MB) from PyPI"
  tmp=$(mktemp -d "$CACHE/download.XXXXXX")
  if ! "$PYTHON" -m pip download --quiet --no-deps --only-binary=:all: --dest "$tmp" \
      "pyserini==$PYSERINI_VERSION"; then
    rm -rf "$tmp"; die "pip download of pyserini==$PYSERINI_VERSION failed"
  fi
  [[ -f $tmp/$WHEEL_FILE ]] || { rm -rf "$tmp"; die "pip did not produce $WHEEL_FILE"; }
  got=$(sha256 "$tmp/$WHEEL_FILE")
  [[ $got == "$WHEEL_SHA256" ]] || { rm -rf "$tmp"; die "sha256 mismatch for $WHEEL_FILE: got $got, want $WHEEL_SHA256"; }
  mv "$tmp/$WHEEL_FILE" "$WHEEL"
  rm -rf "$tmp"
fi

# ---------------------------------------------------------------- fat jar (cached, verified)
JAR=$CACHE/anserini-$ANSERINI_VERSION-fatjar.jar
if [[ -f $JAR && $(sha256 "$JAR") != "$JAR_SHA256" ]]; then
  say "cached jar has a wrong sha256, extracting it again"
  rm -f "$JAR"
fi
if [[ ! -f $JAR ]]; then
  say "extracting $JAR_MEMBER from the wheel"
  "$PYTHON" - "$WHEEL" "$JAR_MEMBER" "$JAR.tmp" <<'EOF'
import shutil, sys, zipfile
wheel, member, dest = sys.argv[1:]
with zipfile.ZipFile(wheel) as z, z.open(member) as src, open(dest, "wb") as out:
    shutil.copyfileobj(src, out, 1 << 20)
EOF
  got=$(sha256 "$JAR.tmp")
  [[ $got == "$JAR_SHA256" ]] || { rm -f "$JAR.tmp"; die "sha256 mismatch for extracted jar: got $got"; }
  mv "$JAR.tmp" "$JAR"
fi

# ---------------------------------------------------------------- harness (cached by source hash)
CLASSES=$CACHE/classes-$(sha256 "$SRC" | cut -c1-16)
if [[ ! -f $CLASSES/Bm25Bench.class ]]; then
  say "compiling $SRC"
  rm -rf "$CLASSES.tmp"
  mkdir -p "$CLASSES.tmp"
  "$JAVAC" --release 17 -encoding UTF-8 -cp "$JAR" -d "$CLASSES.tmp" "$SRC" \
    || { rm -rf "$CLASSES.tmp"; die "javac failed"; }
  rm -rf "$CLASSES"
  mv "$CLASSES.tmp" "$CLASSES"
fi
CP=$CLASSES:$JAR

LOG=$OUT_DIR/lucene-$NAME.log
: > "$LOG"
run_java() {  # run_java LABEL ARGS... ; JVM output goes to the log
  local label=$1; shift
  echo "=== $label: $JAVA -Xmx$HEAP -cp $CP Bm25Bench $*" >> "$LOG"
  if ! "$JAVA" -Xms1g "-Xmx$HEAP" -XX:+UseG1GC -cp "$CP" Bm25Bench "$@" >> "$LOG" 2>&1; then
    tail -n 30 "$LOG" >&2
    die "$label failed (full log: $LOG)"
  fi
}

# ---------------------------------------------------------------- input staging
# Anserini's IndexCollection gives each input file to one worker thread, so a single
# corpus.jsonl would be indexed by one thread whatever -threads says. Split it (in corpus
# order, at line boundaries, by bytes) into PARTS files; both builds read the same parts.
STAGE=$OUT_DIR/lucene-$NAME-input
STAMP=$STAGE.stamp  # kept outside $STAGE: Anserini tries to index every file in its input dir
stamp="$CORPUS $(stat -c '%s %Y' "$CORPUS") parts=$PARTS"
if [[ ! -d $STAGE || ! -f $STAMP || $(head -n 1 "$STAMP") != "$stamp" ]]; then
  say "splitting $CORPUS into $PARTS parts under $STAGE"
  rm -rf "$STAGE" "$STAMP"
  mkdir -p "$STAGE"
  ndocs=$("$PYTHON" - "$CORPUS" "$STAGE" "$PARTS" <<'EOF'
import gzip, os, sys
corpus, stage, parts = sys.argv[1], sys.argv[2], int(sys.argv[3])
opener = gzip.open if corpus.endswith(".gz") else open
# Size of the uncompressed stream is unknown for .gz: count bytes in a first pass.
total = 0
with opener(corpus, "rb") as f:
    for line in f:
        total += len(line)
target = total / parts
written = part = docs = 0
out = open(os.path.join(stage, "part-%03d.jsonl" % part), "wb")
with opener(corpus, "rb") as f:
    for line in f:
        if not line.strip():
            continue
        if written >= target * (part + 1) and part + 1 < parts:
            out.close()
            part += 1
            out = open(os.path.join(stage, "part-%03d.jsonl" % part), "wb")
        out.write(line if line.endswith(b"\n") else line + b"\n")
        written += len(line)
        docs += 1
out.close()
print(docs)
EOF
)
  printf '%s\n%s\n' "$stamp" "$ndocs" > "$STAMP"
fi
CORPUS_DOCS=$(sed -n 2p "$STAMP")

# ---------------------------------------------------------------- index builds (1 and 2 threads)
INDEX=$OUT_DIR/lucene-$NAME-index
INDEX2=$OUT_DIR/lucene-$NAME-index-t2
BUILD1=$OUT_DIR/lucene-$NAME-build-t1.json
BUILD2=$OUT_DIR/lucene-$NAME-build-t2.json
for t in 1 2; do
  if [[ $t == 1 ]]; then idx=$INDEX bj=$BUILD1; else idx=$INDEX2 bj=$BUILD2; fi
  rm -rf "$idx" "$bj"
  say "building index with $t thread(s): $idx"
  run_java "build t=$t" build --input "$STAGE" --index "$idx" --threads "$t" --json "$bj"
  grep -E '^\[lucene build\] threads='"$t"' ' "$LOG" | tail -1 >&2
done
if [[ $KEEP_INDEXES == 0 ]]; then rm -rf "$INDEX2"; fi
indexed=$("$PYTHON" -c 'import json, sys; print(json.load(open(sys.argv[1]))["docs"])' "$BUILD1")
if [[ $indexed != "$CORPUS_DOCS" ]]; then
  say "warning: $CORPUS_DOCS corpus lines but $indexed documents indexed (Anserini skips documents with empty title+text)"
fi

# ---------------------------------------------------------------- search
JSON_OUT=$OUT_DIR/lucene-$NAME.json
RUN=$OUT_DIR/lucene-$NAME.run
rm -f "$JSON_OUT" "$RUN"
say "searching ($REPEAT timed passes per setting)"
run_java "search" search --index "$INDEX" --queries "$QUERIES" --qrels "$QRELS" \
  --collection "$NAME" --run "$RUN" --json "$JSON_OUT" --repeat "$REPEAT" \
  --build1 "$BUILD1" --build2 "$BUILD2" --pyserini "$PYSERINI_VERSION"
grep -E '^\[lucene search\]' "$LOG" >&2

# ---------------------------------------------------------------- effectiveness check
# trec_eval-style nDCG@10 (gain = qrels grade, log2 discount, ideal from qrels, ties in the run
# ordered by score desc then docid desc as trec_eval does; averaged over queries in qrels).
"$PYTHON" - "$QRELS" "$RUN" <<'EOF'
import math, sys
from collections import defaultdict
qrels = defaultdict(dict)
with open(sys.argv[1]) as f:
    for i, line in enumerate(f):
        cols = line.rstrip("\n").split("\t")
        if i == 0 and cols[0] == "query-id":
            continue
        if len(cols) >= 3:
            qrels[cols[0]][cols[1]] = int(cols[2])
run = defaultdict(list)
with open(sys.argv[2]) as f:
    for line in f:
        q, _, d, _, s, _ = line.split()
        run[q].append((float(s), d))
total = 0.0
for q, rels in qrels.items():
    ranked = sorted(run.get(q, []), key=lambda x: (x[0], x[1]), reverse=True)[:10]
    dcg = sum(max(rels.get(d, 0), 0) / math.log2(i + 2) for i, (_, d) in enumerate(ranked))
    ideal = sorted((g for g in rels.values() if g > 0), reverse=True)[:10]
    idcg = sum(g / math.log2(i + 2) for i, g in enumerate(ideal))
    total += dcg / idcg if idcg > 0 else 0.0
print("lucene.sh: nDCG@10 = %.4f over %d queries" % (total / len(qrels), len(qrels)), file=sys.stderr)
EOF
say "wrote $JSON_OUT and $RUN"
