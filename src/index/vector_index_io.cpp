// The vector index file (docs/formats/vector-index.md): a header, the doc ids, the FAISS
// index as faiss::write_index serializes it, and a CRC-32C of everything before it.
// The checksum is verified before FAISS sees a byte, so FAISS never parses corrupt data.
#include <faiss/Index.h>
#include <faiss/impl/FaissException.h>
#include <faiss/impl/io.h>
#include <faiss/index_io.h>

#include <bit>
#include <cstring>
#include <string_view>

#include "denser/common/error.h"
#include "denser/index/sharded_index.h"
#include "denser/common/io.h"
#include "faiss_validate.h"
#include "faiss_vector_index.h"

namespace denser {
namespace {

static_assert(std::endian::native == std::endian::little, "the vector index format is little-endian");

constexpr char kMagic[8] = {'D', 'N', 'S', 'R', 'V', 'I', 'D', 'X'};
constexpr uint32_t kVersion = 1;
constexpr size_t kMaxNameBytes = 1 << 16;  // factory string, fingerprint
constexpr size_t kMaxDocIdBytes = 1 << 20;

// Reads fields from the file's bytes, naming the byte offset of anything out of place.
class Cursor {
 public:
  Cursor(const std::string& path, const uint8_t* data, size_t size) : path_(path), data_(data), size_(size) {}

  template <typename T>
  T pod(const char* what) {
    need(sizeof(T), what);
    T value;
    std::memcpy(&value, data_ + pos_, sizeof(T));
    pos_ += sizeof(T);
    return value;
  }
  std::string_view bytes(size_t n, const char* what) {
    need(n, what);
    std::string_view out(reinterpret_cast<const char*>(data_ + pos_), n);
    pos_ += n;
    return out;
  }
  std::string string(size_t max_bytes, const char* what) {
    const size_t at = pos_;
    const uint32_t n = pod<uint32_t>(what);
    DENSER_CHECK(n <= max_bytes, ErrorCode::kCorrupt, path_, ": byte ", at, ": ", what, " length ", n,
                 " exceeds the limit ", max_bytes);
    return std::string(bytes(n, what));
  }
  size_t pos() const { return pos_; }
  size_t remaining() const { return size_ - pos_; }

 private:
  void need(size_t n, const char* what) const {
    DENSER_CHECK(n <= size_ - pos_, ErrorCode::kCorrupt, path_, ": byte ", pos_, ": truncated ", what, " (needs ", n,
                 " bytes, ", size_ - pos_, " left)");
  }
  const std::string& path_;
  const uint8_t* data_;
  size_t size_;
  size_t pos_ = 0;
};

// Hands FAISS a span of the mapped file without copying it.
struct SpanReader : faiss::IOReader {
  SpanReader(const uint8_t* data, size_t size) : data_(data), size_(size) {}
  size_t operator()(void* ptr, size_t size, size_t nitems) override {
    if (size == 0) return nitems;
    const size_t items = std::min(nitems, (size_ - pos_) / size);
    std::memcpy(ptr, data_ + pos_, items * size);
    pos_ += items * size;
    return items;
  }
  const uint8_t* data_;
  size_t size_;
  size_t pos_ = 0;
};

void write_string(AtomicFileWriter& out, const std::string& s) {
  out.write_pod(static_cast<uint32_t>(s.size()));
  out.write(s);
}

}  // namespace

namespace detail {

void FaissVectorIndex::save(const std::string& path) const {
  DENSER_CHECK(options_.factory.size() <= kMaxNameBytes && options_.model_fingerprint.size() <= kMaxNameBytes,
               ErrorCode::kTooLarge, "factory string or model fingerprint longer than ", kMaxNameBytes, " bytes");
  faiss::VectorIOWriter serialized;
  try {
    faiss::write_index(index_.get(), &serialized);
  } catch (const faiss::FaissException& e) {
    DENSER_THROW(ErrorCode::kUnsupported, "FAISS failed to serialize the index for ", path, ": ", e.what());
  }
  AtomicFileWriter out(path);
  out.write(kMagic, sizeof(kMagic));
  out.write_pod(kVersion);
  out.write_pod(options_.dim);
  out.write_pod(static_cast<uint32_t>(options_.metric));
  out.write_pod(uint32_t{0});  // reserved
  out.write_pod(static_cast<uint64_t>(ids_.size()));
  write_string(out, options_.factory);
  write_string(out, options_.model_fingerprint);
  for (const std::string& id : ids_) {
    DENSER_CHECK(id.size() <= kMaxDocIdBytes, ErrorCode::kTooLarge, "doc id of ", id.size(), " bytes is longer than ",
                 kMaxDocIdBytes);
    write_string(out, id);
  }
  out.write_pod(static_cast<uint64_t>(serialized.data.size()));
  out.write(serialized.data.data(), serialized.data.size());
  const uint32_t crc = out.crc();
  out.write_pod(crc);
  out.commit();
}

}  // namespace detail

std::unique_ptr<VectorIndex> VectorIndex::open(const std::string& path) {
  if (is_sharded_manifest(path)) return open_sharded_index(path);
  const MappedFile file = MappedFile::open(path);
  const uint8_t* data = file.data();
  const size_t size = file.size();
  DENSER_CHECK(size >= sizeof(kMagic) + 2 * sizeof(uint32_t), ErrorCode::kCorrupt, path, ": ", size,
               " bytes is too short for a denser vector index (truncated?)");
  DENSER_CHECK(std::memcmp(data, kMagic, sizeof(kMagic)) == 0, ErrorCode::kCorrupt, path,
               ": not a denser vector index (bad magic)");
  uint32_t stored_crc;
  std::memcpy(&stored_crc, data + size - 4, 4);
  Cursor cursor(path, data, size - 4);
  cursor.bytes(sizeof(kMagic), "magic");
  const uint32_t version = cursor.pod<uint32_t>("version");
  DENSER_CHECK(version == kVersion, ErrorCode::kCorrupt, path, ": unsupported vector index version ", version,
               " (this build reads ", kVersion, ")");
  const uint32_t crc = crc32c(data, size - 4);
  DENSER_CHECK(crc == stored_crc, ErrorCode::kCorrupt, path, ": checksum mismatch (stored ", stored_crc, ", computed ",
               crc, "): the file is truncated or corrupt");

  VectorIndexOptions options;
  options.dim = cursor.pod<uint32_t>("dim");
  DENSER_CHECK(options.dim > 0, ErrorCode::kCorrupt, path, ": byte 12: dimension is 0");
  const uint32_t metric = cursor.pod<uint32_t>("metric");
  DENSER_CHECK(metric <= 1, ErrorCode::kCorrupt, path, ": byte 16: unknown metric ", metric);
  options.metric = static_cast<VectorMetric>(metric);
  cursor.pod<uint32_t>("reserved");
  const uint64_t num_vectors = cursor.pod<uint64_t>("vector count");
  options.factory = cursor.string(kMaxNameBytes, "factory string");
  options.model_fingerprint = cursor.string(kMaxNameBytes, "model fingerprint");
  // Each id takes at least 4 bytes: a count beyond that cannot be right (and must not
  // make us reserve absurd memory).
  DENSER_CHECK(num_vectors <= cursor.remaining() / 4, ErrorCode::kCorrupt, path, ": vector count ", num_vectors,
               " does not fit in the file");
  std::vector<std::string> ids;
  ids.reserve(num_vectors);
  for (uint64_t i = 0; i < num_vectors; ++i) ids.push_back(cursor.string(kMaxDocIdBytes, "doc id"));
  const uint64_t faiss_bytes = cursor.pod<uint64_t>("FAISS index size");
  const size_t faiss_at = cursor.pos();
  cursor.bytes(faiss_bytes, "FAISS index");
  DENSER_CHECK(cursor.remaining() == 0, ErrorCode::kCorrupt, path, ": byte ", cursor.pos(), ": ", cursor.remaining(),
               " unexpected bytes before the checksum");

  SpanReader reader(data + faiss_at, faiss_bytes);
  std::unique_ptr<faiss::Index> index;
  try {
    index.reset(faiss::read_index(&reader));
  } catch (const faiss::FaissException& e) {
    DENSER_THROW(ErrorCode::kCorrupt, path, ": byte ", faiss_at, ": FAISS could not read the index: ", e.what());
  }
  DENSER_CHECK(reader.pos_ == faiss_bytes, ErrorCode::kCorrupt, path, ": FAISS read ", reader.pos_, " of the ",
               faiss_bytes, " index bytes");
  DENSER_CHECK(index->d == static_cast<int>(options.dim), ErrorCode::kCorrupt, path, ": FAISS index has dim ", index->d,
               " but the header says ", options.dim);
  DENSER_CHECK(static_cast<uint64_t>(index->ntotal) == num_vectors, ErrorCode::kCorrupt, path, ": FAISS index holds ",
               index->ntotal, " vectors but the file has ", num_vectors, " doc ids");
  DENSER_CHECK(index->metric_type == faiss::METRIC_INNER_PRODUCT, ErrorCode::kCorrupt, path,
               ": FAISS index does not use inner product (metric type ", static_cast<int>(index->metric_type), ")");
  index_internal::validate_faiss_index(*index, str(path, ": FAISS index at byte ", faiss_at));
  return std::make_unique<detail::FaissVectorIndex>(std::move(options), std::move(index), std::move(ids));
}

}  // namespace denser
