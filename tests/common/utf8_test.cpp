#include "denser/common/utf8.h"

#include <gtest/gtest.h>

#include <string>
#include <string_view>

namespace {

TEST(Utf8, AcceptsWellFormedText) {
  constexpr size_t kOk = std::string_view::npos;
  EXPECT_EQ(denser::utf8::find_invalid(""), kOk);
  EXPECT_EQ(denser::utf8::find_invalid("plain ascii, long enough for the word-at-a-time path"), kOk);
  EXPECT_EQ(denser::utf8::find_invalid("caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80"), kOk);  // é € 😀
  EXPECT_EQ(denser::utf8::find_invalid("\xF4\x8F\xBF\xBF"), kOk);                           // U+10FFFF
  EXPECT_EQ(denser::utf8::find_invalid("\xED\x9F\xBF"), kOk);                               // U+D7FF
}

TEST(Utf8, FindsTheFirstBadByte) {
  EXPECT_EQ(denser::utf8::find_invalid("ab\x80"), 2u);            // stray continuation byte
  EXPECT_EQ(denser::utf8::find_invalid("a\xC0\xAF"), 1u);         // overlong '/'
  EXPECT_EQ(denser::utf8::find_invalid("\xE0\x80\xAF"), 0u);      // overlong, 3 bytes
  EXPECT_EQ(denser::utf8::find_invalid("xy\xED\xA0\x80"), 2u);    // surrogate U+D800
  EXPECT_EQ(denser::utf8::find_invalid("\xF4\x90\x80\x80"), 0u);  // above U+10FFFF
  EXPECT_EQ(denser::utf8::find_invalid("abc\xE2\x82"), 3u);       // truncated at the end
  EXPECT_EQ(denser::utf8::find_invalid("\xC3("), 0u);             // bad continuation
  EXPECT_EQ(denser::utf8::find_invalid("ok\xFF"), 2u);
  // The ASCII fast path must not skip a bad byte anywhere in a word.
  for (size_t k = 0; k < 40; ++k) {
    std::string s(40, 'a');
    s[k] = '\xFE';
    EXPECT_EQ(denser::utf8::find_invalid(s), k) << k;
  }
}

TEST(Utf8, DecodeAdvancesOneByteOnInvalidInput) {
  std::string_view s("a\xC3\xA9\xFFz");
  size_t pos = 0;
  EXPECT_EQ(denser::utf8::decode(s, pos), U'a');
  EXPECT_EQ(denser::utf8::decode(s, pos), U'\u00E9');
  EXPECT_EQ(pos, 3u);
  EXPECT_EQ(denser::utf8::decode(s, pos), denser::utf8::kInvalid);
  EXPECT_EQ(pos, 4u);
  EXPECT_EQ(denser::utf8::decode(s, pos), U'z');
  std::string out;
  denser::utf8::append(out, U'\U0001F600');
  EXPECT_EQ(out, "\xF0\x9F\x98\x80");
}

TEST(Utf8, CharacterBoundaryBeforeNeverSplitsACharacter) {
  const std::string s =
      "ab\xC3\xA9"
      "c\xE4\xB8\xAD";  // a b é c 中
  EXPECT_EQ(denser::utf8::character_boundary_before(s, 0), 0u);
  EXPECT_EQ(denser::utf8::character_boundary_before(s, 2), 2u);  // before é
  EXPECT_EQ(denser::utf8::character_boundary_before(s, 3), 2u);  // inside é
  EXPECT_EQ(denser::utf8::character_boundary_before(s, 4), 4u);  // after é
  EXPECT_EQ(denser::utf8::character_boundary_before(s, 6), 5u);  // inside 中
  EXPECT_EQ(denser::utf8::character_boundary_before(s, 7), 5u);
  EXPECT_EQ(denser::utf8::character_boundary_before(s, 8), 8u);  // the end
  EXPECT_EQ(denser::utf8::character_boundary_before(s, 99), 8u);
}

}  // namespace
