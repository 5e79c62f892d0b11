// TrainOptions: declared once (their table: the CLI flags, config files, checkpoints and
// docs/options.md), presets, and validation.
#include <nlohmann/json.hpp>

#include "denser/common/error.h"
#include "denser/common/options.h"
#include "denser/train/train.h"

namespace denser {
namespace {

using nlohmann::json;

OptionTable<TrainOptions> make_table() {
  using O = TrainOptions;
  OptionTable<O> t;
  auto range = [](OptionSpec& spec, double lo, double hi) { spec.min = lo, spec.max = hi; };
  // --- data
  t.add("collection", &O::collection, "Collection with a train split (BEIR or MS MARCO layout)");
  t.add("train_split", &O::train_split, "Split whose queries and judgments train the model");
  t.add("dev_split", &O::dev_split, "Model-selection split (held-out train queries if absent)");
  t.add("dev_holdout", &O::dev_holdout, "Train queries held out as dev when the collection has no dev split").min = 0;
  t.add("test_split", &O::test_split, "Split evaluated with the final model at the end (empty: none)");
  t.add("with_titles", &O::with_titles, "Documents are encoded as \"title text\"");
  // --- model
  t.add("encoder", &O::encoder, "Encoder family").choices = {"ngram", "transformer"};
  t.add("preset", &O::preset, "Model size and step budget").choices = {"tiny", "small", "base"};
  t.add("init_model", &O::init_model, "Start from this model directory's (or packaged model's) weights");
  range(t.add("ngram_buckets_log2", &O::ngram_buckets_log2, "N-gram: table rows 2^N (0: the preset's; else 8..26)"), 0,
        26);
  range(t.add("ngram_dim", &O::ngram_dim, "N-gram: vector dimension (0: the preset's)"), 0, 4096);
  OptionSpec& bigrams =
      t.add("ngram_bigrams", &O::ngram_bigrams, "N-gram: also hash adjacent word pairs (they memorize)");
  bigrams.flag = "bigrams";
  t.add("ngram_init_std", &O::ngram_init_std, "N-gram: initial weights' std (0: the preset's)").min = 0;
  t.add("vocab", &O::vocab, "Transformer: WordPiece vocab.txt (empty: trained on the corpus)");
  t.add("vocab_size", &O::vocab_size, "Size of a vocabulary trained on the corpus").min = 200;
  t.add("query_max_length", &O::query_max_length, "Transformer: subword tokens per query").min = 2;
  t.add("doc_max_length", &O::doc_max_length, "Transformer: subword tokens per document").min = 2;
  // --- negatives
  t.add("negatives", &O::negatives, "Negative source").choices = {"ance", "bm25", "random"};
  t.add("num_negatives", &O::num_negatives, "Negatives sampled per query per step").min = 0;
  t.add("in_batch_negatives", &O::in_batch_negatives, "The other queries' documents are negatives too").flag =
      "in-batch";
  t.add("negative_depth", &O::negative_depth, "Top-k of BM25 / the ANN index sampled from").min = 1;
  OptionSpec& warm = t.add("warmup_negative_steps", &O::warmup_negative_steps,
                           "ANCE: steps on BM25 negatives before the first refresh (-1: 20% of steps)");
  warm.min = -1, warm.default_note = "`-1` (ance: 20% of steps; else 0)";
  // --- optimization
  t.add("steps", &O::steps, "Optimizer steps").min = 1;
  t.add("batch_size", &O::batch_size, "Queries per micro-batch (the global batch when distributed)").min = 1;
  t.add("accumulation", &O::accumulation, "Micro-batches per optimizer step").min = 1;
  OptionSpec& lr = t.add("learning_rate", &O::learning_rate, "Peak learning rate (0: the family's default)");
  lr.flag = "lr", lr.min = 0, lr.default_note = "`0`: n-gram 0.05; transformer 1e-4, or 5e-5 from init_model";
  t.add("weight_decay", &O::weight_decay, "AdamW's decoupled weight decay").min = 0;
  t.add("warmup_steps", &O::warmup_steps, "Learning-rate warm-up steps (-1: 10% of steps)").min = -1;
  t.add("temperature", &O::temperature, "Softmax temperature (0: chosen from the model)").default_note =
      "`0`: 0.05 for a normalized model or n-grams, 1 for a dot-product transformer";
  t.find_mut("temperature")->min = 0;
  t.add("train_precision", &O::train_precision, "Training forward/backward precision (bf16: CPU autocast)").choices = {
      "fp32", "bf16"};
  t.add("max_grad_norm", &O::max_grad_norm, "Gradient clipping by global norm (0: off)").min = 0;
  t.add("seed", &O::seed, "Random seed (initialization, data order, sampling)");
  // --- refresh
  t.add("refresh", &O::refresh, "ANN refresh beside training (async) or stopping it (sync)").choices = {"async",
                                                                                                        "sync"};
  t.add("refresh_every", &O::refresh_every, "Steps between ANN index refreshes").min = 1;
  t.add("wait_first_refresh", &O::wait_first_refresh,
        "Async: wait for the first ANCE negatives instead of using BM25's");
  t.add("index_factory", &O::index_factory, "FAISS factory string of the refresh index");
  t.add("refresh_precision", &O::refresh_precision, "Refresher's (and final evaluation's) corpus encoding precision")
      .choices = {"fp32", "bf16"};
  // --- checkpoints, logging, threads
  t.add("checkpoint_every", &O::checkpoint_every, "Steps between checkpoints (0: only at the end)").min = 0;
  t.add("keep_checkpoints", &O::keep_checkpoints, "Checkpoints kept (the best on dev is kept apart)").min = 1;
  t.add("log_every", &O::log_every, "Steps per training-log line").min = 1;
  t.add("threads", &O::threads, "CPU threads in all (0: all cores); async splits them").min = 0;
  t.add("distributed", &O::distributed,
        "Data-parallel over processes (MASTER_ADDR, MASTER_PORT, WORLD_SIZE, RANK; c10d Gloo)");
  t.add("encode_batch_size", &O::encode_batch_size, "Refresher's encoding batch").min = 1;
  // The preset's budget, read from the presets themselves.
  for (const char* name : {"steps", "batch_size", "refresh_every", "checkpoint_every"}) {
    std::string note;
    for (const char* family : {"ngram", "transformer"}) {
      note += note.empty() ? "" : "; ";
      note += family;
      for (const char* preset : {"tiny", "small", "base"})
        note += std::string(preset[0] == 't' ? " " : " / ") +
                t.get(TrainOptions::preset_defaults(family, preset), name).dump();
    }
    t.find_mut(name)->default_note = note + " (tiny / small / base)";
  }
  return t;
}

}  // namespace

const OptionTable<TrainOptions>& train_option_table() {
  static const OptionTable<TrainOptions> table = make_table();
  return table;
}

void TrainOptions::finalize() {
  // Every field against its declared type, range and choices, as a config file's would be.
  const OptionTable<TrainOptions>& table = train_option_table();
  const json values = table.to_json(*this);
  for (const OptionSpec& spec : table.specs())
    detail::check_option_value(spec, values.at(spec.name), "train: " + spec.name);
  // What one field alone cannot say.
  DENSER_CHECK(!collection.empty(), ErrorCode::kInvalidArgument, "train: no collection given");
  DENSER_CHECK(num_negatives > 0 || in_batch_negatives, ErrorCode::kInvalidArgument,
               "train: no negatives at all (num_negatives 0 and no in-batch)");
  DENSER_CHECK(ngram_buckets_log2 == 0 || ngram_buckets_log2 >= 8, ErrorCode::kInvalidArgument,
               "train: ngram_buckets_log2 must be 0 (preset) or within 8..26, got ", ngram_buckets_log2);
  if (learning_rate <= 0) learning_rate = encoder == "ngram" ? 0.05 : init_model.empty() ? 1e-4 : 5e-5;
  if (temperature <= 0 && encoder == "ngram") temperature = 0.05;
  // A transformer's temperature 0 waits for resolve_temperature: it depends on the model.
  if (warmup_steps < 0) warmup_steps = steps / 10;
  if (warmup_negative_steps < 0) warmup_negative_steps = negatives == "ance" ? steps / 5 : 0;
}

void TrainOptions::resolve_temperature(std::string_view similarity) {
  if (temperature > 0) return;
  temperature = similarity == "cosine" || encoder == "ngram" ? 0.05 : 1.0;
}

std::string TrainOptions::to_json() const { return train_option_table().to_json(*this).dump(2) + "\n"; }

void TrainOptions::apply_json(std::string_view text, const std::string& where) {
  json in = json::parse(text, nullptr, false);
  DENSER_CHECK(!in.is_discarded(), ErrorCode::kCorrupt, where, ": not valid JSON");
  DENSER_CHECK(in.is_object(), ErrorCode::kCorrupt, where, ": expected a JSON object of training options");
  train_option_table().apply_json(*this, in, where + ": ");
}

TrainOptions TrainOptions::preset_defaults(std::string_view encoder, std::string_view preset) {
  TrainOptions o;
  o.encoder = std::string(encoder);
  o.preset = std::string(preset);
  const bool ngram = encoder == "ngram";
  if (preset == "tiny") {
    o.steps = ngram ? 600 : 300;
    o.refresh_every = ngram ? 150 : 100;
    o.batch_size = ngram ? 64 : 16;
  } else if (preset == "small") {
    o.steps = ngram ? 3000 : 1000;
    o.refresh_every = ngram ? 500 : 250;
    o.batch_size = ngram ? 64 : 32;
  } else {
    o.steps = ngram ? 10000 : 5000;
    o.refresh_every = 1000;
    o.batch_size = 64;
  }
  o.checkpoint_every = o.refresh_every;
  return o;
}

}  // namespace denser
