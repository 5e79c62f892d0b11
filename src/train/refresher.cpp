#include "refresher.h"

#include <algorithm>
#include <chrono>
#include <string_view>

#include "denser/common/error.h"
#include "denser/common/log.h"
#include "denser/common/progress.h"
#include "denser/common/timer.h"
#include "checkpoint.h"
#include "denser/eval/metrics.h"

namespace denser::train_internal {
namespace {
using Clock = std::chrono::steady_clock;
}  // namespace

std::vector<float> encode_texts(Encoder& encoder, const std::vector<std::string>& texts, bool queries,
                                Progress* progress) {
  const size_t dim = static_cast<size_t>(encoder.dim());
  std::vector<float> out(texts.size() * dim);
  constexpr size_t kChunk = 2048;  // the encoder sorts each chunk by length
  std::vector<std::string_view> views;
  for (size_t begin = 0; begin < texts.size(); begin += kChunk) {
    const size_t end = std::min(texts.size(), begin + kChunk);
    views.assign(texts.begin() + static_cast<std::ptrdiff_t>(begin), texts.begin() + static_cast<std::ptrdiff_t>(end));
    std::span<float> rows(out.data() + begin * dim, (end - begin) * dim);
    if (queries) {
      encoder.encode_queries(views, rows);
    } else {
      encoder.encode_documents(views, rows);
    }
    if (progress) progress->advance(end - begin);
  }
  return out;
}

std::unique_ptr<VectorIndex> index_corpus(Encoder& encoder, const TrainingData& data, const TrainOptions& options,
                                          int num_threads, bool show_progress, double* encode_seconds,
                                          const CorpusEncoder* corpus_encoder) {
  const auto start = Clock::now();
  std::vector<float> vectors;
  if (corpus_encoder != nullptr) {
    vectors = (*corpus_encoder)(encoder, data.doc_texts);
  } else {
    std::unique_ptr<Progress> progress;
    if (show_progress) progress = make_progress("refresh: encoding", data.num_docs(), "docs");
    vectors = encode_texts(encoder, data.doc_texts, false, progress.get());
    if (progress) progress->finish();
  }
  if (encode_seconds) *encode_seconds = seconds_since(start);
  VectorIndexOptions index_options;
  index_options.dim = static_cast<uint32_t>(encoder.dim());
  index_options.factory = options.index_factory;
  index_options.model_fingerprint = encoder.fingerprint();
  auto index = VectorIndex::create(index_options);
  if (index->needs_training()) index->train(data.num_docs(), vectors, num_threads);
  index->add(data.doc_ids, vectors, num_threads);
  return index;
}

SplitScores evaluate_split(Encoder& encoder, const VectorIndex& index, const EvalSplit& split, int num_threads) {
  SplitScores scores;
  if (split.queries.empty()) return scores;
  std::vector<std::string> texts;
  for (const Query& q : split.queries) texts.push_back(q.text);
  const std::vector<float> q = encode_texts(encoder, texts, true, nullptr);
  const VectorSearchResults results = index.search(split.queries.size(), q, 10, {}, num_threads);
  Run run;
  for (size_t i = 0; i < split.queries.size(); ++i) {
    auto& entries = run.results[split.queries[i].id];
    for (const VectorHit& hit : results.hits[i]) entries.push_back(RunEntry{hit.doc_id, hit.score});
  }
  const EvalResult eval = evaluate(split.qrels, run, MeasureSet::parse({"recip_rank", "ndcg_cut.10"}));
  scores.mrr10 = eval.all[static_cast<size_t>(eval.index_of("recip_rank"))];
  scores.ndcg10 = eval.all[static_cast<size_t>(eval.index_of("ndcg_cut_10"))];
  return scores;
}

RefreshOutput run_refresh(std::unique_ptr<Encoder> snapshot, int64_t step, const TrainingData& data,
                          const TrainOptions& options, int num_threads, bool show_progress,
                          const CorpusEncoder* corpus_encoder) {
  RefreshOutput out;
  out.event.snapshot_step = step;
  auto start = Clock::now();
  double encode_seconds = 0.0;
  const auto index =
      index_corpus(*snapshot, data, options, num_threads, show_progress, &encode_seconds, corpus_encoder);
  out.event.encode_seconds = encode_seconds;
  out.event.index_seconds = seconds_since(start) - encode_seconds;

  start = Clock::now();
  // Other negative sources refresh only to evaluate (the training curve and model
  // selection stay the same for every source).
  if (options.negatives == "ance") out.pool = mine(*snapshot, *index, step, data, options, num_threads);
  out.event.mine_seconds = seconds_since(start);

  start = Clock::now();
  const SplitScores dev = evaluate_split(*snapshot, *index, data.dev, num_threads);
  out.event.dev_mrr10 = dev.mrr10;
  out.event.dev_ndcg10 = dev.ndcg10;
  out.event.eval_seconds = seconds_since(start);
  out.snapshot = std::move(snapshot);
  return out;
}

std::shared_ptr<const CandidatePool> mine(Encoder& snapshot, const VectorIndex& index, int64_t step,
                                          const TrainingData& data, const TrainOptions& options, int num_threads) {
  const std::vector<float> q = encode_texts(snapshot, data.query_texts, true, nullptr);
  const size_t depth = static_cast<size_t>(options.negative_depth);
  // Mined in blocks so that FAISS's result buffers stay small.
  auto pool = std::make_shared<CandidatePool>();
  pool->source = "ance";
  pool->snapshot_step = step;
  pool->offsets.push_back(0);
  const size_t dim = static_cast<size_t>(snapshot.dim());
  constexpr size_t kBlock = 4096;
  std::vector<uint32_t> ranked;
  for (size_t begin = 0; begin < data.num_queries(); begin += kBlock) {
    const size_t end = std::min(data.num_queries(), begin + kBlock);
    const VectorSearchResults hits = index.search(
        end - begin, std::span<const float>(q.data() + begin * dim, (end - begin) * dim), depth + 8, {}, num_threads);
    for (size_t i = begin; i < end; ++i) {
      ranked.clear();
      for (const VectorHit& hit : hits.hits[i - begin]) ranked.push_back(static_cast<uint32_t>(hit.row));
      pool->add_query(ranked, data.positives[i], depth);
    }
  }
  return pool;
}

Refresher::Refresher(const TrainingData& data, const TrainOptions& options, int num_threads, std::string stage_dir,
                     std::function<void(int64_t)> on_start)
    : data_(data),
      options_(options),
      num_threads_(num_threads),
      stage_dir_(std::move(stage_dir)),
      on_start_(std::move(on_start)),
      thread_([this] { loop(); }) {}

Refresher::~Refresher() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

bool Refresher::busy() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return busy_;
}

void Refresher::submit(std::unique_ptr<Encoder> snapshot, int64_t step) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    DENSER_CHECK(!busy_, ErrorCode::kInternal, "refresher: a refresh is already running");
    busy_ = true;
    pending_ = std::move(snapshot);
    pending_step_ = step;
  }
  cv_.notify_all();
}

std::optional<RefreshOutput> Refresher::take() {
  std::lock_guard<std::mutex> lock(mutex_);
  if (error_) {
    busy_ = false;
    std::rethrow_exception(std::exchange(error_, nullptr));
  }
  if (!done_) return std::nullopt;
  busy_ = false;
  return std::exchange(done_, std::nullopt);
}

RefreshOutput Refresher::wait() {
  std::unique_lock<std::mutex> lock(mutex_);
  DENSER_CHECK(busy_, ErrorCode::kInternal, "refresher: nothing to wait for");
  cv_.wait(lock, [&] { return done_.has_value() || error_ != nullptr; });
  busy_ = false;
  if (error_) std::rethrow_exception(std::exchange(error_, nullptr));
  return *std::exchange(done_, std::nullopt);
}

void Refresher::loop() {
  std::unique_lock<std::mutex> lock(mutex_);
  for (;;) {
    cv_.wait(lock, [&] { return stop_ || pending_ != nullptr; });
    if (stop_) return;
    std::unique_ptr<Encoder> snapshot = std::move(pending_);
    const int64_t step = pending_step_;
    lock.unlock();
    std::optional<RefreshOutput> result;
    std::exception_ptr error;
    try {
      if (on_start_) on_start_(step);
      result = run_refresh(std::move(snapshot), step, data_, options_, num_threads_, false);
      if (!stage_dir_.empty()) {
        result->staged_model_dir = stage_dir_ + "/step-" + std::to_string(step);
        write_model_dir_atomic(*result->snapshot, result->staged_model_dir);
      }
    } catch (...) {
      error = std::current_exception();
    }
    lock.lock();
    done_ = std::move(result);
    error_ = error;
    cv_.notify_all();
  }
}

}  // namespace denser::train_internal
