#!/usr/bin/env python3
"""Reference byte-level BPE (GPT-2 / RoBERTa) in plain Python, the oracle for
tests/text/bpe_test.cpp and tests/text/bpe_itest.cpp.

It is written independently of the C++ code: the pre-tokenizer is a hand-written scanner
over Python's unicodedata (Python's `re` has no \\p{L}), the merges are applied with the
original GPT-2 loop (lowest-ranked pair, every occurrence left to right, repeat).

  bpe_reference.py train CORPUS.jsonl OUT_DIR [NUM_DOCS] [NUM_MERGES]
      trains a small merges.txt and vocab.json on the first documents of a BEIR corpus
      (how tests/testdata/text/bpe_small was made)
  bpe_reference.py cases MODEL_DIR > bpe_cases.jsonl
      encodes the hand-picked inputs below, with and without add_prefix_space
  bpe_reference.py corpus CORPUS.jsonl MODEL_DIR
      prints a digest of the ids of every document of a BEIR corpus (bpe_itest.cpp)

Run with /usr/bin/python3; only the standard library is needed.
"""
import collections
import json
import os
import sys
import unicodedata

# Unicode's White_Space property: what \s means in the `regex` module the Hugging Face
# tokenizer runs its pattern with (unlike str.isspace(), U+001C..U+001F are not in it).
WHITE_SPACE = set([0x09, 0x0A, 0x0B, 0x0C, 0x0D, 0x20, 0x85, 0xA0, 0x1680, 0x2028, 0x2029,
                   0x202F, 0x205F, 0x3000] + list(range(0x2000, 0x200B)))
CONTRACTIONS = ["s", "t", "re", "ve", "m", "ll", "d"]
SPECIALS = ["<s>", "<pad>", "</s>", "<unk>", "<mask>"]


def byte_alphabet():
    """Byte value -> printable character, as GPT-2's bytes_to_unicode."""
    keep = list(range(0x21, 0x7F)) + list(range(0xA1, 0xAD)) + list(range(0xAE, 0x100))
    table = {b: chr(b) for b in keep}
    extra = 0
    for b in range(256):
        if b not in table:
            table[b] = chr(256 + extra)
            extra += 1
    return table


BYTE_CHAR = byte_alphabet()
CHAR_BYTE = {c: b for b, c in BYTE_CHAR.items()}


def kind(ch):
    """'s' whitespace, 'l' letter, 'n' number, 'o' anything else."""
    if ord(ch) in WHITE_SPACE:
        return "s"
    cat = unicodedata.category(ch)
    if cat[0] == "L":
        return "l"
    if cat[0] == "N":
        return "n"
    return "o"


def pretokenize(text):
    """The words of 's|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+."""
    words = []
    kinds = [kind(c) for c in text]
    n = len(text)
    i = 0
    while i < n:
        # 1. contractions (lowercase only, as in the pattern)
        if text[i] == "'":
            hit = None
            for c in CONTRACTIONS:
                if text.startswith(c, i + 1):
                    hit = c
                    break
            if hit is not None:
                words.append(text[i:i + 1 + len(hit)])
                i += 1 + len(hit)
                continue
        # 2-4. optional U+0020 then a run of one class
        body = i + 1 if text[i] == " " and i + 1 < n else i
        if kinds[body] != "s":
            k = kinds[body]
            j = body
            while j < n and kinds[j] == k:
                j += 1
            words.append(text[i:j])
            i = j
            continue
        # 5-6. whitespace; a run followed by non-space gives up its last character,
        # unless it has only one
        j = i
        while j < n and kinds[j] == "s":
            j += 1
        assert j > i
        if j < n and j - i > 1:
            j -= 1
        words.append(text[i:j])
        i = j
    return words


def get_ranks(merges_path):
    with open(merges_path, encoding="utf-8") as f:
        lines = f.read().split("\n")
    if lines and lines[0].startswith("#version"):
        lines = lines[1:]
    ranks = {}
    for line in lines:
        if not line.strip():
            continue
        a, b = line.split()
        ranks[(a, b)] = len(ranks)
    return ranks


def bpe(word, ranks, cache):
    if word in cache:
        return cache[word]
    parts = list(word)
    while len(parts) > 1:
        best = None
        for pair in zip(parts, parts[1:]):
            r = ranks.get(pair)
            if r is not None and (best is None or r < best[0]):
                best = (r, pair)
        if best is None:
            break
        parts = bpe_step(parts, best[1])
    cache[word] = parts
    return parts


def split_specials(text):
    """Pieces of text and special tokens; <mask> swallows the whitespace before it."""
    out = []
    rest = text
    while True:
        hits = [(rest.find(s), s) for s in SPECIALS if rest.find(s) >= 0]
        if not hits:
            out.append((rest, False))
            return [p for p in out if p[0] or p[1]]
        at, special = min(hits)
        before = rest[:at]
        if special == "<mask>":
            before = before.rstrip()
        out.append((before, False))
        out.append((special, True))
        rest = rest[at + len(special):]


class Model:
    def __init__(self, model_dir):
        with open(os.path.join(model_dir, "vocab.json"), encoding="utf-8") as f:
            self.vocab = json.load(f)
        self.ranks = get_ranks(os.path.join(model_dir, "merges.txt"))
        self.cache = {}

    def tokens(self, text, add_prefix_space=False):
        if add_prefix_space and text and not text[0].isspace():
            text = " " + text
        out = []
        for piece, special in split_specials(text):
            if special:
                out.append(piece)
                continue
            for word in pretokenize(piece):
                mapped = "".join(BYTE_CHAR[b] for b in word.encode("utf-8"))
                out.extend(bpe(mapped, self.ranks, self.cache))
        return out

    def ids(self, text, add_prefix_space=False):
        unk = self.vocab["<unk>"]
        return [self.vocab.get(t, unk) for t in self.tokens(text, add_prefix_space)]


def train(corpus, out_dir, num_docs, num_merges):
    counts = collections.Counter()
    with open(corpus, encoding="utf-8") as f:
        for n, line in enumerate(f):
            if n >= num_docs:
                break
            doc = json.loads(line)
            for word in pretokenize(doc.get("title", "") + " " + doc.get("text", "")):
                counts["".join(BYTE_CHAR[b] for b in word.encode("utf-8"))] += 1
    words = {w: list(w) for w in counts}
    merges = []
    for _ in range(num_merges):
        pairs = collections.Counter()
        for w, parts in words.items():
            for pair in zip(parts, parts[1:]):
                pairs[pair] += counts[w]
        if not pairs:
            break
        best = min(pairs, key=lambda p: (-pairs[p], p))  # most frequent, then smallest
        merges.append(best)
        for w in words:
            words[w] = bpe_step(words[w], best)
    # Whitespace runs, emoji and CJK are rare in SciFact: chain merges for a few such
    # strings by hand so that the fixtures exercise them too.
    for extra in HANDMADE_MERGE_WORDS:
        parts = [BYTE_CHAR[b] for b in extra.encode("utf-8")]
        for k in range(1, len(parts)):
            pair = ("".join(parts[:k]), parts[k])
            if pair not in merges:
                merges.append(pair)
    vocab = {}
    for s in SPECIALS[:4]:
        vocab[s] = len(vocab)
    for b in range(256):
        vocab[BYTE_CHAR[b]] = len(vocab)
    for a, b in merges:
        if a + b not in vocab:
            vocab[a + b] = len(vocab)
    vocab["<mask>"] = len(vocab)
    os.makedirs(out_dir, exist_ok=True)
    with open(os.path.join(out_dir, "vocab.json"), "w", encoding="utf-8") as f:
        json.dump(vocab, f, ensure_ascii=False)
    with open(os.path.join(out_dir, "merges.txt"), "w", encoding="utf-8") as f:
        f.write("#version: 0.2\n")
        for a, b in merges:
            f.write(a + " " + b + "\n")


HANDMADE_MERGE_WORDS = ["    ", "\n\n", "\t\t", " \n", "'re", "😀", "日本", "café"]


def bpe_step(parts, pair):
    out = []
    k = 0
    while k < len(parts):
        if k + 1 < len(parts) and parts[k] == pair[0] and parts[k + 1] == pair[1]:
            out.append(pair[0] + pair[1])
            k += 2
        else:
            out.append(parts[k])
            k += 1
    return out


CASES = [
    "", " ", "  ", "\n", "hello", " hello", "hello world", "Hello World!", "  hello", "hello  ",
    "hello   world", "a\tb", "a \tb", "a\t b", "a\n\nb", "a \n b", "line one\nline two\n",
    "\n\nstart", "end\n\n", "   ", "\t", " \t \n ", "x  \n  y",
    "don't", "I'm", "we're", "they've", "you'll", "he'd", "it's", "DON'T", "I'M", "'s", "'sx",
    "''s", "rock'n'roll", "O'Neil", "can't won't", "?'s", "'", "''", "'re'", "l'amour",
    "123", " 123", "abc123def", "3.14159", "1,000,000", "2nd", "v1.2.3", "0x1F", "½ and ²",
    "!!!", "...", " ...", "a...b", "hello!!! world???", "(a)", "[x, y]", "{\"k\": 1}",
    "e-mail", "foo_bar", "#hashtag", "@user", "$100", "100%", "a+b=c", "<html>", "--", " - ",
    "naïve café", "résumé", "Ünïcödé", "Straße", "e\u0301", "ﬁ ligature", "İstanbul",
    "日本語のテキスト", "中文 字符", "한국어", "Привет мир", "Γειά σου", "مرحبا", "שלום",
    "emoji 😀 here", "👍🏽", "🇺🇸", "a\u200bb", "non\u00a0breaking", "em\u2003space",
    "ideo\u3000space", "x\u001cy", "tab\x0bvt", "\u0085nel", "zero\u0000byte",
    "<s>", "a <mask> b", "a<mask>b", "x </s> y", "<pad><unk>", "<s2>", "  <mask>",
    "The protein p53 (TP53) regulates apoptosis in ~50% of cancers.",
    "IL-6/STAT3 signalling; n=1,024 (p<0.05).",
    "Mixed: café, 東京, and 😀 — all in one.",
    "aaaaaaaa", "thethethe", "   leading and trailing   ",
]


def cases(model_dir):
    model = Model(model_dir)
    for text in CASES:
        for prefix in (False, True):
            print(json.dumps({"text": text, "add_prefix_space": prefix,
                              "tokens": model.tokens(text, prefix),
                              "ids": model.ids(text, prefix)}, ensure_ascii=False))


def corpus_digest(corpus, model_dir):
    model = Model(model_dir)
    num_docs = num_ids = 0
    digest = 0
    with open(corpus, encoding="utf-8") as f:
        for line in f:
            doc = json.loads(line)
            text = doc.get("title", "") + " " + doc.get("text", "")
            for t in model.ids(text):
                digest = (digest * 1000003 + t + 1) % (1 << 61)
                num_ids += 1
            num_docs += 1
    print(json.dumps({"docs": num_docs, "ids": num_ids, "digest": digest}))


if __name__ == "__main__":
    if sys.argv[1] == "train":
        train(sys.argv[2], sys.argv[3], int(sys.argv[4]) if len(sys.argv) > 4 else 400,
              int(sys.argv[5]) if len(sys.argv) > 5 else 600)
    elif sys.argv[1] == "cases":
        cases(sys.argv[2])
    elif sys.argv[1] == "corpus":
        corpus_digest(sys.argv[2], sys.argv[3])
    else:
        sys.exit(__doc__)
