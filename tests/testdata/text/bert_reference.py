#!/usr/bin/env python3
"""Reference BERT tokenization in plain Python, used to generate the expected outputs
that tests/text/*_test.cpp compare the C++ tokenizers against.

It follows the algorithm of google-research/bert tokenization.py (BasicTokenizer and
WordpieceTokenizer) on Python's own Unicode database and str.lower(), which is what makes
it an independent oracle for the C++ code built on utf8proc.

  bert_reference.py cases > bert_cases.jsonl
      tokenizes the hand-picked inputs below, lowercased and cased
  bert_reference.py corpus CORPUS.jsonl VOCAB.txt
      prints a digest of the WordPiece ids of every document's text of a BEIR corpus
      (the numbers wordpiece_test.cpp checks on SciFact)
"""
import json
import sys
import unicodedata

SPECIALS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]


def char_is_control(ch):
    if ch in "\t\n\r":
        return False
    return unicodedata.category(ch) in ("Cc", "Cf")


def char_is_space(ch):
    return ch in " \t\n\r" or unicodedata.category(ch) == "Zs"


def char_is_punct(ch):
    o = ord(ch)
    if 33 <= o <= 47 or 58 <= o <= 64 or 91 <= o <= 96 or 123 <= o <= 126:
        return True
    return unicodedata.category(ch).startswith("P")


CJK_RANGES = [(0x4E00, 0x9FFF), (0x3400, 0x4DBF), (0x20000, 0x2A6DF), (0x2A700, 0x2B73F),
              (0x2B740, 0x2B81F), (0x2B820, 0x2CEAF), (0xF900, 0xFAFF), (0x2F800, 0x2FA1F)]


def char_is_cjk(ch):
    o = ord(ch)
    return any(lo <= o <= hi for lo, hi in CJK_RANGES)


def split_specials(text):
    """Cuts the text around special tokens, leftmost first (none is a prefix of another)."""
    pieces = []
    rest = text
    while True:
        hits = [(rest.find(s), s) for s in SPECIALS if rest.find(s) >= 0]
        if not hits:
            pieces.append((rest, False))
            return pieces
        at, special = min(hits)
        pieces.append((rest[:at], False))
        pieces.append((special, True))
        rest = rest[at + len(special):]


def basic_tokens(text, lower):
    out = []
    for piece, special in split_specials(text):
        if special:
            out.append(piece)
            continue
        cleaned = []
        for ch in piece:
            if ord(ch) in (0, 0xFFFD) or char_is_control(ch):
                continue
            if char_is_space(ch):
                cleaned.append(" ")
            elif char_is_cjk(ch):
                cleaned.append(" " + ch + " ")
            else:
                cleaned.append(ch)
        for word in "".join(cleaned).split():
            if lower:
                word = word.lower()
                word = "".join(c for c in unicodedata.normalize("NFD", word)
                               if unicodedata.category(c) != "Mn")
            current = ""
            for ch in word:
                if char_is_punct(ch):
                    if current:
                        out.append(current)
                    out.append(ch)
                    current = ""
                else:
                    current += ch
            if current:
                out.append(current)
    return out


def wordpiece(word, vocab, max_chars=100):
    if len(word) > max_chars:
        return ["[UNK]"]
    pieces = []
    start = 0
    while start < len(word):
        end = len(word)
        found = None
        while end > start:
            candidate = word[start:end] if start == 0 else "##" + word[start:end]
            if candidate in vocab:
                found = candidate
                break
            end -= 1
        if found is None:
            return ["[UNK]"]
        pieces.append(found)
        start = end
    return pieces


CASES = [
    "Héllo Wörld", "HÉLLO", "naïve café résumé", "中文ab", "我爱北京天安门", "don't", "a.b,c!",
    "a\x01b\tc\nd\re", "\x00zero\ufffdrepl\u200bzw", "", "   \t\n ", "[CLS] hello [SEP] world [MASK]",
    "x[SEP]y", "[cls] lower special", "Ελληνικά ΟΔΟΣ ΟΔΟΣ. Σ ΑΣ", "한국어 텍스트", "日本語のテキスト カタカナ",
    "Привет, мир!", "mixed中English文字and ｆｕｌｌｗｉｄｔｈ", "$100 + 20% = ^_^ ~`|",
    "İstanbul ǅemal ß ẞ", "Ångström ﬁ ﬀ", "e\u0301 o\u0308 a\u0327\u0301", "em—dash “quotes” «guillemets» ¿qué?",
    "line\u2028sep\u2029para\u00a0nbsp\u3000ideo", "tab\x0bvt\x0cff\x85nel", "emoji 😀🎉 text",
    "math ∑ x² ≤ ∞ ±1", "१२३ ٣٤٥ arabic العربية", "\u1fefgreek varia", "ﾊﾝｶｸ half width",
    "unaffable", "supercalifragilisticexpialidocious" * 4, "ABC" * 40, "x" * 100, "y" * 101,
    "The quick brown fox jumps over the lazy dog.", "COVID-19 SARS-CoV-2 IL-6/IL-10 p<0.05",
    "\U0002a6d6 \U0002f800 \uf900", "\ue000private\U000f0000use",
]


def emit_cases(vocab):
    for text in CASES:
        for lower in (True, False):
            tokens = basic_tokens(text, lower)
            record = {"text": text, "lower": lower, "basic": tokens}
            if lower and vocab is not None:
                pieces = []
                for t in tokens:
                    pieces += [t] if t in SPECIALS else wordpiece(t, vocab)
                record["wordpiece"] = pieces
            print(json.dumps(record, ensure_ascii=True))


def load_vocab(path):
    with open(path, encoding="utf-8") as f:
        return {line.rstrip("\n"): i for i, line in enumerate(f)}


def corpus_digest(corpus_path, vocab_path):
    vocab = load_vocab(vocab_path)
    digest, tokens, unknown, docs = 0, 0, 0, 0
    with open(corpus_path, encoding="utf-8") as f:
        for line in f:
            doc = json.loads(line)
            for t in basic_tokens(doc["text"], True):
                for p in ([t] if t in SPECIALS else wordpiece(t, vocab)):
                    i = vocab.get(p, vocab["[UNK]"])
                    digest = (digest * 1000003 + i + 1) % (1 << 64)
                    tokens += 1
                    unknown += i == vocab["[UNK]"]
            digest = (digest * 1000003) % (1 << 64)
            docs += 1
    print(json.dumps({"docs": docs, "tokens": tokens, "unknown": unknown, "digest": digest}))


if __name__ == "__main__":
    if sys.argv[1] == "cases":
        emit_cases(load_vocab(sys.argv[2]) if len(sys.argv) > 2 else None)
    else:
        corpus_digest(sys.argv[2], sys.argv[3])
