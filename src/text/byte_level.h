#pragma once
// Character classes and the word scanner of GPT-2's pre-tokenization pattern, shared by
// ByteLevelBpe and byte_level_pretokenize (see docs/text/bpe.md for the rules).
#include <cstddef>
#include <string_view>

namespace denser::text_internal {

/// Unicode's White_Space property (what \s matches in the pattern).
bool is_white_space(char32_t cp);
/// Python's str.isspace(): White_Space plus U+001C..U+001F. Hugging Face uses it for
/// add_prefix_space and for the whitespace <mask> swallows.
bool is_python_space(char32_t cp);

/// End (byte offset) of the pattern's word that starts at text[pos]; pos < text.size().
/// The result is > pos.
size_t next_pretoken_end(std::string_view text, size_t pos);

}  // namespace denser::text_internal
