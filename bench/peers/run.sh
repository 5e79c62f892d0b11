#!/usr/bin/env bash
# The peers benchmark: denser side by side with Lucene (Anserini), Tantivy and bm25s for
# BM25, and with FAISS from Python, hnswlib and usearch for vector search, in one run on one
# machine. Installs the peers itself (a throw-away venv under out/peers, the Anserini jar
# from the pyserini wheel in ~/.cache/denser/peers), writes one JSON per engine and
# collection under out/peers/results, then the tables and plots (bench/peers/report.py).
#
#   bash bench/peers/run.sh            # everything (about an hour on 2 cores)
#   PEERS_SIZES="250000" bash bench/peers/run.sh      # larger corpora to build (default 250000 1000000)
#   PEERS_ENGINES="denser lucene" PEERS_PARTS=bm25 bash bench/peers/run.sh
#
# Environment: BUILD_DIR (build), PEERS_OUT (out/peers), PEERS_REPEAT (5), PEERS_PARTS
# ("bm25 dense"), PEERS_ENGINES (all), PEERS_COLLECTIONS (scifact debian + the sizes).
set -euo pipefail
cd "$(dirname "$0")/../.."
build=${BUILD_DIR:-build}
out=${PEERS_OUT:-out/peers}
repeat=${PEERS_REPEAT:-5}
parts=${PEERS_PARTS:-bm25 dense}
sizes=${PEERS_SIZES:-250000 1000000}
engines=${PEERS_ENGINES:-denser lucene tantivy bm25s faiss hnswlib usearch}
venv=$out/venv
results=$out/results
mkdir -p "$results"

want() { [[ " $engines " == *" $1 "* ]]; }
part() { [[ " $parts " == *" $1 "* ]]; }
say() { echo "[peers] $*" >&2; }

for tool in denser bench/bench_bm25_peer bench/bench_vectors_peer; do
  [[ -x $build/$tool ]] || { echo "peers: $build/$tool is missing: run 'make build' first" >&2; exit 1; }
done
bash bench/peers/setup-venv.sh "$venv"
py=$venv/bin/python

# ---- collections (BEIR layout) ----------------------------------------------------------
declare -A dir
if [[ -f ../shared/datasets/scifact/corpus.jsonl ]]; then
  dir[scifact]=../shared/datasets/scifact
else
  say "../shared/datasets/scifact is absent: SciFact is skipped"
fi
if [[ ! -f out/debian/corpus.jsonl ]]; then
  "$build/denser" data debian-packages --out out/debian
fi
dir[debian]=out/debian
names="${!dir[*]}"
names=$(echo "$names" | tr ' ' '\n' | sort -r | tr '\n' ' ')  # scifact, then debian
for n in $sizes; do
  name=debian-$((n / 1000))k
  /usr/bin/python3 bench/peers/make_corpus.py --from out/debian --docs "$n" --out "$out/corpora/$name"
  dir[$name]=$out/corpora/$name
  names="$names $name"
done
names=${PEERS_COLLECTIONS:-$names}

# ---- BM25 -------------------------------------------------------------------------------
if part bm25; then
  for name in $names; do
    d=${dir[$name]}
    if want denser; then
      say "BM25 $name: denser"
      "$build/bench/bench_bm25_peer" --collection "$d" --name "$name" --out-dir "$results" --repeat "$repeat" \
        $([[ $name == debian* ]] && echo --crossover)
    fi
    if want lucene; then
      say "BM25 $name: Lucene"
      bash bench/peers/lucene.sh "$d" "$name" "$results" --repeat "$repeat"
    fi
    for engine in tantivy bm25s; do
      want $engine || continue
      say "BM25 $name: $engine"
      "$py" bench/peers/py_bm25.py --engine $engine --collection "$d" --name "$name" --out "$results" \
        --repeat "$repeat"
    done
  done
fi

# ---- vectors ----------------------------------------------------------------------------
if part dense; then
  vec=$out/vectors
  mkdir -p "$vec"
  model=${PEERS_MODEL:-all-MiniLM-L6-v2}
  "$build/denser" model fetch "$model" >/dev/null
  if [[ ! -f $vec/debian-docs.emb ]]; then
    say "encoding the Debian corpus with $model (bf16 products; minutes)"
    "$build/denser" encode --model "$model" --collection out/debian --precision bf16 --out "$vec/debian-docs.emb"
  fi
  if [[ ! -f $vec/debian-queries.emb ]]; then
    "$build/denser" encode --model "$model" --collection out/debian --queries test --out "$vec/debian-queries.emb"
  fi
  vnames="debian"
  for n in $sizes; do
    name=debian-$((n / 1000))k
    [[ -f $vec/$name-docs.emb ]] ||
      "$build/bench/bench_vectors_peer" jitter --from "$vec/debian-docs.emb" --n "$n" --out "$vec/$name-docs.emb"
    vnames="$vnames $name"
  done
  for name in ${PEERS_VECTOR_COLLECTIONS:-$vnames}; do
    docs=$vec/$name-docs.emb
    queries=$vec/debian-queries.emb
    if want denser; then
      say "vectors $name: denser"
      # One BLAS thread, as the Python peers (py_vectors.py sets the same): searches are
      # measured on one thread, and Flat batches go through BLAS.
      OPENBLAS_NUM_THREADS=1 "$build/bench/bench_vectors_peer" search --docs "$docs" --queries "$queries" --name "$name" \
        --out-dir "$results" --repeat "$repeat" $([[ $name == debian ]] && echo --faiss-hnsw-search)
    fi
    for engine in faiss hnswlib usearch; do
      want $engine || continue
      say "vectors $name: $engine"
      "$py" bench/peers/py_vectors.py --engine $engine --docs "$docs" --queries "$queries" --name "$name" \
        --out "$results"
    done
  done
fi

collection_args=()
for name in "${!dir[@]}"; do collection_args+=(--collection "$name=${dir[$name]}"); done
"$py" bench/peers/report.py "$results" --docs docs/peers --denser "$build/denser" "${collection_args[@]}"
