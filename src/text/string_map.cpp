#include "string_map.h"

#include <cstring>

namespace denser::text_internal {
namespace {

constexpr uint64_t kMul1 = 0x9E3779B97F4A7C15ull;
constexpr uint64_t kMul2 = 0xBF58476D1CE4E5B9ull;
constexpr uint64_t kMul3 = 0x94D049BB133111EBull;

inline uint64_t rotate_left(uint64_t x, int r) { return (x << r) | (x >> (64 - r)); }

}  // namespace

uint64_t hash_bytes(std::string_view s) {
  const char* p = s.data();
  size_t n = s.size();
  uint64_t h = kMul1 * (n + 1);
  while (n >= 8) {
    uint64_t word;
    std::memcpy(&word, p, 8);
    h = rotate_left(h ^ (word * kMul2), 31) * kMul1;
    p += 8;
    n -= 8;
  }
  if (n > 0) {
    uint64_t word = 0;
    std::memcpy(&word, p, n);
    h = rotate_left(h ^ (word * kMul2), 31) * kMul1;
  }
  // Finaliser: every input bit affects the low bits that pick the slot.
  h ^= h >> 30;
  h *= kMul2;
  h ^= h >> 27;
  h *= kMul3;
  h ^= h >> 31;
  return h;
}

const uint32_t* StringMap::find(std::string_view key) const {
  if (slots_.empty()) return nullptr;
  const uint64_t hash = hash_bytes(key);
  const uint64_t tag = hash & 0xFFFFFFFF00000000ull;
  const size_t mask = slots_.size() - 1;
  for (size_t slot = probe_start(hash);; slot = (slot + 1) & mask) {
    const uint64_t entry = slots_[slot];
    if (entry == 0) return nullptr;
    if ((entry & 0xFFFFFFFF00000000ull) != tag) continue;
    const size_t i = static_cast<uint32_t>(entry) - 1;
    if (key_at(i) == key) return &values_[i];
  }
}

std::pair<size_t, bool> StringMap::insert(std::string_view key, uint32_t value) {
  if ((values_.size() + 1) * 2 > slots_.size()) grow();  // load factor at most 1/2
  const uint64_t hash = hash_bytes(key);
  const uint64_t tag = hash & 0xFFFFFFFF00000000ull;
  const size_t mask = slots_.size() - 1;
  size_t slot = probe_start(hash);
  for (;; slot = (slot + 1) & mask) {
    const uint64_t entry = slots_[slot];
    if (entry == 0) break;
    const size_t i = static_cast<uint32_t>(entry) - 1;
    if ((entry & 0xFFFFFFFF00000000ull) == tag && key_at(i) == key) return {i, false};
  }
  arena_.append(key);
  offsets_.push_back(arena_.size());
  values_.push_back(value);
  hashes_.push_back(hash);
  slots_[slot] = slot_value(hash, values_.size() - 1);
  return {values_.size() - 1, true};
}

void StringMap::grow() {
  const size_t capacity = slots_.empty() ? 16 : slots_.size() * 2;
  slots_.assign(capacity, 0);
  const size_t mask = capacity - 1;
  for (size_t i = 0; i < hashes_.size(); ++i) {
    size_t slot = probe_start(hashes_[i]);
    while (slots_[slot] != 0) slot = (slot + 1) & mask;
    slots_[slot] = slot_value(hashes_[i], i);
  }
}

}  // namespace denser::text_internal
