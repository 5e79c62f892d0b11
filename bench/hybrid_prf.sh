#!/usr/bin/env bash
# Dense, BM25, hybrid (RRF and linear) and dense PRF (average, Rocchio) on one collection's
# split, with one trained model; prints a markdown table of nDCG@10, MRR (recip_rank of the
# top 10) and recall@100, and keeps the runs.
#   usage: bash bench/hybrid_prf.sh DENSER COLLECTION MODEL OUT [SPLIT [TUNE_SPLIT]]
# With TUNE_SPLIT (a split the model was not trained on, e.g. dev), linear fusion's alpha is
# also chosen there from 0.1..0.9 by nDCG@10 and the tuned run is added to the table.
#   e.g.   bash bench/hybrid_prf.sh build/denser out/debian out/demo/debian-ance out/hybrid-debian
# Builds OUT/bm25, OUT/emb (the corpus encoded by MODEL) and OUT/flat once, then searches.
# MODEL may be an installed pretrained model's name (all-MiniLM-L6-v2). ENCODE_FLAGS (e.g.
# "--precision bf16") go to the corpus encoding.
set -euo pipefail
denser=$1 coll=$2 model=$3 out=$4 split=${5:-test} tune=${6:-}
mkdir -p "$out"
q=(--quiet)
[[ -f $out/bm25 ]] || "$denser" "${q[@]}" bm25 index --collection "$coll" --index "$out/bm25"
# shellcheck disable=SC2086
[[ -f $out/emb ]] || "$denser" "${q[@]}" encode --model "$model" --collection "$coll" --out "$out/emb" ${ENCODE_FLAGS:-}
[[ -f $out/flat ]] || "$denser" "${q[@]}" index dense --embeddings "$out/emb" --factory Flat --out "$out/flat"

both=(--model "$model" --index "$out/flat" --bm25 "$out/bm25" --embeddings "$out/emb")
declare -A runs=(
  [bm25]="--mode bm25"
  [dense]="--mode dense"
  [hybrid-rrf]="--mode hybrid --fusion rrf"
  [hybrid-linear]="--mode hybrid --fusion linear --alpha 0.5"
  [dense-prf-average]="--mode dense --prf average --prf-depth 3"
  [dense-prf-rocchio]="--mode dense --prf rocchio --prf-depth 5 --prf-alpha 0.4 --prf-beta 0.6"
  [hybrid-rrf-prf-rocchio]="--mode hybrid --fusion rrf --prf rocchio --prf-depth 5 --prf-alpha 0.4 --prf-beta 0.6"
)
if [[ -n $tune ]]; then
  best=0.5 best_ndcg=-1
  for a in 0.1 0.2 0.3 0.4 0.5 0.6 0.7 0.8 0.9; do
    "$denser" "${q[@]}" search "${both[@]}" --mode hybrid --fusion linear --alpha "$a" --collection "$coll" \
      --split "$tune" --k 100 --run "$out/tune.run" > /dev/null
    v=$("$denser" eval --collection "$coll" --split "$tune" --run "$out/tune.run" -m ndcg_cut.10 | awk '$1=="ndcg_cut_10"{print $3}')
    echo "tuning on $tune: alpha $a nDCG@10 $v" >&2
    if awk -v a="$v" -v b="$best_ndcg" 'BEGIN{exit !(a>b)}'; then best=$a best_ndcg=$v; fi
  done
  runs[hybrid-linear-tuned]="--mode hybrid --fusion linear --alpha $best"
fi
order=(bm25 dense hybrid-rrf hybrid-linear dense-prf-average dense-prf-rocchio hybrid-rrf-prf-rocchio)
[[ -n $tune ]] && order+=(hybrid-linear-tuned)
echo "| run | nDCG@10 | MRR@10 | recall@100 | flags |"
echo "|---|---|---|---|---|"
for name in "${order[@]}"; do
  # shellcheck disable=SC2086
  "$denser" "${q[@]}" search "${both[@]}" ${runs[$name]} --collection "$coll" --split "$split" --k 1000 \
    --run "$out/$name.run" --tag "$name" > /dev/null
  ndcg=$("$denser" eval --collection "$coll" --split "$split" --run "$out/$name.run" -m ndcg_cut.10 | awk '$1=="ndcg_cut_10"{print $3}')
  recall=$("$denser" eval --collection "$coll" --split "$split" --run "$out/$name.run" -m recall.100 | awk '$1=="recall_100"{print $3}')
  awk '{ if (++n[$1] <= 10) print }' "$out/$name.run" > "$out/$name.top10.run"
  mrr=$("$denser" eval --collection "$coll" --split "$split" --run "$out/$name.top10.run" -m recip_rank | awk '$1=="recip_rank"{print $3}')
  echo "| $name | $ndcg | $mrr | $recall | \`${runs[$name]}\` |"
done
