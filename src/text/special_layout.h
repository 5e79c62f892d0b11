#pragma once
// Pieces shared by the SubwordTokenizer implementations (WordPiece, ByteLevelBpe): the
// model forms (special tokens around one or two encoded texts, with truncation) and
// fingerprints.
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "denser/text/tokenizer.h"

namespace denser::text_internal {

/// Appends the ids of at most max_ids first pieces of text to ids.
using PrefixEncoder = std::function<void(std::string_view text, size_t max_ids, std::vector<int32_t>& ids)>;

/// Where the special tokens go: head A middle B tail. Ids of A and everything before it
/// have type 0; B and tail have second_type.
struct SpecialLayout {
  std::vector<int32_t> head, middle, tail;
  int32_t second_type = 0;
  std::string_view who;  // names the tokenizer in errors
};

/// head text tail, the text cut so that the whole has at most max_length ids (0: no
/// limit). Throws denser::Error when max_length cannot hold head and tail.
Encoding build_single(const SpecialLayout& layout, const PrefixEncoder& encode, std::string_view text,
                      size_t max_length);
/// head first middle second tail, the texts cut by truncate_longest_first.
Encoding build_pair(const SpecialLayout& layout, const PrefixEncoder& encode, std::string_view first,
                    std::string_view second, size_t max_length);

/// CRC-32C of the strings, each followed by a 0 byte, continuing from crc.
uint32_t crc_strings(const std::vector<std::string>& strings, uint32_t crc);

}  // namespace denser::text_internal
