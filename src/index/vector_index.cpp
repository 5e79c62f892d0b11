// VectorIndex over FAISS: creation from a factory string, training, adding and searching.
// The file format lives in vector_index_io.cpp.
#include <faiss/IndexFlat.h>
#include <faiss/IndexHNSW.h>
#include <faiss/IndexIVF.h>
#include <faiss/IndexPreTransform.h>
#include <faiss/impl/DistanceComputer.h>
#include <faiss/impl/FaissException.h>
#include <faiss/impl/HNSW.h>
#include <faiss/impl/io.h>
#include <faiss/index_factory.h>
#include <faiss/index_io.h>
#include <faiss/utils/distances.h>
#include <omp.h>

#include <algorithm>
#include <memory>
#include <typeinfo>
#include <chrono>
#include <mutex>
#include <shared_mutex>
#include <utility>

#include "denser/common/error.h"
#include "denser/common/parallel.h"
#include "faiss_vector_index.h"
#include "hnsw_search.h"
#include "denser/common/timer.h"

namespace denser {
namespace detail {
namespace {

// FAISS reports bad input by throwing FaissException; callers of denser see denser::Error.
template <typename Fn>
auto faiss_call(const char* what, Fn&& fn) {
  try {
    return fn();
  } catch (const faiss::FaissException& e) {
    DENSER_THROW(ErrorCode::kInvalidArgument, "FAISS failed to ", what, ": ", e.what());
  }
}

// The index that actually searches, looking through a transform (e.g. "OPQ16,IVF256,PQ16").
const faiss::Index* core_index(const faiss::Index* index) {
  if (const auto* pre = dynamic_cast<const faiss::IndexPreTransform*>(index)) return pre->index;
  return index;
}

// FAISS search parameters for one call; owns the objects the top pointer refers to.
// HNSW is absent on purpose: FAISS 1.7.3 ignores SearchParametersHNSW::efSearch, so
// FaissVectorIndex::search sets the index's own efSearch instead (under a lock).
struct SearchParamsHolder {
  faiss::SearchParametersIVF ivf;
  faiss::SearchParametersPreTransform pre;
  const faiss::SearchParameters* top = nullptr;
};

void build_params(const faiss::Index* index, const std::string& factory, const VectorSearchParams& params,
                  SearchParamsHolder& holder) {
  const faiss::Index* core = core_index(index);
  DENSER_CHECK(params.ef_search <= 0 || dynamic_cast<const faiss::IndexHNSW*>(core) != nullptr, ErrorCode::kUnsupported,
               "ef_search applies to HNSW indexes only; this index is '", factory, "'");
  const auto* ivf = dynamic_cast<const faiss::IndexIVF*>(core);
  DENSER_CHECK(params.nprobe <= 0 || ivf != nullptr, ErrorCode::kUnsupported,
               "nprobe applies to IVF indexes only; this index is '", factory, "'");
  if (ivf == nullptr) return;
  holder.ivf.nprobe = params.nprobe > 0 ? static_cast<size_t>(params.nprobe) : ivf->nprobe;
  holder.ivf.max_codes = ivf->max_codes;
  if (core != index) {
    holder.pre.index_params = &holder.ivf;
    holder.top = &holder.pre;
  } else {
    holder.top = &holder.ivf;
  }
}

// The HNSW index inside `index`, or nullptr.
faiss::IndexHNSW* hnsw_of(faiss::Index* index) {
  if (auto* pre = dynamic_cast<faiss::IndexPreTransform*>(index)) index = pre->index;
  return dynamic_cast<faiss::IndexHNSW*>(index);
}

// Counts bytes instead of storing them: the serialized size without the copy.
struct CountingWriter : faiss::IOWriter {
  uint64_t bytes = 0;
  size_t operator()(const void*, size_t size, size_t nitems) override {
    bytes += static_cast<uint64_t>(size) * nitems;
    return nitems;
  }
};

// The float32 rows of an HNSW index as FAISS keeps them, with inner products from
// inner_product() (AVX-512 / AVX2) instead of Debian's FAISS's baseline-x86-64 ones: the
// graph build spends nearly all its time in them. The data, file format and results are
// IndexFlat's (write_index sees an IndexFlat); only the distance computer differs.
struct FastIpComputer final : faiss::FlatCodesDistanceComputer {
  FastIpComputer(const float* rows, uint32_t dim)
      : faiss::FlatCodesDistanceComputer(reinterpret_cast<const uint8_t*>(rows), dim * sizeof(float)),
        rows_(rows),
        dim_(dim) {}
  void set_query(const float* x) override { query_ = x; }
  float distance_to_code(const uint8_t* code) override {
    return inner_product(query_, reinterpret_cast<const float*>(code), dim_);
  }
  float symmetric_dis(idx_t i, idx_t j) override {
    return inner_product(rows_ + static_cast<size_t>(i) * dim_, rows_ + static_cast<size_t>(j) * dim_, dim_);
  }

 private:
  const float* rows_;
  uint32_t dim_;
  const float* query_ = nullptr;
};

struct FastFlatIp final : faiss::IndexFlat {
  explicit FastFlatIp(idx_t dim) : faiss::IndexFlat(dim, faiss::METRIC_INNER_PRODUCT) {}
  faiss::FlatCodesDistanceComputer* get_FlatCodesDistanceComputer() const override {
    return new FastIpComputer(get_xb(), static_cast<uint32_t>(d));
  }
};

// Gives an HNSW index over a plain inner-product IndexFlat (as "HNSW32" makes and as
// read_index loads) the FastFlatIp storage, moving the rows over.
void use_fast_hnsw_storage(faiss::Index* index) {
  faiss::IndexHNSW* hnsw = hnsw_of(index);
  if (hnsw == nullptr || hnsw->storage == nullptr || !hnsw->own_fields ||
      hnsw->storage->metric_type != faiss::METRIC_INNER_PRODUCT)
    return;
  // The factory makes an IndexFlat, read_index an IndexFlatIP: the same rows either way.
  const std::type_info& type = typeid(*hnsw->storage);
  if (type != typeid(faiss::IndexFlat) && type != typeid(faiss::IndexFlatIP)) return;
  auto* old = static_cast<faiss::IndexFlat*>(hnsw->storage);
  auto fast = std::make_unique<FastFlatIp>(old->d);
  fast->codes.swap(old->codes);
  fast->ntotal = old->ntotal;
  fast->is_trained = old->is_trained;
  delete old;
  hnsw->storage = fast.release();
}

}  // namespace

void set_faiss_threads(int threads) {
  omp_set_num_threads(threads > 0 ? threads : default_num_threads());
  set_blas_threads(threads);  // FAISS's batched searches call the BLAS
}

FaissVectorIndex::FaissVectorIndex(VectorIndexOptions options, std::unique_ptr<faiss::Index> index,
                                   std::vector<std::string> ids)
    : options_(std::move(options)), index_(std::move(index)), ids_(std::move(ids)) {
  use_fast_hnsw_storage(index_.get());
}

bool FaissVectorIndex::needs_training() const { return !index_->is_trained; }

std::span<const float> FaissVectorIndex::prepare(std::span<const float> x, std::vector<float>& buffer) const {
  if (options_.metric != VectorMetric::kCosine) return x;
  buffer.assign(x.begin(), x.end());
  faiss::fvec_renorm_L2(options_.dim, buffer.size() / options_.dim, buffer.data());
  return buffer;
}

void FaissVectorIndex::train(size_t n, std::span<const float> x, int threads) {
  DENSER_CHECK(x.size() == n * options_.dim, ErrorCode::kInvalidArgument, "training matrix has ", x.size(),
               " floats; expected n (", n, ") x dim (", options_.dim, ")");
  if (index_->is_trained) return;
  DENSER_CHECK(n > 0, ErrorCode::kInvalidArgument, "index '", options_.factory, "' needs training vectors, got none");
  set_faiss_threads(threads);
  std::vector<float> buffer;
  const std::span<const float> data = prepare(x, buffer);
  faiss_call("train", [&] { index_->train(static_cast<faiss::Index::idx_t>(n), data.data()); });
}

void FaissVectorIndex::add(std::span<const std::string> ids, std::span<const float> x, int threads) {
  const size_t n = ids.size();
  DENSER_CHECK(x.size() == n * options_.dim, ErrorCode::kInvalidArgument, "vector matrix has ", x.size(),
               " floats; expected ", n, " ids x dim (", options_.dim, ")");
  DENSER_CHECK(index_->is_trained, ErrorCode::kInternal, "index '", options_.factory,
               "' must be trained before vectors are added");
  if (n == 0) return;
  set_faiss_threads(threads);
  std::vector<float> buffer;
  const std::span<const float> data = prepare(x, buffer);
  faiss_call("add vectors", [&] { index_->add(static_cast<faiss::Index::idx_t>(n), data.data()); });
  ids_.insert(ids_.end(), ids.begin(), ids.end());
  DENSER_CHECK(static_cast<uint64_t>(index_->ntotal) == ids_.size(), ErrorCode::kInternal, "FAISS holds ",
               index_->ntotal, " vectors but ", ids_.size(), " doc ids were added");
}

void FaissVectorIndex::search_faiss(size_t nq, const float* q, size_t k, const faiss::SearchParameters* params,
                                    std::vector<float>& scores, std::vector<int64_t>& labels) const {
  scores.assign(nq * k, 0.0f);
  labels.assign(nq * k, -1);
  // HNSW over float32 rows by inner product: denser's own search of FAISS's graph.
  if (const auto* hnsw = dynamic_cast<const faiss::IndexHNSW*>(index_.get()); hnsw != nullptr && own_hnsw_search()) {
    const auto* flat = dynamic_cast<const faiss::IndexFlat*>(hnsw->storage);
    if (flat != nullptr && hnsw->metric_type == faiss::METRIC_INNER_PRODUCT &&
        flat->metric_type == faiss::METRIC_INNER_PRODUCT) {
      const faiss::HNSW& graph = hnsw->hnsw;
      const HnswView view{graph.neighbors.data(),
                          graph.offsets.data(),
                          graph.cum_nneighbor_per_level.data(),
                          graph.max_level,
                          graph.entry_point,
                          flat->get_xb(),
                          options_.dim,
                          static_cast<size_t>(hnsw->ntotal)};
      faiss::hnsw_stats.ndis +=
          hnsw_search_ip(view, nq, q, k, graph.efSearch, scores.data(), labels.data(), omp_get_max_threads());
      return;
    }
  }
  faiss_call("search", [&] {
    index_->search(static_cast<faiss::Index::idx_t>(nq), q, static_cast<faiss::Index::idx_t>(k), scores.data(),
                   labels.data(), params);
  });
}

uint64_t FaissVectorIndex::search_hits(size_t nq, const float* queries, size_t k, const faiss::SearchParameters* params,
                                       std::vector<std::vector<VectorHit>>& out) const {
  // One extra hit tells whether a tie crosses the k-th place; only then is that query
  // searched again, deeper, so that ties are broken by row as brute force would.
  const size_t n = ids_.size();
  const size_t depth = k >= n ? n : k + 1;
  std::vector<float> scores;
  std::vector<int64_t> labels;
  search_faiss(nq, queries, depth, params, scores, labels);
  uint64_t flat_distances = static_cast<uint64_t>(nq) * n;
  for (size_t i = 0; i < nq; ++i) {
    std::vector<float> s(scores.begin() + i * depth, scores.begin() + (i + 1) * depth);
    std::vector<int64_t> l(labels.begin() + i * depth, labels.begin() + (i + 1) * depth);
    size_t d = depth;
    while (d > k && d < n && l[d - 1] >= 0 && s[d - 1] == s[k - 1]) {
      d = std::min(2 * d, n);
      search_faiss(1, queries + i * options_.dim, d, params, s, l);
      flat_distances += n;
    }
    std::vector<VectorHit>& hits = out[i];
    for (size_t j = 0; j < d; ++j) {
      if (l[j] < 0) continue;  // FAISS pads with -1 when it finds fewer than asked
      hits.push_back(VectorHit{std::string(), s[j], static_cast<uint64_t>(l[j])});
    }
    std::sort(hits.begin(), hits.end(), [](const VectorHit& a, const VectorHit& b) {
      return a.score != b.score ? a.score > b.score : a.row < b.row;
    });
    if (hits.size() > k) hits.resize(k);
    for (VectorHit& hit : hits) hit.doc_id = ids_[hit.row];
  }
  return flat_distances;
}

VectorSearchResults FaissVectorIndex::search(size_t nq, std::span<const float> q, size_t k,
                                             const VectorSearchParams& params, int threads) const {
  DENSER_CHECK(q.size() == nq * options_.dim, ErrorCode::kInvalidArgument, "query matrix has ", q.size(),
               " floats; expected nq (", nq, ") x dim (", options_.dim, ")");
  const auto start = std::chrono::steady_clock::now();
  VectorSearchResults results;
  results.hits.resize(nq);
  results.stats.num_queries = nq;
  const size_t n = ids_.size();
  SearchParamsHolder holder;
  build_params(index_.get(), options_.factory, params, holder);
  if (nq == 0 || k == 0 || n == 0) {
    results.stats.seconds = seconds_since(start);
    return results;
  }
  set_faiss_threads(threads);
  std::vector<float> buffer;
  const float* queries = prepare(q, buffer).data();

  // A non-default efSearch is set on the FAISS index itself for the duration of the call:
  // such searches run alone; default ones share the lock and run concurrently.
  faiss::IndexHNSW* hnsw = hnsw_of(index_.get());
  const bool custom_ef = hnsw != nullptr && params.ef_search > 0;
  std::shared_lock<std::shared_mutex> shared(ef_mutex_, std::defer_lock);
  std::unique_lock<std::shared_mutex> exclusive(ef_mutex_, std::defer_lock);
  int saved_ef = 0;
  if (custom_ef) {
    exclusive.lock();
    saved_ef = hnsw->hnsw.efSearch;
    hnsw->hnsw.efSearch = params.ef_search;
  } else {
    shared.lock();
  }
  faiss::hnsw_stats.reset();
  faiss::indexIVF_stats.reset();
  uint64_t flat_distances = 0;
  try {
    flat_distances = search_hits(nq, queries, k, holder.top, results.hits);
  } catch (...) {
    if (custom_ef) hnsw->hnsw.efSearch = saved_ef;
    throw;
  }
  if (custom_ef) hnsw->hnsw.efSearch = saved_ef;

  const faiss::Index* core = core_index(index_.get());
  if (dynamic_cast<const faiss::IndexHNSW*>(core) != nullptr) {
    // FAISS 1.7.3 counts the level-0 distances of the bounded search in n3 and those of
    // the unbounded variant in ndis; the few greedy upper-level steps are not counted.
    results.stats.distances_computed = faiss::hnsw_stats.n3 + faiss::hnsw_stats.ndis;
  } else if (dynamic_cast<const faiss::IndexIVF*>(core) != nullptr) {
    results.stats.distances_computed = faiss::indexIVF_stats.ndis;
  } else if (dynamic_cast<const faiss::IndexFlat*>(core) != nullptr) {
    results.stats.distances_computed = flat_distances;
  }
  results.stats.seconds = seconds_since(start);
  return results;
}

uint64_t FaissVectorIndex::memory_bytes() const {
  CountingWriter writer;
  faiss_call("serialize the index", [&] { faiss::write_index(index_.get(), &writer); });
  return writer.bytes;
}

std::string FaissVectorIndex::describe() const {
  const faiss::Index* core = core_index(index_.get());
  std::string prefix = core != index_.get() ? "transform + " : "";
  if (const auto* hnsw = dynamic_cast<const faiss::IndexHNSW*>(core)) {
    return str(prefix, "HNSW: M=", hnsw->hnsw.nb_neighbors(1), ", efConstruction=", hnsw->hnsw.efConstruction,
               ", efSearch=", hnsw->hnsw.efSearch, ", levels=", hnsw->hnsw.max_level + 1);
  }
  if (const auto* ivf = dynamic_cast<const faiss::IndexIVF*>(core)) {
    return str(prefix, "IVF: nlist=", ivf->nlist, ", nprobe=", ivf->nprobe, ", code bytes=", ivf->code_size,
               ", trained=", ivf->is_trained ? "yes" : "no");
  }
  if (dynamic_cast<const faiss::IndexFlat*>(core) != nullptr) return prefix + "Flat (exact)";
  return prefix + "other FAISS index";
}

}  // namespace detail

void set_exhaustive_batch_threshold(int nq) { faiss::distance_compute_blas_threshold = std::max(1, nq); }

std::unique_ptr<VectorIndex> VectorIndex::create(const VectorIndexOptions& options) {
  DENSER_CHECK(options.dim > 0, ErrorCode::kInvalidArgument, "vector index dimension must be positive");
  DENSER_CHECK(!options.factory.empty(), ErrorCode::kInvalidArgument, "empty FAISS factory string");
  std::unique_ptr<faiss::Index> index;
  try {
    index.reset(
        faiss::index_factory(static_cast<int>(options.dim), options.factory.c_str(), faiss::METRIC_INNER_PRODUCT));
  } catch (const faiss::FaissException& e) {
    DENSER_THROW(ErrorCode::kInvalidArgument, "FAISS rejected the factory string '", options.factory, "' for dim ",
                 options.dim, ": ", e.what());
  }
  DENSER_CHECK(index != nullptr, ErrorCode::kInvalidArgument, "FAISS factory string '", options.factory,
               "' made no index");
  return std::make_unique<detail::FaissVectorIndex>(options, std::move(index), std::vector<std::string>());
}

}  // namespace denser
