// The embeddings file (layout in docs/formats/embeddings.md): a fixed header and the model
// fingerprint, the matrix at a 64-byte aligned offset, the ids, and a trailer holding what
// is only known at the end (row count, where the ids are) and the CRC-32C. Putting the
// count in a trailer keeps the writer append-only, so the running CRC of AtomicFileWriter
// covers the whole file in one pass and rows stream out in constant memory.
#include "denser/index/embeddings.h"

#include <unistd.h>

#include <algorithm>
#include <bit>
#include <cerrno>
#include <cmath>
#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>

#include "denser/common/error.h"
#include "denser/common/half.h"

namespace denser {
namespace {

static_assert(std::endian::native == std::endian::little, "the embeddings file is little-endian, as is the host");

constexpr char kMagic[8] = {'D', 'N', 'S', 'R', 'E', 'M', 'B', '1'};
constexpr char kTrailerMagic[4] = {'E', 'M', 'B', 'T'};
constexpr uint32_t kVersion = 1;
constexpr uint64_t kHeaderBytes = 64;
constexpr uint64_t kTrailerBytes = 32;
constexpr uint64_t kMatrixAlignment = 64;
constexpr uint32_t kMaxFingerprintBytes = 1 << 20;

/// The fixed 64-byte header, written and read field by field at these offsets.
struct FixedHeader {
  char magic[8];
  uint32_t version;
  uint32_t header_bytes;
  uint32_t dtype;
  uint32_t dim;
  uint64_t matrix_offset;
  uint32_t fingerprint_bytes;
  uint32_t reserved[7];
};
static_assert(sizeof(FixedHeader) == kHeaderBytes);

struct Trailer {
  uint64_t num_rows;
  uint64_t ids_offset;
  uint64_t ids_bytes;
  uint32_t crc;  // CRC-32C of every byte of the file before this field
  char magic[4];
};
static_assert(sizeof(Trailer) == kTrailerBytes);

uint64_t align_up(uint64_t n, uint64_t alignment) { return (n + alignment - 1) / alignment * alignment; }

size_t element_size(EmbeddingDType dtype) { return dtype == EmbeddingDType::kF16 ? 2 : 4; }

const char* dtype_text(EmbeddingDType dtype) { return dtype == EmbeddingDType::kF16 ? "f16" : "f32"; }

void write_zeros(AtomicFileWriter& out, uint64_t n) {
  static const char kZeros[kMatrixAlignment] = {};
  out.write(kZeros, static_cast<size_t>(n));
}

bool all_zero(const uint8_t* p, uint64_t n) {
  for (uint64_t i = 0; i < n; ++i) {
    if (p[i] != 0) return false;
  }
  return true;
}

/// Reads and checks the fixed header: everything in it but the fingerprint's bytes.
FixedHeader read_fixed_header(const std::string& path, const uint8_t* bytes, uint64_t size) {
  FixedHeader h;
  std::memcpy(&h, bytes, sizeof(h));
  DENSER_CHECK(std::memcmp(h.magic, kMagic, sizeof(kMagic)) == 0, ErrorCode::kCorrupt, path,
               ": not an embeddings file (expected magic DNSREMB1 at byte 0)");
  DENSER_CHECK(h.version == kVersion, ErrorCode::kCorrupt, path, ": embeddings format version ", h.version,
               " (expected ", kVersion, ")");
  DENSER_CHECK(h.header_bytes == kHeaderBytes, ErrorCode::kCorrupt, path, ": header size ", h.header_bytes,
               " at byte 12 (expected 64)");
  DENSER_CHECK(h.dtype <= 1, ErrorCode::kCorrupt, path, ": dtype ", h.dtype,
               " at byte 16 (expected 0 = f32 or 1 = f16)");
  DENSER_CHECK(h.dim >= 1, ErrorCode::kCorrupt, path, ": dimension 0 at byte 20 (expected at least 1)");
  DENSER_CHECK(all_zero(reinterpret_cast<const uint8_t*>(h.reserved), sizeof(h.reserved)), ErrorCode::kCorrupt, path,
               ": reserved header bytes 36..63 are not zero");
  DENSER_CHECK(h.fingerprint_bytes <= kMaxFingerprintBytes && kHeaderBytes + h.fingerprint_bytes <= size,
               ErrorCode::kCorrupt, path, ": fingerprint length ", h.fingerprint_bytes, " at byte 32 is out of bounds");
  const uint64_t matrix_offset = align_up(kHeaderBytes + h.fingerprint_bytes, kMatrixAlignment);
  DENSER_CHECK(h.matrix_offset == matrix_offset, ErrorCode::kCorrupt, path, ": matrix offset ", h.matrix_offset,
               " at byte 24 (expected ", matrix_offset, ")");
  return h;
}

/// Parses num_rows ids (u32 length + bytes each) that must fill [ids_offset, + ids_bytes).
std::vector<std::string> read_ids(const std::string& path, const uint8_t* bytes, uint64_t ids_offset,
                                  uint64_t ids_bytes, uint64_t num_rows) {
  std::vector<std::string> ids;
  ids.reserve(static_cast<size_t>(std::min<uint64_t>(num_rows, ids_bytes / 4)));
  uint64_t pos = ids_offset;
  const uint64_t ids_end = ids_offset + ids_bytes;
  for (uint64_t row = 0; row < num_rows; ++row) {
    DENSER_CHECK(ids_end - pos >= 4, ErrorCode::kCorrupt, path, ": id block ends at byte ", ids_end, " after ", row,
                 " of ", num_rows, " ids");
    uint32_t length;
    std::memcpy(&length, bytes + pos, 4);
    pos += 4;
    DENSER_CHECK(length <= ids_end - pos, ErrorCode::kCorrupt, path, ": id ", row, " at byte ", pos - 4, " has length ",
                 length, ", past the end of the id block (byte ", ids_end, ")");
    ids.emplace_back(reinterpret_cast<const char*>(bytes + pos), length);
    pos += length;
  }
  DENSER_CHECK(pos == ids_end, ErrorCode::kCorrupt, path, ": ", ids_end - pos,
               " unused bytes at the end of the id block (byte ", pos, "; expected exactly ", num_rows, " ids)");
  return ids;
}

}  // namespace

// ---- writer ---------------------------------------------------------------------------

struct EmbeddingsWriter::Impl {
  explicit Impl(const std::string& path) : out(path) {}
  ~Impl() {
    if (ids_file != nullptr) std::fclose(ids_file);
  }
  AtomicFileWriter out;
  std::FILE* ids_file = nullptr;  // ids spill here (unlinked temp file) until finish()
  uint32_t dim = 0;
  EmbeddingDType dtype = EmbeddingDType::kF32;
  uint64_t num_rows = 0;
  uint64_t ids_bytes = 0;
  std::vector<uint16_t> half_buffer;
  bool finished = false;
};

EmbeddingsWriter::EmbeddingsWriter(const std::string& path, uint32_t dim, EmbeddingDType dtype,
                                   std::string model_fingerprint) {
  DENSER_CHECK(dim >= 1, ErrorCode::kInvalidArgument, path, ": embeddings dimension must be at least 1");
  DENSER_CHECK(dtype == EmbeddingDType::kF32 || dtype == EmbeddingDType::kF16, ErrorCode::kInvalidArgument, path,
               ": unknown embeddings dtype ", static_cast<uint32_t>(dtype), " (expected f32 or f16)");
  DENSER_CHECK(model_fingerprint.size() <= kMaxFingerprintBytes, ErrorCode::kTooLarge, path, ": model fingerprint of ",
               model_fingerprint.size(), " bytes (expected at most ", kMaxFingerprintBytes, ")");
  impl_ = std::make_unique<Impl>(path);
  impl_->dim = dim;
  impl_->dtype = dtype;

  // The ids are known row by row but belong after the matrix: spill them to a temporary
  // file beside the output, unlinked at once so that it vanishes even after a crash.
  std::string ids_path = path + ".ids.XXXXXX";
  const int fd = ::mkstemp(ids_path.data());
  DENSER_CHECK(fd >= 0, ErrorCode::kUnavailable, ids_path, ": cannot create temporary file: ", std::strerror(errno));
  ::unlink(ids_path.c_str());
  impl_->ids_file = ::fdopen(fd, "w+b");
  if (impl_->ids_file == nullptr) {
    ::close(fd);
    DENSER_THROW(ErrorCode::kUnavailable, ids_path, ": cannot open temporary file: ", std::strerror(errno));
  }

  FixedHeader header{};
  std::memcpy(header.magic, kMagic, sizeof(kMagic));
  header.version = kVersion;
  header.header_bytes = kHeaderBytes;
  header.dtype = static_cast<uint32_t>(dtype);
  header.dim = dim;
  header.matrix_offset = align_up(kHeaderBytes + model_fingerprint.size(), kMatrixAlignment);
  header.fingerprint_bytes = static_cast<uint32_t>(model_fingerprint.size());
  impl_->out.write_pod(header);
  impl_->out.write(model_fingerprint);
  write_zeros(impl_->out, header.matrix_offset - impl_->out.bytes_written());
}

EmbeddingsWriter::~EmbeddingsWriter() = default;

void EmbeddingsWriter::append(std::span<const std::string> ids, std::span<const float> rows) {
  Impl& w = *impl_;
  const std::string& path = w.out.path();
  DENSER_CHECK(!w.finished, ErrorCode::kInternal, path, ": append after finish");
  DENSER_CHECK(rows.size() == ids.size() * w.dim, ErrorCode::kInvalidArgument, path, ": append of ", ids.size(),
               " ids with ", rows.size(), " values (expected ids x dim = ", ids.size() * w.dim, ")");
  for (size_t i = 0; i < rows.size(); ++i) {
    // A NaN or infinity would silently poison every inner product with this row.
    DENSER_CHECK(std::isfinite(rows[i]), ErrorCode::kInvalidArgument, path, ": row for id '", ids[i / w.dim],
                 "' has a non-finite value ", rows[i], " at column ", i % w.dim);
  }
  if (w.dtype == EmbeddingDType::kF32) {
    w.out.write(rows.data(), rows.size_bytes());
  } else {
    w.half_buffer.resize(rows.size());
    for (size_t i = 0; i < rows.size(); ++i) {
      w.half_buffer[i] = float_to_half(rows[i]);
      DENSER_CHECK((w.half_buffer[i] & 0x7c00u) != 0x7c00u, ErrorCode::kTooLarge, path, ": row for id '",
                   ids[i / w.dim], "' has ", rows[i], " at column ", i % w.dim,
                   ", outside the float16 range (|x| < 65520)");
    }
    w.out.write(w.half_buffer.data(), w.half_buffer.size() * sizeof(uint16_t));
  }
  for (const std::string& id : ids) {
    DENSER_CHECK(id.size() <= std::numeric_limits<uint32_t>::max(), ErrorCode::kTooLarge, path, ": id of ", id.size(),
                 " bytes is too long");
    const auto length = static_cast<uint32_t>(id.size());
    const bool ok = std::fwrite(&length, sizeof(length), 1, w.ids_file) == 1 &&
                    std::fwrite(id.data(), 1, id.size(), w.ids_file) == id.size();
    DENSER_CHECK(ok, ErrorCode::kUnavailable, path, ": cannot write the temporary id file: ", std::strerror(errno));
    w.ids_bytes += sizeof(length) + id.size();
  }
  w.num_rows += ids.size();
}

void EmbeddingsWriter::finish() {
  Impl& w = *impl_;
  const std::string& path = w.out.path();
  DENSER_CHECK(!w.finished, ErrorCode::kInternal, path, ": finish called twice");
  w.finished = true;
  write_zeros(w.out, align_up(w.out.bytes_written(), 8) - w.out.bytes_written());
  Trailer trailer{};
  trailer.num_rows = w.num_rows;
  trailer.ids_offset = w.out.bytes_written();
  trailer.ids_bytes = w.ids_bytes;

  DENSER_CHECK(std::fflush(w.ids_file) == 0 && std::fseek(w.ids_file, 0, SEEK_SET) == 0, ErrorCode::kUnavailable, path,
               ": cannot rewind the temporary id file: ", std::strerror(errno));
  std::vector<char> buffer(1 << 16);
  uint64_t copied = 0;
  while (copied < w.ids_bytes) {
    const size_t want = static_cast<size_t>(std::min<uint64_t>(buffer.size(), w.ids_bytes - copied));
    DENSER_CHECK(std::fread(buffer.data(), 1, want, w.ids_file) == want, ErrorCode::kUnavailable, path,
                 ": cannot read back the temporary id file: ", std::strerror(errno));
    w.out.write(buffer.data(), want);
    copied += want;
  }
  write_zeros(w.out, align_up(w.out.bytes_written(), 8) - w.out.bytes_written());
  w.out.write(&trailer, offsetof(Trailer, crc));
  const uint32_t crc = w.out.crc();  // everything so far, the trailer's counts included
  w.out.write_pod(crc);
  w.out.write(kTrailerMagic, sizeof(kTrailerMagic));
  w.out.commit();
}

// ---- reader ---------------------------------------------------------------------------

Embeddings Embeddings::open(const std::string& path, bool verify) {
  Embeddings e;
  e.file_ = MappedFile::open(path);
  const uint8_t* bytes = e.file_.data();
  const uint64_t size = e.file_.size();
  DENSER_CHECK(size >= kHeaderBytes + kTrailerBytes, ErrorCode::kCorrupt, path, ": truncated: ", size,
               " bytes (expected at least ", kHeaderBytes + kTrailerBytes, " for header and trailer)");
  const FixedHeader h = read_fixed_header(path, bytes, size);
  Trailer t;
  std::memcpy(&t, bytes + size - kTrailerBytes, sizeof(t));
  DENSER_CHECK(std::memcmp(t.magic, kTrailerMagic, sizeof(kTrailerMagic)) == 0, ErrorCode::kCorrupt, path,
               ": truncated or corrupt: no", " trailer marker EMBT at byte ", size - 4,
               " (expected the file to end with it)");
  if (verify) {
    const uint32_t computed = crc32c(bytes, size - 8);
    DENSER_CHECK(computed == t.crc, ErrorCode::kCorrupt, path, ": checksum mismatch (stored ", t.crc, ", computed ",
                 computed, "): the file is corrupt");
  }
  const uint64_t matrix_offset = h.matrix_offset;
  e.header_.dim = h.dim;
  e.header_.dtype = static_cast<EmbeddingDType>(h.dtype);
  e.header_.num_rows = t.num_rows;
  e.header_.model_fingerprint.assign(reinterpret_cast<const char*>(bytes + kHeaderBytes), h.fingerprint_bytes);

  // Sizes: the matrix must end where the ids begin, and the ids where the trailer begins.
  const uint64_t trailer_offset = size - kTrailerBytes;
  uint64_t matrix_bytes = 0;
  const bool fits =
      !__builtin_mul_overflow(t.num_rows, uint64_t{h.dim} * element_size(e.header_.dtype), &matrix_bytes) &&
      matrix_offset + matrix_bytes <= trailer_offset;
  DENSER_CHECK(fits, ErrorCode::kCorrupt, path, ": ", t.num_rows, " rows of dimension ", h.dim, " (",
               dtype_text(e.header_.dtype), ") do not fit in a file of ", size, " bytes");
  const uint64_t ids_offset = align_up(matrix_offset + matrix_bytes, 8);
  DENSER_CHECK(t.ids_offset == ids_offset, ErrorCode::kCorrupt, path, ": id block offset ", t.ids_offset, " (expected ",
               ids_offset, ", right after the matrix)");
  DENSER_CHECK(t.ids_bytes <= trailer_offset - ids_offset && align_up(ids_offset + t.ids_bytes, 8) == trailer_offset,
               ErrorCode::kCorrupt, path, ": id block of ", t.ids_bytes, " bytes at byte ", ids_offset,
               " does not end at the trailer (byte ", trailer_offset, ")");
  const bool padding_zero =
      all_zero(bytes + kHeaderBytes + h.fingerprint_bytes, matrix_offset - kHeaderBytes - h.fingerprint_bytes) &&
      all_zero(bytes + matrix_offset + matrix_bytes, ids_offset - matrix_offset - matrix_bytes) &&
      all_zero(bytes + ids_offset + t.ids_bytes, trailer_offset - ids_offset - t.ids_bytes);
  DENSER_CHECK(padding_zero, ErrorCode::kCorrupt, path, ": padding bytes are not zero");

  e.ids_ = read_ids(path, bytes, ids_offset, t.ids_bytes, t.num_rows);
  e.matrix_ = bytes + matrix_offset;
  return e;
}

void Embeddings::rows(uint64_t begin, uint64_t end, float* out) const {
  DENSER_CHECK(begin <= end && end <= header_.num_rows, ErrorCode::kInvalidArgument, file_.path(), ": rows [", begin,
               ", ", end, ") out of range (the file has ", header_.num_rows, " rows)");
  const size_t count = static_cast<size_t>((end - begin) * header_.dim);
  if (count == 0) return;
  if (header_.dtype == EmbeddingDType::kF32) {
    std::memcpy(out, matrix_ + begin * header_.dim * sizeof(float), count * sizeof(float));
    return;
  }
  const uint8_t* src = matrix_ + begin * header_.dim * sizeof(uint16_t);
  for (size_t i = 0; i < count; ++i) {
    uint16_t h;
    std::memcpy(&h, src + 2 * i, 2);
    out[i] = half_to_float(h);
  }
}

const float* Embeddings::f32_data() const {
  if (header_.dtype != EmbeddingDType::kF32) return nullptr;
  return reinterpret_cast<const float*>(matrix_);  // 64-byte aligned in a page-aligned map
}

}  // namespace denser
