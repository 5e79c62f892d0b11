#pragma once
// UTF-8 decoding, encoding and validation shared by the data and text modules. Header-only: they sit in
// the innermost loops of the tokenizers, where a call per code point would cost more than
// the work.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace denser::utf8 {

/// Returned by decode() for a byte that does not start a well-formed sequence.
inline constexpr char32_t kInvalid = 0xFFFFFFFFu;
inline constexpr char32_t kMaxCodePoint = 0x10FFFF;

/// True for the bytes 10xxxxxx that continue a multi-byte sequence.
inline bool is_continuation(unsigned char byte) { return (byte & 0xC0) == 0x80; }

/// The largest cut <= pos that does not split a character: s.substr(0, cut) keeps whole
/// characters only (pos >= s.size() gives s.size()).
inline size_t character_boundary_before(std::string_view s, size_t pos) {
  if (pos >= s.size()) return s.size();
  while (pos > 0 && is_continuation(static_cast<unsigned char>(s[pos]))) --pos;
  return pos;
}

/// Decodes the code point that starts at s[pos] and advances pos past it. A byte that does
/// not start a well-formed sequence (stray continuation, overlong form, surrogate, value
/// above U+10FFFF, truncated sequence) yields kInvalid and advances pos by exactly one
/// byte, so a caller can skip or replace it and resynchronise. Requires pos < s.size().
inline char32_t decode(std::string_view s, size_t& pos) {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data()) + pos;
  const size_t left = s.size() - pos;
  const unsigned char b0 = p[0];
  if (b0 < 0x80) {
    pos += 1;
    return b0;
  }
  size_t len;
  char32_t cp;
  char32_t min;
  if ((b0 & 0xE0) == 0xC0) {
    len = 2, cp = b0 & 0x1F, min = 0x80;
  } else if ((b0 & 0xF0) == 0xE0) {
    len = 3, cp = b0 & 0x0F, min = 0x800;
  } else if ((b0 & 0xF8) == 0xF0) {
    len = 4, cp = b0 & 0x07, min = 0x10000;
  } else {
    pos += 1;
    return kInvalid;
  }
  if (left < len) {
    pos += 1;
    return kInvalid;
  }
  for (size_t k = 1; k < len; ++k) {
    if (!is_continuation(p[k])) {
      pos += 1;
      return kInvalid;
    }
    cp = (cp << 6) | (p[k] & 0x3F);
  }
  if (cp < min || cp > kMaxCodePoint || (cp >= 0xD800 && cp <= 0xDFFF)) {
    pos += 1;
    return kInvalid;
  }
  pos += len;
  return cp;
}

/// Bytes needed to encode cp (1-4); cp must be a valid scalar value.
inline size_t encoded_length(char32_t cp) { return cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4; }

/// Appends the UTF-8 encoding of cp (a valid scalar value) to out.
inline void append(std::string& out, char32_t cp) {
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

/// Number of code points in s, counting every byte that is not a continuation byte
/// (exact for valid UTF-8, which is all the tokenizers ever produce).
inline size_t count_code_points(std::string_view s) {
  size_t n = 0;
  for (char c : s) n += !is_continuation(static_cast<unsigned char>(c));
  return n;
}

/// Byte offset of the first byte of s that does not start a well-formed sequence (see
/// decode()), or std::string_view::npos when s is valid UTF-8. Skips ASCII 8 bytes at a time.
inline size_t find_invalid(std::string_view s) {
  size_t pos = 0;
  while (pos < s.size()) {
    if (pos + 8 <= s.size()) {
      uint64_t word;
      std::memcpy(&word, s.data() + pos, 8);
      if ((word & 0x8080808080808080ull) == 0) {
        pos += 8;
        continue;
      }
    }
    const size_t at = pos;
    if (decode(s, pos) == kInvalid) return at;
  }
  return std::string_view::npos;
}

/// True when every byte of s is ASCII.
inline bool is_ascii(std::string_view s) {
  for (char c : s)
    if (static_cast<unsigned char>(c) >= 0x80) return false;
  return true;
}

}  // namespace denser::utf8
