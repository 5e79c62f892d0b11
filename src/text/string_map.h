#pragma once
// A hash map from strings to 32-bit values for the tokenizers' vocabularies and word
// counts. Keys are copied into one arena and looked up by string_view, so a lookup never
// allocates and the map stays valid when copied or moved (no views into other objects).
// Open addressing with linear probing; entries keep their insertion order.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace denser::text_internal {

/// A fast non-cryptographic 64-bit hash of a byte string (word-at-a-time mixing followed
/// by a 64-bit finaliser); good enough to spread short tokens over a power-of-two table.
uint64_t hash_bytes(std::string_view s);

/// Not thread-safe for writes; const methods may run concurrently.
class StringMap {
 public:
  StringMap() = default;

  size_t size() const { return values_.size(); }
  bool empty() const { return values_.empty(); }

  /// The value stored for key, or nullptr. O(1) expected.
  const uint32_t* find(std::string_view key) const;
  /// Inserts (key, value) when key is absent. Returns the index of key's entry (insertion
  /// order) and whether it was inserted; an existing entry keeps its value.
  std::pair<size_t, bool> insert(std::string_view key, uint32_t value);

  /// The entry at insertion index i.
  std::string_view key_at(size_t i) const {
    return std::string_view(arena_).substr(offsets_[i], offsets_[i + 1] - offsets_[i]);
  }
  uint32_t value_at(size_t i) const { return values_[i]; }

 private:
  void grow();
  size_t probe_start(uint64_t hash) const { return static_cast<size_t>(hash) & (slots_.size() - 1); }
  static uint64_t slot_value(uint64_t hash, size_t index) { return (hash & 0xFFFFFFFF00000000ull) | (index + 1); }

  std::string arena_;               // all keys, back to back
  std::vector<size_t> offsets_{0};  // entry i spans arena_[offsets_[i], offsets_[i + 1])
  std::vector<uint32_t> values_;    // per entry
  std::vector<uint64_t> hashes_;    // per entry, for rehashing
  // Per slot: high 32 bits of the key's hash (rejects most mismatches without touching the
  // entry) and entry index + 1 in the low 32 bits; 0 marks an empty slot.
  std::vector<uint64_t> slots_;
};

}  // namespace denser::text_internal
