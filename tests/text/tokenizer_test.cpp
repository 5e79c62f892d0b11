// load_tokenizer and the SubwordTokenizer interface over both families.
#include "denser/text/tokenizer.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "denser/common/error.h"
#include "denser/common/io.h"
#include "denser/text/bpe.h"
#include "denser/text/wordpiece.h"
#include "text/bert_test_util.h"

namespace denser {
namespace {

using test::test_temp_dir;
using Ids = std::vector<int32_t>;

const std::vector<std::string> kWordPieceVocab = {"[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]",  // 0-4
                                                  "hello", "world", "Hello", "##s",   "!"};      // 5-9

std::string small_bpe_dir() { return std::string(DENSER_TESTDATA_DIR) + "/text/bpe_small"; }

TEST(LoadTokenizer, PicksWordPieceAndReadsLowercasing) {
  auto dir = test_temp_dir("tok_wp");
  save_vocab_txt((dir / "vocab.txt").string(), kWordPieceVocab);
  auto lower = load_tokenizer(dir.string());
  EXPECT_EQ(lower->kind(), "wordpiece");
  EXPECT_EQ(lower->vocab_size(), 10u);
  EXPECT_EQ(lower->pad_id(), 0);
  EXPECT_EQ(lower->encode_single("Hello worlds!").ids, (Ids{2, 5, 6, 8, 9, 3}));  // lowercased by default
  write_file_atomic((dir / "tokenizer_config.json").string(), R"({"do_lower_case": false, "model_max_length": 512})");
  auto cased = load_tokenizer(dir.string());
  EXPECT_EQ(cased->encode_single("Hello worlds!").ids, (Ids{2, 7, 6, 8, 9, 3}));
  std::filesystem::remove_all(dir);
}

TEST(LoadTokenizer, PicksBpeWhenVocabJsonAndMergesArePresent) {
  auto tok = load_tokenizer(small_bpe_dir());
  EXPECT_EQ(tok->kind(), "bpe");
  ByteLevelBpe direct = ByteLevelBpe::load(small_bpe_dir() + "/vocab.json", small_bpe_dir() + "/merges.txt");
  EXPECT_EQ(tok->vocab_size(), direct.vocab_size());
  EXPECT_EQ(tok->pad_id(), 1);
  const std::string text = "The protein p53 (TP53) regulates apoptosis.";
  EXPECT_EQ(tok->encode(text), direct.encode(text));
  EXPECT_EQ(tok->encode_pair(text, "cells", 16).ids, direct.encode_pair(text, "cells", 16).ids);
}

TEST(LoadTokenizer, ReadsBpeConfigAndAddedTokenObjects) {
  auto dir = test_temp_dir("tok_bpe");
  for (const char* name : {"vocab.json", "merges.txt"})
    std::filesystem::copy_file(small_bpe_dir() + "/" + name, dir / name);
  write_file_atomic((dir / "tokenizer_config.json").string(),
                    R"({"add_prefix_space": true, "mask_token": {"content": "<mask>", "lstrip": true},
                        "tokenizer_class": "RobertaTokenizer"})");
  auto tok = load_tokenizer(dir.string());
  BpeOptions options;
  options.add_prefix_space = true;
  ByteLevelBpe direct = ByteLevelBpe::load(small_bpe_dir() + "/vocab.json", small_bpe_dir() + "/merges.txt", options);
  EXPECT_EQ(tok->encode("hello <mask>"), direct.encode("hello <mask>"));
  EXPECT_NE(tok->encode("hello"), load_tokenizer(small_bpe_dir())->encode("hello"));  // "Ġhe..." vs "he..."
  write_file_atomic((dir / "tokenizer_config.json").string(), R"({"add_prefix_space": "yes"})");
  EXPECT_THROW(load_tokenizer(dir.string()), Error);
  write_file_atomic((dir / "tokenizer_config.json").string(), R"({"add_prefix_space": tru)");
  EXPECT_THROW(load_tokenizer(dir.string()), Error);
  std::filesystem::remove_all(dir);
}

TEST(LoadTokenizer, RejectsADirectoryWithoutTokenizerFiles) {
  auto dir = test_temp_dir("tok_none");
  write_file_atomic((dir / "merges.txt").string(), "a b\n");  // merges.txt alone is not enough
  try {
    load_tokenizer(dir.string());
    ADD_FAILURE() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("vocab.json and merges.txt"), std::string::npos) << e.what();
  }
  std::filesystem::remove_all(dir);
}

TEST(SubwordTokenizer, SaveThenLoadGivesTheSameTokenizer) {
  auto dir = test_temp_dir("tok_save");
  WordPieceOptions options;
  options.basic.do_lower_case = false;
  WordPiece wp(kWordPieceVocab, options);
  const SubwordTokenizer& base = wp;
  base.save(dir.string());
  auto again = load_tokenizer(dir.string());
  EXPECT_EQ(again->kind(), "wordpiece");
  EXPECT_EQ(again->encode("Hello hello"), (Ids{7, 5}));  // do_lower_case=false survived
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  load_tokenizer(small_bpe_dir())->save(dir.string());
  auto bpe = load_tokenizer(dir.string());
  EXPECT_EQ(bpe->kind(), "bpe");
  EXPECT_EQ(bpe->encode("Mixed: café, 東京"), load_tokenizer(small_bpe_dir())->encode("Mixed: café, 東京"));
  std::filesystem::remove_all(dir);
}

TEST(SubwordTokenizer, FingerprintFollowsWhatDecidesTheIds) {
  WordPieceOptions cased;
  cased.basic.do_lower_case = false;
  EXPECT_EQ(WordPiece(kWordPieceVocab).fingerprint(), WordPiece(kWordPieceVocab).fingerprint());
  EXPECT_NE(WordPiece(kWordPieceVocab).fingerprint(), WordPiece(kWordPieceVocab, cased).fingerprint());
  auto other = kWordPieceVocab;
  std::swap(other[5], other[6]);
  EXPECT_NE(WordPiece(kWordPieceVocab).fingerprint(), WordPiece(other).fingerprint());
  auto bpe = load_tokenizer(small_bpe_dir());
  auto dir = test_temp_dir("tok_fingerprint");
  bpe->save(dir.string());
  EXPECT_EQ(load_tokenizer(dir.string())->fingerprint(), bpe->fingerprint());
  write_file_atomic((dir / "tokenizer_config.json").string(), R"({"add_prefix_space": true})");
  EXPECT_NE(load_tokenizer(dir.string())->fingerprint(), bpe->fingerprint());
  write_file_atomic((dir / "tokenizer_config.json").string(), "{}");
  write_file_atomic((dir / "merges.txt").string(), read_file(small_bpe_dir() + "/merges.txt") + "zq qz\n");
  EXPECT_NE(load_tokenizer(dir.string())->fingerprint(), bpe->fingerprint());
  std::filesystem::remove_all(dir);
}

TEST(SubwordTokenizer, BatchesAreTheRowsPaddedWhateverTheThreads) {
  for (const auto& tok : {load_tokenizer(small_bpe_dir())}) {
    std::vector<std::string> texts;
    for (int i = 0; i < 100; ++i)
      texts.push_back(std::string(static_cast<size_t>(i % 17), 'x') + " cells " + std::to_string(i));
    BatchEncoding one = tok->encode_batch(std::span<const std::string>(texts), 12, 1);
    BatchEncoding four = tok->encode_batch(std::span<const std::string>(texts), 12, 4);
    EXPECT_EQ(one.ids, four.ids);
    ASSERT_EQ(one.batch_size, texts.size());
    for (size_t r = 0; r < texts.size(); ++r) {
      Ids row = tok->encode_single(texts[r], 12).ids;
      ASSERT_EQ(static_cast<size_t>(one.lengths[r]), row.size());
      Ids padded(one.ids.begin() + static_cast<std::ptrdiff_t>(r * one.seq_len),
                 one.ids.begin() + static_cast<std::ptrdiff_t>((r + 1) * one.seq_len));
      row.resize(one.seq_len, tok->pad_id());
      EXPECT_EQ(padded, row) << r;
    }
  }
}

TEST(PadEncodings, NeedsAPadIdOnlyForRaggedRows) {
  std::vector<Encoding> same(2, Encoding{{5, 6}, {0, 0}, {1, 1}});
  EXPECT_EQ(pad_encodings(same, -1, "test").ids, (Ids{5, 6, 5, 6}));
  same[1] = Encoding{{7}, {0}, {1}};
  EXPECT_THROW(pad_encodings(same, -1, "test"), Error);
  BatchEncoding b = pad_encodings(same, 9, "test");
  EXPECT_EQ(b.ids, (Ids{5, 6, 7, 9}));
  EXPECT_EQ(b.attention_mask, (Ids{1, 1, 1, 0}));
}

}  // namespace
}  // namespace denser
