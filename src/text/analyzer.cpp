#include "denser/text/analyzer.h"

#include <utf8proc.h>

#include "denser/common/utf8.h"
#include "porter_stemmer.h"
#include "standard_tokenizer.h"

namespace denser {

namespace {

// EnglishPossessiveFilter: a trailing "'s" with the apostrophe ' (U+0027), ’ (U+2019) or
// ＇ (U+FF07) and s or S is removed. It runs before lowercasing, as in Lucene.
std::string_view strip_possessive(std::string_view token) {
  const size_t n = token.size();
  if (n < 2 || (token[n - 1] != 's' && token[n - 1] != 'S')) return token;
  if (token[n - 2] == '\'') return token.substr(0, n - 2);
  if (n >= 4) {
    const std::string_view apostrophe = token.substr(n - 4, 3);
    if (apostrophe == "\xE2\x80\x99" || apostrophe == "\xEF\xBC\x87") return token.substr(0, n - 4);
  }
  return token;
}

// LowerCaseFilter: Unicode simple lowercase mapping of each code point (Java's
// Character.toLowerCase; utf8proc has the same data). Writes into term and returns whether
// the result is pure ASCII. Tokens are valid UTF-8 (the tokenizer never includes invalid
// bytes).
bool lowercase_into(std::string_view token, std::string& term) {
  size_t i = 0;
  term.assign(token);
  for (; i < term.size(); ++i) {
    const char c = term[i];
    if (static_cast<unsigned char>(c) >= 0x80) break;
    if (c >= 'A' && c <= 'Z') term[i] = static_cast<char>(c + ('a' - 'A'));
  }
  if (i == token.size()) return true;
  term.resize(i);
  bool ascii = true;
  for (size_t pos = i; pos < token.size();) {
    const char32_t cp = utf8::decode(token, pos);
    const auto lower = static_cast<char32_t>(utf8proc_tolower(static_cast<utf8proc_int32_t>(cp)));
    ascii &= lower < 0x80;
    utf8::append(term, lower);
  }
  return ascii;
}

}  // namespace

Bm25Analyzer::Bm25Analyzer(AnalyzerOptions options) : options_(options) {}

void Bm25Analyzer::analyze(std::string_view text, std::vector<std::string>& terms) const {
  text_internal::StandardTokenizer tokenizer(text);
  std::string_view token;
  while (tokenizer.next(token)) {
    token = strip_possessive(token);
    if (token.empty()) continue;  // the tokenizer never yields a bare "'s"; be safe
    std::string& term = terms.emplace_back();
    const bool ascii = lowercase_into(token, term);
    if (options_.remove_stopwords && is_english_stop_word(term)) {
      terms.pop_back();
      continue;
    }
    if (options_.stem) {
      if (ascii) {
        term.resize(text_internal::porter_stem_in_place(term.data(), term.size()));
      } else {
        text_internal::porter_stem_utf8(term);
      }
    }
  }
}

}  // namespace denser
