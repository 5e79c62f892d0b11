#include "denser/search/retriever.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <exception>
#include <limits>
#include <mutex>
#include <unordered_map>

#include "denser/common/error.h"
#include "denser/common/timer.h"
#include "denser/encode/encoder.h"
#include "denser/index/embeddings.h"
#include "denser/sparse/bm25_index.h"

namespace denser {

namespace {

using Clock = std::chrono::steady_clock;

double ms_since(Clock::time_point start) { return seconds_since(start) * 1e3; }

// Best first; equal scores by doc id, so fused rankings do not depend on hash order.
void sort_hits(std::vector<RetrievedHit>& hits) {
  std::sort(hits.begin(), hits.end(), [](const RetrievedHit& a, const RetrievedHit& b) {
    return a.score != b.score ? a.score > b.score : a.doc_id < b.doc_id;
  });
}

// Merges the two candidate lists into one hit per document, ranks filled in.
std::vector<RetrievedHit> merge(const RankedList& dense, const RankedList& bm25) {
  std::unordered_map<std::string_view, size_t> slot;
  std::vector<RetrievedHit> hits;
  hits.reserve(dense.size() + bm25.size());
  auto visit = [&](const RankedList& list, bool is_dense) {
    for (size_t i = 0; i < list.size(); ++i) {
      auto [it, fresh] = slot.emplace(list[i].first, hits.size());
      if (fresh) hits.push_back(RetrievedHit{list[i].first, 0.0, 0, 0});
      RetrievedHit& hit = hits[it->second];
      uint32_t rank = static_cast<uint32_t>(i + 1);
      if (is_dense) {
        if (hit.dense_rank == 0) hit.dense_rank = rank;
      } else if (hit.bm25_rank == 0) {
        hit.bm25_rank = rank;
      }
    }
  };
  visit(dense, true);
  visit(bm25, false);
  return hits;
}

void keep_top(std::vector<RetrievedHit>& hits, size_t k) {
  sort_hits(hits);
  if (hits.size() > k) hits.resize(k);
}

// Min-max normalization of a list's scores, by doc id; a constant list maps to 1.
std::unordered_map<std::string_view, double> normalized(const RankedList& list) {
  std::unordered_map<std::string_view, double> out;
  if (list.empty()) return out;
  double lo = std::numeric_limits<double>::infinity(), hi = -lo;
  for (const auto& [id, score] : list) lo = std::min(lo, score), hi = std::max(hi, score);
  for (const auto& [id, score] : list) out.emplace(id, hi > lo ? (score - lo) / (hi - lo) : 1.0);
  return out;
}

}  // namespace

std::vector<RetrievedHit> fuse_rrf(const RankedList& dense, const RankedList& bm25, double rrf_k, size_t k) {
  DENSER_CHECK(rrf_k >= 0, ErrorCode::kInvalidArgument, "RRF k must be non-negative, got ", rrf_k);
  std::vector<RetrievedHit> hits = merge(dense, bm25);
  for (RetrievedHit& hit : hits) {
    if (hit.dense_rank != 0) hit.score += 1.0 / (rrf_k + hit.dense_rank);
    if (hit.bm25_rank != 0) hit.score += 1.0 / (rrf_k + hit.bm25_rank);
  }
  keep_top(hits, k);
  return hits;
}

std::vector<RetrievedHit> fuse_linear(const RankedList& dense, const RankedList& bm25, double alpha, size_t k) {
  DENSER_CHECK(alpha >= 0 && alpha <= 1, ErrorCode::kInvalidArgument,
               "linear fusion weight alpha must lie in [0, 1], got ", alpha);
  std::vector<RetrievedHit> hits = merge(dense, bm25);
  auto dn = normalized(dense), bn = normalized(bm25);
  for (RetrievedHit& hit : hits) {
    auto d = dn.find(hit.doc_id), b = bn.find(hit.doc_id);
    hit.score = alpha * (d == dn.end() ? 0.0 : d->second) + (1 - alpha) * (b == bn.end() ? 0.0 : b->second);
  }
  keep_top(hits, k);
  return hits;
}

std::vector<float> prf_query(std::span<const float> q, std::span<const float> feedback_rows, size_t n,
                             const PrfOptions& options) {
  const size_t dim = q.size();
  DENSER_CHECK(feedback_rows.size() == n * dim, ErrorCode::kInvalidArgument, "PRF: ", feedback_rows.size(),
               " feedback values for ", n, " rows of dim ", dim);
  std::vector<float> out(q.begin(), q.end());
  if (options.method == PrfMethod::kNone || n == 0) return out;
  std::vector<double> sum(dim, 0.0);
  for (size_t r = 0; r < n; ++r)
    for (size_t j = 0; j < dim; ++j) sum[j] += feedback_rows[r * dim + j];
  for (size_t j = 0; j < dim; ++j) {
    if (options.method == PrfMethod::kAverage) {
      out[j] = static_cast<float>((q[j] + sum[j]) / static_cast<double>(n + 1));
    } else {
      out[j] = static_cast<float>(options.alpha * q[j] + options.beta * sum[j] / static_cast<double>(n));
    }
  }
  return out;
}

// ------------------------------------------------------------------ Retriever

struct Retriever::Impl {
  RetrieverParts parts;
  std::unordered_map<std::string_view, uint64_t> embedding_rows;  // doc id -> row (PRF)

  // The micro-batcher: queued encode jobs, and whether a leader is encoding now.
  // One caller's queries: encoded, then searched to `depth` with `params`, in a batch
  // with whatever else waits (the dense index is read once per batch, not per query).
  struct Job {
    std::span<const std::string> texts;
    size_t depth = 0;
    VectorSearchParams params;
    std::vector<float>* vectors = nullptr;
    std::vector<RankedList>* lists = nullptr;
    double* encode_ms = nullptr;
    double* search_ms = nullptr;
    bool done = false;
    std::exception_ptr error;
  };
  std::mutex mutex;
  std::condition_variable cv;
  std::deque<Job*> queue;
  bool encoding = false;
  std::atomic<uint64_t> batches{0}, queries{0};

  void encode_and_search(Job& job);
  void run_batch(const std::vector<Job*>& jobs);
  RankedList dense_search(std::span<const float> q, size_t depth, const VectorSearchParams& params) const;
  /// The second dense search of PRF: q moved towards the stored vectors of first's top
  /// options.prf.depth documents.
  RankedList prf_search(std::span<const float> q, const RankedList& first, size_t depth,
                        const RetrievalOptions& options) const;
  RankedList bm25_search(const std::string& query, size_t depth) const;
};

void Retriever::Impl::run_batch(const std::vector<Job*>& jobs) {
  const size_t dim = static_cast<size_t>(parts.encoder->dim());
  std::vector<std::string_view> views;
  for (const Job* job : jobs)
    for (const std::string& text : job->texts) views.emplace_back(text);
  std::vector<float> all(views.size() * dim);
  auto start = Clock::now();
  parts.encoder->encode_queries(views, all);
  const double encode_ms = ms_since(start);
  batches.fetch_add(1);
  queries.fetch_add(views.size());
  // One index search per run of jobs with the same search parameters, to the deepest depth.
  start = Clock::now();
  size_t row = 0;
  for (size_t first = 0; first < jobs.size();) {
    size_t last = first, rows = 0, depth = 0;
    while (last < jobs.size() && jobs[last]->params.ef_search == jobs[first]->params.ef_search &&
           jobs[last]->params.nprobe == jobs[first]->params.nprobe) {
      rows += jobs[last]->texts.size();
      depth = std::max(depth, jobs[last]->depth);
      ++last;
    }
    std::span<const float> q(all.data() + row * dim, rows * dim);
    VectorSearchResults results = parts.index->search(rows, q, depth, jobs[first]->params, parts.threads);
    size_t r = 0;
    for (size_t j = first; j < last; ++j) {
      Job* job = jobs[j];
      job->lists->assign(job->texts.size(), RankedList{});
      for (size_t i = 0; i < job->texts.size(); ++i, ++r) {
        RankedList& list = (*job->lists)[i];
        std::vector<VectorHit>& hits = results.hits[r];
        list.reserve(std::min(hits.size(), job->depth));
        for (size_t h = 0; h < hits.size() && h < job->depth; ++h)
          list.emplace_back(std::move(hits[h].doc_id), hits[h].score);
      }
    }
    row += rows;
    first = last;
  }
  const double search_ms = ms_since(start);
  row = 0;
  for (Job* job : jobs) {
    const size_t n = job->texts.size() * dim;
    job->vectors->assign(all.begin() + static_cast<std::ptrdiff_t>(row),
                         all.begin() + static_cast<std::ptrdiff_t>(row + n));
    *job->encode_ms = encode_ms;
    *job->search_ms = search_ms;
    row += n;
  }
}

void Retriever::Impl::encode_and_search(Job& job) {
  std::unique_lock<std::mutex> lock(mutex);
  queue.push_back(&job);
  while (!job.done) {
    if (encoding) {
      cv.wait(lock);
      continue;
    }
    // Lead: take every job waiting now, run them together outside the lock.
    encoding = true;
    std::vector<Job*> jobs(queue.begin(), queue.end());
    queue.clear();
    lock.unlock();
    std::exception_ptr error;
    try {
      run_batch(jobs);
    } catch (...) {
      error = std::current_exception();
    }
    lock.lock();
    for (Job* j : jobs) j->done = true, j->error = error;
    encoding = false;
    cv.notify_all();
  }
  if (job.error) std::rethrow_exception(job.error);
}

RankedList Retriever::Impl::dense_search(std::span<const float> q, size_t depth,
                                         const VectorSearchParams& params) const {
  VectorSearchResults results = parts.index->search(1, q, depth, params, parts.threads);
  RankedList list;
  list.reserve(results.hits[0].size());
  for (VectorHit& hit : results.hits[0]) list.emplace_back(std::move(hit.doc_id), hit.score);
  return list;
}

Retriever::Retriever(RetrieverParts parts) : impl_(std::make_unique<Impl>()) {
  DENSER_CHECK(static_cast<bool>(parts.encoder) == static_cast<bool>(parts.index), ErrorCode::kInvalidArgument,
               "retriever: the dense side needs both a model and a vector index");
  DENSER_CHECK(parts.index || parts.bm25, ErrorCode::kInvalidArgument,
               "retriever: neither a dense index nor a BM25 index was given");
  if (parts.index) {
    DENSER_CHECK(parts.encoder->dim() == static_cast<int>(parts.index->dim()), ErrorCode::kUnsupported,
                 "retriever: the model outputs dim ", parts.encoder->dim(), " but the vector index holds dim ",
                 parts.index->dim());
    parts.index->check_fingerprint(parts.encoder->fingerprint());
  }
  if (parts.embeddings) {
    DENSER_CHECK(parts.index, ErrorCode::kInvalidArgument, "retriever: document vectors for PRF need the dense side");
    DENSER_CHECK(parts.embeddings->dim() == parts.index->dim(), ErrorCode::kUnsupported,
                 "retriever: the PRF embeddings hold dim ", parts.embeddings->dim(), " but the vector index holds dim ",
                 parts.index->dim());
    DENSER_CHECK(parts.embeddings->header().model_fingerprint == parts.index->fingerprint(), ErrorCode::kUnsupported,
                 "retriever: the PRF embeddings were made by model ", parts.embeddings->header().model_fingerprint,
                 " but the vector index by ", parts.index->fingerprint());
    const auto& ids = parts.embeddings->ids();
    impl_->embedding_rows.reserve(ids.size());
    for (uint64_t r = 0; r < ids.size(); ++r) impl_->embedding_rows.emplace(ids[r], r);
  }
  if (parts.threads <= 0) parts.threads = 1;
  impl_->parts = std::move(parts);
}

Retriever::~Retriever() = default;

bool Retriever::has_dense() const { return static_cast<bool>(impl_->parts.index); }
bool Retriever::has_bm25() const { return static_cast<bool>(impl_->parts.bm25); }
bool Retriever::has_prf() const { return static_cast<bool>(impl_->parts.embeddings); }
std::string Retriever::model_fingerprint() const { return has_dense() ? impl_->parts.index->fingerprint() : ""; }
std::string Retriever::model_name() const { return has_dense() ? impl_->parts.model_name : ""; }
uint64_t Retriever::num_docs() const {
  return has_dense() ? impl_->parts.index->num_vectors() : impl_->parts.bm25->num_docs();
}
uint64_t Retriever::encode_batches() const { return impl_->batches.load(); }
uint64_t Retriever::encoded_queries() const { return impl_->queries.load(); }

std::vector<RetrievalMode> Retriever::modes() const {
  std::vector<RetrievalMode> out;
  if (has_dense()) out.push_back(RetrievalMode::kDense);
  if (has_bm25()) out.push_back(RetrievalMode::kBm25);
  if (has_dense() && has_bm25()) out.push_back(RetrievalMode::kHybrid);
  return out;
}

RankedList Retriever::Impl::prf_search(std::span<const float> q, const RankedList& first, size_t depth,
                                       const RetrievalOptions& options) const {
  const size_t dim = q.size();
  const size_t n = std::min(options.prf.depth, first.size());
  std::vector<float> rows(n * dim);
  for (size_t r = 0; r < n; ++r) {
    auto it = embedding_rows.find(first[r].first);
    DENSER_CHECK(it != embedding_rows.end(), ErrorCode::kCorrupt, "PRF: document ", first[r].first,
                 " of the vector index is missing from the embeddings file");
    parts.embeddings->rows(it->second, it->second + 1, rows.data() + r * dim);
  }
  return dense_search(prf_query(q, rows, n, options.prf), depth, options.vector_params);
}

RankedList Retriever::Impl::bm25_search(const std::string& query, size_t depth) const {
  Bm25SearchOptions options;
  options.k = depth;
  const Bm25SearchResult r = parts.bm25->search(query, options);
  RankedList out;
  out.reserve(r.hits.size());
  for (const Bm25Hit& hit : r.hits) out.emplace_back(std::string(parts.bm25->doc_id(hit.doc)), hit.score);
  return out;
}

std::vector<RetrievalResult> Retriever::search(std::span<const std::string> queries, const RetrievalOptions& options) {
  const bool dense = options.mode != RetrievalMode::kBm25, sparse = options.mode != RetrievalMode::kDense;
  DENSER_CHECK(!dense || has_dense(), ErrorCode::kUnsupported, "retrieval mode ", retrieval_mode_name(options.mode),
               " needs a dense model and vector index, and this retriever has none");
  DENSER_CHECK(!sparse || has_bm25(), ErrorCode::kUnsupported, "retrieval mode ", retrieval_mode_name(options.mode),
               " needs a BM25 index, and this retriever has none");
  const bool prf = dense && options.prf.method != PrfMethod::kNone;
  DENSER_CHECK(!prf || has_prf(), ErrorCode::kUnsupported,
               "PRF needs the documents' vectors (an embeddings file), and none were given");
  DENSER_CHECK(options.k > 0, ErrorCode::kInvalidArgument, "k must be positive");
  // No list can be longer than the corpus: a larger k (say 10^9) would only size buffers
  // for results that cannot exist.
  const size_t corpus = std::max<size_t>(1, num_docs());
  const size_t depth =
      std::min(corpus, options.mode == RetrievalMode::kHybrid ? std::max(options.k, options.fusion_depth) : options.k);
  const auto start = Clock::now();
  std::vector<RetrievalResult> results(queries.size());

  std::vector<float> q;
  std::vector<RankedList> first_lists;
  double encode_ms = 0, search_ms = 0;
  if (dense && !queries.empty()) {
    Impl::Job job;
    job.texts = queries;
    job.depth = prf ? std::min(corpus, std::max(depth, options.prf.depth)) : depth;
    job.params = options.vector_params;
    job.vectors = &q, job.lists = &first_lists, job.encode_ms = &encode_ms, job.search_ms = &search_ms;
    impl_->encode_and_search(job);
  }
  const size_t dim = dense ? static_cast<size_t>(impl_->parts.encoder->dim()) : 0;

  for (size_t i = 0; i < queries.size(); ++i) {
    RetrievalResult& result = results[i];
    RankedList dense_list, bm25_list;
    if (dense) {
      result.times.encode_ms = encode_ms;
      std::span<const float> qi(q.data() + i * dim, dim);
      dense_list = std::move(first_lists[i]);
      result.times.dense_ms = search_ms;
      if (prf) {
        auto t = Clock::now();
        dense_list = impl_->prf_search(qi, dense_list, depth, options);
        result.times.prf_ms = ms_since(t);
      }
    }
    if (sparse) {
      auto t = Clock::now();
      bm25_list = impl_->bm25_search(queries[i], depth);
      result.times.bm25_ms = ms_since(t);
    }
    auto t = Clock::now();
    if (options.mode == RetrievalMode::kHybrid) {
      result.hits = options.fusion == FusionMethod::kRrf ? fuse_rrf(dense_list, bm25_list, options.rrf_k, options.k)
                                                         : fuse_linear(dense_list, bm25_list, options.alpha, options.k);
      result.times.fusion_ms = ms_since(t);
    } else {
      const RankedList& only = dense ? dense_list : bm25_list;
      for (size_t r = 0; r < only.size() && r < options.k; ++r) {
        RetrievedHit hit{only[r].first, only[r].second, 0, 0};
        (dense ? hit.dense_rank : hit.bm25_rank) = static_cast<uint32_t>(r + 1);
        result.hits.push_back(std::move(hit));
      }
    }
    result.times.total_ms = ms_since(start);
  }
  return results;
}

Run retrieve_run(Retriever& retriever, const std::vector<Query>& queries, const RetrievalOptions& options,
                 const std::string& tag, size_t batch_size) {
  DENSER_CHECK(batch_size > 0, ErrorCode::kInvalidArgument, "retrieve_run: batch size must be positive");
  Run run;
  run.tag = tag;
  std::vector<std::string> texts;
  for (size_t begin = 0; begin < queries.size(); begin += batch_size) {
    const size_t end = std::min(queries.size(), begin + batch_size);
    texts.clear();
    for (size_t i = begin; i < end; ++i) texts.push_back(queries[i].text);
    std::vector<RetrievalResult> results = retriever.search(texts, options);
    for (size_t i = begin; i < end; ++i) {
      std::vector<RunEntry>& entries = run.results[queries[i].id];
      for (const RetrievedHit& hit : results[i - begin].hits) entries.push_back(RunEntry{hit.doc_id, hit.score});
    }
  }
  return run;
}

}  // namespace denser
