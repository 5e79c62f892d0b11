// Byte-level BPE against hand-worked cases (tiny vocabulary) and against the independent
// Python reference tests/testdata/text/bpe_reference.py (bpe_cases.jsonl, bpe_small/).
#include "denser/text/bpe.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <random>
#include <nlohmann/json.hpp>

#include "denser/common/error.h"
#include "denser/common/io.h"
#include "denser/common/utf8.h"
#include "text/bert_test_util.h"

namespace denser {
namespace {

using test::test_temp_dir;
using Ids = std::vector<int32_t>;
using Words = std::vector<std::string_view>;

std::string small_dir() { return std::string(DENSER_TESTDATA_DIR) + "/text/bpe_small"; }

ByteLevelBpe load_small(bool add_prefix_space = false) {
  BpeOptions options;
  options.add_prefix_space = add_prefix_space;
  return ByteLevelBpe::load(small_dir() + "/vocab.json", small_dir() + "/merges.txt", options);
}

// <s>=0 <pad>=1 </s>=2 <unk>=3, then single characters and merge results.
ByteLevelBpe tiny(BpeOptions options = {}) {
  std::vector<std::string> tokens = {"<s>",   "<pad>", "</s>", "<unk>",                         // 0-3
                                     "l",     "o",     "w",    "e",     "r",  "Ġ",  "a",  "b",  // 4-11
                                     "c",     "lo",    "low",  "er",    "Ġl", "aa", "bc",       // 12-18
                                     "<mask>"};                                                 // 19
  // Ranks (l,o) < (lo,w) < (e,r) < (Ġ,l) < (a,a) < (b,c) < (a,b); "ab" is a merge whose
  // result is not in the vocabulary (-> <unk>).
  std::vector<BpeMerge> merges = {{"l", "o"}, {"lo", "w"}, {"e", "r"}, {"Ġ", "l"}, {"a", "a"}, {"b", "c"}, {"a", "b"}};
  return ByteLevelBpe(tokens, merges, std::move(options));
}

TEST(ByteLevelAlphabet, MatchesGpt2Table) {
  const auto& alphabet = byte_level_alphabet();
  ASSERT_EQ(alphabet.size(), 256u);
  EXPECT_EQ(alphabet['a'], "a");
  EXPECT_EQ(alphabet['!'], "!");
  EXPECT_EQ(alphabet['~'], "~");
  EXPECT_EQ(alphabet[0xE9], "\u00E9");  // printable Latin-1 maps to itself
  EXPECT_EQ(alphabet[0x00], "\u0100");  // the 68 others: U+0100 onwards in byte order
  EXPECT_EQ(alphabet['\t'], "\u0109");  // ĉ
  EXPECT_EQ(alphabet['\n'], "\u010A");  // Ċ
  EXPECT_EQ(alphabet[' '], "\u0120");   // Ġ (33rd)
  EXPECT_EQ(alphabet[0x7F], "\u0121");
  EXPECT_EQ(alphabet[0xA0], "\u0142");
  EXPECT_EQ(alphabet[0xAD], "\u0143");  // the soft hyphen, last of them: Ń
}

TEST(ByteLevelPretokenize, HandWorkedSplits) {
  EXPECT_EQ(byte_level_pretokenize("Hello world"), (Words{"Hello", " world"}));
  EXPECT_EQ(byte_level_pretokenize("a  b"), (Words{"a", " ", " b"}));
  EXPECT_EQ(byte_level_pretokenize("a   b"), (Words{"a", "  ", " b"}));
  EXPECT_EQ(byte_level_pretokenize("x \n"), (Words{"x", " \n"}));      // trailing run stays whole
  EXPECT_EQ(byte_level_pretokenize("a\tb"), (Words{"a", "\t", "b"}));  // lone space-class char
  EXPECT_EQ(byte_level_pretokenize("a \tb"), (Words{"a", " ", "\t", "b"}));
  EXPECT_EQ(byte_level_pretokenize("a\t b"), (Words{"a", "\t", " b"}));
  EXPECT_EQ(byte_level_pretokenize("don't I'M"), (Words{"don", "'t", " I", "'", "M"}));
  EXPECT_EQ(byte_level_pretokenize("they're'll"), (Words{"they", "'re", "'ll"}));
  EXPECT_EQ(byte_level_pretokenize("?!'s"), (Words{"?!'", "s"}));
  EXPECT_EQ(byte_level_pretokenize("abc123 45x"), (Words{"abc", "123", " 45", "x"}));
  EXPECT_EQ(byte_level_pretokenize(" ... !"), (Words{" ...", " !"}));
  EXPECT_EQ(byte_level_pretokenize("café 日本"), (Words{"café", " 日本"}));
  EXPECT_EQ(byte_level_pretokenize("½²"), (Words{"½²"}));                      // No: numbers
  EXPECT_EQ(byte_level_pretokenize("a\u00A0b"), (Words{"a", "\u00A0", "b"}));  // NBSP is \s
  EXPECT_EQ(byte_level_pretokenize("a\x1c b"), (Words{"a", "\x1c", " b"}));    // U+001C is not
  EXPECT_EQ(byte_level_pretokenize("a\xff\xfe b"), (Words{"a", "\xff\xfe", " b"}));
  EXPECT_EQ(byte_level_pretokenize(" "), (Words{" "}));
  EXPECT_EQ(byte_level_pretokenize(""), Words{});
}

TEST(ByteLevelBpe, TinyVocabularyMerges) {
  ByteLevelBpe bpe = tiny();
  EXPECT_EQ(bpe.vocab_size(), 20u);
  EXPECT_EQ(bpe.kind(), "bpe");
  EXPECT_EQ(bpe.pad_id(), 1);
  EXPECT_EQ(bpe.mask_id(), 19);
  EXPECT_EQ(bpe.encode("lower"), (Ids{14, 15}));  // lo, low, er
  EXPECT_EQ(bpe.encode("lowe"), (Ids{14, 7}));
  EXPECT_EQ(bpe.encode("aaaa"), (Ids{17, 17}));  // every occurrence, left to right
  EXPECT_EQ(bpe.encode("aaa"), (Ids{17, 10}));
  EXPECT_EQ(bpe.encode("abc"), (Ids{10, 18}));  // (b,c) outranks (a,b)
  EXPECT_EQ(bpe.encode("ab"), (Ids{3}));        // merged, but "ab" has no id
  EXPECT_EQ(bpe.encode("z"), (Ids{3}));         // character not in the vocabulary
  EXPECT_EQ(bpe.encode(" low"), (Ids{9, 14}));  // (l,o) outranks (Ġ,l): Ġ, lo, then low
  EXPECT_EQ(bpe.encode(" l"), (Ids{16}));
  EXPECT_EQ(bpe.encode("low low"), (Ids{14, 9, 14}));
  EXPECT_EQ(bpe.tokenize("lower aa"), (std::vector<std::string>{"low", "er", "Ġ", "aa"}));
}

TEST(ByteLevelBpe, SpecialTokensInText) {
  ByteLevelBpe bpe = tiny();
  EXPECT_EQ(bpe.encode("<s>low</s>"), (Ids{0, 14, 2}));
  EXPECT_EQ(bpe.encode("low  <mask> er"), (Ids{14, 19, 9, 15}));  // <mask> swallows the spaces before it
  EXPECT_EQ(bpe.encode("low <pad>"), (Ids{14, 9, 1}));            // the others do not
  BpeOptions plain;
  plain.split_special_tokens = false;
  EXPECT_EQ(tiny(plain).encode("<s>").size(), 3u);  // '<', 's', '>' as text: all <unk>
}

TEST(ByteLevelBpe, AddPrefixSpace) {
  BpeOptions options;
  options.add_prefix_space = true;
  ByteLevelBpe bpe = tiny(options);
  EXPECT_EQ(bpe.encode("lo"), (Ids{9, 13}));    // as " lo"
  EXPECT_EQ(bpe.encode("l"), (Ids{16}));        // as " l"
  EXPECT_EQ(bpe.encode("\nlo"), (Ids{3, 13}));  // starts with whitespace: unchanged
  EXPECT_EQ(bpe.encode(""), Ids{});
}

TEST(ByteLevelBpe, SingleAndPairEncodings) {
  ByteLevelBpe bpe = tiny();
  Encoding single = bpe.encode_single("lower aa", 512);
  EXPECT_EQ(single.ids, (Ids{0, 14, 15, 9, 17, 2}));
  EXPECT_EQ(single.type_ids, Ids(6, 0));
  EXPECT_EQ(single.attention_mask, Ids(6, 1));
  EXPECT_EQ(bpe.encode_single("lower aa", 4).ids, (Ids{0, 14, 15, 2}));
  EXPECT_EQ(bpe.encode_single("lower", 2).ids, (Ids{0, 2}));
  EXPECT_THROW(bpe.encode_single("x", 1), Error);
  Encoding pair = bpe.encode_pair("lower", "aaaa", 0);
  EXPECT_EQ(pair.ids, (Ids{0, 14, 15, 2, 2, 17, 17, 2}));
  EXPECT_EQ(pair.type_ids, Ids(8, 0));  // RoBERTa has no segment distinction
  // Budget 7 - 4 = 3 for 4 + 2 ids: the longer loses first, then the second the odd one.
  EXPECT_EQ(bpe.encode_pair("lowerlower", "aaaa", 7).ids, (Ids{0, 14, 15, 2, 2, 17, 2}));
  EXPECT_THROW(bpe.encode_pair("a", "b", 3), Error);
}

TEST(ByteLevelBpe, BatchPadsWithPadId) {
  ByteLevelBpe bpe = tiny();
  std::vector<std::string> texts = {"lower", "aa aa aa", ""};
  BatchEncoding batch = bpe.encode_batch(std::span<const std::string>(texts), 512, 2);
  ASSERT_EQ(batch.batch_size, 3u);
  ASSERT_EQ(batch.seq_len, 7u);
  EXPECT_EQ(batch.lengths, (Ids{4, 7, 2}));
  EXPECT_EQ(Ids(batch.ids.begin(), batch.ids.begin() + 7), (Ids{0, 14, 15, 2, 1, 1, 1}));
  EXPECT_EQ(Ids(batch.attention_mask.begin() + 14, batch.attention_mask.end()), (Ids{1, 1, 0, 0, 0, 0, 0}));
}

TEST(ByteLevelBpe, DecodeRestoresBytes) {
  ByteLevelBpe bpe = load_small();
  for (std::string text : {"Hello  world!\n\tok", "naïve café 日本語 😀", "  x  "}) {
    EXPECT_EQ(bpe.decode(bpe.encode(text)), text);
  }
  Ids ids = bpe.encode_single("a café").ids;
  EXPECT_EQ(bpe.decode(ids), "a café");
  EXPECT_EQ(bpe.decode(ids, false), "<s>a café</s>");
  // "é" is C3 A9: its first byte alone decodes as U+FFFD, as Python's errors="replace".
  const int32_t c3 = bpe.token_to_id(byte_level_alphabet()[0xC3]);
  const int32_t e6 = bpe.token_to_id(byte_level_alphabet()[0xE6]);
  const int32_t x97 = bpe.token_to_id(byte_level_alphabet()[0x97]);
  EXPECT_EQ(bpe.decode(Ids{bpe.token_to_id("a"), c3}), "a\uFFFD");
  EXPECT_EQ(bpe.decode(Ids{e6, x97, bpe.token_to_id("a")}), "\uFFFDa");  // one for a cut 3-byte sequence
  EXPECT_THROW(bpe.decode(Ids{99999}), Error);
}

// Byte-level BPE loses nothing: the pieces' bytes are the input, whatever the input.
TEST(ByteLevelBpe, PiecesCoverArbitraryBytes) {
  BpeOptions options;
  options.split_special_tokens = false;
  ByteLevelBpe bpe = ByteLevelBpe::load(small_dir() + "/vocab.json", small_dir() + "/merges.txt", options);
  std::map<std::string, unsigned char> byte_of;
  for (int b = 0; b < 256; ++b) byte_of[byte_level_alphabet()[static_cast<size_t>(b)]] = static_cast<unsigned char>(b);
  const std::vector<std::string> atoms = {"a", "Z",  "7", " ",    "  ",       "\n",   "\t",   "'",      "'s",   "!",
                                          "é", "日", "😀", "\xff", "\xe6\x97", "\xc3", "\x80", "\u00a0", "\x1c", "<s>"};
  std::mt19937 rng(7);
  for (int round = 0; round < 300; ++round) {
    std::string text;
    const size_t n = rng() % 40;
    for (size_t i = 0; i < n; ++i) text += atoms[rng() % atoms.size()];
    std::string words;
    for (auto w : byte_level_pretokenize(text)) words += w;
    ASSERT_EQ(words, text);
    std::string bytes;
    for (const auto& piece : bpe.tokenize(text)) {
      for (size_t pos = 0; pos < piece.size();) {
        const size_t start = pos;
        utf8::decode(piece, pos);
        bytes.push_back(static_cast<char>(byte_of.at(piece.substr(start, pos - start))));
      }
    }
    ASSERT_EQ(bytes, text) << round;
  }
}

TEST(ByteLevelBpe, MatchesPythonReference) {
  ByteLevelBpe plain = load_small(false);
  ByteLevelBpe prefixed = load_small(true);
  LineReader reader(std::string(DENSER_TESTDATA_DIR) + "/text/bpe_cases.jsonl");
  std::string line;
  size_t checked = 0;
  while (reader.next(line)) {
    auto json = nlohmann::json::parse(line);
    const auto text = json.at("text").get<std::string>();
    const ByteLevelBpe& bpe = json.at("add_prefix_space").get<bool>() ? prefixed : plain;
    const auto ids = json.at("ids").get<Ids>();
    EXPECT_EQ(bpe.encode(text), ids) << reader.where() << ": " << text;
    EXPECT_EQ(bpe.tokenize(text), json.at("tokens").get<std::vector<std::string>>()) << reader.where();
    Ids single = {0};
    single.insert(single.end(), ids.begin(),
                  ids.begin() + static_cast<std::ptrdiff_t>(std::min<size_t>(ids.size(), 3)));
    single.push_back(2);
    EXPECT_EQ(bpe.encode_single(text, 5).ids, single) << reader.where();
    ++checked;
  }
  EXPECT_GE(checked, 200u);
}

TEST(ByteLevelBpe, TruncationIsAPrefixOfTheFullEncoding) {
  ByteLevelBpe bpe = load_small();
  std::string text;
  for (int i = 0; i < 300; ++i) text += "The protein <mask> p53 regulates 12 cells; ";
  Ids full = bpe.encode(text);
  for (size_t max_length : {2, 3, 17, 130, 512}) {
    Ids got = bpe.encode_single(text, max_length).ids;
    ASSERT_EQ(got.size(), max_length);
    EXPECT_TRUE(std::equal(got.begin() + 1, got.end() - 1, full.begin())) << max_length;
  }
}

template <typename Fn>
void expect_error_mentions(Fn fn, const std::string& part) {
  try {
    fn();
    ADD_FAILURE() << "expected an error mentioning " << part;
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(part), std::string::npos) << e.what();
  }
}

TEST(ByteLevelBpeFiles, RejectMalformedInput) {
  auto dir = test_temp_dir("bpe_files");
  auto path = [&](const char* name) { return (dir / name).string(); };
  write_file_atomic(path("bad.json"), "{\"a\": 0, ");
  EXPECT_THROW(load_vocab_json(path("bad.json")), Error);
  write_file_atomic(path("gap.json"), "{\"a\": 0, \"b\": 2}");
  expect_error_mentions([&] { load_vocab_json(path("gap.json")); }, "outside 0..1");
  write_file_atomic(path("dup.json"), "{\"a\": 0, \"b\": 0}");
  EXPECT_THROW(load_vocab_json(path("dup.json")), Error);
  write_file_atomic(path("str.json"), "{\"a\": \"0\"}");
  EXPECT_THROW(load_vocab_json(path("str.json")), Error);
  write_file_atomic(path("m1.txt"), "#version: 0.2\na b\na b c\n");
  expect_error_mentions([&] { load_merges_txt(path("m1.txt")); }, "m1.txt:3");
  write_file_atomic(path("m2.txt"), "a b\n\nc d\n");
  EXPECT_EQ(load_merges_txt(path("m2.txt")), (std::vector<BpeMerge>{{"a", "b"}, {"c", "d"}}));
  EXPECT_THROW(ByteLevelBpe({"<unk>", "a", "b"}, {{"a", "b"}, {"a", "b"}}), Error);  // repeated rule
  EXPECT_THROW(ByteLevelBpe({"a", "b"}, {}), Error);                                 // no <unk>
  std::filesystem::remove_all(dir);
}

TEST(ByteLevelBpeFiles, SaveAndLoadRoundTrip) {
  auto dir = test_temp_dir("bpe_save");
  ByteLevelBpe bpe = load_small();
  bpe.save(dir.string());
  ByteLevelBpe again = ByteLevelBpe::load((dir / "vocab.json").string(), (dir / "merges.txt").string());
  EXPECT_EQ(again.tokens(), bpe.tokens());
  EXPECT_EQ(again.merges(), bpe.merges());
  EXPECT_EQ(read_file((dir / "merges.txt").string()), read_file(small_dir() + "/merges.txt"));
  const std::string text = "Mixed: café, 東京, and 😀 — all in one.";
  EXPECT_EQ(again.encode(text), bpe.encode(text));
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace denser
