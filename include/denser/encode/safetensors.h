#pragma once
// Reader and writer of the safetensors format (Hugging Face): an 8-byte little-endian
// header length N, N bytes of JSON {"name": {"dtype", "shape", "data_offsets": [b, e]},
// "__metadata__": {str: str}}, then the tensor bytes. The reader validates everything
// (header size and JSON, dtypes, shapes vs byte ranges, ranges in bounds, no overlaps,
// no gaps) before any tensor is handed out. No libtorch here.
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "denser/common/io.h"
#include "denser/common/half.h"

namespace denser {

enum class DType { kF32, kF16, kBF16, kI64, kI32, kU8 };

/// Largest JSON header the reader accepts (Hugging Face's limit is also 100 MB).
inline constexpr uint64_t kSafeTensorsMaxHeaderBytes = 100'000'000;
/// __metadata__ key under which write_safetensors stores a CRC-32C (8 lowercase hex
/// digits) of the whole file, computed with those 8 digits read as '0'; open() verifies it
/// when present. Files from other writers lack it and are only structurally validated.
inline constexpr const char* kSafeTensorsCrcKey = "denser.crc32c";
/// __metadata__ key naming the checksum algorithm ("crc32c"); when present the CRC key must
/// be too, so a bit flip in the CRC key's name is caught rather than skipping verification.
inline constexpr const char* kSafeTensorsChecksumKey = "denser.checksum";

const char* dtype_name(DType dtype);  // "F32", "F16", ...
size_t dtype_size(DType dtype);       // bytes per element

/// One tensor inside a mapped file: a view, valid while the SafeTensorsFile lives.
struct TensorView {
  std::string name;
  DType dtype = DType::kF32;
  std::vector<int64_t> shape;
  const uint8_t* data = nullptr;  // little-endian, row-major; not necessarily aligned
  size_t num_bytes = 0;
  int64_t num_elements() const;
  /// Converts F32/F16/BF16 data to float32; throws denser::Error for other dtypes.
  std::vector<float> to_float() const;
};

/// A validated, memory-mapped safetensors file. Immutable; thread-safe reads.
class SafeTensorsFile {
 public:
  /// Throws denser::Error naming the file and what is wrong (truncated, bad JSON, bad
  /// dtype, out-of-bounds or overlapping data offsets, shape/size mismatch).
  static SafeTensorsFile open(const std::string& path);

  const std::map<std::string, TensorView>& tensors() const { return tensors_; }
  /// nullptr when absent.
  const TensorView* find(const std::string& name) const;
  /// Throws denser::Error naming the file and tensor when absent.
  const TensorView& get(const std::string& name) const;
  const std::map<std::string, std::string>& metadata() const { return metadata_; }
  const std::string& path() const { return file_.path(); }

 private:
  MappedFile file_;
  std::map<std::string, TensorView> tensors_;
  std::map<std::string, std::string> metadata_;
};

/// A tensor to write: data holds num_elements * dtype_size bytes, little-endian.
struct TensorToWrite {
  std::string name;
  DType dtype = DType::kF32;
  std::vector<int64_t> shape;
  const void* data = nullptr;
};

/// Writes tensors (sorted by name, as Hugging Face does) atomically, with the data region's
/// CRC-32C in __metadata__[kSafeTensorsCrcKey]. Throws denser::Error for duplicate or empty
/// names, the name "__metadata__", negative dims, or null data with a non-zero size.
void write_safetensors(const std::string& path, const std::vector<TensorToWrite>& tensors,
                       const std::map<std::string, std::string>& metadata = {});

// half_to_float, float_to_half, bfloat16_to_float, float_to_bfloat16: see half.h.

}  // namespace denser
