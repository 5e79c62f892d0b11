#pragma once
// The ANCE inferencer: from a snapshot of the weights, encode the corpus, build an ANN
// index, mine the training queries' top candidates (positives removed) and evaluate the
// snapshot on the dev queries. run_refresh() does it on the calling thread (the
// stop-the-world mode); Refresher runs it on its own thread beside the trainer. Torch-free.
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>

#include "denser/common/progress.h"
#include "denser/encode/encoder.h"
#include "denser/index/vector_index.h"
#include "denser/train/train.h"
#include "negatives.h"
#include "train_data.h"

namespace denser::train_internal {

struct RefreshOutput {
  RefreshEvent event;
  std::shared_ptr<const CandidatePool> pool;
  std::unique_ptr<Encoder> snapshot;  // the weights that were evaluated
  /// Where the refresher thread already wrote `snapshot` as a model directory (async runs
  /// with a staging directory), so that keeping it as the best model is a rename on the
  /// training thread rather than a write; empty when not written.
  std::string staged_model_dir;
};

/// MRR@10 and nDCG@10 (trec_eval's recip_rank and ndcg_cut.10 over the top 10).
struct SplitScores {
  double mrr10 = 0.0;
  double ndcg10 = 0.0;
};

/// The texts' vectors (n x dim, row-major), documents or queries, in chunks of 2,048.
std::vector<float> encode_texts(Encoder& encoder, const std::vector<std::string>& texts, bool queries,
                                Progress* progress);

/// Encodes a corpus's documents some other way (a distributed run splits it over ranks).
using CorpusEncoder = std::function<std::vector<float>(Encoder&, const std::vector<std::string>&)>;

/// Encodes every document with `encoder` (or corpus_encoder; progress: "label", when
/// show_progress) and builds an index of options.index_factory.
std::unique_ptr<VectorIndex> index_corpus(Encoder& encoder, const TrainingData& data, const TrainOptions& options,
                                          int num_threads, bool show_progress, double* encode_seconds = nullptr,
                                          const CorpusEncoder* corpus_encoder = nullptr);
/// Encodes the split's queries, searches `index` and scores the top 10.
SplitScores evaluate_split(Encoder& encoder, const VectorIndex& index, const EvalSplit& split, int num_threads);

/// ANCE's candidates: every training query's top negative_depth documents in `index`
/// (encoded by `snapshot`), positives removed.
std::shared_ptr<const CandidatePool> mine(Encoder& snapshot, const VectorIndex& index, int64_t step,
                                          const TrainingData& data, const TrainOptions& options, int num_threads);

/// One whole refresh on the calling thread (mining only for negatives "ance").
RefreshOutput run_refresh(std::unique_ptr<Encoder> snapshot, int64_t step, const TrainingData& data,
                          const TrainOptions& options, int num_threads, bool show_progress,
                          const CorpusEncoder* corpus_encoder = nullptr);

/// One background thread, one refresh at a time. submit() while busy() is an error.
/// An exception inside a refresh is kept and rethrown by take()/wait().
class Refresher {
 public:
  /// stage_dir, when not empty: each refresh's snapshot is also written there, as
  /// stage_dir/step-N (RefreshOutput::staged_model_dir), on the refresher's thread.
  /// on_start, when set, runs on the refresher's thread before each refresh.
  Refresher(const TrainingData& data, const TrainOptions& options, int num_threads, std::string stage_dir = {},
            std::function<void(int64_t)> on_start = {});
  ~Refresher();
  Refresher(const Refresher&) = delete;
  Refresher& operator=(const Refresher&) = delete;

  /// True from submit() until its result has been taken.
  bool busy() const;
  void submit(std::unique_ptr<Encoder> snapshot, int64_t step);
  /// The finished refresh, if there is one (never blocks).
  std::optional<RefreshOutput> take();
  /// Blocks until the submitted refresh finishes and returns it.
  RefreshOutput wait();

 private:
  void loop();

  const TrainingData& data_;
  const TrainOptions& options_;
  const int num_threads_;
  const std::string stage_dir_;
  const std::function<void(int64_t)> on_start_;
  mutable std::mutex mutex_;
  std::condition_variable cv_;
  std::unique_ptr<Encoder> pending_;
  int64_t pending_step_ = 0;
  std::optional<RefreshOutput> done_;
  std::exception_ptr error_;
  bool busy_ = false;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace denser::train_internal
