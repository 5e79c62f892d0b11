#pragma once
// The embeddings file: what `denser encode` writes and `denser index dense` reads.
// A header (magic, version, count, dim, dtype, model fingerprint), the matrix (n, dim)
// row-major float32 or float16 at an aligned offset (so it can be mmap-ed and used in
// place), the doc ids, and a CRC-32C. Written in a streaming way: rows are appended as
// they are encoded, in constant memory, and the file appears atomically at finish().
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "denser/common/io.h"

namespace denser {

enum class EmbeddingDType : uint32_t { kF32 = 0, kF16 = 1 };

struct EmbeddingsHeader {
  uint64_t num_rows = 0;
  uint32_t dim = 0;
  EmbeddingDType dtype = EmbeddingDType::kF32;
  std::string model_fingerprint;  // identifies the model that made the vectors
};

/// Streams rows into a new embeddings file. Not thread-safe.
class EmbeddingsWriter {
 public:
  EmbeddingsWriter(const std::string& path, uint32_t dim, EmbeddingDType dtype, std::string model_fingerprint);
  ~EmbeddingsWriter();
  /// rows: (ids.size(), dim) row-major float32.
  void append(std::span<const std::string> ids, std::span<const float> rows);
  /// Writes ids and checksum and renames the file into place.
  void finish();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

/// A validated, memory-mapped embeddings file. Immutable; thread-safe reads.
class Embeddings {
 public:
  /// Throws denser::Error naming the file and what is wrong (magic, version, truncation,
  /// sizes, checksum when verify is true).
  static Embeddings open(const std::string& path, bool verify = true);

  const EmbeddingsHeader& header() const { return header_; }
  uint64_t num_rows() const { return header_.num_rows; }
  uint32_t dim() const { return header_.dim; }
  const std::string& id(uint64_t row) const { return ids_[row]; }
  const std::vector<std::string>& ids() const { return ids_; }
  /// Copies rows [begin, end) as float32 into out ((end - begin) * dim floats).
  void rows(uint64_t begin, uint64_t end, float* out) const;
  /// Pointer to the float32 matrix in place, or nullptr when the dtype is F16.
  const float* f32_data() const;

 private:
  MappedFile file_;
  EmbeddingsHeader header_;
  std::vector<std::string> ids_;
  const uint8_t* matrix_ = nullptr;
};

}  // namespace denser
