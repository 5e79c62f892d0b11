#pragma once
// SHA-256 (FIPS 180-4), for checking downloaded files against pinned digests.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace denser {

/// Incremental SHA-256. Not thread-safe; one object per stream.
class Sha256 {
 public:
  Sha256();
  void update(const void* data, size_t n);
  /// The digest as 64 lowercase hex digits. Ends the stream: call once.
  std::string hex_digest();

 private:
  void block(const uint8_t* p);
  uint32_t h_[8];
  uint8_t buffer_[64];
  size_t buffered_ = 0;
  uint64_t total_bytes_ = 0;
};

/// SHA-256 of a whole file, read in chunks; throws denser::Error naming the path.
std::string sha256_file(const std::string& path);
std::string sha256_hex(std::string_view data);

}  // namespace denser
