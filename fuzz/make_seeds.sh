#!/usr/bin/env bash
# Regenerates the fuzzers' seed corpora (fuzz/corpus/<target>/) from the test fixtures and
# small files written by denser itself. The seeds are committed; rerun this only when a
# format changes.   bash fuzz/make_seeds.sh [DENSER_BINARY]
set -euo pipefail
cd "$(dirname "$0")/.."
denser=${1:-build/denser}
td=tests/testdata
out=fuzz/corpus
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
rm -rf "$out"
mkdir -p "$out"/{beir,msmarco,qrels_run,smart,safetensors,model_dir,tokenizer,query_text,bm25_index,embeddings,search_request}

cp $td/data/beir_tiny/corpus.jsonl "$out/beir/corpus.jsonl"
cp $td/data/beir_tiny/queries.jsonl "$out/beir/queries.jsonl"
cp $td/data/beir_tiny/qrels/test.tsv "$out/beir/qrels.tsv" 2>/dev/null || cp "$(ls $td/data/beir_tiny/qrels/* | head -1)" "$out/beir/qrels.tsv"
cp $td/data/msmarco_tiny/collection.tsv "$out/msmarco/collection.tsv"
cp $td/data/msmarco_tiny/queries.dev.tsv "$out/msmarco/queries.tsv"
cp $td/data/msmarco_tiny/qrels.dev.tsv "$out/qrels_run/msmarco.qrels"
for f in graded.qrels ties.run malformed.run duplicate.run; do cp "$td/eval/$f" "$out/qrels_run/$f"; done
cp $td/data/smart_tiny/tiny.all.3 "$out/smart/docs"
cp $td/data/smart_tiny/tiny.qry "$out/smart/queries"
cp $td/data/smart_tiny/tinyqrel "$out/smart/qrels"
mkdir -p "$out/debian_translation" && head -c 3000 $td/data/Translation-en-sample > "$out/debian_translation/sample"

# A tiny WordPiece vocabulary (the specials and the first ASCII pieces of BERT's).
vocab=$tmp/vocab.txt
{ head -n 104 ../shared/vocab/bert-base-uncased/vocab.txt; sed -n '1000,1400p' ../shared/vocab/bert-base-uncased/vocab.txt; } > "$vocab" 2>/dev/null ||
  printf '[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\nthe\n##s\ncompiler\ngrammar\n' > "$vocab"
printf '{"do_lower_case": true, "model_max_length": 512}\n--next-file--\n' > "$out/tokenizer/wordpiece"
cat "$vocab" >> "$out/tokenizer/wordpiece"
printf '\n--next-file--\n\n--next-file--\n\n--next-file--\nThe Compiler\xe2\x80\x99s grammar, caf\xc3\xa9 \xe4\xb8\xad\xe6\x96\x87 [SEP] x' >> "$out/tokenizer/wordpiece"
printf '{"add_prefix_space": false}\n--next-file--\n\n--next-file--\n{"<s>": 0, "</s>": 1, "<pad>": 2, "<unk>": 3, "a": 4, "b": 5, "ab": 6, "\xc4\xa0": 7, "\xc4\xa0a": 8}\n--next-file--\n#version: 0.2\na b\n\xc4\xa0 a\n--next-file--\nab a b ba' > "$out/tokenizer/bpe"

# A model directory in the sentence-transformers layout, and a Hugging Face config alone.
minilm=${DENSER_HOME:-$HOME/.cache/denser}/models/all-MiniLM-L6-v2
if [[ -d $minilm ]]; then
  for f in config.json modules.json 1_Pooling/config.json sentence_bert_config.json; do cat "$minilm/$f"; printf '\n--next-file--\n'; done > "$out/model_dir/minilm"
  cat "$minilm/config_sentence_transformers.json" >> "$out/model_dir/minilm"
  cp "$minilm/config.json" "$out/model_dir/hf_config"
fi

# Binary files written by denser: a tiny model's safetensors, a BM25 index, an embeddings file.
"$denser" --quiet model init --preset tiny --vocab "$vocab" --out "$tmp/model" --seed 1
python3 - "$tmp/small.safetensors" <<'PY'
import json, struct, sys
# Three small tensors (F32, F16, BF16) in the layout the format defines.
tensors = [("a.weight", "F32", [2, 3], struct.pack("<6f", *range(6))),
           ("b.bias", "F16", [4], struct.pack("<4e", 1, 2, 3, 4)),
           ("c", "BF16", [2], bytes([0x80, 0x3f, 0x00, 0x40]))]
header, data = {"__metadata__": {"format": "pt"}}, b""
for name, dtype, shape, raw in tensors:
    header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [len(data), len(data) + len(raw)]}
    data += raw
h = json.dumps(header).encode()
open(sys.argv[1], "wb").write(struct.pack("<Q", len(h)) + h + data)
PY
cp "$tmp/small.safetensors" "$out/safetensors/small"
"$denser" --quiet bm25 index --collection $td/data/beir_tiny --index "$out/bm25_index/beir_tiny.bm25" --threads 1
"$denser" --quiet encode --model "$tmp/model" --collection $td/data/beir_tiny --out "$out/embeddings/beir_tiny.emb" --threads 1
"$denser" --quiet encode --model "$tmp/model" --collection $td/data/beir_tiny --out "$out/embeddings/beir_tiny_f16.emb" --threads 1 --fp16

# A training checkpoint's state.json and negatives.bin, as docs/formats/checkpoint.md lays them out.
mkdir -p "$out/checkpoint"
python3 - "$out/checkpoint/step" <<'PY'
import json, struct, sys
def crc32c(data):
    crc = 0xFFFFFFFF
    for b in data:
        crc ^= b
        for _ in range(8):
            crc = (crc >> 1) ^ (0x82F63B78 if crc & 1 else 0)
    return crc ^ 0xFFFFFFFF
state = {"format": "denser-train-state", "version": 1, "step": 54, "epoch": 1, "position": 96, "rng": "5489 1 2 3",
         "best_step": 27, "best_dev_mrr10": 0.58, "next_refresh_step": 81,
         "refreshes": [{"snapshot_step": 20, "swapped_step": 55, "encode_s": 172.3, "index_s": 0.1, "mine_s": 1.3,
                        "eval_s": 2.0, "dev_mrr10": 0.5884, "dev_ndcg10": 0.6165}],
         "options": {"batch_size": 16, "negatives": "ance", "seed": 1}}
offsets, docs = [0, 3, 3, 5], [7, 2, 9, 0, 4]
body = b"DNSRNEG1" + struct.pack("<q", 20) + struct.pack("<Q", 4) + b"ance"
body += struct.pack("<QQ", len(offsets), len(docs)) + struct.pack(f"<{len(offsets)}Q", *offsets)
body += struct.pack(f"<{len(docs)}I", *docs)
body += struct.pack("<I", crc32c(body))
open(sys.argv[1], "wb").write(json.dumps(state, indent=2).encode() + b"\n--next-file--\n" + body)
PY

printf 'compiler grammar parse tree' > "$out/query_text/ascii"
printf 'Caf\xc3\xa9 \xe4\xb8\xad\xe6\x96\x87 na\xc3\xafve \xff\xfe r\xc3\xb4le-playing 3.14 e-mail' > "$out/query_text/mixed"
printf '{"query": "compiler grammar", "k": 5}' > "$out/search_request/simple"
printf '{"queries": ["a", "b"], "mode": "hybrid", "fusion": "linear", "alpha": 0.3, "rrf_k": 60, "fusion_depth": 100}' > "$out/search_request/batch"
printf '{"query": "x", "mode": "dense", "prf": {"method": "rocchio", "depth": 3, "alpha": 0.5, "beta": 0.5}}' > "$out/search_request/prf"
echo "seeds in $out: $(find "$out" -type f | wc -l) files, $(du -sh "$out" | cut -f1)"
