// The training loop: batches of training queries with a positive and sampled negatives,
// softmax cross-entropy over (optionally in-batch) candidates, AdamW with warm-up and
// linear decay, and the ANCE refresh beside it (async) or inline (sync).
#include <ATen/autocast_mode.h>
#include <torch/torch.h>

#include <algorithm>
#include <cstring>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <numeric>
#include <random>
#include <sstream>

#include <nlohmann/json.hpp>

#include "denser/common/error.h"
#include "denser/common/io.h"
#include "denser/common/log.h"
#include "denser/common/parallel.h"
#include "denser/common/progress.h"
#include "denser/common/timer.h"
#include "denser/train/train.h"
#include "checkpoint.h"
#include "distributed.h"
#include "negatives.h"
#include "optimizer.h"
#include "refresher.h"
#include "train_data.h"
#include "trainable_model.h"

namespace denser {
namespace {

using namespace train_internal;
namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;
using nlohmann::json;

// The training log: JSON lines, flushed as written. On resume the lines after the
// checkpoint's step are dropped first (those steps are trained again).
class TrainLog {
 public:
  TrainLog(const std::string& path, bool resume, int64_t resume_step, const TrainHooks& hooks) : hooks_(hooks) {
    if (path.empty()) return;  // a distributed run's other ranks: rank 0 keeps the log
    std::string kept;
    if (resume && file_exists(path)) {
      std::istringstream in(read_file(path));
      for (std::string line; std::getline(in, line);) {
        json j = json::parse(line, nullptr, false);
        // A damaged line (a kill mid-write, a hand edit) is dropped, whatever its types.
        if (j.is_object() && j.contains("step") && j["step"].is_number_integer() &&
            j["step"].get<int64_t>() <= resume_step)
          kept += line + "\n";
      }
    }
    write_file_atomic(path, kept);
    file_ = std::fopen(path.c_str(), "a");
    DENSER_CHECK(file_ != nullptr, ErrorCode::kUnavailable, path, ": cannot open the training log for appending");
  }
  ~TrainLog() {
    if (file_) std::fclose(file_);
  }
  void write(const json& j) {
    if (file_ == nullptr) return;
    const std::string line = j.dump();
    std::fprintf(file_, "%s\n", line.c_str());
    std::fflush(file_);
    if (hooks_.on_log) hooks_.on_log(line);
  }

 private:
  std::FILE* file_ = nullptr;
  const TrainHooks& hooks_;
};

std::string rng_state(const std::mt19937_64& rng) {
  std::ostringstream out;
  out << rng;
  return out.str();
}

// The options a checkpoint was written with must match the ones of the resumed run, except
// for the fields that do not change what is computed.
void check_resumable(TrainOptions now, const std::string& stored_json, const std::string& where) {
  TrainOptions stored;
  stored.apply_json(stored_json, where);
  if (now.temperature <= 0) now.temperature = stored.temperature;  // resolved from the same model
  auto comparable = [](TrainOptions o) {
    o.steps = 0;
    o.threads = 0;
    o.checkpoint_every = 0;
    o.keep_checkpoints = 1;
    o.log_every = 1;
    o.test_split.clear();
    return json::parse(o.to_json());
  };
  const json a = comparable(now), b = comparable(stored);
  if (a == b) return;
  std::string diff;
  for (const auto& [key, value] : a.items())
    if (b.at(key) != value) diff += "\n  " + key + ": checkpoint " + b.at(key).dump() + ", now " + value.dump();
  DENSER_THROW(ErrorCode::kInvalidArgument, where, ": the checkpoint was written with other training options:", diff);
}

// CPU autocast to bfloat16 for the scope (train_precision "bf16"): matrix products run in
// bfloat16 on float32 weights, which stay the master copy; the casts are cached for one
// forward pass and dropped at the end of the scope.
class Bf16Autocast {
 public:
  explicit Bf16Autocast(bool on) : on_(on) {
    if (!on_) return;
    previous_dtype_ = at::autocast::get_autocast_cpu_dtype();
    previous_enabled_ = at::autocast::is_cpu_enabled();
    at::autocast::set_autocast_cpu_dtype(at::kBFloat16);
    at::autocast::set_cpu_enabled(true);
    at::autocast::increment_nesting();
  }
  ~Bf16Autocast() {
    if (!on_) return;
    if (at::autocast::decrement_nesting() == 0) at::autocast::clear_cache();
    at::autocast::set_cpu_enabled(previous_enabled_);
    at::autocast::set_autocast_cpu_dtype(previous_dtype_);
  }
  Bf16Autocast(const Bf16Autocast&) = delete;
  Bf16Autocast& operator=(const Bf16Autocast&) = delete;

 private:
  bool on_;
  bool previous_enabled_ = false;
  at::ScalarType previous_dtype_ = at::kBFloat16;
};

// One micro-batch: queries [q], each with one positive and n sampled negatives.
struct Batch {
  std::vector<uint32_t> queries;
  std::vector<uint32_t> docs;    // per query: its positive, then its negatives
  std::vector<int64_t> targets;  // column of each query's positive
};

class Trainer {
 public:
  Trainer(TrainOptions options, std::string out_dir, bool resume, const TrainHooks& hooks)
      : options_(std::move(options)), out_dir_(std::move(out_dir)), hooks_(hooks) {
    options_.finalize();
    total_threads_ = options_.threads > 0 ? options_.threads : default_num_threads();
    async_ = options_.refresh == "async";
    train_threads_ = async_ ? std::max(1, total_threads_ - total_threads_ / 2) : total_threads_;
    refresh_threads_ = async_ ? std::max(1, total_threads_ / 2) : total_threads_;
    training_dir_ = out_dir_ + "/training";
    checkpoints_ = training_dir_ + "/checkpoints";
    best_dir_ = training_dir_ + "/best";
    resume_ = resume;
  }

  TrainSummary run();

 private:
  void setup();
  // setup()'s parts: the checkpoint to resume from (the same on every rank), and the
  // negative source the options ask for (ANCE's pool restored from the checkpoint).
  std::optional<std::string> start_checkpoint();
  void make_negative_source(const std::optional<std::string>& checkpoint);
  void maybe_refresh();
  std::unique_ptr<Encoder> refresh_snapshot() const;
  void swap_in(RefreshOutput out);
  Batch next_batch();
  double train_step();
  double forward_backward(const Batch& b);
  void share_refresh(std::optional<RefreshOutput> ready);
  std::vector<float> encode_corpus_share(Encoder& encoder, const std::vector<std::string>& texts);
  void checkpoint();
  void finish(TrainSummary& summary);
  json step_record(double loss, double lr, double examples_per_second) const;

  TrainOptions options_;
  std::string out_dir_, training_dir_, checkpoints_, best_dir_;
  const TrainHooks& hooks_;
  bool resume_ = false, async_ = false;
  int total_threads_ = 1, train_threads_ = 1, refresh_threads_ = 1;

  TrainingData data_;
  std::unique_ptr<TrainableEncoder> model_;
  std::unique_ptr<AdamW> optimizer_;
  std::unique_ptr<NegativeSource> negatives_;
  AnceNegatives* ance_ = nullptr;
  std::unique_ptr<Refresher> refresher_;
  std::unique_ptr<TrainLog> log_;
  TrainerState state_;
  std::mt19937_64 rng_;
  std::vector<uint32_t> order_;  // training queries of the current epoch
  uint64_t order_epoch_ = UINT64_MAX;
  int64_t resumed_from_ = 0;
  double wait_seconds_ = 0.0;
  int64_t steps_waited_ = 0;
  double handover_seconds_ = 0.0, handover_max_seconds_ = 0.0;
  std::unique_ptr<Distributed> dist_;  // distributed runs only
  bool main_ = true;                   // rank 0 (or not distributed)
};

std::optional<std::string> Trainer::start_checkpoint() {
  std::optional<std::string> checkpoint;
  if (resume_) {
    checkpoint = latest_checkpoint(checkpoints_);
    if (!checkpoint) DENSER_LOG_WARN("--resume: no checkpoint in ", checkpoints_, "; starting from step 0");
  } else if (main_) {
    DENSER_CHECK(!latest_checkpoint(checkpoints_), ErrorCode::kInvalidArgument, out_dir_,
                 " already holds a training run (", checkpoints_,
                 "); continue it with --resume or choose another --out");
  }
  if (dist_) {
    // Every rank resumes from the same step, or none does.
    torch::Tensor step = torch::tensor({checkpoint ? read_trainer_state(*checkpoint).step : int64_t{-1}}, torch::kLong);
    std::vector<torch::Tensor> steps = dist_->all_gather(step);
    for (const torch::Tensor& s : steps)
      DENSER_CHECK(s.item<int64_t>() == step.item<int64_t>(), ErrorCode::kUnsupported,
                   "train --distributed: the ranks see different checkpoints",
                   " (each rank must read the same --out, e.g. on a shared file system)");
  }
  return checkpoint;
}

void Trainer::make_negative_source(const std::optional<std::string>& checkpoint) {
  if (options_.negatives == "random") {
    negatives_ = make_random_negatives(data_);
  } else {
    auto bm25 = mine_bm25_pool(data_, static_cast<size_t>(options_.negative_depth), total_threads_);
    if (options_.negatives == "bm25") {
      negatives_ = make_pool_negatives(data_, std::move(bm25));
    } else {
      auto ance = std::make_unique<AnceNegatives>(data_, std::move(bm25));
      if (checkpoint) {
        if (auto pool = read_checkpoint_pool(*checkpoint); pool && pool->source == "ance")
          ance->swap(std::make_shared<const CandidatePool>(std::move(*pool)));
      }
      ance_ = ance.get();
      negatives_ = std::move(ance);
    }
  }
}

void Trainer::setup() {
  set_torch_threads(train_threads_);
  if (options_.distributed) {
    const DistributedEnv env = DistributedEnv::from_environment();
    DENSER_CHECK(options_.batch_size % env.world_size == 0, ErrorCode::kInvalidArgument,
                 "train --distributed: the global batch size ", options_.batch_size,
                 " must be a multiple of WORLD_SIZE ", env.world_size);
    dist_ = std::make_unique<Distributed>(env);
    main_ = dist_->is_main();
  }
  data_ = load_training_data(options_);
  const std::optional<std::string> checkpoint = start_checkpoint();
  if (main_) fs::create_directories(training_dir_);
  if (checkpoint) {
    state_ = read_trainer_state(*checkpoint);
    check_resumable(options_, state_.options_json, *checkpoint + "/state.json");
    model_ = load_trainable_model(*checkpoint + "/model", options_, data_, train_threads_);
    resumed_from_ = state_.step;
    std::istringstream(state_.rng) >> rng_;
  } else {
    model_ = make_trainable_model(options_, data_, train_threads_);
    rng_.seed(options_.seed);
    state_.next_refresh_step = options_.negatives == "ance" ? options_.warmup_negative_steps : options_.refresh_every;
  }
  options_.resolve_temperature(model_->encoder().similarity());
  state_.options_json = options_.to_json();
  if (main_) write_file_atomic(training_dir_ + "/train_config.json", state_.options_json);
  if (dist_) {
    // Every rank starts from rank 0's weights.
    torch::NoGradGuard no_grad;
    for (torch::Tensor& p : model_->parameters()) dist_->broadcast(p);
  }
  optimizer_ = std::make_unique<AdamW>(model_->parameters(), AdamWOptions{0.9, 0.999, 1e-8, options_.weight_decay});
  if (checkpoint) optimizer_->load(*checkpoint + "/optimizer.pt");

  make_negative_source(checkpoint);
  log_ = std::make_unique<TrainLog>(main_ ? training_dir_ + "/log.jsonl" : std::string(), checkpoint.has_value(),
                                    state_.step, hooks_);
  if (!checkpoint)
    log_->write(json{{"event", "start"},
                     {"step", 0},
                     {"documents", data_.num_docs()},
                     {"train_queries", data_.num_queries()},
                     {"dev_queries", data_.dev.queries.size()},
                     {"options", json::parse(state_.options_json)}});
  else
    log_->write(json{{"event", "resume"}, {"step", state_.step}, {"checkpoint", *checkpoint}});
  if (async_ && main_) {
    // Snapshots the refresher wrote for swap_in to keep; a killed run may have left some.
    std::error_code ec;
    std::filesystem::remove_all(training_dir_ + "/staged", ec);
    refresher_ = std::make_unique<Refresher>(data_, options_, refresh_threads_, training_dir_ + "/staged",
                                             hooks_.on_async_refresh);
  }
}

void Trainer::swap_in(RefreshOutput out) {
  RefreshEvent& e = out.event;
  e.swapped_step = state_.step;
  if (ance_ && out.pool) ance_->swap(std::move(out.pool));
  if (e.dev_mrr10 > state_.best_dev_mrr10) {
    state_.best_dev_mrr10 = e.dev_mrr10;
    state_.best_step = e.snapshot_step;
    if (!out.staged_model_dir.empty()) {
      move_dir_atomic(out.staged_model_dir, best_dir_);
    } else {
      write_model_dir_atomic(*out.snapshot, best_dir_);
    }
  } else if (!out.staged_model_dir.empty()) {
    std::error_code ec;
    std::filesystem::remove_all(out.staged_model_dir, ec);
  }
  state_.refreshes.push_back(e);
  json j = refresh_event_json(e);
  j["event"] = "refresh";
  j["step"] = state_.step;
  j["staleness"] = e.swapped_step - e.snapshot_step;
  j["negatives"] = negatives_->describe();
  log_->write(j);
}

// Distributed: rank 0 decides and refreshes; every rank swaps rank 0's negatives in at the
// same step, so all ranks keep drawing the same global batches.
void Trainer::share_refresh(std::optional<RefreshOutput> ready) {
  torch::Tensor flag = torch::tensor({ready ? int64_t{1} : int64_t{0}}, torch::kLong);
  dist_->broadcast(flag);
  if (flag.item<int64_t>() == 0) return;
  std::string bytes = main_ && ready->pool ? ready->pool->serialize() : std::string();
  bytes = dist_->broadcast_bytes(bytes);
  if (main_) {
    swap_in(std::move(*ready));
  } else if (ance_ && !bytes.empty()) {
    ance_->swap(std::make_shared<const CandidatePool>(CandidatePool::deserialize(bytes, "rank 0's negatives")));
  }
}

// This rank's contiguous share of the texts, encoded here, then every rank's share gathered
// (shares differ by at most one row: padded to the largest for the collective).
std::vector<float> Trainer::encode_corpus_share(Encoder& encoder, const std::vector<std::string>& texts) {
  const size_t n = texts.size(), world = static_cast<size_t>(dist_->world_size());
  const size_t rank = static_cast<size_t>(dist_->rank()), dim = static_cast<size_t>(encoder.dim());
  auto bounds = [&](size_t r) { return std::pair<size_t, size_t>{n * r / world, n * (r + 1) / world}; };
  const auto [first, last] = bounds(rank);
  const std::vector<std::string> mine(texts.begin() + static_cast<std::ptrdiff_t>(first),
                                      texts.begin() + static_cast<std::ptrdiff_t>(last));
  std::vector<float> local = encode_texts(encoder, mine, false, nullptr);
  const size_t most = (n + world - 1) / world;
  torch::Tensor padded = torch::zeros({static_cast<int64_t>(most), static_cast<int64_t>(dim)}, torch::kFloat32);
  if (!local.empty()) std::memcpy(padded.data_ptr<float>(), local.data(), local.size() * sizeof(float));
  std::vector<torch::Tensor> parts = dist_->all_gather(padded);
  std::vector<float> all(n * dim);
  for (size_t r = 0; r < world; ++r) {
    const auto [a, b] = bounds(r);
    std::memcpy(all.data() + a * dim, parts[r].data_ptr<float>(), (b - a) * dim * sizeof(float));
  }
  return all;
}

// A deep copy of the weights for the refresher, encoding at --refresh-precision.
std::unique_ptr<Encoder> Trainer::refresh_snapshot() const {
  std::unique_ptr<Encoder> snapshot = model_->encoder().clone();
  snapshot->set_precision(options_.refresh_precision);
  return snapshot;
}

// Runs or collects a refresh when one is due. Not distributed, a finished refresh is swapped
// in here; distributed, rank 0's is shared with every rank (share_refresh).
void Trainer::maybe_refresh() {
  std::optional<RefreshOutput> ready;
  const auto handover_start = Clock::now();
  double waited = 0.0;  // the deliberate wait for the first refresh, counted apart
  if (async_) {
    if (main_) {  // a distributed run's other ranks have no refresher
      if (auto done = refresher_->take()) ready = std::move(*done);
      if (state_.step >= state_.next_refresh_step && !refresher_->busy()) {
        const bool first = state_.refreshes.empty() && !ready;
        refresher_->submit(refresh_snapshot(), state_.step);
        state_.next_refresh_step = state_.step + options_.refresh_every;
        if (first && options_.wait_first_refresh && ance_) {
          const auto start = Clock::now();
          ready = refresher_->wait();
          waited = seconds_since(start);
          wait_seconds_ += waited;
          ++steps_waited_;
        }
      }
    }
  } else if (state_.step >= state_.next_refresh_step) {
    // Stop the world. Distributed, every rank encodes its share of the corpus, and rank 0
    // indexes, mines and evaluates on the gathered vectors.
    const auto start = Clock::now();
    const CorpusEncoder split = [this](Encoder& e, const std::vector<std::string>& texts) {
      return encode_corpus_share(e, texts);
    };
    const CorpusEncoder* encode = dist_ ? &split : nullptr;
    if (main_) {
      ready = run_refresh(refresh_snapshot(), state_.step, data_, options_, refresh_threads_, false, encode);
    } else {
      split(*refresh_snapshot(), data_.doc_texts);
    }
    wait_seconds_ += seconds_since(start);
    ++steps_waited_;
    state_.next_refresh_step = state_.step + options_.refresh_every;
  }
  if (dist_) {
    share_refresh(std::move(ready));
  } else if (ready) {
    swap_in(std::move(*ready));
  }
  if (async_ && main_) {
    const double handover = seconds_since(handover_start) - waited;
    handover_seconds_ += handover;
    handover_max_seconds_ = std::max(handover_max_seconds_, handover);
  }
}

Batch Trainer::next_batch() {
  Batch b;
  const size_t n = data_.num_queries();
  const int per_query = 1 + options_.num_negatives;
  for (int i = 0; i < options_.batch_size; ++i) {
    if (order_epoch_ != state_.epoch) {
      // Each epoch's order depends on the seed and the epoch only, so a resumed run
      // regenerates it instead of storing it.
      order_.resize(n);
      std::iota(order_.begin(), order_.end(), 0u);
      std::mt19937_64 shuffle_rng(options_.seed * 0x9e3779b97f4a7c15ULL + state_.epoch);
      std::shuffle(order_.begin(), order_.end(), shuffle_rng);
      order_epoch_ = state_.epoch;
    }
    const uint32_t q = order_[state_.position];
    if (++state_.position == n) {
      state_.position = 0;
      ++state_.epoch;
    }
    b.queries.push_back(q);
    const auto& pos = data_.positives[q];
    b.targets.push_back(static_cast<int64_t>(b.docs.size()));
    b.docs.push_back(pos[std::uniform_int_distribution<size_t>(0, pos.size() - 1)(rng_)]);
    negatives_->sample(q, options_.num_negatives, rng_, b.docs);
    DENSER_CHECK(b.docs.size() == static_cast<size_t>((i + 1) * per_query), ErrorCode::kInternal,
                 "train: negative source returned too few");
  }
  return b;
}

double Trainer::forward_backward(const Batch& b) {
  const int64_t rows = static_cast<int64_t>(b.queries.size()), cols = static_cast<int64_t>(b.docs.size());
  const int64_t per_query = cols / rows;
  torch::Tensor q, d;
  Bf16Autocast autocast(options_.train_precision == "bf16");
  if (!dist_) {
    q = model_->forward(TextSide::kQuery, b.queries);
    d = model_->forward(TextSide::kDocument, b.docs);
  } else {
    // This rank encodes its slice of the queries and their documents; the other ranks'
    // slices arrive without gradients, so the loss is the whole batch's (in-batch
    // negatives included) while backward reaches only this rank's examples.
    const int64_t world = dist_->world_size(), rank = dist_->rank(), local = rows / world;
    std::vector<uint32_t> lq(b.queries.begin() + rank * local, b.queries.begin() + (rank + 1) * local);
    std::vector<uint32_t> ld(b.docs.begin() + rank * local * per_query,
                             b.docs.begin() + (rank + 1) * local * per_query);
    torch::Tensor q_local = model_->forward(TextSide::kQuery, lq), d_local = model_->forward(TextSide::kDocument, ld);
    std::vector<torch::Tensor> qs = dist_->all_gather(q_local.detach()), ds = dist_->all_gather(d_local.detach());
    qs[static_cast<size_t>(rank)] = q_local;
    ds[static_cast<size_t>(rank)] = d_local;
    q = torch::cat(qs, 0);
    d = torch::cat(ds, 0);
  }
  q = q.to(torch::kFloat32);  // the scores and the loss in float32 whatever the precision
  d = d.to(torch::kFloat32);
  torch::Tensor scores = q.mm(d.t()) / options_.temperature;  // (batch, batch * per_query)
  // Columns a query must not be scored against: another query's positive that is also
  // one of its own, and without in-batch negatives every other query's documents.
  torch::Tensor mask = torch::zeros({rows, cols}, torch::kBool);
  auto m = mask.accessor<bool, 2>();
  for (int64_t i = 0; i < rows; ++i)
    for (int64_t j = 0; j < cols; ++j) {
      const bool own = j / per_query == i;
      if (j == b.targets[static_cast<size_t>(i)]) continue;
      if ((!own && !options_.in_batch_negatives) ||
          data_.is_positive(b.queries[static_cast<size_t>(i)], b.docs[static_cast<size_t>(j)]))
        m[i][j] = true;
    }
  scores = scores.masked_fill(mask, -std::numeric_limits<float>::infinity());
  const torch::Tensor targets = torch::tensor(b.targets, torch::TensorOptions().dtype(torch::kLong));
  torch::Tensor loss = torch::nn::functional::cross_entropy(scores, targets) / options_.accumulation;
  loss.backward();
  return loss.item<double>();
}

double Trainer::train_step() {
  model_->set_training(true);
  optimizer_->zero_grad();
  torch::manual_seed(options_.seed * 1000003ULL + static_cast<uint64_t>(state_.step));  // dropout
  double loss_sum = 0.0;
  for (int micro = 0; micro < options_.accumulation; ++micro) loss_sum += forward_backward(next_batch());
  if (dist_) {
    // Each rank's gradients come from its own slice of the batch: their sum is the gradient
    // of the whole batch, exactly as one process computes it.
    std::vector<torch::Tensor> grads;
    std::vector<torch::Tensor> params = model_->parameters();
    for (torch::Tensor& p : params) grads.push_back(p.grad().defined() ? p.grad() : torch::zeros_like(p));
    dist_->all_reduce_sum(grads);
    for (size_t i = 0; i < params.size(); ++i) params[i].mutable_grad() = grads[i];
  }
  optimizer_->clip_grad_norm(options_.max_grad_norm);
  optimizer_->step(learning_rate_at(state_.step, options_.steps, options_.warmup_steps, options_.learning_rate));
  ++state_.step;
  return loss_sum;
}

void Trainer::checkpoint() {
  if (!main_) return;
  state_.rng = rng_state(rng_);
  std::shared_ptr<const CandidatePool> pool = ance_ ? ance_->current() : nullptr;
  write_checkpoint(checkpoints_, state_, model_->encoder(), *optimizer_,
                   pool && pool->source == "ance" ? pool.get() : nullptr, options_.keep_checkpoints);
  log_->write(json{{"event", "checkpoint"}, {"step", state_.step}});
}

TrainSummary Trainer::run() {
  setup();
  TrainSummary summary;
  summary.resumed_from = resumed_from_;
  summary.model_dir = out_dir_;
  const auto start = Clock::now();
  auto progress = make_progress("training", static_cast<uint64_t>(options_.steps - state_.step), "steps");
  double window_loss = 0.0;
  int window_steps = 0;
  auto window_start = Clock::now();
  while (state_.step < options_.steps) {
    maybe_refresh();
    const double loss = train_step();
    window_loss += loss;
    ++window_steps;
    progress->advance(1);
    if (state_.step % options_.log_every == 0 || state_.step == options_.steps) {
      const double seconds = seconds_since(window_start);
      const double lr =
          learning_rate_at(state_.step - 1, options_.steps, options_.warmup_steps, options_.learning_rate);
      summary.final_loss = window_loss / window_steps;
      log_->write(
          step_record(summary.final_loss, lr,
                      seconds > 0 ? window_steps * options_.batch_size * options_.accumulation / seconds : 0.0));
      window_loss = 0.0;
      window_steps = 0;
      window_start = Clock::now();
    }
    if (options_.checkpoint_every > 0 && state_.step % options_.checkpoint_every == 0 && state_.step < options_.steps)
      checkpoint();
    if (hooks_.on_step && !hooks_.on_step(state_.step)) {
      summary.steps = state_.step;
      return summary;  // stopped as if killed: no final model
    }
  }
  progress->finish();
  summary.seconds = seconds_since(start);
  finish(summary);
  return summary;
}

json Trainer::step_record(double loss, double lr, double examples_per_second) const {
  return json{{"event", "step"},
              {"step", state_.step},
              {"loss", loss},
              {"lr", lr},
              {"examples_per_s", examples_per_second},
              {"negatives", negatives_->describe()},
              {"refresh_wait_s", wait_seconds_}};
}

void Trainer::finish(TrainSummary& summary) {
  summary.rank = dist_ ? dist_->rank() : 0;
  summary.world_size = dist_ ? dist_->world_size() : 1;
  if (!main_) {
    summary.steps = state_.step;
    return;  // rank 0 evaluates and writes the model
  }
  // A refresh still running belongs to the log (and may hold the best checkpoint).
  if (refresher_ && refresher_->busy()) swap_in(refresher_->wait());
  refresher_.reset();
  std::error_code ec;
  std::filesystem::remove_all(training_dir_ + "/staged", ec);
  set_torch_threads(total_threads_);
  // The final weights are evaluated like a refresh, without mining, on an exact index, at
  // the refresh precision (its snapshot; the model written stays float32).
  TrainOptions exact = options_;
  exact.index_factory = "Flat";
  const std::unique_ptr<Encoder> final_weights = refresh_snapshot();
  const auto index = index_corpus(*final_weights, data_, exact, total_threads_, true);
  const SplitScores dev = evaluate_split(*final_weights, *index, data_.dev, total_threads_);
  summary.dev_mrr10 = dev.mrr10;
  summary.dev_ndcg10 = dev.ndcg10;
  std::unique_ptr<Encoder> chosen;
  if (dev.mrr10 >= state_.best_dev_mrr10 || data_.dev.queries.empty()) {
    state_.best_dev_mrr10 = dev.mrr10;
    state_.best_step = state_.step;
    write_model_dir_atomic(model_->encoder(), best_dir_);
  } else {
    chosen = load_encoder(best_dir_, encode_options(options_, total_threads_));
    summary.dev_mrr10 = state_.best_dev_mrr10;
    for (const RefreshEvent& e : state_.refreshes)
      if (e.snapshot_step == state_.best_step) summary.dev_ndcg10 = e.dev_ndcg10;
  }
  Encoder& final_model = chosen ? *chosen : model_->encoder();
  final_model.save(out_dir_);  // file by file, each atomically
  if (!options_.test_split.empty()) {
    if (chosen) chosen->set_precision(options_.refresh_precision);
    Encoder& evaluated = chosen ? *chosen : *final_weights;
    const auto test_index = chosen ? index_corpus(evaluated, data_, exact, total_threads_, true) : nullptr;
    const SplitScores test = evaluate_split(evaluated, test_index ? *test_index : *index, data_.test, total_threads_);
    summary.test_mrr10 = test.mrr10;
    summary.test_ndcg10 = test.ndcg10;
  }
  checkpoint();
  summary.steps = state_.step;
  summary.refreshes = state_.refreshes;
  summary.best_step = state_.best_step;
  summary.best_dev_mrr10 = state_.best_dev_mrr10;
  summary.refresh_wait_seconds = wait_seconds_;
  summary.steps_that_waited = steps_waited_;
  summary.refresh_handover_seconds = handover_seconds_;
  summary.refresh_handover_max_seconds = handover_max_seconds_;
  json done{{"event", "done"},
            {"step", state_.step},
            {"seconds", summary.seconds},
            {"refresh_wait_s", wait_seconds_},
            {"steps_waited", steps_waited_},
            {"refreshes", state_.refreshes.size()},
            {"refresh_handover_s", handover_seconds_},
            {"refresh_handover_max_s", handover_max_seconds_},
            {"best_step", state_.best_step},
            {"dev_mrr10", summary.dev_mrr10},
            {"dev_ndcg10", summary.dev_ndcg10}};
  if (!options_.test_split.empty()) {
    done["test_mrr10"] = summary.test_mrr10;
    done["test_ndcg10"] = summary.test_ndcg10;
  }
  log_->write(done);
}

}  // namespace

TrainSummary train_dual_encoder(TrainOptions options, const std::string& out_dir, bool resume,
                                const TrainHooks& hooks) {
  Trainer trainer(std::move(options), out_dir, resume, hooks);
  return trainer.run();
}

}  // namespace denser
