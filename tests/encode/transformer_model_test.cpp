// The network as the trainer sees it (private header, libtorch): the grad-enabled plain
// path must agree with the oneDNN inference path the encoder takes, and gradients must
// reach every parameter.
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <vector>

#include "encode/small_rows_gemm.h"
#include "encode/transformer_model.h"
#include "encode/transformer_test_util.h"

namespace denser::encode_internal {
namespace {

// Whether this machine takes the fused route (fused_layers.h) for small batches.
bool fused_here() { return small_rows_gemm_available(); }

TEST(TransformerNetTest, TrainingPathMatchesInferencePathAndBackpropagates) {
  at::set_num_threads(1);
  for (const char* type : {"bert", "roberta"}) {
    for (bool fused : {true, false}) {
      set_use_fused(fused);
      ModelConfig config = test::tiny_test_config(type, "mean", true);
      TransformerNet net(config);
      initialize(net, InitOptions{4, 0.02, true});
      net->eval();
      // Two rows, the second padded after 5 tokens.
      torch::Tensor ids = torch::tensor({2, 7, 8, 9, 10, 11, 12, 3, 2, 13, 14, 15, 3, 0, 0, 0}).view({2, 8});
      torch::Tensor mask = ids.ne(0).to(torch::kLong);
      torch::Tensor types = torch::zeros_like(ids);
      torch::Tensor fast;
      const uint64_t routed = fused_forwards();
      {
        torch::InferenceMode inference;
        fast = net->forward(ids, types, mask).clone();
      }
      // 13 real tokens: the fused route takes them when it is on and the CPU can.
      EXPECT_EQ(fused_forwards() - routed, fused && fused_here() ? 1u : 0u);
      torch::Tensor plain = net->forward(ids, types, mask);
      ASSERT_TRUE(plain.requires_grad());
      EXPECT_LE((plain.detach() - fast).abs().max().item<float>(), 1e-5f) << type << " fused " << fused;
      EXPECT_EQ(plain.sizes(), (std::vector<int64_t>{2, 24}));

      net->train();  // dropout on: same inputs, different outputs
      torch::Tensor noisy = net->forward(ids, types, mask);
      EXPECT_GT((noisy.detach() - plain.detach()).abs().max().item<float>(), 1e-4f);
      noisy.pow(2).sum().backward();
      for (const auto& p : net->named_parameters()) {
        if (p.key().find("position_embeddings") != std::string::npos ||
            p.key().find("token_type") != std::string::npos || p.key().find("word_embeddings") != std::string::npos)
          continue;  // embedding rows not looked up get no gradient
        ASSERT_TRUE(p.value().grad().defined()) << p.key();
        EXPECT_GT(p.value().grad().abs().sum().item<float>(), 0.0f) << p.key();
      }
    }
  }
  set_use_fused(true);
}

// The inference route keeps derived copies of the weights (the fused query/key/value
// product with the attention scale folded in; bf16 copies). An optimizer step changes the
// float32 weights in place: the next inference pass must see the new weights, on one and
// on two threads (BLAS and oneDNN products), with and without padding.
TEST(TransformerNetTest, InferenceRouteFollowsInPlaceWeightChanges) {
  for (int threads : {1, 2}) {
    for (bool fused : {true, false}) {
      set_use_fused(fused);
      at::set_num_threads(threads);
      ModelConfig config = test::tiny_test_config("bert", "mean", false);
      TransformerNet net(config);
      initialize(net, InitOptions{9, 0.02, true});
      net->eval();
      torch::Tensor ids = torch::tensor({2, 7, 8, 9, 10, 11, 12, 3, 2, 13, 14, 15, 3, 0, 0, 0}).view({2, 8});
      torch::Tensor mask = ids.ne(0).to(torch::kLong), types = torch::zeros_like(ids);
      auto inference = [&](Precision precision) {
        net->set_precision(precision);
        torch::InferenceMode guard;
        return net->forward(ids, types, mask).clone();
      };
      auto plain = [&] {
        torch::NoGradGuard no_grad;
        set_use_onednn(false);
        torch::Tensor out = net->forward(ids, types, mask).clone();
        set_use_onednn(true);
        return out;
      };
      inference(Precision::kBf16);  // fills the caches; fp32 last, so its fused cache is the one kept
      const torch::Tensor before = inference(Precision::kFp32);
      {
        torch::NoGradGuard no_grad;
        torch::manual_seed(3);
        for (auto& p : net->named_parameters()) {  // every dense layer of the encoder stack
          const std::string& name = p.key();
          if (name.find("encoder.layer") != std::string::npos && name.find("LayerNorm") == std::string::npos)
            p.value().normal_(0.0, 0.2);
        }
      }
      const torch::Tensor expected = plain();
      // The change must show, or a stale cache would pass unnoticed.
      ASSERT_GT((expected - before).abs().max().item<float>(), 0.2f);
      EXPECT_LE((inference(Precision::kFp32) - expected).abs().max().item<float>(), 1e-5f) << threads << fused;
      // bf16 rounds inputs and weights to 8 significant bits: close, not equal.
      EXPECT_LE((inference(Precision::kBf16) - expected).abs().max().item<float>(), 0.05f) << threads << fused;
      net->set_precision(Precision::kFp32);
    }
  }
  set_use_fused(true);
  at::set_num_threads(1);
}

// The fused route against the plain libtorch path on every shape it takes: one token, a
// small batch's limit in one sequence, several right-padded sequences, a batch of many
// (one thread), for BERT and RoBERTa (positions from the pad id); bf16 close to float32.
// A left-padded batch, a batch over the limit, and one over the small limit on two
// threads go the libtorch way.
TEST(TransformerNetTest, FusedRouteMatchesLibtorchOnEveryShapeItTakes) {
  if (!fused_here()) GTEST_SKIP() << "this CPU lacks AVX-512F: small batches take the libtorch route";
  at::set_num_threads(1);
  torch::manual_seed(5);
  for (const char* type : {"bert", "roberta"}) {
    ModelConfig config = test::tiny_test_config(type, "mean", true);
    TransformerNet net(config);
    initialize(net, InitOptions{6, 0.02, true});
    net->eval();
    auto batch_of = [&](const std::vector<int64_t>& lengths, bool left_padded) {
      const int64_t seq = *std::max_element(lengths.begin(), lengths.end());
      const auto batch = static_cast<int64_t>(lengths.size());
      torch::Tensor ids = torch::randint(config.pad_token_id + 1, config.vocab_size, {batch, seq}, torch::kLong);
      torch::Tensor mask = torch::zeros({batch, seq}, torch::kLong);
      for (int64_t b = 0; b < batch; ++b) mask[b].narrow(0, left_padded ? seq - lengths[b] : 0, lengths[b]).fill_(1);
      ids = ids.masked_fill(mask.eq(0), config.pad_token_id);
      return std::array<torch::Tensor, 3>{ids, torch::zeros_like(ids), mask};
    };
    auto run = [&](const std::array<torch::Tensor, 3>& in, bool onednn) {
      set_use_onednn(onednn);
      torch::InferenceMode guard;
      torch::Tensor out = net->forward(in[0], in[1], in[2]).clone();
      set_use_onednn(true);
      return out;
    };
    for (const std::vector<int64_t>& lengths : std::vector<std::vector<int64_t>>{
             {1}, {kFusedSmallTokens}, {5, 3, 9}, {20, 44}, {2, 1, 7, 1}, std::vector<int64_t>(40, 100)}) {
      const auto in = batch_of(lengths, false);
      const uint64_t routed = fused_forwards();
      const torch::Tensor fast = run(in, true);
      EXPECT_EQ(fused_forwards() - routed, 1u) << type << " " << lengths.size() << " sequences";
      const torch::Tensor plain = run(in, false);
      EXPECT_LE((fast - plain).abs().max().item<float>(), 1e-5f) << type << " " << lengths.size() << " sequences";
      if (small_rows_gemm_bf16_available() && lengths.size() < 40) {  // bf16: small batches only
        net->set_precision(Precision::kBf16);
        EXPECT_LE((run(in, true) - plain).abs().max().item<float>(), 0.05f) << type << " bf16";
        net->set_precision(Precision::kFp32);
      }
    }
    std::vector<int64_t> over(kFusedMaxTokens / 100, 100);
    over.push_back(kFusedMaxTokens % 100 + 1);
    for (const auto& in : {batch_of({3, 6}, true), batch_of(over, false)}) {
      const uint64_t routed = fused_forwards();
      const torch::Tensor fast = run(in, true);
      EXPECT_EQ(fused_forwards(), routed) << type;
      EXPECT_LE((fast - run(in, false)).abs().max().item<float>(), 1e-5f) << type;
    }
    at::set_num_threads(2);
    const uint64_t routed = fused_forwards();
    run(batch_of({kFusedSmallTokens + 1}, false), true);
    EXPECT_EQ(fused_forwards(), routed) << type << " two threads";
    at::set_num_threads(1);
  }
}

}  // namespace
}  // namespace denser::encode_internal
