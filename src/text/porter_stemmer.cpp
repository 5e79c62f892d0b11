#include "porter_stemmer.h"

#include <cstddef>
#include <span>
#include <string_view>

#include "denser/text/analyzer.h"
#include "denser/common/utf8.h"

// Step numbers below are the paper's (1a, 1b, 1c, 2, 3, 4, 5a, 5b). Lucene's code numbers
// them 1-6 but applies the same rules in the same order, including the two departures of
// Porter's reference implementation: step 2 maps "bli" (not "abli") to "ble" and adds
// "logi" -> "log". Within a step, the first suffix that matches decides, whether or not
// its measure condition then holds: "element" matches "ement", fails m > 1, and keeps the
// "ent" that alone would have gone.

namespace denser::text_internal {

namespace {

struct Rule {
  std::string_view suffix;
  std::string_view replacement;
};

// Step 2 rules grouped by the suffix's next-to-last letter (the reference dispatches on it).
std::span<const Rule> step2_rules(int penultimate) {
  static constexpr Rule kA[] = {{"ational", "ate"}, {"tional", "tion"}};
  static constexpr Rule kC[] = {{"enci", "ence"}, {"anci", "ance"}};
  static constexpr Rule kE[] = {{"izer", "ize"}};
  static constexpr Rule kL[] = {{"bli", "ble"}, {"alli", "al"}, {"entli", "ent"}, {"eli", "e"}, {"ousli", "ous"}};
  static constexpr Rule kO[] = {{"ization", "ize"}, {"ation", "ate"}, {"ator", "ate"}};
  static constexpr Rule kS[] = {{"alism", "al"}, {"iveness", "ive"}, {"fulness", "ful"}, {"ousness", "ous"}};
  static constexpr Rule kT[] = {{"aliti", "al"}, {"iviti", "ive"}, {"biliti", "ble"}};
  static constexpr Rule kG[] = {{"logi", "log"}};
  switch (penultimate) {
    case 'a': return kA;
    case 'c': return kC;
    case 'e': return kE;
    case 'l': return kL;
    case 'o': return kO;
    case 's': return kS;
    case 't': return kT;
    case 'g': return kG;
    default: return {};
  }
}

// Step 3 rules grouped by the suffix's last letter.
std::span<const Rule> step3_rules(int last) {
  static constexpr Rule kE[] = {{"icate", "ic"}, {"ative", ""}, {"alize", "al"}};
  static constexpr Rule kI[] = {{"iciti", "ic"}};
  static constexpr Rule kL[] = {{"ical", "ic"}, {"ful", ""}};
  static constexpr Rule kS[] = {{"ness", ""}};
  switch (last) {
    case 'e': return kE;
    case 'i': return kI;
    case 'l': return kL;
    case 's': return kS;
    default: return {};
  }
}

// Step 4 suffixes grouped by next-to-last letter; "ion" also needs an 's' or 't' before it.
std::span<const std::string_view> step4_suffixes(int penultimate) {
  static constexpr std::string_view kA[] = {"al"};
  static constexpr std::string_view kC[] = {"ance", "ence"};
  static constexpr std::string_view kE[] = {"er"};
  static constexpr std::string_view kI[] = {"ic"};
  static constexpr std::string_view kL[] = {"able", "ible"};
  static constexpr std::string_view kN[] = {"ant", "ement", "ment", "ent"};
  static constexpr std::string_view kO[] = {"ion", "ou"};
  static constexpr std::string_view kS[] = {"ism"};
  static constexpr std::string_view kT[] = {"ate", "iti"};
  static constexpr std::string_view kU[] = {"ous"};
  static constexpr std::string_view kV[] = {"ive"};
  static constexpr std::string_view kZ[] = {"ize"};
  switch (penultimate) {
    case 'a': return kA;
    case 'c': return kC;
    case 'e': return kE;
    case 'i': return kI;
    case 'l': return kL;
    case 'n': return kN;
    case 'o': return kO;
    case 's': return kS;
    case 't': return kT;
    case 'u': return kU;
    case 'v': return kV;
    case 'z': return kZ;
    default: return {};
  }
}

// One stemming pass over b[0, k]. Indices are signed: the stem end j can reach -1
// ("ies" -> "i" leaves an empty stem before the replacement).
using Index = std::ptrdiff_t;
template <typename C>
class Stemmer {
 public:
  Stemmer(C* word, size_t len) : b_(word), k_(static_cast<Index>(len) - 1) {}

  size_t run() {
    if (k_ > 1) {  // Lucene stems only words of three or more chars
      step1ab();
      step1c();
      step2();
      step3();
      step4();
      step5();
    }
    return static_cast<size_t>(k_ + 1);
  }

 private:
  static bool is_vowel_letter(C c) { return c == 'a' || c == 'e' || c == 'i' || c == 'o' || c == 'u'; }

  // 'y' is a consonant at the start or after a vowel, a vowel after a consonant.
  bool consonant(Index i) const {
    Index ys = 0;  // walk back over a run of 'y's: they alternate
    while (b_[i] == 'y') {
      if (i == 0) return ys % 2 == 0;
      ++ys;
      --i;
    }
    const bool c = !is_vowel_letter(b_[i]);
    return ys % 2 == 0 ? c : !c;
  }

  // consonant(i) from consonant(i - 1), for the forward scans below.
  bool next_consonant(Index i, bool previous) const {
    const C c = b_[i];
    if (c == 'y') return i == 0 || !previous;
    return !is_vowel_letter(c);
  }

  // m: the number of vowel-consonant sequences in b[0, j] ([C](VC)^m[V]). One pass.
  int measure() const {
    int m = 0;
    bool previous = true;  // a virtual consonant before the word: a leading C adds nothing
    for (Index i = 0; i <= j_; ++i) {
      const bool c = next_consonant(i, previous);
      if (c && !previous) ++m;  // a vowel-to-consonant step closes one VC
      previous = c;
    }
    return m;
  }

  bool vowel_in_stem() const {
    bool previous = true;
    for (Index i = 0; i <= j_; ++i) {
      previous = next_consonant(i, previous);
      if (!previous) return true;
    }
    return false;
  }

  bool double_consonant(Index i) const { return i >= 1 && b_[i] == b_[i - 1] && consonant(i); }

  // consonant-vowel-consonant ending at i, the last consonant not w, x or y.
  bool cvc(Index i) const {
    if (i < 2 || !consonant(i) || consonant(i - 1) || !consonant(i - 2)) return false;
    return b_[i] != 'w' && b_[i] != 'x' && b_[i] != 'y';
  }

  // Whether b[0, k] ends with s; if so the stem before it is b[0, j].
  bool ends(std::string_view s) {
    const auto len = static_cast<Index>(s.size());
    const Index start = k_ - len + 1;
    if (start < 0) return false;
    for (Index i = len - 1; i >= 0; --i)  // from the end: mismatches show up sooner
      if (b_[start + i] != static_cast<C>(s[i])) return false;
    j_ = k_ - len;
    return true;
  }

  void set_to(std::string_view s) {
    for (size_t i = 0; i < s.size(); ++i) b_[j_ + 1 + static_cast<Index>(i)] = static_cast<C>(s[i]);
    k_ = j_ + static_cast<Index>(s.size());
  }

  void apply_first(std::span<const Rule> rules) {
    for (const Rule& r : rules) {
      if (ends(r.suffix)) {
        if (measure() > 0) set_to(r.replacement);
        return;
      }
    }
  }

  // 1a: plurals; 1b: -eed, -ed, -ing.
  void step1ab() {
    if (b_[k_] == 's') {
      if (ends("sses")) {
        k_ -= 2;
      } else if (ends("ies")) {
        set_to("i");
      } else if (b_[k_ - 1] != 's') {
        --k_;
      }
    }
    // "eed", "ed", "ing"; the last letter picks which can match.
    const C last = b_[k_];
    if (last == 'd' && ends("eed")) {
      if (measure() > 0) --k_;
    } else if (((last == 'd' && ends("ed")) || (last == 'g' && ends("ing"))) && vowel_in_stem()) {
      k_ = j_;
      if (ends("at")) {
        set_to("ate");
      } else if (ends("bl")) {
        set_to("ble");
      } else if (ends("iz")) {
        set_to("ize");
      } else if (double_consonant(k_)) {
        const C doubled = b_[k_];
        if (doubled != 'l' && doubled != 's' && doubled != 'z') --k_;
      } else if (measure() == 1 && cvc(k_)) {
        set_to("e");
      }
    }
  }

  // 1c: terminal y -> i when the stem has a vowel.
  void step1c() {
    if (ends("y") && vowel_in_stem()) b_[k_] = 'i';
  }

  void step2() {
    if (k_ >= 1) apply_first(step2_rules(static_cast<int>(b_[k_ - 1])));
  }

  void step3() { apply_first(step3_rules(static_cast<int>(b_[k_]))); }

  // 4: drop -ant, -ence, ... when m > 1.
  void step4() {
    if (k_ < 1) return;
    for (std::string_view suffix : step4_suffixes(static_cast<int>(b_[k_ - 1]))) {
      if (!ends(suffix)) continue;
      if (suffix == "ion" && (j_ < 0 || (b_[j_] != 's' && b_[j_] != 't'))) continue;
      if (measure() > 1) k_ = j_;
      return;
    }
  }

  // 5a: drop a final e when m > 1, or m == 1 and not *o; 5b: -ll -> -l when m > 1.
  // j stays at the original end for both tests, as in the reference.
  void step5() {
    j_ = k_;
    if (b_[k_] == 'e') {
      const int m = measure();
      if (m > 1 || (m == 1 && !cvc(k_ - 1))) --k_;
    }
    if (b_[k_] == 'l' && double_consonant(k_) && measure() > 1) --k_;
  }

  C* b_;
  Index k_;      // index of the last char of the current word
  Index j_ = 0;  // index of the last char of the stem before a matched suffix
};

}  // namespace

size_t porter_stem_in_place(char* word, size_t len) { return Stemmer<char>(word, len).run(); }

size_t porter_stem_in_place(char16_t* word, size_t len) { return Stemmer<char16_t>(word, len).run(); }

void porter_stem_utf8(std::string& term) {
  if (utf8::is_ascii(term)) {
    term.resize(porter_stem_in_place(term.data(), term.size()));
    return;
  }
  std::u16string units;
  units.reserve(term.size());
  for (size_t pos = 0; pos < term.size();) {
    char32_t cp = utf8::decode(term, pos);
    if (cp == utf8::kInvalid) cp = 0xFFFD;  // the analyzer never produces this
    if (cp >= 0x10000) {
      cp -= 0x10000;
      units.push_back(static_cast<char16_t>(0xD800 + (cp >> 10)));
      units.push_back(static_cast<char16_t>(0xDC00 + (cp & 0x3FF)));
    } else {
      units.push_back(static_cast<char16_t>(cp));
    }
  }
  const size_t len = porter_stem_in_place(units.data(), units.size());
  std::string out;
  out.reserve(term.size());
  for (size_t i = 0; i < len; ++i) {
    char32_t cp = units[i];
    // The stemmer only rewrites ASCII suffixes, so a surrogate pair is never split.
    if (cp >= 0xD800 && cp < 0xDC00 && i + 1 < len) {
      cp = 0x10000 + ((cp - 0xD800) << 10) + (units[i + 1] - 0xDC00);
      ++i;
    }
    utf8::append(out, cp);
  }
  term = std::move(out);
}

}  // namespace denser::text_internal

namespace denser {

std::string porter_stem(std::string_view word) {
  std::string term(word);
  text_internal::porter_stem_utf8(term);
  return term;
}

}  // namespace denser
