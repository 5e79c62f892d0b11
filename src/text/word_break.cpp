#include "word_break.h"

#include <map>

namespace denser::text_internal {

namespace {
constexpr char32_t kNumCodePoints = 0x110000;
}  // namespace

WordBreakTable::WordBreakTable() {
  constexpr size_t kBlockSize = size_t{1} << kBlockBits;
  index_.resize(kNumCodePoints >> kBlockBits);
  // Identical blocks (unassigned planes, long runs of letters) are stored once.
  std::map<std::vector<uint16_t>, uint16_t> seen;
  std::vector<uint16_t> block(kBlockSize);
  size_t run = 0;
  for (char32_t base = 0; base < kNumCodePoints; base += kBlockSize) {
    for (size_t i = 0; i < kBlockSize; ++i) {
      const char32_t cp = base + static_cast<char32_t>(i);
      while (run + 1 < kNumWordBreakRuns && kWordBreakRuns[run + 1].first <= cp) ++run;
      block[i] = kWordBreakRuns[run].props;
    }
    auto [it, inserted] = seen.emplace(block, static_cast<uint16_t>(seen.size()));
    if (inserted) blocks_.insert(blocks_.end(), block.begin(), block.end());
    index_[base >> kBlockBits] = it->second;
  }
  for (unsigned c = 0; c < 128; ++c) ascii_[c] = props(c);
}

const WordBreakTable& WordBreakTable::get() {
  static const WordBreakTable table;
  return table;
}

}  // namespace denser::text_internal
