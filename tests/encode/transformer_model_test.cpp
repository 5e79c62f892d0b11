// The network as the trainer sees it (private header, libtorch): the grad-enabled plain
// path must agree with the oneDNN inference path the encoder takes, and gradients must
// reach every parameter.
#include <gtest/gtest.h>

#include "encode/transformer_model.h"
#include "encode/transformer_test_util.h"

namespace denser::encode_internal {
namespace {

TEST(TransformerNetTest, TrainingPathMatchesInferencePathAndBackpropagates) {
  at::set_num_threads(1);
  for (const char* type : {"bert", "roberta"}) {
    ModelConfig config = test::tiny_test_config(type, "mean", true);
    TransformerNet net(config);
    initialize(net, InitOptions{4, 0.02, true});
    net->eval();
    // Two rows, the second padded after 5 tokens.
    torch::Tensor ids = torch::tensor({2, 7, 8, 9, 10, 11, 12, 3, 2, 13, 14, 15, 3, 0, 0, 0}).view({2, 8});
    torch::Tensor mask = ids.ne(0).to(torch::kLong);
    torch::Tensor types = torch::zeros_like(ids);
    torch::Tensor fast;
    {
      torch::InferenceMode inference;
      fast = net->forward(ids, types, mask).clone();
    }
    torch::Tensor plain = net->forward(ids, types, mask);
    ASSERT_TRUE(plain.requires_grad());
    EXPECT_LE((plain.detach() - fast).abs().max().item<float>(), 1e-5f) << type;
    EXPECT_EQ(plain.sizes(), (std::vector<int64_t>{2, 24}));

    net->train();  // dropout on: same inputs, different outputs
    torch::Tensor noisy = net->forward(ids, types, mask);
    EXPECT_GT((noisy.detach() - plain.detach()).abs().max().item<float>(), 1e-4f);
    noisy.pow(2).sum().backward();
    for (const auto& p : net->named_parameters()) {
      if (p.key().find("position_embeddings") != std::string::npos || p.key().find("token_type") != std::string::npos ||
          p.key().find("word_embeddings") != std::string::npos)
        continue;  // embedding rows not looked up get no gradient
      ASSERT_TRUE(p.value().grad().defined()) << p.key();
      EXPECT_GT(p.value().grad().abs().sum().item<float>(), 0.0f) << p.key();
    }
  }
}

// The inference route keeps derived copies of the weights (the fused query/key/value
// product with the attention scale folded in; bf16 copies). An optimizer step changes the
// float32 weights in place: the next inference pass must see the new weights, on one and
// on two threads (BLAS and oneDNN products), with and without padding.
TEST(TransformerNetTest, InferenceRouteFollowsInPlaceWeightChanges) {
  for (int threads : {1, 2}) {
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
    EXPECT_LE((inference(Precision::kFp32) - expected).abs().max().item<float>(), 1e-5f) << threads;
    // bf16 rounds inputs and weights to 8 significant bits: close, not equal.
    EXPECT_LE((inference(Precision::kBf16) - expected).abs().max().item<float>(), 0.05f) << threads;
    net->set_precision(Precision::kFp32);
  }
  at::set_num_threads(1);
}

}  // namespace
}  // namespace denser::encode_internal
