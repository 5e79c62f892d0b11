#include "byte_level.h"

#include <utf8proc.h>

#include <array>
#include <cstdint>

#include "denser/common/utf8.h"
#include "denser/text/bpe.h"

namespace denser {
namespace text_internal {
namespace {

enum class CharClass : uint8_t { kSpace, kLetter, kNumber, kOther };

CharClass classify_code_point(char32_t cp) {
  if (cp == utf8::kInvalid) return CharClass::kOther;  // a stray byte: neither space, letter nor number
  if (is_white_space(cp)) return CharClass::kSpace;
  switch (utf8proc_category(static_cast<utf8proc_int32_t>(cp))) {
    case UTF8PROC_CATEGORY_LU:
    case UTF8PROC_CATEGORY_LL:
    case UTF8PROC_CATEGORY_LT:
    case UTF8PROC_CATEGORY_LM:
    case UTF8PROC_CATEGORY_LO: return CharClass::kLetter;
    case UTF8PROC_CATEGORY_ND:
    case UTF8PROC_CATEGORY_NL:
    case UTF8PROC_CATEGORY_NO: return CharClass::kNumber;
    default: return CharClass::kOther;
  }
}

const std::array<CharClass, 128>& ascii_classes() {
  static const std::array<CharClass, 128> table = [] {
    std::array<CharClass, 128> t{};
    for (char32_t c = 0; c < 128; ++c) t[c] = classify_code_point(c);
    return t;
  }();
  return table;
}

/// Class of the character at text[pos]; advances pos past it.
inline CharClass next_class(std::string_view text, size_t& pos) {
  const auto byte = static_cast<unsigned char>(text[pos]);
  if (byte < 0x80) {
    ++pos;
    return ascii_classes()[byte];
  }
  return classify_code_point(utf8::decode(text, pos));
}

}  // namespace

bool is_white_space(char32_t cp) {
  if (cp < 0x80) return (cp >= 0x09 && cp <= 0x0D) || cp == 0x20;
  return cp == 0x85 || cp == 0xA0 || cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200A) || cp == 0x2028 || cp == 0x2029 ||
         cp == 0x202F || cp == 0x205F || cp == 0x3000;
}

bool is_python_space(char32_t cp) { return is_white_space(cp) || (cp >= 0x1C && cp <= 0x1F); }

size_t next_pretoken_end(std::string_view text, size_t pos) {
  // 's|'t|'re|'ve|'m|'ll|'d: tried first, lowercase only.
  if (text[pos] == '\'') {
    static constexpr std::string_view kContractions[] = {"s", "t", "re", "ve", "m", "ll", "d"};
    const std::string_view rest = text.substr(pos + 1);
    for (std::string_view c : kContractions)
      if (rest.starts_with(c)) return pos + 1 + c.size();
  }
  // ` ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+`: an optional U+0020, then a run of one class.
  size_t body = text[pos] == ' ' && pos + 1 < text.size() ? pos + 1 : pos;
  size_t end = body;
  const CharClass cls = next_class(text, end);
  if (cls != CharClass::kSpace) {
    for (size_t next = end; end < text.size() && next_class(text, next) == cls; next = end) end = next;
    return end;
  }
  // `\s+(?!\S)|\s+`: a whitespace run; when non-space follows, the run gives its last
  // character back to the next word (a lone character stays, by the second alternative).
  end = pos;
  size_t last = pos;
  for (size_t next = pos; next < text.size() && next_class(text, next) == CharClass::kSpace; next = end) {
    last = end;
    end = next;
  }
  return end < text.size() && last > pos ? last : end;
}

}  // namespace text_internal

std::vector<std::string_view> byte_level_pretokenize(std::string_view text) {
  std::vector<std::string_view> words;
  for (size_t pos = 0; pos < text.size();) {
    const size_t end = text_internal::next_pretoken_end(text, pos);
    words.push_back(text.substr(pos, end - pos));
    pos = end;
  }
  return words;
}

const std::vector<std::string>& byte_level_alphabet() {
  static const std::vector<std::string> alphabet = [] {
    std::vector<std::string> out(256);
    char32_t extra = 256;
    for (char32_t b = 0; b < 256; ++b) {
      const bool printable = (b >= 0x21 && b <= 0x7E) || (b >= 0xA1 && b <= 0xAC) || b >= 0xAE;
      utf8::append(out[b], printable ? b : extra++);
    }
    return out;
  }();
  return alphabet;
}

}  // namespace denser
