// StandardTokenizer against hand-worked UAX#29 / Lucene grammar results, and its WORD
// scanner against the grammar written as a regular expression (randomized).
#include "text/standard_tokenizer.h"

#include <gtest/gtest.h>

#include "denser/common/error.h"

#include <random>
// GCC 12 reports false -Wmaybe-uninitialized inside libstdc++'s <regex> at -O3 with
// sanitizers; the regular expression here is only the test's oracle.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <regex>
#include <string>
#include <vector>

namespace denser::text_internal {
namespace {

std::vector<std::string> tokens(std::string_view text, size_t max_len = StandardTokenizer::kDefaultMaxTokenLength) {
  StandardTokenizer tokenizer(text, max_len);
  std::vector<std::string> out;
  std::string_view token;
  while (tokenizer.next(token)) out.emplace_back(token);
  return out;
}

using Tokens = std::vector<std::string>;

TEST(StandardTokenizerTest, EmptyAndSeparatorsOnly) {
  EXPECT_EQ(tokens(""), Tokens{});
  EXPECT_EQ(tokens(" \t\r\n"), Tokens{});
  EXPECT_EQ(tokens(".,;:!?()[]{}<>/\\|@%^&+=~`'\"-"), Tokens{});
}

TEST(StandardTokenizerTest, LettersDigitsAndUnderscore) {
  EXPECT_EQ(tokens("David has 5000 bones"), (Tokens{"David", "has", "5000", "bones"}));
  EXPECT_EQ(tokens("B2B 2B R2D2 covid19"), (Tokens{"B2B", "2B", "R2D2", "covid19"}));
  // '-' and '/' are Other: they split. '_' is ExtendNumLet: it joins (WB13a/b) and is kept
  // at either end, but a run of it alone is no token.
  EXPECT_EQ(tokens("il-6 some-dashed-phrase ac/dc"), (Tokens{"il", "6", "some", "dashed", "phrase", "ac", "dc"}));
  EXPECT_EQ(tokens("foo_bar _abc_ ___ a_1"), (Tokens{"foo_bar", "_abc_", "a_1"}));
}

TEST(StandardTokenizerTest, MidLetterAndMidNum) {
  // ':' MidLetter, ',' MidNum, '.' MidNumLet, '\'' Single_Quote: one of them between two
  // letters (or two digits, for MidNum) joins; two in a row, or at an edge, split.
  EXPECT_EQ(tokens("A:B A::B"), (Tokens{"A:B", "A", "B"}));
  EXPECT_EQ(tokens("1.2 A.B 1..2 A..B"), (Tokens{"1.2", "A.B", "1", "2", "A", "B"}));
  EXPECT_EQ(tokens("1,2 1,,2 dogs,chase"), (Tokens{"1,2", "1", "2", "dogs", "chase"}));
  EXPECT_EQ(tokens("A.:B A:.B 1,.2 1.,2"), (Tokens{"A", "B", "A", "B", "1", "2", "1", "2"}));
  EXPECT_EQ(tokens("A:B_A:B A:B_A::B 1.2_1..2 C_A.:B"), (Tokens{"A:B_A:B", "A:B_A", "B", "1.2_1", "2", "C_A", "B"}));
  // Letters and digits join directly (WB9/10) but a Mid needs the same kind on both sides.
  EXPECT_EQ(tokens("a1.5 a.1 1.a 1a.b"), (Tokens{"a1.5", "a", "1", "1", "a", "1a.b"}));
  EXPECT_EQ(tokens("3.14 1,000 1'000 216.239.63.104"), (Tokens{"3.14", "1,000", "1'000", "216.239.63.104"}));
}

TEST(StandardTokenizerTest, ApostrophesAndAbbreviations) {
  EXPECT_EQ(tokens("O'Reilly's you're don't"), (Tokens{"O'Reilly's", "you're", "don't"}));
  // U+2019 is MidNumLet too.
  EXPECT_EQ(tokens("don\u2019t"), (Tokens{"don\u2019t"}));
  // WB6/7 join "U.S.A"; the final '.' has no letter after it.
  EXPECT_EQ(tokens("the U.S.A. and e.g. this"), (Tokens{"the", "U.S.A", "and", "e.g", "this"}));
  EXPECT_EQ(tokens("'quoted' rock'n'roll"), (Tokens{"quoted", "rock'n'roll"}));
  EXPECT_EQ(tokens("1980's"), (Tokens{"1980", "s"}));  // '\'' after a digit needs a digit after
}

TEST(StandardTokenizerTest, UrlsAndEmailsAreSplit) {
  // UAX#29 has no URL or e-mail rule: ':' '/' '@' '?' '=' split, '.' joins letters.
  EXPECT_EQ(tokens("https://www.example.com/a/b?q=1"), (Tokens{"https", "www.example.com", "a", "b", "q", "1"}));
  EXPECT_EQ(tokens("mail john.doe@example.org."), (Tokens{"mail", "john.doe", "example.org"}));
}

TEST(StandardTokenizerTest, HebrewQuotes) {
  const std::string alef = "\u05D0", bet = "\u05D1";
  // WB7a: Hebrew_Letter x Single_Quote, even at the end; WB7b/c: x " Hebrew_Letter.
  EXPECT_EQ(tokens(alef + "'"), (Tokens{alef + "'"}));
  EXPECT_EQ(tokens(alef + "\"" + bet), (Tokens{alef + "\"" + bet}));
  EXPECT_EQ(tokens(alef + "\""), (Tokens{alef}));
  EXPECT_EQ(tokens("a\"b"), (Tokens{"a", "b"}));  // only Hebrew letters take '"'
}

TEST(StandardTokenizerTest, CombiningMarksAttach) {
  // WB4: Extend (U+0364, U+0301, U+3099) stays with the preceding character.
  EXPECT_EQ(tokens("mo\u0364chte"), (Tokens{"mo\u0364chte"}));
  EXPECT_EQ(tokens("cafe\u0301 x"), (Tokens{"cafe\u0301", "x"}));
  EXPECT_EQ(tokens("\u304B\u3099"), (Tokens{"\u304B\u3099"}));  // hiragana + voiced mark
  EXPECT_EQ(tokens("\u58F9\u3099"), (Tokens{"\u58F9\u3099"}));  // ideograph + mark
  EXPECT_EQ(tokens(" \u0301abc"), (Tokens{"abc"}));             // a leading mark is dropped
}

TEST(StandardTokenizerTest, CjkKanaHangul) {
  // Han and Hiragana: one token per character; Katakana and Hangul: runs; fullwidth
  // digits and letters are Numeric / ALetter.
  EXPECT_EQ(tokens("我是中国人。 １２３４ Ｔｅｓｔｓ"),
            (Tokens{"我", "是", "中", "国", "人", "１２３４", "Ｔｅｓｔｓ"}));
  EXPECT_EQ(tokens("仮名遣い カタカナ"), (Tokens{"仮", "名", "遣", "い", "カタカナ"}));
  EXPECT_EQ(tokens("안녕하세요 한글입니다"), (Tokens{"안녕하세요", "한글입니다"}));
  // No rule joins katakana to letters or digits directly (WB13 needs '_').
  EXPECT_EQ(tokens("１２３メートル abcカナ カナ_abc"), (Tokens{"１２３", "メートル", "abc", "カナ", "カナ_abc"}));
  // U+20021 (supplementary ideograph) is one token, 4 bytes.
  EXPECT_EQ(tokens("\U00020021\u4E00"), (Tokens{"\U00020021", "\u4E00"}));
}

TEST(StandardTokenizerTest, SouthEastAsianRuns) {
  // Line_Break=SA runs (Thai, Lao) are single tokens; Thai digits are Numeric.
  EXPECT_EQ(tokens("การที่ได้ต้องแสดงว่างานดี. แล้วเธอจะไปไหน? ๑๒๓๔"),
            (Tokens{"การที่ได้ต้องแสดงว่างานดี", "แล้วเธอจะไปไหน", "๑๒๓๔"}));
  EXPECT_EQ(tokens("ສາທາລະນະລັດ ປະຊາທິປະໄຕ"), (Tokens{"ສາທາລະນະລັດ", "ປະຊາທິປະໄຕ"}));
}

TEST(StandardTokenizerTest, OtherScripts) {
  EXPECT_EQ(tokens("Γράφεται σε συνεργασία, wiki."), (Tokens{"Γράφεται", "σε", "συνεργασία", "wiki"}));
  EXPECT_EQ(tokens("Վիքիպեդիայի 13 (4,600`"), (Tokens{"Վիքիպեդիայի", "13", "4,600"}));
  EXPECT_EQ(tokens("ویکی پدیای ۲۵"), (Tokens{"ویکی", "پدیای", "۲۵"}));
}

TEST(StandardTokenizerTest, Emoji) {
  EXPECT_EQ(tokens("💩 💩💩"), (Tokens{"💩", "💩", "💩"}));
  EXPECT_EQ(tokens("poo💩poo 💩中國💩"), (Tokens{"poo", "💩", "poo", "💩", "中", "國", "💩"}));
  // ZWJ sequence, with presentation selectors and a skin-tone modifier.
  EXPECT_EQ(tokens("👩\u200D❤\uFE0F\u200D👩"), (Tokens{"👩\u200D❤\uFE0F\u200D👩"}));
  EXPECT_EQ(tokens("👨🏼\u200D⚕\uFE0F"), (Tokens{"👨🏼\u200D⚕\uFE0F"}));
  // Regional indicators pair up; a lone one is dropped.
  EXPECT_EQ(tokens("🇺🇸🇺🇸 🇺"), (Tokens{"🇺🇸", "🇺🇸"}));
  // Keycaps; a text presentation selector (U+FE0E) ends an emoji and is no keycap.
  EXPECT_EQ(tokens("#\uFE0F\u20E3 3\uFE0F\u20E3 1\u20E3"), (Tokens{"#\uFE0F\u20E3", "3\uFE0F\u20E3", "1\u20E3"}));
  EXPECT_EQ(tokens("#\uFE0E"), Tokens{});
  EXPECT_EQ(tokens("3\uFE0E"), (Tokens{"3\uFE0E"}));  // a number with an Extend char
  EXPECT_EQ(tokens("\u2B55\uFE0E"), (Tokens{"\u2B55"}));
  EXPECT_EQ(tokens("\u2B55\uFE0E\u200D\u2B55\uFE0E"), (Tokens{"\u2B55", "\u200D\u2B55"}));
  // Tag sequence (flag of England): black flag, tags "gbeng", cancel tag.
  const std::string england = "🏴\U000E0067\U000E0062\U000E0065\U000E006E\U000E0067\U000E007F";
  EXPECT_EQ(tokens(england + " x"), (Tokens{england, "x"}));
  // (c) and TM are Extended_Pictographic: emoji tokens of their own.
  EXPECT_EQ(tokens("©2020 Acme™"), (Tokens{"©", "2020", "Acme", "™"}));
  // Under Unicode 9 (Lucene's word data) a skin-tone modifier does not extend a letter.
  EXPECT_EQ(tokens("a🏻 👍🏻"), (Tokens{"a", "🏻", "👍🏻"}));
}

TEST(StandardTokenizerTest, InvalidUtf8Separates) {
  EXPECT_EQ(tokens("ab\xFF"
                   "cd"),
            (Tokens{"ab", "cd"}));
  EXPECT_EQ(tokens("ab\xC3"
                   "cd"),
            (Tokens{"ab", "cd"}));  // truncated sequence
  EXPECT_EQ(tokens("ab\xC0\xAF"
                   "cd"),
            (Tokens{"ab", "cd"}));  // overlong '/'
  EXPECT_EQ(tokens("ab\xED\xA0\x80"
                   "cd"),
            (Tokens{"ab", "cd"}));                                // encoded surrogate
  EXPECT_EQ(tokens("\x80\x80x\xF4\x90\x80\x80"), (Tokens{"x"}));  // above U+10FFFF
}

TEST(StandardTokenizerTest, LongTokensAreCutAtMaxLength) {
  const std::string b255(255, 'b');
  EXPECT_EQ(tokens("x " + b255 + " " + b255 + "b"), (Tokens{"x", b255, b255, "b"}));
  EXPECT_EQ(tokens(std::string(300, 'a')), (Tokens{std::string(255, 'a'), std::string(45, 'a')}));
  EXPECT_EQ(tokens("ab cd toolong xy z", 5), (Tokens{"ab", "cd", "toolo", "ng", "xy", "z"}));
  // Lengths count UTF-16 units: 'é' is 1 unit (2 bytes) ...
  std::string e300;
  for (int i = 0; i < 300; ++i) e300 += "é";
  std::string e255;
  for (int i = 0; i < 255; ++i) e255 += "é";
  EXPECT_EQ(tokens(e300).at(0), e255);
  // ... and U+1D400 (bold A, a letter) is 2: after 254 'a' it no longer fits.
  EXPECT_EQ(tokens(std::string(254, 'a') + "\U0001D400"), (Tokens{std::string(254, 'a'), "\U0001D400"}));
  // The window also bounds lookahead: with the '.' as the 255th char, "x.y" cannot join.
  EXPECT_EQ(tokens(std::string(254, 'a') + ".b"), (Tokens{std::string(254, 'a'), "b"}));
  EXPECT_EQ(tokens(std::string(253, 'a') + ".b"), (Tokens{std::string(253, 'a') + ".b"}));
}

TEST(StandardTokenizerTest, LongExtendNumLetRuns) {
  // Lucene skips '_' one at a time until the letter after the run fits in the window.
  EXPECT_EQ(tokens(std::string(300, '_') + "a"), (Tokens{std::string(254, '_') + "a"}));
  EXPECT_EQ(tokens(std::string(300, '_') + " a"), (Tokens{"a"}));
  // A word's trailing '_' count toward its length; the rest of the run is dropped.
  EXPECT_EQ(tokens("a" + std::string(400, '_')), (Tokens{"a" + std::string(254, '_')}));
  // Marks inside the run that can start another token are not skipped.
  EXPECT_EQ(tokens("__\u200D💩"), (Tokens{"\u200D💩"}));
  // Linear time: a megabyte of '_' is skipped in one step.
  EXPECT_EQ(tokens(std::string(1 << 20, '_') + "z"), (Tokens{std::string(254, '_') + "z"}));
}

// The WORD rule of Lucene's grammar over symbols, as an ECMAScript regular expression:
// a letter, h Hebrew letter, n digit, k katakana, e ExtendNumLet, l MidLetter, m MidNum,
// p MidNumLet, q Single_Quote, d Double_Quote, x Extend, o other.
std::string word_regex() {
  const std::string x = "x*";
  const std::string A = "[ah]" + x, H = "h" + x, N = "n" + x, K = "k" + x, E = "e" + x;
  const std::string ML = "[lpq]" + x, MN = "[mpq]" + x, SQ = "q" + x, DQ = "d" + x;
  const std::string seg = "(?:" + H + "(?:" + SQ + "|" + DQ + H + ")|" + N + "(?:(?:(?:" + E + ")*|" + MN + ")" + N +
                          ")*|" + A + "(?:(?:(?:" + E + ")*|" + ML + ")" + A + ")*)";
  const std::string core = "(?:" + K + "(?:(?:" + E + ")*" + K + ")*|(?:" + seg + ")+)";
  return "(?:" + E + ")*" + core + "(?:(?:" + E + ")+" + core + ")*(?:" + E + ")*";
}

// Tokens of a symbol string by longest match of the regex, skipping a symbol when none.
std::vector<std::string> regex_tokens(const std::string& symbols, const std::regex& word) {
  std::vector<std::string> out;
  size_t pos = 0;
  while (pos < symbols.size()) {
    size_t best = 0;
    for (size_t len = symbols.size() - pos; len > 0; --len) {
      if (std::regex_match(symbols.begin() + static_cast<std::ptrdiff_t>(pos),
                           symbols.begin() + static_cast<std::ptrdiff_t>(pos + len), word)) {
        best = len;
        break;
      }
    }
    if (best == 0) {
      ++pos;
    } else {
      out.push_back(symbols.substr(pos, best));
      pos += best;
    }
  }
  return out;
}

TEST(StandardTokenizerTest, WordRuleMatchesGrammarRegex) {
  const std::string alphabet = "ahnkelmpqdxo";
  const char* chars[] = {"a", "\u05D0", "1", "\u30AB", "_", ":", ",", ".", "'", "\"", "\u0301", " "};
  const std::regex word(word_regex());
  std::mt19937 rng(29);
  std::uniform_int_distribution<size_t> pick(0, alphabet.size() - 1), length(1, 9);
  for (int trial = 0; trial < 4000; ++trial) {
    std::string symbols;
    const size_t n = length(rng);
    for (size_t i = 0; i < n; ++i) symbols += alphabet[pick(rng)];
    // Tokenize the text the symbols stand for, then map each token back to symbols.
    std::string text;
    for (char s : symbols) text += chars[alphabet.find(s)];
    std::vector<std::string> got;
    StandardTokenizer tokenizer(text);
    std::string_view token;
    while (tokenizer.next(token)) {
      std::string sym;
      for (size_t i = 0; i < token.size();) {
        size_t k = 0;
        while (k < alphabet.size() && token.substr(i).rfind(chars[k], 0) != 0) ++k;
        ASSERT_LT(k, alphabet.size()) << "unexpected bytes in token of " << symbols;
        sym += alphabet[k];
        i += std::string_view(chars[k]).size();
      }
      got.push_back(sym);
    }
    ASSERT_EQ(got, regex_tokens(symbols, word)) << "symbols: " << symbols;
  }
}

TEST(WordBreakTableTest, SpotChecksAgainstTheUnicodeData) {
  const WordBreakTable& t = WordBreakTable::get();
  EXPECT_EQ(t.props('a'), kWbALetter);
  EXPECT_EQ(t.props('7'), kWbNumeric);
  EXPECT_EQ(t.props('_'), kWbExtendNumLet);
  EXPECT_EQ(t.props(':'), kWbMidLetter);
  EXPECT_EQ(t.props(','), kWbMidNum);
  EXPECT_EQ(t.props('.'), kWbMidNumLet);
  EXPECT_EQ(t.props('\''), kWbSingleQuote);
  EXPECT_EQ(t.props('"'), kWbDoubleQuote);
  EXPECT_EQ(t.props(' '), kWbOther);
  EXPECT_EQ(t.props(0x05D0), kWbHebrewLetter);     // HEBREW LETTER ALEF
  EXPECT_EQ(t.props(0x30AB), kWbKatakana);         // KATAKANA LETTER KA
  EXPECT_EQ(t.props(0x30FC), kWbKatakana);         // PROLONGED SOUND MARK
  EXPECT_EQ(t.props(0xFF11), kWbNumeric);          // FULLWIDTH DIGIT ONE
  EXPECT_EQ(t.props(0x0301), kWbExtendFormatZwj);  // COMBINING ACUTE ACCENT
  EXPECT_EQ(t.props(0x200D), kWbExtendFormatZwj);  // ZERO WIDTH JOINER
  EXPECT_EQ(t.props(0x00AD), kWbExtendFormatZwj);  // SOFT HYPHEN (Format)
  EXPECT_EQ(t.props(0x1F1E6), kWbRegionalIndicator);
  EXPECT_EQ(t.props(0x4E00), kPropHan);               // Han is Word_Break=Other
  EXPECT_EQ(t.props(0x3005), kWbALetter | kPropHan);  // IDEOGRAPHIC ITERATION MARK
  EXPECT_EQ(t.props(0x3042), kPropHiragana);
  EXPECT_EQ(t.props(0x0E01), kPropComplexContext);                       // THAI CHARACTER KO KAI
  EXPECT_EQ(t.props(0x0E31), kWbExtendFormatZwj | kPropComplexContext);  // Thai vowel sign
  EXPECT_EQ(t.props(0x1F4A9), kPropEmojiChar);
  EXPECT_EQ(t.props(0x00A9), kPropEmojiChar);  // (c): Extended_Pictographic
  EXPECT_EQ(t.props(0x2139), kWbALetter | kPropEmojiChar);
  EXPECT_EQ(t.props(0x1F44D), kPropEmojiChar | kPropEmojiModifierBase);
  EXPECT_EQ(t.props(0x1F3FB), kPropEmojiModifier);  // Unicode 9: not Extend
  EXPECT_EQ(t.props(0x202F), kWbOther);             // Unicode 9: not ExtendNumLet
  EXPECT_EQ(t.props(0x1E900), kWbALetter);          // Adlam: Unicode 9
  EXPECT_EQ(t.props(0x0860), kWbOther);             // Syriac for Malayalam: Unicode 10
  EXPECT_EQ(t.props(0x10FFFF), kWbOther);
  for (unsigned c = 0; c < 128; ++c) EXPECT_EQ(t.ascii_props(static_cast<unsigned char>(c)), t.props(c));
}

TEST(StandardTokenizerTest, RejectsTinyMaxLength) { EXPECT_THROW(StandardTokenizer("x", 1), Error); }

}  // namespace
}  // namespace denser::text_internal
