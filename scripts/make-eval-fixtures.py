#!/usr/bin/env python3
"""Writes the synthetic trec_eval parity fixture and (re)computes the reference outputs.

  scripts/make-eval-fixtures.py                      # rewrite synthetic.qrels / synthetic.run
  scripts/make-eval-fixtures.py --trec-eval PATH     # also rerun trec_eval for every case

The small hand-written fixtures in tests/testdata/eval are committed as they are; this
script only generates the large synthetic pair (fixed seed) and, given a trec_eval
binary, rewrites every <case>.trec_eval.txt listed in tests/testdata/eval/cases.tsv.
See tests/testdata/eval/README.md for how the trec_eval binary was obtained.
"""
import argparse
import os
import random
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURES = os.path.join(HERE, "..", "tests", "testdata", "eval")

# What `denser eval` prints without -m, spelled out for trec_eval (whose default differs).
DEFAULT_MEASURES = ["num_q", "num_ret", "num_rel", "num_rel_ret", "map", "recip_rank",
                    "P.10", "recall.10,100,1000", "ndcg_cut.10,100"]

GRADES = [0] * 50 + [1] * 25 + [2] * 15 + [3] * 7 + [-1] * 3


def synthetic(seed=20240611):
    """~50 queries x up to 1000 docs, graded judgments; returns (qrels_lines, run_lines)."""
    rng = random.Random(seed)
    qrels, run = [], []
    for q in range(1, 54):
        qid = "Q%d" % q  # unpadded: strcmp order (Q1, Q10, Q11, ...) differs from numeric
        in_run = q not in (51, 52)       # judged, never retrieved
        in_qrels = q not in (48, 49, 50)  # retrieved, never judged
        n = rng.randint(1, 200) if q % 10 == 3 else 1000
        docs = ["D%d" % d for d in rng.sample(range(1, 200000), n + 20)]
        retrieved, unretrieved = docs[:n], docs[n:]
        if in_run:
            for doc in retrieved:
                # Even queries: two decimals (many ties); odd: full double precision.
                score = round(rng.gauss(0, 1), 2) if q % 2 == 0 else rng.random() * 40 - 10
                text = "%.2f" % score if q % 2 == 0 else repr(score)
                run.append((qid, doc, text))
        if in_qrels:
            judged = rng.sample(retrieved, min(30, n)) + unretrieved[:15]
            grades = [0 if q == 47 else rng.choice(GRADES) for _ in judged]
            if all(g < 0 for g in grades):  # trec_eval misbehaves on all-negative topics
                grades[0] = 0
            qrels += ["%s 0 %s %d" % (qid, d, g) for d, g in zip(judged, grades)]
    # File order must not matter (trec_eval ranks by score), nor the rank column.
    rng.shuffle(run)
    rng.shuffle(qrels)
    return qrels, ["%s Q0 %s %d %s synthetic" % (qid, doc, i + 1, text) for i, (qid, doc, text) in enumerate(run)]


def write_synthetic():
    qrels, run = synthetic()
    with open(os.path.join(FIXTURES, "synthetic.qrels"), "w") as f:
        f.write("\n".join(qrels) + "\n")
    with open(os.path.join(FIXTURES, "synthetic.run"), "w") as f:
        f.write("\n".join(run) + "\n")


def read_cases():
    cases = []
    with open(os.path.join(FIXTURES, "cases.tsv")) as f:
        for line in f:
            if not line.strip() or line.startswith("#"):
                continue
            fields = line.rstrip("\n").split("\t")
            cases.append((fields[0], fields[1], fields[2], fields[3].split() if len(fields) > 3 else []))
    return cases


def beir_to_trec(path):
    """trec_eval reads only TREC qrels: a BEIR TSV is converted to a temporary copy."""
    out = tempfile.NamedTemporaryFile("w", suffix=".qrels", delete=False)
    with open(path) as f:
        next(f)  # header
        for line in f:
            qid, doc, grade = line.split()
            out.write("%s 0 %s %s\n" % (qid, doc, grade))
    out.close()
    return out.name


def run_trec_eval(trec_eval):
    for expected, qrels, run, args in read_cases():
        qrels_path = os.path.join(FIXTURES, qrels)
        converted = qrels.endswith(".tsv")
        if converted:
            qrels_path = beir_to_trec(qrels_path)
        te_args = list(args)
        if "-m" not in te_args:
            for m in DEFAULT_MEASURES:
                te_args += ["-m", m]
        cmd = [trec_eval] + te_args + [qrels_path, os.path.join(FIXTURES, run)]
        out = subprocess.run(cmd, check=True, stdout=subprocess.PIPE).stdout
        if converted:
            os.unlink(qrels_path)
        with open(os.path.join(FIXTURES, expected), "wb") as f:
            f.write(out)
        print("%-32s trec_eval %s %s %s" % (expected, " ".join(te_args), qrels, run), file=sys.stderr)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--trec-eval", help="trec_eval binary to compute the reference outputs with")
    args = parser.parse_args()
    write_synthetic()
    if args.trec_eval:
        run_trec_eval(args.trec_eval)


if __name__ == "__main__":
    main()
