#include "negatives.h"

#include <algorithm>
#include <cstring>

#include "denser/common/error.h"
#include "denser/common/io.h"
#include "denser/sparse/bm25_builder.h"
#include "denser/sparse/bm25_index.h"

namespace denser::train_internal {
namespace {

constexpr char kPoolMagic[8] = {'D', 'N', 'S', 'R', 'N', 'E', 'G', '1'};

uint32_t random_non_positive(const TrainingData& data, uint32_t q, std::mt19937_64& rng) {
  std::uniform_int_distribution<uint32_t> pick(0, static_cast<uint32_t>(data.num_docs() - 1));
  for (int tries = 0; tries < 64; ++tries) {
    uint32_t d = pick(rng);
    if (!data.is_positive(q, d)) return d;
  }
  // Almost every document is a positive: scan for one that is not.
  for (uint32_t d = 0; d < data.num_docs(); ++d)
    if (!data.is_positive(q, d)) return d;
  DENSER_THROW(ErrorCode::kInvalidArgument, "train: query ", data.query_ids[q],
               " judges every document relevant; no negative exists");
}

void sample_from(const TrainingData& data, const CandidatePool& pool, uint32_t q, int n, std::mt19937_64& rng,
                 std::vector<uint32_t>& out) {
  const size_t size = pool.size(q);
  if (size == 0) {
    for (int i = 0; i < n; ++i) out.push_back(random_non_positive(data, q, rng));
    return;
  }
  std::uniform_int_distribution<size_t> pick(0, size - 1);
  for (int i = 0; i < n; ++i) out.push_back(pool.docs[pool.offsets[q] + pick(rng)]);
}

class RandomNegatives final : public NegativeSource {
 public:
  explicit RandomNegatives(const TrainingData& data) : data_(data) {}
  std::string describe() const override { return "random"; }
  void sample(uint32_t q, int n, std::mt19937_64& rng, std::vector<uint32_t>& out) const override {
    for (int i = 0; i < n; ++i) out.push_back(random_non_positive(data_, q, rng));
  }

 private:
  const TrainingData& data_;
};

class PoolNegatives final : public NegativeSource {
 public:
  PoolNegatives(const TrainingData& data, std::shared_ptr<const CandidatePool> pool)
      : data_(data), pool_(std::move(pool)) {}
  std::string describe() const override { return pool_->source; }
  void sample(uint32_t q, int n, std::mt19937_64& rng, std::vector<uint32_t>& out) const override {
    sample_from(data_, *pool_, q, n, rng, out);
  }

 private:
  const TrainingData& data_;
  std::shared_ptr<const CandidatePool> pool_;
};

template <typename T>
void put(std::string& out, const T& v) {
  out.append(reinterpret_cast<const char*>(&v), sizeof v);
}

}  // namespace

void CandidatePool::add_query(const std::vector<uint32_t>& ranked, const std::vector<uint32_t>& positives,
                              size_t depth) {
  if (offsets.empty()) offsets.push_back(0);
  size_t added = 0;
  for (uint32_t d : ranked) {
    if (added == depth) break;
    if (std::binary_search(positives.begin(), positives.end(), d)) continue;
    docs.push_back(d);
    ++added;
  }
  offsets.push_back(docs.size());
}

std::string CandidatePool::serialize() const {
  std::string out(kPoolMagic, sizeof kPoolMagic);
  put(out, snapshot_step);
  put(out, static_cast<uint64_t>(source.size()));
  out += source;
  put(out, static_cast<uint64_t>(offsets.size()));
  put(out, static_cast<uint64_t>(docs.size()));
  out.append(reinterpret_cast<const char*>(offsets.data()), offsets.size() * sizeof(uint64_t));
  out.append(reinterpret_cast<const char*>(docs.data()), docs.size() * sizeof(uint32_t));
  put(out, crc32c(out.data(), out.size()));
  return out;
}

CandidatePool CandidatePool::deserialize(std::string_view bytes, const std::string& where) {
  size_t at = 0;
  auto take = [&](void* dst, size_t n, const char* what) {
    DENSER_CHECK(bytes.size() - at >= n, ErrorCode::kCorrupt, where, ": truncated negatives file (", what, " at byte ",
                 at, ")");
    std::memcpy(dst, bytes.data() + at, n);
    at += n;
  };
  DENSER_CHECK(bytes.size() >= sizeof kPoolMagic + 4 && std::memcmp(bytes.data(), kPoolMagic, 8) == 0,
               ErrorCode::kCorrupt, where, ": not a denser negatives file (bad magic)");
  uint32_t stored_crc = 0;
  std::memcpy(&stored_crc, bytes.data() + bytes.size() - 4, 4);
  DENSER_CHECK(crc32c(bytes.data(), bytes.size() - 4) == stored_crc, ErrorCode::kCorrupt, where,
               ": checksum mismatch (corrupt file)");
  bytes.remove_suffix(4);
  at = sizeof kPoolMagic;
  CandidatePool pool;
  uint64_t source_size = 0, num_offsets = 0, num_docs = 0;
  take(&pool.snapshot_step, sizeof pool.snapshot_step, "snapshot step");
  take(&source_size, 8, "source length");
  DENSER_CHECK(source_size <= 64, ErrorCode::kCorrupt, where, ": implausible source name length ", source_size);
  pool.source.resize(source_size);
  take(pool.source.data(), source_size, "source");
  take(&num_offsets, 8, "offset count");
  take(&num_docs, 8, "doc count");
  DENSER_CHECK(num_offsets <= bytes.size() / 8 + 1 && num_docs <= bytes.size() / 4, ErrorCode::kCorrupt, where,
               ": implausible counts");
  pool.offsets.resize(num_offsets);
  pool.docs.resize(num_docs);
  take(pool.offsets.data(), num_offsets * 8, "offsets");
  take(pool.docs.data(), num_docs * 4, "docs");
  DENSER_CHECK(at == bytes.size(), ErrorCode::kCorrupt, where, ": ", bytes.size() - at,
               " unexpected bytes after the candidates");
  DENSER_CHECK(num_offsets >= 1 && pool.offsets.front() == 0 && pool.offsets.back() == num_docs &&
                   std::is_sorted(pool.offsets.begin(), pool.offsets.end()),
               ErrorCode::kCorrupt, where, ": inconsistent candidate offsets");
  return pool;
}

std::unique_ptr<NegativeSource> make_random_negatives(const TrainingData& data) {
  return std::make_unique<RandomNegatives>(data);
}

std::unique_ptr<NegativeSource> make_pool_negatives(const TrainingData& data,
                                                    std::shared_ptr<const CandidatePool> pool) {
  return std::make_unique<PoolNegatives>(data, std::move(pool));
}

std::shared_ptr<const CandidatePool> mine_bm25_pool(const TrainingData& data, size_t depth, int num_threads) {
  Bm25BuildOptions build;
  build.num_threads = num_threads;
  Bm25IndexBuilder builder(build);
  Document doc;
  for (size_t i = 0; i < data.num_docs(); ++i) {
    doc.id = data.doc_ids[i];
    doc.text = data.doc_texts[i];  // title already joined in
    builder.add(doc);
  }
  const Bm25Index index = builder.build();
  Bm25SearchOptions search;
  search.k = depth + 8;  // room for the positives that are removed
  const auto results = index.search_batch(data.query_texts, search, num_threads);
  auto pool = std::make_shared<CandidatePool>();
  pool->source = "bm25";
  std::vector<uint32_t> ranked;
  for (size_t q = 0; q < results.size(); ++q) {
    ranked.clear();
    for (const Bm25Hit& hit : results[q].hits) ranked.push_back(hit.doc);  // internal number = corpus order
    pool->add_query(ranked, data.positives[q], depth);
  }
  if (pool->offsets.empty()) pool->offsets.push_back(0);
  return pool;
}

AnceNegatives::AnceNegatives(const TrainingData& data, std::shared_ptr<const CandidatePool> fallback)
    : data_(data), pool_(std::move(fallback)) {}

std::string AnceNegatives::describe() const {
  auto pool = current();
  return pool->source == "ance" ? "ance@" + std::to_string(pool->snapshot_step) : pool->source + " (warm-up)";
}

void AnceNegatives::sample(uint32_t q, int n, std::mt19937_64& rng, std::vector<uint32_t>& out) const {
  sample_from(data_, *current(), q, n, rng, out);
}

void AnceNegatives::swap(std::shared_ptr<const CandidatePool> pool) {
  std::lock_guard<std::mutex> lock(mutex_);
  pool_ = std::move(pool);
}

std::shared_ptr<const CandidatePool> AnceNegatives::current() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return pool_;
}

}  // namespace denser::train_internal
