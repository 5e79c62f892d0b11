#!/usr/bin/env python3
"""The sentence-transformers oracle of denser's pretrained-encoder tests and benchmarks.

Reads texts (one JSON string per line), encodes them with sentence-transformers itself,
and writes the token ids (one JSON list per line, as the model's tokenizer gives them
with its max_seq_length truncation) and the vectors (float32, row-major, n x dim).
Runs in the project's oracle venv (scripts/setup-venv.sh); offline.
"""
import argparse
import json
import os
import sys

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")


def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("model_dir")
    p.add_argument("texts", help="JSON lines, one string each")
    p.add_argument("--ids-out", required=True)
    p.add_argument("--vectors-out", required=True)
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--threads", type=int, default=0)
    args = p.parse_args()

    import numpy as np
    import torch
    from sentence_transformers import SentenceTransformer

    if args.threads > 0:
        torch.set_num_threads(args.threads)
    model = SentenceTransformer(args.model_dir, device="cpu")
    with open(args.texts, encoding="utf-8") as f:
        texts = [json.loads(line) for line in f]
    tok = model.tokenizer
    with open(args.ids_out, "w") as out:
        for t in texts:
            ids = tok(t.strip(), truncation="longest_first", max_length=model.max_seq_length)["input_ids"]
            out.write(json.dumps(ids) + "\n")
    vectors = model.encode(texts, batch_size=args.batch_size, convert_to_numpy=True)
    np.ascontiguousarray(vectors, dtype=np.float32).tofile(args.vectors_out)
    print(f"st_oracle: {len(texts)} texts, dim {vectors.shape[1]}, max_seq_length {model.max_seq_length}",
          file=sys.stderr)


if __name__ == "__main__":
    main()
