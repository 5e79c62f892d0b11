#pragma once
// The Porter (1980) stemmer as Lucene's PorterStemmer runs it (Martin Porter's reference
// C version: the paper's rules plus "logi" -> "log" and "bli" -> "ble").
#include <cstddef>
#include <string>

namespace denser::text_internal {

/// Stems word[0, len) in place and returns the new length (never more than len). Works on
/// code units like Lucene does on Java chars: 'a' 'e' 'i' 'o' 'u' are vowels, 'y' is a
/// vowel after a consonant, every other unit (digits, non-ASCII) is a consonant. Words of
/// length <= 2 are left alone. O(len^2) worst case, O(len) in practice; no allocation.
size_t porter_stem_in_place(char* word, size_t len);
size_t porter_stem_in_place(char16_t* word, size_t len);

/// Stems a lowercase UTF-8 term in place. An ASCII term is stemmed byte-wise; any other is
/// converted to UTF-16 and back so that lengths, measures and double consonants are
/// counted in Java chars, exactly as Lucene's PorterStemFilter sees the term.
void porter_stem_utf8(std::string& term);

}  // namespace denser::text_internal
