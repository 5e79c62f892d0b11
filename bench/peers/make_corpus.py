#!/usr/bin/env python3
"""A larger BM25 corpus from a real BEIR collection, reproducibly: every real document, its
queries and qrels, plus synthetic distractor documents up to --docs in all.

Each distractor copies a random real document and replaces every word, with probability
--mix, by a word drawn from the whole corpus in proportion to its frequency (a random word
position); its title gets the same treatment from another random document. Lengths, the
vocabulary and term frequencies stay those of the real corpus, and words keep some of their
real co-occurrence, so posting lists grow as they would with more documents of the same
kind. The real documents keep their judgments, so effectiveness is still measured (against
more, and harder, competition).

    /usr/bin/python3 bench/peers/make_corpus.py --from out/debian --docs 1000000 --out out/peers/debian-1m
"""
import argparse
import json
import os
import shutil
import sys

import numpy as np


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--from", dest="src", required=True, help="BEIR collection directory")
    ap.add_argument("--docs", type=int, required=True, help="documents in all (real + synthetic)")
    ap.add_argument("--out", required=True, help="output BEIR directory")
    ap.add_argument("--mix", type=float, default=0.5, help="probability that a word is replaced")
    ap.add_argument("--seed", type=int, default=20261207)
    args = ap.parse_args()

    corpus = os.path.join(args.src, "corpus.jsonl")
    if not os.path.isfile(corpus):
        sys.exit(f"make_corpus: {corpus} not found (a BEIR collection directory is expected)")
    stamp = os.path.join(args.out, ".made-by")
    want = json.dumps({"from": os.path.abspath(args.src), "docs": args.docs, "mix": args.mix, "seed": args.seed,
                       "corpus_bytes": os.path.getsize(corpus)}, sort_keys=True)
    if os.path.isfile(stamp) and open(stamp).read() == want:
        print(f"make_corpus: {args.out} is up to date")
        return

    vocab, index = [], {}
    texts, titles = [], []
    lines = []
    with open(corpus, encoding="utf-8") as f:
        for line_no, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                doc = json.loads(line)
            except json.JSONDecodeError as e:
                sys.exit(f"make_corpus: {corpus}:{line_no}: {e}")
            lines.append(line if line.endswith("\n") else line + "\n")
            for field, out in (("text", texts), ("title", titles)):
                ids = []
                for w in (doc.get(field) or "").split():
                    i = index.get(w)
                    if i is None:
                        i = index[w] = len(vocab)
                        vocab.append(w)
                    ids.append(i)
                out.append(np.array(ids, dtype=np.int32))
    real = len(lines)
    if args.docs < real:
        sys.exit(f"make_corpus: --docs {args.docs} is fewer than the {real} real documents")
    vocab = np.array(vocab, dtype=object)
    flat_text = np.concatenate(texts) if texts else np.zeros(0, np.int32)
    flat_title = np.concatenate(titles) if titles else np.zeros(0, np.int32)
    rng = np.random.default_rng(args.seed)

    def jitter(words, flat):
        if len(words) == 0 or len(flat) == 0:
            return ""
        words = words.copy()
        mask = rng.random(len(words)) < args.mix
        words[mask] = flat[rng.integers(0, len(flat), size=int(mask.sum()))]
        return " ".join(vocab[words])

    os.makedirs(args.out, exist_ok=True)
    tmp = os.path.join(args.out, "corpus.jsonl.tmp")
    with open(tmp, "w", encoding="utf-8") as out:
        out.writelines(lines)
        for i in range(args.docs - real):
            src_text, src_title = rng.integers(0, real, size=2)
            doc = {"_id": f"syn{i}", "title": jitter(titles[src_title], flat_title),
                   "text": jitter(texts[src_text], flat_text)}
            out.write(json.dumps(doc, ensure_ascii=False) + "\n")
            if (i + 1) % 200000 == 0:
                print(f"make_corpus: {real + i + 1} documents", file=sys.stderr)
    os.replace(tmp, os.path.join(args.out, "corpus.jsonl"))
    shutil.copyfile(os.path.join(args.src, "queries.jsonl"), os.path.join(args.out, "queries.jsonl"))
    shutil.copytree(os.path.join(args.src, "qrels"), os.path.join(args.out, "qrels"), dirs_exist_ok=True)
    with open(stamp, "w") as f:
        f.write(want)
    print(f"make_corpus: {args.out}: {real} real + {args.docs - real} synthetic documents")


if __name__ == "__main__":
    main()
