#include "denser/text/wordpiece.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <fstream>

#include "denser/common/error.h"
#include "text/bert_test_util.h"

namespace denser {
namespace {

using Tokens = std::vector<std::string>;
using Ids = std::vector<int32_t>;

// A small vocabulary whose greedy segmentations are worked out by hand in the tests.
WordPiece small_vocab() {
  return WordPiece({"[PAD]", "[UNK]", "[CLS]",  "[SEP]", "[MASK]",                            // 0-4
                    "un",    "##aff", "##able", "a",     "ab",     "##c", "##bc",             // 5-11
                    "ж",     "##ж",   "x",      "##x",   "the",    ",",   "runn", "##ing"});  // 12-19
}

std::string repeat(std::string_view unit, size_t n) {
  std::string s;
  for (size_t i = 0; i < n; ++i) s.append(unit);
  return s;
}

Ids ids_of(std::initializer_list<int32_t> ids) { return Ids(ids); }

// ------------------------------------------------------------------ greedy segmentation

TEST(WordPiece, GreedyLongestMatchFirst) {
  WordPiece wp = small_vocab();
  EXPECT_EQ(wp.tokenize("unaffable"), Tokens({"un", "##aff", "##able"}));
  EXPECT_EQ(wp.encode("unaffable"), ids_of({5, 6, 7}));
  // "abc": the longest first piece "ab" wins over "a" + "##bc", then "##c".
  EXPECT_EQ(wp.tokenize("abc"), Tokens({"ab", "##c"}));
  EXPECT_EQ(wp.tokenize("Running, the"), Tokens({"runn", "##ing", ",", "the"}));
}

TEST(WordPiece, NoSegmentationMeansUnknownWord) {
  WordPiece wp = small_vocab();
  // "abd": "ab" matches, then nothing matches "##d": greedy does not backtrack, and the
  // whole word (not just its tail) becomes [UNK].
  EXPECT_EQ(wp.tokenize("abd the"), Tokens({"[UNK]", "the"}));
  // A continuation piece is never used at the start of a word.
  EXPECT_EQ(wp.tokenize("c"), Tokens({"[UNK]"}));
}

TEST(WordPiece, WordsOverOneHundredCodePointsBecomeUnknown) {
  WordPiece wp = small_vocab();
  Ids hundred(100, 15);
  hundred[0] = 14;
  EXPECT_EQ(wp.encode(repeat("x", 100)), hundred);
  EXPECT_EQ(wp.encode(repeat("x", 101)), ids_of({1}));
  // Counted in code points, not bytes: 100 two-byte characters are fine.
  Ids accents(100, 13);
  accents[0] = 12;
  EXPECT_EQ(wp.encode(repeat("ж", 100)), accents);
  EXPECT_EQ(wp.encode(repeat("ж", 101)), ids_of({1}));
  WordPieceOptions shorter;
  shorter.max_input_chars_per_word = 3;
  WordPiece wp3(small_vocab().tokens(), shorter);
  EXPECT_EQ(wp3.encode("xxx xxxx"), ids_of({14, 15, 15, 1}));
}

TEST(WordPiece, SpecialTokensMapToTheirIds) {
  WordPiece wp = small_vocab();
  EXPECT_EQ(wp.encode("[CLS] the [SEP][MASK]"), ids_of({2, 16, 3, 4}));
  // A special token missing from the vocabulary is [UNK], not split into pieces.
  WordPiece no_mask({"[UNK]", "[", "##mas", "##k", "]", "mask"});
  EXPECT_EQ(no_mask.encode("[MASK]"), ids_of({0}));
}

TEST(WordPiece, VocabularyAccessors) {
  WordPiece wp = small_vocab();
  EXPECT_EQ(wp.vocab_size(), 20u);
  EXPECT_EQ(wp.token_to_id("##able"), 7);
  EXPECT_EQ(wp.token_to_id("able"), -1);
  EXPECT_EQ(wp.id_to_token(9), "ab");
  EXPECT_THROW(wp.id_to_token(20), Error);
  EXPECT_THROW(wp.id_to_token(-1), Error);
  EXPECT_EQ(wp.unk_id(), 1);
  EXPECT_EQ(wp.cls_id(), 2);
  EXPECT_EQ(wp.sep_id(), 3);
  EXPECT_EQ(wp.pad_id(), 0);
  EXPECT_EQ(wp.mask_id(), 4);
}

TEST(WordPiece, RejectsBadVocabularies) {
  EXPECT_THROW(WordPiece(std::vector<std::string>{}), Error);
  EXPECT_THROW(WordPiece({"[UNK]", "a", "a"}), Error);
  EXPECT_THROW(WordPiece({"[UNK]", ""}), Error);
  EXPECT_THROW(WordPiece({"a", "b"}), Error);  // no [UNK]
}

// ------------------------------------------------------------------ vocab.txt

TEST(VocabTxt, SaveLoadRoundTrip) {
  auto path = (test::test_temp_dir("vocab") / "vocab.txt").string();
  save_vocab_txt(path, small_vocab().tokens());
  EXPECT_EQ(load_vocab_txt(path), small_vocab().tokens());
  EXPECT_EQ(read_file(path).substr(0, 14), "[PAD]\n[UNK]\n[C");
  WordPiece loaded = WordPiece::load(path);
  EXPECT_EQ(loaded.encode("unaffable"), ids_of({5, 6, 7}));
  EXPECT_THROW(save_vocab_txt(path, {"a", "b\nc"}), Error);
  EXPECT_EQ(load_vocab_txt(path), small_vocab().tokens());  // untouched by the failed save
}

TEST(VocabTxt, ErrorsNameFileAndLine) {
  auto dir = test::test_temp_dir("vocab_errors");
  auto expect_error = [](const std::string& path, const std::string& fragment) {
    try {
      load_vocab_txt(path);
      ADD_FAILURE() << "no error for " << path;
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find(fragment), std::string::npos) << e.what();
    }
  };
  write_file_atomic((dir / "dup.txt").string(), "[UNK]\nthe\nof\nthe\n");
  expect_error((dir / "dup.txt").string(), "dup.txt:4: duplicate token 'the' (first at line 2)");
  write_file_atomic((dir / "empty.txt").string(), "");
  expect_error((dir / "empty.txt").string(), "empty.txt: empty vocabulary file");
  write_file_atomic((dir / "blank.txt").string(), "[UNK]\n\nthe\n");
  expect_error((dir / "blank.txt").string(), "blank.txt:2: empty line");
  expect_error((dir / "missing.txt").string(), "missing.txt");
}

// ------------------------------------------------------------------ model inputs

TEST(Truncation, LongestFirstMatchesOneAtATimeRemoval) {
  // Oracle: Hugging Face's original loop, one token at a time off the longer sequence,
  // the second one on ties; run on the full lengths, not the capped ones.
  for (size_t budget = 0; budget <= 12; ++budget) {
    for (size_t la = 0; la <= 30; ++la) {
      for (size_t lb = 0; lb <= 30; ++lb) {
        size_t a = la, b = lb;
        while (a + b > budget) (a > b ? a : b) -= 1;
        EXPECT_EQ(truncate_longest_first(la, lb, budget), std::make_pair(a, b)) << la << " " << lb << " " << budget;
      }
    }
  }
}

TEST(WordPiece, EncodeSingleAddsClsSepAndTruncates) {
  WordPiece wp = small_vocab();
  Encoding e = wp.encode_single("the unaffable x");
  EXPECT_EQ(e.ids, ids_of({2, 16, 5, 6, 7, 14, 3}));
  EXPECT_EQ(e.type_ids, Ids(7, 0));
  EXPECT_EQ(e.attention_mask, Ids(7, 1));
  EXPECT_EQ(wp.encode_single("the unaffable x", 4).ids, ids_of({2, 16, 5, 3}));  // cut inside a word
  EXPECT_EQ(wp.encode_single("the", 2).ids, ids_of({2, 3}));
  EXPECT_EQ(wp.encode_single("", 8).ids, ids_of({2, 3}));
  EXPECT_EQ(wp.encode_single("the the the", 0).ids.size(), 5u);  // 0: no limit
  EXPECT_THROW(wp.encode_single("the", 1), Error);
}

TEST(WordPiece, EncodePairSetsTokenTypes) {
  WordPiece wp = small_vocab();
  Encoding e = wp.encode_pair("the x", "unaffable");
  EXPECT_EQ(e.ids, ids_of({2, 16, 14, 3, 5, 6, 7, 3}));
  EXPECT_EQ(e.type_ids, ids_of({0, 0, 0, 0, 1, 1, 1, 1}));
  EXPECT_EQ(e.attention_mask, Ids(8, 1));
  // max_length 7: budget 4 of 5 pieces; the longer (second) loses one.
  EXPECT_EQ(wp.encode_pair("the x", "unaffable", 7).ids, ids_of({2, 16, 14, 3, 5, 6, 3}));
  // max_length 5: budget 2; both cut to one piece.
  EXPECT_EQ(wp.encode_pair("the x", "unaffable", 5).ids, ids_of({2, 16, 3, 5, 3}));
  EXPECT_THROW(wp.encode_pair("a", "b", 2), Error);
}

TEST(WordPiece, BatchPadsToLongest) {
  WordPiece wp = small_vocab();
  std::vector<std::string> texts = {"the", "unaffable x", ""};
  BatchEncoding b = wp.encode_batch(std::span<const std::string>(texts));
  ASSERT_EQ(b.batch_size, 3u);
  ASSERT_EQ(b.seq_len, 6u);
  EXPECT_EQ(b.ids, ids_of({2, 16, 3, 0, 0, 0,  //
                           2, 5, 6, 7, 14, 3,  //
                           2, 3, 0, 0, 0, 0}));
  EXPECT_EQ(b.attention_mask, ids_of({1, 1, 1, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0}));
  EXPECT_EQ(b.type_ids, Ids(18, 0));
  EXPECT_EQ(b.lengths, ids_of({3, 6, 2}));

  std::vector<std::string_view> queries = {"the", "x"};
  std::vector<std::string_view> docs = {"unaffable", "the"};
  BatchEncoding p = wp.encode_pair_batch(queries, docs, 512);
  ASSERT_EQ(p.seq_len, 7u);
  EXPECT_EQ(p.ids, ids_of({2, 16, 3, 5, 6, 7, 3,  //
                           2, 14, 3, 16, 3, 0, 0}));
  EXPECT_EQ(p.type_ids, ids_of({0, 0, 0, 1, 1, 1, 1, 0, 0, 0, 1, 1, 0, 0}));
  EXPECT_THROW(wp.encode_pair_batch(queries, std::span<const std::string_view>(docs).first(1)), Error);
  EXPECT_EQ(wp.encode_batch(std::span<const std::string_view>{}).ids.size(), 0u);
}

TEST(WordPiece, BatchIsTheSameOnManyThreads) {
  WordPiece wp = small_vocab();
  std::vector<std::string> texts;
  for (int i = 0; i < 300; ++i) texts.push_back(repeat("the x ", static_cast<size_t>(i % 17)) + "unaffable");
  BatchEncoding one = wp.encode_batch(std::span<const std::string>(texts), 64, 1);
  BatchEncoding four = wp.encode_batch(std::span<const std::string>(texts), 64, 4);
  EXPECT_EQ(one.ids, four.ids);
  EXPECT_EQ(one.lengths, four.lengths);
}

TEST(WordPiece, LongTextTruncationEqualsFullEncodingPrefix) {
  // Long texts are tokenized in pieces and stop early; the result must be the prefix of
  // the full encoding, whatever falls on the piece boundaries.
  WordPiece wp = small_vocab();
  std::string text;
  for (int i = 0; text.size() < 100000; ++i) text += (i % 7 == 0 ? "unaffable,\t" : i % 5 == 0 ? "[SEP]\n" : "the x ");
  Ids full = wp.encode(text);
  ASSERT_GT(full.size(), 20000u);
  for (size_t max_length : {3u, 100u, 5000u, 19000u, 200000u}) {
    Encoding e = wp.encode_single(text, max_length);
    size_t n = std::min(full.size(), max_length - 2);
    ASSERT_EQ(e.ids.size(), n + 2);
    EXPECT_TRUE(std::equal(full.begin(), full.begin() + static_cast<std::ptrdiff_t>(n), e.ids.begin() + 1));
  }
}

TEST(WordPiece, DecodeJoinsPieces) {
  WordPiece wp = small_vocab();
  Ids ids = wp.encode_single("the unaffable, abd").ids;
  EXPECT_EQ(wp.decode(ids), "the unaffable ,");
  EXPECT_EQ(wp.decode(ids, false), "[CLS] the unaffable , [UNK] [SEP]");
  EXPECT_EQ(wp.decode_tokens(ids_of({5, 6})), Tokens({"un", "##aff"}));
  EXPECT_EQ(wp.decode(ids_of({6, 5})), "##aff un");  // a leading continuation keeps its "##"
  EXPECT_THROW(wp.decode(ids_of({99})), Error);
}

// ------------------------------------------------------------------ bert-base-uncased

#define SKIP_WITHOUT(path) \
  if (!file_exists(path)) GTEST_SKIP() << "../shared not found: " << (path)

TEST(WordPieceBertBase, KnownIds) {
  SKIP_WITHOUT(test::bert_vocab_path());
  WordPiece wp = WordPiece::load(test::bert_vocab_path());
  EXPECT_EQ(wp.vocab_size(), 30522u);
  EXPECT_EQ(wp.pad_id(), 0);
  EXPECT_EQ(wp.unk_id(), 100);
  EXPECT_EQ(wp.cls_id(), 101);
  EXPECT_EQ(wp.sep_id(), 102);
  EXPECT_EQ(wp.mask_id(), 103);
  EXPECT_EQ(wp.token_to_id("the"), 1996);
  // Ids looked up by hand in vocab.txt (id = line number - 1): hello 7592, "," 1010,
  // world 2088, "!" 999.
  EXPECT_EQ(wp.encode_single("Hello, World!").ids, ids_of({101, 7592, 1010, 2088, 999, 102}));
  // The docstring's "un ##aff ##able" assumes a toy vocabulary; the real one splits
  // "unaffable" as una ##ffa ##ble.
  EXPECT_EQ(wp.tokenize("unaffable"), Tokens({"una", "##ffa", "##ble"}));
}

TEST(WordPieceBertBase, MatchesPythonReference) {
  SKIP_WITHOUT(test::bert_vocab_path());
  WordPiece wp = WordPiece::load(test::bert_vocab_path());
  size_t checked = 0;
  for (const auto& c : test::load_bert_cases()) {
    if (!c.has_wordpiece) continue;
    EXPECT_EQ(wp.tokenize(c.text), c.wordpiece) << "text: " << c.text;
    ++checked;
  }
  EXPECT_GT(checked, 30u);
}

// The ids of every SciFact abstract, digested the same way as bert_reference.py's
// "corpus" mode; the expected numbers come from running that script. Also reports the
// tokenizer's throughput.
TEST(WordPieceBertBase, SciFactCorpusMatchesPythonReference) {
  SKIP_WITHOUT(test::bert_vocab_path());
  SKIP_WITHOUT(test::scifact_corpus_path());
  WordPiece wp = WordPiece::load(test::bert_vocab_path());
  std::vector<std::string> texts;
  LineReader reader(test::scifact_corpus_path());
  std::string line;
  size_t bytes = 0;
  while (reader.next(line)) {
    texts.push_back(nlohmann::json::parse(line).at("text").get<std::string>());
    bytes += texts.back().size();
  }
  uint64_t digest = 0, tokens = 0, unknown = 0;
  Ids ids;
  auto start = std::chrono::steady_clock::now();
  for (const auto& text : texts) {
    ids.clear();
    wp.encode(text, ids);
    for (int32_t id : ids) digest = digest * 1000003u + static_cast<uint64_t>(id) + 1;
    digest *= 1000003u;
    tokens += ids.size();
    unknown += static_cast<uint64_t>(std::count(ids.begin(), ids.end(), wp.unk_id()));
  }
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_EQ(texts.size(), 5183u);
  EXPECT_EQ(tokens, 1625649u);
  EXPECT_EQ(unknown, 64u);
  EXPECT_EQ(digest, 15786659781656600417ull);
  std::printf("[ perf ] wordpiece on SciFact: %.1f MB in %.3f s = %.1f MB/s, %.2f M tokens/s\n", bytes / 1e6, seconds,
              bytes / 1e6 / seconds, tokens / 1e6 / seconds);
}

}  // namespace
}  // namespace denser
