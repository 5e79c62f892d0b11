#include "denser/text/bert_tokenizer.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include "denser/common/utf8.h"
#include "text/bert_test_util.h"

namespace denser {
namespace {

using Tokens = std::vector<std::string>;

Tokens basic(std::string_view text, BasicTokenizerOptions options = {}) {
  return BasicTokenizer(std::move(options)).tokenize(text);
}

BasicTokenizerOptions cased() {
  BasicTokenizerOptions options;
  options.do_lower_case = false;
  return options;
}

// ------------------------------------------------------------------ utf8 helpers

TEST(Utf8, EncodeDecodeRoundTripsEveryScalarValue) {
  std::string bytes;
  for (char32_t cp = 0; cp <= utf8::kMaxCodePoint; ++cp) {
    if (cp >= 0xD800 && cp <= 0xDFFF) continue;
    bytes.clear();
    utf8::append(bytes, cp);
    ASSERT_EQ(bytes.size(), utf8::encoded_length(cp));
    size_t pos = 0;
    ASSERT_EQ(utf8::decode(bytes, pos), cp);
    ASSERT_EQ(pos, bytes.size());
    ASSERT_EQ(utf8::count_code_points(bytes), 1u);
  }
}

TEST(Utf8, MalformedSequencesAdvanceOneByte) {
  // Hand-made malformed inputs: stray continuation, overlong "/", surrogate U+D800,
  // above U+10FFFF, truncated 3-byte sequence, invalid lead byte.
  const std::vector<std::string> bad = {"\x80", "\xC0\xAF", "\xED\xA0\x80", "\xF4\x90\x80\x80", "\xE2\x82", "\xFF"};
  for (const auto& s : bad) {
    size_t pos = 0;
    EXPECT_EQ(utf8::decode(s, pos), utf8::kInvalid) << s.size();
    EXPECT_EQ(pos, 1u);
  }
  EXPECT_EQ(utf8::find_invalid("plain ascii text, long enough"), std::string_view::npos);
  EXPECT_EQ(utf8::find_invalid("0123456789abcdef\xC3\xA9\xE2\x82"), 18u);  // truncated after 16 ASCII + é
  EXPECT_EQ(utf8::find_invalid("\x80"), 0u);
  std::string euro = "\xE2\x82\xAC";  // U+20AC
  size_t pos = 0;
  EXPECT_EQ(utf8::decode(euro, pos), 0x20ACu);
  EXPECT_TRUE(utf8::is_ascii("plain"));
  EXPECT_FALSE(utf8::is_ascii(euro));
}

// ------------------------------------------------------------------ hand-checked cases

TEST(BasicTokenizer, LowercasesAndStripsAccents) {
  EXPECT_EQ(basic("Héllo"), Tokens({"hello"}));
  EXPECT_EQ(basic("naïve CAFÉ Ångström"), Tokens({"naive", "cafe", "angstrom"}));
  // Combining marks typed separately are stripped too.
  EXPECT_EQ(basic("e\xCC\x81"), Tokens({"e"}));
  // Cased: nothing changes but the splits.
  EXPECT_EQ(basic("Héllo", cased()), Tokens({"Héllo"}));
}

TEST(BasicTokenizer, StripAccentsCanBeChosenSeparately) {
  BasicTokenizerOptions keep = {};
  keep.strip_accents = false;
  EXPECT_EQ(basic("Héllo", keep), Tokens({"héllo"}));
  BasicTokenizerOptions strip = cased();
  strip.strip_accents = true;
  EXPECT_EQ(basic("Héllo", strip), Tokens({"Hello"}));
}

TEST(BasicTokenizer, SplitsCjkIdeographs) {
  EXPECT_EQ(basic("中文ab"), Tokens({"中", "文", "ab"}));
  EXPECT_EQ(basic("ab中"), Tokens({"ab", "中"}));
  // Hiragana and Hangul are not in BERT's CJK ranges: they stay inside words.
  EXPECT_EQ(basic("のテキスト"), Tokens({"のテキスト"}));
  BasicTokenizerOptions no_cjk;
  no_cjk.tokenize_chinese_chars = false;
  EXPECT_EQ(basic("中文ab", no_cjk), Tokens({"中文ab"}));
}

TEST(BasicTokenizer, SplitsPunctuation) {
  EXPECT_EQ(basic("don't"), Tokens({"don", "'", "t"}));
  EXPECT_EQ(basic("a.b,c!"), Tokens({"a", ".", "b", ",", "c", "!"}));
  // ASCII symbols that Unicode does not call punctuation are split all the same...
  EXPECT_EQ(basic("$5+x^2"), Tokens({"$", "5", "+", "x", "^", "2"}));
  // ...while non-ASCII symbols are not, and non-ASCII punctuation is.
  EXPECT_EQ(basic("x²±1 «a»"), Tokens({"x²±1", "«", "a", "»"}));
  EXPECT_EQ(basic("..."), Tokens({".", ".", "."}));
}

TEST(BasicTokenizer, RemovesControlCharactersAndTreatsTabsAsSpace) {
  EXPECT_EQ(basic("a\x01"
                  "b\tc\nd\re"),
            Tokens({"ab", "c", "d", "e"}));
  // NUL, U+FFFD and format characters (zero-width space) vanish without splitting.
  EXPECT_EQ(basic(std::string("ze\0ro", 5) + "\xEF\xBF\xBD"
                                             "x\xE2\x80\x8B"
                                             "y"),
            Tokens({"zeroxy"}));
  // Vertical tab and form feed are controls, not whitespace, in BERT.
  EXPECT_EQ(basic("a\x0b"
                  "b\x0c"
                  "c"),
            Tokens({"abc"}));
  // No-break space, ideographic space and the line/paragraph separators split words.
  EXPECT_EQ(basic("a\xC2\xA0"
                  "b\xE3\x80\x80"
                  "c\xE2\x80\xA8"
                  "d\xE2\x80\xA9"
                  "e"),
            Tokens({"a", "b", "c", "d", "e"}));
}

TEST(BasicTokenizer, EmptyAndWhitespaceOnly) {
  EXPECT_TRUE(basic("").empty());
  EXPECT_TRUE(basic("   \t\n\r  ").empty());
  EXPECT_TRUE(basic("\x01\x02").empty());
}

TEST(BasicTokenizer, KeepsSpecialTokensWhole) {
  EXPECT_EQ(basic("[CLS] Hello [SEP] world [MASK]"), Tokens({"[CLS]", "hello", "[SEP]", "world", "[MASK]"}));
  // Anywhere in the text, as Hugging Face's added-token split does.
  EXPECT_EQ(basic("x[SEP]y"), Tokens({"x", "[SEP]", "y"}));
  // Case-sensitive: a lowercased lookalike is ordinary text.
  EXPECT_EQ(basic("[cls]"), Tokens({"[", "cls", "]"}));
  BasicTokenizerOptions none;
  none.never_split.clear();
  EXPECT_EQ(basic("[CLS]", none), Tokens({"[", "cls", "]"}));
  TokenList list;
  BasicTokenizer().tokenize("a [PAD] b", list);
  ASSERT_EQ(list.size(), 3u);
  EXPECT_FALSE(list.is_special(0));
  EXPECT_TRUE(list.is_special(1));
  EXPECT_FALSE(list.is_special(2));
}

TEST(BasicTokenizer, MixedScripts) {
  EXPECT_EQ(basic("Привет, мир! mixed中English"), Tokens({"привет", ",", "мир", "!", "mixed", "中", "english"}));
  // Hangul syllables are decomposed into jamo by the NFD of accent stripping.
  EXPECT_EQ(basic("한"), Tokens({"\xE1\x84\x92\xE1\x85\xA1\xE1\x86\xAB"}));
  EXPECT_EQ(basic("한", cased()), Tokens({"한"}));
}

TEST(BasicTokenizer, LowercasesLikePython) {
  // Final sigma: "ΟΔΟΣ" -> "οδος" with U+03C2 at the end, a lone capital sigma -> U+03C3.
  EXPECT_EQ(basic("ΟΔΟΣ Σ ΑΣ."), Tokens({"οδος", "σ", "ας", "."}));
  // Case-ignorable characters (here ASCII ^) are skipped when looking for the context;
  // the squared capitals of U+1F130.. count as cased although they have no lowercase.
  EXPECT_EQ(basic("A^Σ 🄰Σ"), Tokens({"a", "^", "ς", "🄰ς"}));
  // U+0130 lowercases to "i" + U+0307, whose accent is then stripped.
  EXPECT_EQ(basic("İstanbul"), Tokens({"istanbul"}));
  BasicTokenizerOptions keep_accents;
  keep_accents.strip_accents = false;
  EXPECT_EQ(basic("İ", keep_accents), Tokens({"i\xCC\x87"}));
}

TEST(BasicTokenizer, DropsMalformedUtf8) {
  EXPECT_EQ(basic("ab\xFF"
                  "cd \x80x"),
            Tokens({"abcd", "x"}));
}

TEST(BasicTokenizer, PrivateUseKeptUnlessAllOtherCategoriesDropped) {
  const std::string text =
      "a\xEE\x80\x80"
      "b";  // U+E000
  EXPECT_EQ(basic(text), Tokens({text}));
  BasicTokenizerOptions hf;
  hf.drop_all_other_categories = true;
  EXPECT_EQ(basic(text, hf), Tokens({"ab"}));
}

TEST(BasicTokenizer, AppendsToExistingList) {
  TokenList list;
  BasicTokenizer tokenizer;
  tokenizer.tokenize("one two", list);
  tokenizer.tokenize("three", list);
  EXPECT_EQ(list.to_vector(), Tokens({"one", "two", "three"}));
  list.clear();
  EXPECT_TRUE(list.empty());
}

TEST(BasicTokenizer, RandomBytesGiveWellFormedTokens) {
  // Whatever the input, every token is non-empty, well-formed UTF-8 without whitespace,
  // and a punctuation character stands alone. Inputs mix random bytes with fragments
  // that exercise every path (special tokens, CJK, accents, sigma, controls).
  const std::vector<std::string> fragments = {"[CLS]",     "[SE", "P]", "中", "é",
                                              "e\xCC\x81", "Σ",   "\t", " ",  "\xE2\x80\xA8",
                                              "\x01",      "A",   "'",  ".",  "\xF0\x9F\x98\x80"};
  uint64_t state = 12345;
  auto next = [&] { return state = state * 6364136223846793005ull + 1442695040888963407ull, state >> 33; };
  BasicTokenizer lower;
  BasicTokenizer keep_case(cased());
  for (int round = 0; round < 3000; ++round) {
    std::string text;
    for (int k = static_cast<int>(next() % 20); k > 0; --k) {
      if (next() % 2) {
        text += fragments[next() % fragments.size()];
      } else {
        text.push_back(static_cast<char>(next() & 0xFF));
      }
    }
    for (const BasicTokenizer* tokenizer : {&lower, &keep_case}) {
      for (const auto& token : tokenizer->tokenize(text)) {
        ASSERT_FALSE(token.empty());
        size_t pos = 0, chars = 0;
        while (pos < token.size()) {
          char32_t c = utf8::decode(token, pos);
          ASSERT_NE(c, utf8::kInvalid) << text;
          ASSERT_FALSE(c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == 0x2028) << text;
          ++chars;
        }
        if (chars > 1 && token != "[CLS]") {
          ASSERT_EQ(token.find_first_of(".'"), std::string::npos) << text;
        }
      }
    }
  }
}

// ------------------------------------------------------------------ reference implementation

// Every case of bert_cases.jsonl, produced by the Python reference (Python's own Unicode
// tables and str.lower()), lowercased and cased.
TEST(BasicTokenizer, MatchesPythonReference) {
  auto cases = test::load_bert_cases();
  ASSERT_GT(cases.size(), 40u);
  BasicTokenizer lower;
  BasicTokenizer keep_case(cased());
  for (const auto& c : cases) {
    const auto& tokenizer = c.lower ? lower : keep_case;
    EXPECT_EQ(tokenizer.tokenize(c.text), c.basic) << "text: " << c.text << " lower: " << c.lower;
  }
}

}  // namespace
}  // namespace denser
