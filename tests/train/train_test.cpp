// Unit tests of the training pieces: options, candidate pools, negative sources, the
// optimizer (against libtorch's own AdamW) and the learning-rate schedule.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <random>
#include <set>

#include "denser/common/error.h"
#include "denser/train/train.h"
#include "train/checkpoint.h"
#include "train/negatives.h"
#include "train/optimizer.h"
#include "train/train_data.h"

namespace denser::train_internal {
namespace {

TEST(TrainOptionsTest, JsonRoundTripKeepsEveryField) {
  TrainOptions a = TrainOptions::preset_defaults("transformer", "tiny");
  a.collection = "some/dir";
  a.negatives = "bm25";
  a.temperature = 0.25;
  a.seed = 99;
  a.in_batch_negatives = false;
  a.ngram_dim = 300;
  TrainOptions b;
  b.apply_json(a.to_json(), "test");
  EXPECT_EQ(a.to_json(), b.to_json());
  EXPECT_EQ(b.encoder, "transformer");
  EXPECT_DOUBLE_EQ(b.temperature, 0.25);
  EXPECT_FALSE(b.in_batch_negatives);
}

TEST(TrainOptionsTest, BadConfigsAreRefusedWithTheKey) {
  TrainOptions o;
  try {
    o.apply_json(R"({"stepz": 3})", "cfg.json");
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("unknown option \"stepz\""), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("cfg.json"), std::string::npos);
  }
  EXPECT_THROW(o.apply_json(R"({"steps": "ten"})", "cfg.json"), Error);
  EXPECT_THROW(o.apply_json(R"({"steps": 1.5})", "cfg.json"), Error);
  EXPECT_THROW(o.apply_json("[1, 2]", "cfg.json"), Error);
  EXPECT_THROW(o.apply_json("{not json", "cfg.json"), Error);
  o = TrainOptions();
  o.collection = "x";
  o.negatives = "hard";
  EXPECT_THROW(o.finalize(), Error);
  o.negatives = "ance";
  o.temperature = -1;
  EXPECT_THROW(o.finalize(), Error);
  o.temperature = 1;
  o.num_negatives = 0;
  o.in_batch_negatives = false;
  EXPECT_THROW(o.finalize(), Error);
}

TEST(TrainOptionsTest, FinalizeFillsDependentDefaults) {
  TrainOptions o;
  o.collection = "x";
  o.steps = 1000;
  o.finalize();
  EXPECT_EQ(o.warmup_steps, 100);
  EXPECT_EQ(o.warmup_negative_steps, 200);  // ANCE's BM25 warm-up: 20%
  EXPECT_DOUBLE_EQ(o.learning_rate, 0.05);  // n-gram defaults
  EXPECT_DOUBLE_EQ(o.temperature, 0.05);
}

TEST(TrainOptionsTest, TransformerDefaultsFollowTheModel) {
  TrainOptions o;
  o.collection = "x";
  o.encoder = "transformer";
  o.finalize();
  EXPECT_DOUBLE_EQ(o.learning_rate, 1e-4);  // from scratch
  EXPECT_DOUBLE_EQ(o.temperature, 0.0);     // not known before the model is
  TrainOptions cosine = o;
  cosine.resolve_temperature("cosine");  // normalized: scores in [-1, 1] need a sharp softmax
  EXPECT_DOUBLE_EQ(cosine.temperature, 0.05);
  o.resolve_temperature("dot");
  EXPECT_DOUBLE_EQ(o.temperature, 1.0);
  o.resolve_temperature("cosine");  // resolved once: a set value stays
  EXPECT_DOUBLE_EQ(o.temperature, 1.0);
  TrainOptions tune;
  tune.collection = "x";
  tune.encoder = "transformer";
  tune.init_model = "some/model";
  tune.finalize();
  EXPECT_DOUBLE_EQ(tune.learning_rate, 5e-5);  // fine-tuning a pretrained model (chosen on SciFact dev)
  tune.train_precision = "fp16";
  EXPECT_THROW(tune.finalize(), Error);
}

TrainingData tiny_data() {
  TrainingData data;
  for (int i = 0; i < 10; ++i) {
    data.doc_ids.push_back("d" + std::to_string(i));
    data.doc_texts.push_back("text " + std::to_string(i));
  }
  data.query_texts = {"a", "b"};
  data.query_ids = {"qa", "qb"};
  data.positives = {{1, 3}, {9}};
  return data;
}

TEST(CandidatePoolTest, AddQueryDropsPositivesAndCutsAtDepth) {
  const TrainingData data = tiny_data();
  CandidatePool pool;
  pool.add_query({3, 0, 1, 2, 4, 5}, data.positives[0], 3);
  pool.add_query({9}, data.positives[1], 3);
  ASSERT_EQ(pool.num_queries(), 2u);
  EXPECT_EQ(std::vector<uint32_t>(pool.docs.begin(), pool.docs.begin() + 3), (std::vector<uint32_t>{0, 2, 4}));
  EXPECT_EQ(pool.size(1), 0u);
}

TEST(CandidatePoolTest, SerializationRoundTripsAndRejectsDamage) {
  CandidatePool pool;
  pool.source = "ance";
  pool.snapshot_step = 1234;
  pool.add_query({5, 6, 7}, {}, 10);
  pool.add_query({8}, {}, 10);
  const std::string bytes = pool.serialize();
  const CandidatePool back = CandidatePool::deserialize(bytes, "neg.bin");
  EXPECT_EQ(back.offsets, pool.offsets);
  EXPECT_EQ(back.docs, pool.docs);
  EXPECT_EQ(back.snapshot_step, 1234);
  EXPECT_EQ(back.source, "ance");
  for (size_t cut = 0; cut < bytes.size(); cut += 7)
    EXPECT_THROW(CandidatePool::deserialize(bytes.substr(0, cut), "neg.bin"), Error) << "cut at " << cut;
  for (size_t at = 0; at < bytes.size(); ++at) {
    std::string flipped = bytes;
    flipped[at] = static_cast<char>(flipped[at] ^ 0x10);
    EXPECT_THROW(CandidatePool::deserialize(flipped, "neg.bin"), Error) << "flip at " << at;
  }
}

TEST(TrainerStateTest, RoundTripsAndRejectsEveryMalformedFileWithItsName) {
  TrainerState s;
  s.step = 54, s.epoch = 1, s.position = 96, s.rng = "5489 1 2", s.best_step = 27, s.best_dev_mrr10 = 0.5;
  s.next_refresh_step = 81, s.options_json = "{\"seed\": 1}";
  TrainerState back = TrainerState::from_json(s.to_json(), "state.json");
  EXPECT_EQ(back.step, 54);
  EXPECT_EQ(back.rng, "5489 1 2");
  // Wrongly typed fields used to escape as nlohmann::json errors (not denser::Error) from
  // the format and version checks; each must be one error naming the file.
  for (const char* bad :
       {R"({"format": 5})", R"({"format": "denser-train-state", "version": "1"})",
        R"({"format": "denser-train-state", "version": 1, "step": "x"})",
        R"({"format": "denser-train-state", "version": 1, "step": 1, "epoch": 0, "position": 0,
                              "rng": "", "best_step": 0, "best_dev_mrr10": 0, "next_refresh_step": 0,
                              "refreshes": [3], "options": {}})",
        R"({"format": "denser-train-state", "version": 1, "step": 8.9e99})",  // fuzz_checkpoint
        R"({"format": "denser-train-state", "version": 1, "step": 1, "epoch": -1})", R"([1, 2])", "", "{"}) {
    try {
      TrainerState::from_json(bad, "ckpt/state.json");
      ADD_FAILURE() << "accepted: " << bad;
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find("ckpt/state.json"), std::string::npos) << e.what();
    }
  }
}

TEST(NegativeSourceTest, NeverSamplesAPositive) {
  const TrainingData data = tiny_data();
  std::mt19937_64 rng(3);
  auto random = make_random_negatives(data);
  auto pool = std::make_shared<CandidatePool>();
  pool->source = "bm25";
  pool->add_query({1, 3, 5}, data.positives[0], 10);  // only 5 survives
  pool->add_query({}, data.positives[1], 10);         // empty: falls back to random
  auto from_pool = make_pool_negatives(data, pool);
  for (int round = 0; round < 200; ++round) {
    for (uint32_t q = 0; q < 2; ++q) {
      std::vector<uint32_t> out;
      random->sample(q, 3, rng, out);
      from_pool->sample(q, 3, rng, out);
      ASSERT_EQ(out.size(), 6u);
      for (uint32_t d : out) EXPECT_FALSE(data.is_positive(q, d)) << "query " << q << " doc " << d;
      if (q == 0) {
        for (size_t i = 3; i < 6; ++i) EXPECT_EQ(out[i], 5u);
      }
    }
  }
}

TEST(NegativeSourceTest, AnceSwapsPoolsAtomically) {
  const TrainingData data = tiny_data();
  auto warm = std::make_shared<CandidatePool>();
  warm->source = "bm25";
  warm->add_query({0}, data.positives[0], 5);
  warm->add_query({0}, data.positives[1], 5);
  AnceNegatives ance(data, warm);
  EXPECT_EQ(ance.describe(), "bm25 (warm-up)");
  auto mined = std::make_shared<CandidatePool>();
  mined->source = "ance";
  mined->snapshot_step = 40;
  mined->add_query({7}, data.positives[0], 5);
  mined->add_query({7}, data.positives[1], 5);
  ance.swap(mined);
  EXPECT_EQ(ance.describe(), "ance@40");
  std::mt19937_64 rng(1);
  std::vector<uint32_t> out;
  ance.sample(1, 4, rng, out);
  EXPECT_EQ(out, (std::vector<uint32_t>(4, 7)));
}

// Dense parameters: the same trajectory as libtorch's AdamW (the oracle).
TEST(AdamWTest, DenseMatchesLibtorchAdamW) {
  torch::manual_seed(0);
  torch::Tensor a = torch::randn({5, 3}).requires_grad_(true);
  torch::Tensor b = a.detach().clone().requires_grad_(true);
  const torch::Tensor target = torch::randn({5, 3});
  AdamW ours({a}, AdamWOptions{0.9, 0.999, 1e-8, 0.05});
  torch::optim::AdamW reference({b}, torch::optim::AdamWOptions(0.01).weight_decay(0.05));
  for (int step = 0; step < 20; ++step) {
    ours.zero_grad();
    reference.zero_grad();
    (a - target).pow(2).sum().backward();
    (b - target).pow(2).sum().backward();
    ours.step(0.01);
    reference.step();
  }
  EXPECT_TRUE(torch::allclose(a, b, 1e-5, 1e-6)) << (a - b).abs().max().item<double>();
  EXPECT_EQ(ours.num_steps(), 20);
}

// Sparse gradients: touched rows move exactly as dense AdamW moves them on a first step;
// untouched rows are left alone (lazy).
TEST(AdamWTest, SparseUpdatesOnlyTouchedRows) {
  torch::manual_seed(1);
  const torch::Tensor init = torch::randn({6, 4});
  torch::Tensor table = init.clone().requires_grad_(true);
  torch::Tensor dense = init.clone().requires_grad_(true);
  const torch::Tensor ids = torch::tensor({1, 4, 4}, torch::kLong);
  const torch::Tensor offsets = torch::tensor({0}, torch::kLong);
  auto bag = [&](const torch::Tensor& w, bool sparse) {
    return std::get<0>(torch::embedding_bag(w, ids, offsets, false, /*mode mean*/ 1, sparse));
  };
  AdamW lazy({table}, AdamWOptions{0.9, 0.999, 1e-8, 0.0});
  AdamW full({dense}, AdamWOptions{0.9, 0.999, 1e-8, 0.0});
  bag(table, true).sum().backward();
  bag(dense, false).sum().backward();
  ASSERT_TRUE(table.grad().is_sparse());
  lazy.step(0.1);
  full.step(0.1);
  for (int64_t row : {1, 4}) EXPECT_TRUE(torch::allclose(table[row], dense[row])) << "row " << row;
  for (int64_t row : {0, 2, 3, 5}) EXPECT_TRUE(torch::equal(table[row], init[row])) << "row " << row;
}

TEST(AdamWTest, ClippingBoundsTheGlobalNorm) {
  torch::Tensor a = torch::zeros({3}).requires_grad_(true);
  AdamW opt({a}, AdamWOptions{});
  (a * torch::tensor({3.0f, 4.0f, 0.0f})).sum().backward();
  EXPECT_NEAR(opt.clip_grad_norm(1.0), 5.0, 1e-6);
  EXPECT_NEAR(a.grad().norm().item<double>(), 1.0, 1e-5);
}

TEST(ScheduleTest, WarmupThenLinearDecay) {
  EXPECT_DOUBLE_EQ(learning_rate_at(0, 100, 10, 1.0), 0.1);
  EXPECT_DOUBLE_EQ(learning_rate_at(9, 100, 10, 1.0), 1.0);
  EXPECT_DOUBLE_EQ(learning_rate_at(10, 100, 10, 1.0), 1.0);
  EXPECT_DOUBLE_EQ(learning_rate_at(55, 100, 10, 1.0), 0.5);
  EXPECT_DOUBLE_EQ(learning_rate_at(100, 100, 10, 1.0), 0.0);
  EXPECT_DOUBLE_EQ(learning_rate_at(3, 10, 0, 2.0), 1.4);
}

}  // namespace
}  // namespace denser::train_internal
