#pragma once
// ANCE training of dual encoders (Xiong et al., "Approximate Nearest Neighbor Negative
// Contrastive Learning for Dense Text Retrieval"): a query tower and a document tower
// (shared or separate) trained with softmax cross-entropy over a positive document and
// negatives, where the negatives come from a NegativeSource: random documents, BM25's top
// results, or ANCE's top results from an ANN index of the corpus encoded by a recent
// checkpoint. That index is rebuilt by a refresher running beside the trainer (or inline
// with --refresh sync). Torch-free header: the training loop lives in src/train.
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "denser/common/options.h"

namespace denser {

/// Every knob of a training run. Stored in the run's config.json and in every checkpoint;
/// `denser train --config FILE` reads the same keys (see docs/training.md).
struct TrainOptions {
  // --- data ---
  std::string collection;  // collection directory (BEIR / MS MARCO layout)
  std::string train_split = "train";
  /// Split used for model selection and the refresh log; when the collection has no such
  /// split, dev_holdout training queries are held out as dev instead.
  std::string dev_split = "dev";
  int dev_holdout = 100;
  /// Split evaluated once at the end with the final model (empty: none).
  std::string test_split;
  bool with_titles = true;  // documents are "title text"

  // --- model ---
  std::string encoder = "ngram";  // "ngram" or "transformer"
  std::string preset = "small";   // tiny | small | base
  std::string init_model;         // start from this model directory instead of a preset
  int ngram_buckets_log2 = 0;     // n-gram: table rows 2^this (0: the preset's)
  int ngram_dim = 0;              // n-gram: vector dimension (0: the preset's)
  bool ngram_bigrams = false;     // n-gram: hash adjacent word pairs too (they memorize)
  double ngram_init_std = 0.0;    // n-gram: weights ~ N(0, this) (0: the preset's)
  std::string vocab;              // transformer: WordPiece vocab.txt; empty: trained on the corpus
  int vocab_size = 8000;          // size of a vocabulary trained on the corpus
  int query_max_length = 32;      // transformer: subword tokens per query
  int doc_max_length = 128;       // transformer: subword tokens per document

  // --- negatives ---
  std::string negatives = "ance";  // "ance", "bm25" or "random"
  int num_negatives = 1;           // sampled per query per step
  bool in_batch_negatives = true;  // the other queries' documents are negatives too
  int negative_depth = 200;        // top-k of BM25 / the ANN index mined per query
  /// ANCE: steps trained on BM25 negatives before the first ANN refresh (ANCE's warm-up).
  int warmup_negative_steps = -1;  // -1: 20% of steps

  // --- optimization ---
  int steps = 1000;      // optimizer steps
  int batch_size = 32;   // queries per micro-batch
  int accumulation = 1;  // micro-batches per optimizer step
  /// 0: the default: ngram 0.05; transformer 1e-4 from scratch, 5e-5 fine-tuning --init-model
  /// (SciFact dev MRR@10 at 100 steps: 0.673 against 0.619 at 2e-5).
  double learning_rate = 0.0;
  double weight_decay = 0.01;
  int warmup_steps = -1;  // linear learning-rate warm-up; -1: 10% of steps
  /// Scores are divided by it. 0: chosen from the model's similarity once it is loaded:
  /// 0.05 for a normalized (cosine) model, whose scores lie in [-1, 1], and for n-grams;
  /// 1 for an unnormalized (dot) transformer.
  double temperature = 0.0;
  /// Precision of the training forward and backward passes: "fp32", or "bf16" (CPU
  /// autocast: matrix products in bfloat16, weights, gradients and optimizer in float32;
  /// about twice as fast on CPUs with AVX512-BF16 or AMX).
  std::string train_precision = "fp32";
  double max_grad_norm = 1.0;  // gradient clipping (0: off)
  uint64_t seed = 1;

  // --- refresh (the inferencer) ---
  std::string refresh = "async";    // "async" (beside training) or "sync" (stop the world)
  int refresh_every = 200;          // steps between ANN refreshes
  bool wait_first_refresh = false;  // async: the trainer waits for the first ANCE negatives
  std::string index_factory = "Flat";
  /// Precision of the refresher's encoding (corpus, training queries, dev queries):
  /// "fp32" or "bf16" (EncodeOptions::precision). The negatives need no fp32; training
  /// itself runs at train_precision. The final dev and test evaluation encodes the corpus at
  /// this precision too (queries always fp32).
  std::string refresh_precision = "fp32";

  // --- checkpoints, logging, threads ---
  int checkpoint_every = 200;  // 0: only at the end
  int keep_checkpoints = 2;    // the last N are kept (the best on dev is kept apart)
  int log_every = 20;
  int threads = 0;  // total CPU threads (0 = all cores); async splits them
  // Data-parallel over processes (c10d Gloo; MASTER_ADDR, MASTER_PORT, WORLD_SIZE, RANK):
  // batch_size is the global batch, split evenly over the ranks; rank 0 refreshes, logs,
  // checkpoints and writes the model.
  bool distributed = false;
  int encode_batch_size = 64;  // refresher's encoding batch

  /// Fills -1 / 0 defaults that depend on other fields and checks every value; throws
  /// denser::Error naming the field.
  void finalize();
  /// Fills temperature 0 from the loaded model's similarity ("cosine" or "dot").
  void resolve_temperature(std::string_view similarity);
  /// JSON object with every field (keys as the field names).
  std::string to_json() const;
  /// Applies the keys of a JSON object on top of *this; unknown keys are an error naming
  /// `where` and the key.
  void apply_json(std::string_view json, const std::string& where);
  /// A preset: the model size and the step budget that fit it ("tiny", "small", "base").
  static TrainOptions preset_defaults(std::string_view encoder, std::string_view preset);
};

/// Every TrainOptions field, declared once (name, type, default, range, help): the flags
/// of `denser train`, JSON config files, the options saved with checkpoints, validation in
/// finalize() and docs/options.md all come from it.
const OptionTable<TrainOptions>& train_option_table();

/// One refresh of the ANCE negatives (also written to the training log).
struct RefreshEvent {
  int64_t snapshot_step = 0;  // the step whose weights encoded the corpus
  int64_t swapped_step = -1;  // the step at which its negatives replaced the old ones
  double encode_seconds = 0.0;
  double index_seconds = 0.0;
  double mine_seconds = 0.0;
  double eval_seconds = 0.0;
  double dev_mrr10 = 0.0;
  double dev_ndcg10 = 0.0;
};

/// What train() reports at the end.
struct TrainSummary {
  int64_t steps = 0;
  int64_t resumed_from = 0;           // 0 when started fresh
  int rank = 0, world_size = 1;       // distributed runs: only rank 0 fills the rest
  double seconds = 0.0;               // wall time of this process's training loop
  double refresh_wait_seconds = 0.0;  // time the trainer spent waiting for a refresh
  int64_t steps_that_waited = 0;      // steps that waited (sync: every refresh step)
  /// Async refresh: the training thread's own share of the refreshes (snapshotting the
  /// weights, handing them over, swapping the new negatives in), in total and the most in
  /// any one step. Small against a refresh's own time unless something blocks.
  double refresh_handover_seconds = 0.0;
  double refresh_handover_max_seconds = 0.0;
  std::vector<RefreshEvent> refreshes;
  double final_loss = 0.0;  // mean loss of the last log window
  int64_t best_step = -1;   // the checkpoint chosen on dev
  double best_dev_mrr10 = 0.0;
  double dev_mrr10 = 0.0, dev_ndcg10 = 0.0;    // of the final model
  double test_mrr10 = 0.0, test_ndcg10 = 0.0;  // of the final model (when test_split is set)
  std::string model_dir;
};

/// Observers of a run, called from the training thread.
struct TrainHooks {
  /// After each optimizer step; returning false stops training at once, without the
  /// final model (tests use it to stop between checkpoints, as a crash would).
  std::function<bool(int64_t step)> on_step;
  /// Every line written to the training log (one JSON object, no newline).
  std::function<void(std::string_view line)> on_log;
  /// At the start of each background (async) refresh, on the refresher's thread, with the
  /// snapshot's step (tests make refreshes slow with it).
  std::function<void(int64_t snapshot_step)> on_async_refresh;
};

/// Trains into `out_dir`:
///   out_dir/config.json, model.safetensors, tokenizer files: the final model (the best
///     on dev), a Hugging Face-compatible model directory (docs/formats/model-dir.md);
///   out_dir/training/train_config.json: the options;
///   out_dir/training/log.jsonl: one JSON object per step window and per refresh;
///   out_dir/training/checkpoints/step-NNNNNNNN/: the last keep_checkpoints checkpoints;
///   out_dir/training/best/: the model with the best dev MRR@10 so far.
/// resume: continue from the newest complete checkpoint in out_dir (the options must match
/// the ones it was written with, steps excepted). Throws denser::Error on bad options,
/// data, or a corrupt checkpoint.
TrainSummary train_dual_encoder(TrainOptions options, const std::string& out_dir, bool resume = false,
                                const TrainHooks& hooks = {});

}  // namespace denser
